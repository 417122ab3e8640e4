"""analysis.plain_table prints simulate's view exactly as rich does (no colour: a pipe or a
file), and hands rich what it cannot lay out the same way; the default command to a pipe
never imports rich."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from rich.console import Console

from accelsim.analysis.plain_table import PlainConsole, PlainTable, _wrap
from accelsim.analysis.terminal import render_run
from accelsim.arch.load import load_arch
from accelsim.engine.simulator import simulate
from accelsim.workload.load import load_trace


@pytest.fixture(scope="module")
def result():
    return simulate(load_arch("sole"), load_trace("vit_tiny", 64, 1, "sole"), record=False)


def _rich_text(result, width: int, layers: int | None) -> str:
    out = io.StringIO()
    render_run(result, Console(file=out, width=width, markup=False, emoji=False,
                               highlight=False), layers=layers)
    return out.getvalue()


@pytest.mark.parametrize("width", [60, 80, 100, 120, 160, 200])
@pytest.mark.parametrize("layers", [10, None])
def test_the_view_is_rich_s_character_for_character(result, width, layers):
    out = io.StringIO()
    console = PlainConsole(width, out)
    render_run(result, console, layers=layers)
    assert out.getvalue() == _rich_text(result, width, layers)
    if width >= 120 and layers == 10 or width >= 160:  # the default view: no rich at all
        assert console._rich is None


def test_wrap_is_greedy_by_words_like_rich():
    assert _wrap("aa bb cc dd", 5) == ["aa bb", "cc dd"]
    assert _wrap("aa bb cc dd", 6) == ["aa bb ", "cc dd"]  # trailing space kept within width
    assert _wrap("aaa bbbbbb", 6) == ["aaa ", "bbbbbb"]
    assert _wrap("", 4) == [""]
    assert _wrap("toolongword x", 5) is None  # rich folds it: left to rich


def test_what_plain_does_not_reproduce_goes_to_rich():
    table = PlainTable(title="t")
    table.add_column("name")
    table.add_row("caf\u00e9")  # non-ASCII: rich measures cells, not characters
    assert table.lines(80) is None
    out = io.StringIO()
    PlainConsole(80, out).print(table)
    expected = io.StringIO()
    Console(file=expected, width=80, markup=False, emoji=False,
            highlight=False).print(table.to_rich())
    assert out.getvalue() == expected.getvalue() and "caf\u00e9" in out.getvalue()


def test_simulate_to_a_pipe_does_not_import_rich():
    code = ("import atexit, runpy, sys; sys.argv = ['accelsim', 'simulate', '-m', 'vit_tiny', "
            "'--image-size', '64']; atexit.register(lambda: sys.stderr.write("
            "'rich loaded' if 'rich' in sys.modules else 'no rich')); "
            "runpy.run_module('accelsim.cli', run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "COLUMNS": "160"})
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().endswith("no rich")
    assert "Summary: vit_tiny 64px batch 1" in done.stdout


@pytest.mark.parametrize(("columns", "width"), [(None, 160), ("100", 100), ("", None),
                                                ("0", None), ("abc", None)])
def test_the_plain_console_takes_rich_s_width_or_leaves_it_to_rich(monkeypatch, columns, width):
    from accelsim.cli.figures import make_console

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    console = make_console(plain=True)
    if width is None:  # a COLUMNS rich ignores: rich decides the width
        assert isinstance(console, Console)
    else:
        assert isinstance(console, PlainConsole) and console.width == width
    assert isinstance(make_console(), Console)
