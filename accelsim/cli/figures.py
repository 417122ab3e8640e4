"""Figure options every plotting command shares (``--dpi``, ``--figsize``, ``--style``), the
file types a figure may be written as (its suffix: .png, .svg, .pdf), honest-default warnings
on stderr and the command line quoted in reports."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

FIGURE_SUFFIXES = (".png", ".svg", ".pdf")
#: accelsim.analysis.plots.STYLES' names, here so that checking an option does not import
#: matplotlib (a command that draws nothing must not pay for it)
FIGURE_STYLES = ("screen", "paper")

DpiOpt = Annotated[Optional[float], typer.Option(  # noqa: UP045
    "--dpi", help="PNG resolution in dots per inch [150 screen, 300 paper]")]
FigsizeOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--figsize", help="figure size in inches, W,H (e.g. 3.5,2.8)")]
StyleOpt = Annotated[str, typer.Option(
    "--style", help="figure style: screen | paper (3.5-inch column, fonts >= 8 pt)")]


def parse_figsize(value: str | None) -> tuple[float, float] | None:
    """'3.5,2.8' -> (3.5, 2.8) inches; each side 1 to 40 inches."""
    if value is None:
        return None
    from accelsim.errors import ConfigError

    parts = value.replace("x", ",").split(",")
    try:
        w, h = (float(p) for p in parts)
    except ValueError:
        raise ConfigError("bad figure size", key="--figsize", value=value,
                          expected="W,H in inches, e.g. 3.5,2.8") from None
    if not (1 <= w <= 40 and 1 <= h <= 40):
        raise ConfigError("figure size out of range", key="--figsize", value=value,
                          expected="each side from 1 to 40 inches")
    return (w, h)


def check_figure_options(dpi: float | None, style_name: str) -> None:
    from accelsim.errors import ConfigError

    if style_name not in FIGURE_STYLES:
        raise ConfigError("unknown figure style", key="--style", value=style_name,
                          expected=" | ".join(FIGURE_STYLES))
    if dpi is not None and not 10 <= dpi <= 1200:
        raise ConfigError("dpi out of range", key="--dpi", value=dpi, expected="10 to 1200")


def figure_file(path: Path, figure: Any, dpi: float | None, style_name: str) -> None:
    """Write a figure as its suffix says (checked before the run by output_suffix)."""
    from accelsim.analysis.plots import PAPER_DPI, figure_bytes
    from accelsim.cli.app import write_output

    fmt = path.suffix.lower().lstrip(".")
    write_output(path, figure_bytes(figure, fmt, dpi or (PAPER_DPI if style_name == "paper"
                                                         else None)), key=None)


def print_warnings(results: Any) -> None:
    """Each distinct honest-default warning of the runs, once, on stderr."""
    seen: dict[str, None] = {}
    for result in results:
        for warning in result.warnings:
            seen.setdefault(warning)
    for warning in seen:
        print(f"accelsim: warning: {warning}", file=sys.stderr)


def command_line() -> str:
    """The command as typed (for reports): 'accelsim simulate --arch sole ...'."""
    return shlex.join(["accelsim", *sys.argv[1:]])


#: width of output that goes to a file or pipe, where there is no terminal to fit (COLUMNS,
#: when set, still decides)
PIPE_WIDTH = 160


def make_console(stderr: bool = False, plain: bool = False) -> Any:
    """A rich Console at the terminal's width (COLUMNS when set); a pipe or file gets
    PIPE_WIDTH columns rather than rich's 80. Markup, emoji codes and highlighting are off:
    every string shown is user text and prints literally (styles are given as rich Text).
    ``plain``: to a pipe or file, an analysis.plain_table.PlainConsole instead, which prints
    PlainTables in rich's layout without importing rich (simulate's default view)."""
    import os

    if plain and not stderr:
        from accelsim.analysis.plain_table import PlainConsole, plain_output

        columns = os.environ.get("COLUMNS")
        if plain_output() and (columns is None or columns.isdigit() and int(columns) > 0):
            # rich's width there: COLUMNS, else PIPE_WIDTH (below); a COLUMNS rich ignores
            # leaves it to rich, which then asks the std streams for a terminal size
            return PlainConsole(PIPE_WIDTH if columns is None else int(columns))
    from rich.console import Console

    literal = {"markup": False, "emoji": False, "highlight": False}
    console = Console(stderr=stderr, **literal)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(stderr=stderr, width=PIPE_WIDTH, **literal)
    return console
