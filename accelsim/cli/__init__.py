"""Command line: parse -> public API -> render. Errors are one line on stderr; ``--debug`` shows
the traceback.

Exit codes: 0 success; 1 internal error (a bug: one line, ``--debug`` for the traceback);
2 bad input or usage (the line names the file, the field or the flag); 3 a sweep that ran but
some of its points failed (their rows say why); 130 interrupted (Ctrl-C). The app and shared
options live in ``app``; each command module registers its commands on it, imported only when
its command runs (``app.LazyCommands``; the table is ``help.COMMANDS``, which also prints the
top-level ``--help`` without importing typer's help renderer or any command)."""

from __future__ import annotations

import sys
import types
from typing import Any

__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_POINTS_FAILED", "app",
           "error_line", "main"]


def _app_module() -> Any:
    import importlib

    return importlib.import_module("accelsim.cli.app")


def __getattr__(name: str) -> Any:
    """The exit codes and ``error_line`` from ``accelsim.cli.app`` on first use (PEP 562): the
    entry point answers ``accelsim --help`` before typer is imported."""
    if name in __all__ or name == "_state":  # _state: tests set its "debug"
        return getattr(_app_module(), name)
    raise AttributeError(f"module 'accelsim.cli' has no attribute {name!r}")


class _CliPackage(types.ModuleType):
    """``accelsim.cli.app`` names the Typer app (``from accelsim.cli import app``), as it did
    when this package imported it eagerly; importing the submodule of the same name would
    otherwise rebind the attribute to the module (the import system sets it on the parent)."""

    @property
    def app(self) -> Any:
        return _app_module().app

    @app.setter
    def app(self, value: Any) -> None:  # the import system's binding of the submodule
        if not isinstance(value, types.ModuleType):
            raise AttributeError("accelsim.cli.app is the Typer app of accelsim.cli.app")


sys.modules[__name__].__class__ = _CliPackage


def _fail(text: str, code: int) -> None:
    from accelsim.cli.app import error_line

    try:
        print(error_line(text), file=sys.stderr)
    except (OSError, ValueError):  # stderr closed
        pass
    sys.exit(code)


def refuse_repeated_options(typer_app: object, args: list[str]) -> None:
    """A single-valued option given twice (``--arch a --arch b``) is an error, not last-wins
    as click would have it: the user meant one of the two and a run on the other is a silent
    wrong answer. Repeatable options (``--set``, ``--override``) and flags are not concerned;
    a ``--set`` key given twice is refused by the override parser."""
    import typer

    from accelsim.cli.help import MODULE_OF
    from accelsim.errors import ConfigError

    start = next((i for i, a in enumerate(args) if a in MODULE_OF), None)
    if start is None:
        return
    group = typer.main.get_command(typer_app)
    command = group.get_command(None, args[start])  # type: ignore[attr-defined]
    valued = {}
    for param in command.params:
        if getattr(param, "param_type_name", "") != "option" or param.is_flag or param.multiple:
            continue
        for opt in (*param.opts, *param.secondary_opts):
            valued[opt] = param
    seen: dict[str, list[str]] = {}
    i = start + 1
    while i < len(args):
        arg = args[i]
        if arg == "--":
            break
        name, attached = (arg.split("=", 1)[0], "=" in arg) if arg.startswith("--") else (
            (arg[:2], len(arg) > 2) if arg.startswith("-") and len(arg) > 1 else (arg, False))
        param = valued.get(name)
        if param is not None:
            seen.setdefault(param.name, []).append(name)
            if len(seen[param.name]) > 1:
                raise ConfigError("option given more than once; give it once (a repeated "
                                  "option is refused, not last-wins)", key=name)
            if not attached:
                i += 1  # skip its value
        i += 1


def main() -> None:
    """Console-script entry point: one readable line for every failure, no traceback.

    Click (typer ships its own copy of it) runs in non-standalone mode so that its usage
    errors (a bad option value, an unknown option) come here too and print as one line, exit
    code 2, like accelsim's own errors."""
    if sys.argv[1:] in ([], ["--help"]):  # the command list, from a table (help.py)
        from accelsim.cli.help import help_text

        sys.stdout.write(help_text())
        sys.exit(2 if len(sys.argv) == 1 else 0)  # click's no_args_is_help exits 2
    from accelsim.cli.app import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, _state, app
    from accelsim.errors import AccelsimError

    try:
        refuse_repeated_options(app, sys.argv[1:])
        code = app(standalone_mode=False)
    except AccelsimError as exc:
        if _state["debug"]:
            raise
        _fail(f"accelsim: error: {exc}", EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        _fail("accelsim: aborted", EXIT_INTERRUPTED)
    except BrokenPipeError:  # stdout closed early (``| head``): the reader wanted no more
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # quiet final flush
        sys.exit(0)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):  # click's usage
            if type(exc).__name__ == "NoArgsIsHelpError":  # errors; that one printed help
                sys.exit(exc.exit_code)
            _fail(f"accelsim: error: {exc.format_message()}", exc.exit_code)
        if _state["debug"]:
            raise
        if type(exc).__name__ == "Abort":  # Ctrl-C
            _fail("accelsim: aborted", EXIT_INTERRUPTED)
        _fail(f"accelsim: internal error: {type(exc).__name__}: {exc} (run with --debug for "
              "the traceback)", EXIT_INTERNAL)
    if code == EXIT_INTERRUPTED:  # click turned a Ctrl-C into this code without a word
        _fail("accelsim: aborted", EXIT_INTERRUPTED)
    if isinstance(code, int) and code:
        sys.exit(code)
