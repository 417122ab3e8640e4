"""Short commands stay short: ``import accelsim`` / ``import accelsim.cli`` load none of the
heavy libraries, ``--help`` prints the command table (help.COMMANDS) and that table is the
registered commands' own (names, order, module, summary). Timings: benchmarks/bench_startup.py."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

import typer

from accelsim.cli import app
from accelsim.cli.help import COMMANDS, help_text

HEAVY = ("pydantic", "rich", "numpy", "numba", "simpy", "matplotlib", "yaml", "accelsim.arch")


def _loaded_after(statement: str) -> list[str]:
    code = (f"import sys; {statement}; "
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    return out.stdout.split()


def test_importing_the_package_and_the_cli_loads_no_heavy_library() -> None:
    assert _loaded_after("import accelsim") == []
    assert _loaded_after("import accelsim.cli") == []
    assert _loaded_after("import accelsim; accelsim.load_arch") == ["pydantic", "yaml",
                                                                    "accelsim.arch"]


def test_the_help_table_is_the_registered_commands() -> None:
    for module in sorted({m for _, m, _ in COMMANDS}):
        importlib.import_module(f"accelsim.cli.{module}")
    registered = [(info.name, info.callback.__module__.rsplit(".", 1)[1],
                   " ".join(inspect.getdoc(info.callback).split("\n\n")[0].split()))
                  for info in app.registered_commands]
    assert sorted(registered) == sorted(COMMANDS)
    group = typer.main.get_command(app)
    assert group.list_commands(None) == [name for name, _, _ in COMMANDS]


def test_help_prints_the_table_without_typer_and_no_args_exits_2() -> None:
    done = subprocess.run([sys.executable, "-m", "accelsim.cli", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout == help_text()
    for name, _, _ in COMMANDS:
        assert f"\n  {name} " in done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    bare = subprocess.run([sys.executable, "-m", "accelsim.cli"], capture_output=True,
                          text=True, timeout=60)
    assert (bare.returncode, bare.stdout) == (2, help_text())


def test_a_mistyped_command_still_gets_its_suggestion() -> None:
    done = subprocess.run([sys.executable, "-m", "accelsim.cli", "simulat"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == ("accelsim: error: No such command 'simulat'. Did you mean "
                                   "'simulate'?")
