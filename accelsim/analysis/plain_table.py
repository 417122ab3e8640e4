"""Tables as plain text, laid out the way rich lays them out, without importing rich.

``simulate``'s default view goes to a pipe or a file more often than to a terminal (scripts,
CI logs, README examples); there rich prints no colour, only the layout, and importing and
running it costs ~0.1 s of a command that should take a few tenths. ``PlainTable`` holds the
cells (text and rich style, so ``to_rich`` gives the same table to a terminal) and ``lines``
reproduces rich 13-15's layout for the tables accelsim draws - box ``SIMPLE_HEAD`` without edge
padding, and ``Table.grid(padding=(0, 1))`` - character for character: column widths from the
cells' longest line and longest word (rich's ``Measurement``), the shrinking of wrappable
columns when the table is wider than the console (``Table._collapse_widths``, then
``ratio_reduce``), greedy word wrapping (``rich._wrap.divide_line``), the title centred and
the caption wrapped over the table's width. Whatever it does not reproduce exactly - a word
wider than its column, a non-ASCII or control character, a cropped no-wrap cell - makes
``lines`` return None and ``PlainConsole`` print that table with rich instead, so the output is
the same either way (tests/analysis/test_plain_table.py compares the two)."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

#: characters whose width is one cell and that rich prints as they are
_PLAIN = re.compile(r"^[\x20-\x7e\u2514]*$")  # printable ASCII and the fused-row mark
_WORDS = re.compile(r"\s*\S+\s*")


@dataclass
class PlainColumn:
    header: str = ""
    justify: str = "left"
    no_wrap: bool = False
    min_width: int | None = None
    overflow: str = "ellipsis"
    style: str = ""


@dataclass
class PlainTable:
    """A table of text cells: ``grid=False`` is rich's ``Table(box=SIMPLE_HEAD,
    pad_edge=False)``, ``grid=True`` its ``Table.grid(padding=(0, 1))``."""

    title: str = ""
    caption: str = ""
    show_header: bool = True
    grid: bool = False
    columns: list[PlainColumn] = field(default_factory=list)
    rows: list[list[tuple[str, str]]] = field(default_factory=list)

    def add_column(self, header: str = "", **options: Any) -> None:
        self.columns.append(PlainColumn(header, **options))

    def add_row(self, *cells: str | tuple[str, str]) -> None:
        self.rows.append([c if isinstance(c, tuple) else (c, "") for c in cells])

    # ------------------------------------------------------------------ rich
    def to_rich(self) -> Any:
        """The same table as a rich Table (styles applied), for a terminal."""
        from rich import box
        from rich.table import Table
        from rich.text import Text

        if self.grid:
            table = Table.grid(padding=(0, 1))
        else:
            table = Table(title=Text(self.title) if self.title else None,
                          caption=Text(self.caption) if self.caption else None,
                          caption_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                          show_header=self.show_header)
        for c in self.columns:
            table.add_column(c.header, justify=c.justify, no_wrap=c.no_wrap,  # type: ignore[arg-type]
                             min_width=c.min_width, overflow=c.overflow,  # type: ignore[arg-type]
                             style=c.style)
        for row in self.rows:
            table.add_row(*(Text(text, style=style) for text, style in row))
        return table

    # ------------------------------------------------------------------ plain
    def _pads(self, index: int) -> tuple[int, int]:
        """(left, right) padding of a column: (0, 1) cells, none at the table's edges; a grid
        collapses neighbouring paddings into one space."""
        last = len(self.columns) - 1
        left = 0 if index == 0 or self.grid else 1
        right = 0 if index == last else 1
        return left, right

    def lines(self, console_width: int) -> list[str] | None:
        """The table as rich prints it at ``console_width`` columns without colour, or None
        where this layout would not be rich's exactly."""
        n = len(self.columns)
        if not n:
            return None
        texts = [self.title, self.caption, *(c.header for c in self.columns),
                 *(t for row in self.rows for t, _ in row)]
        if not all(_PLAIN.match(t) for t in texts) or any(len(r) != n for r in self.rows):
            return None
        extra = 0 if self.grid else 2 + (n - 1)  # edges and dividers
        max_width = console_width - extra
        cells = [[r[i][0] for r in self.rows] for i in range(n)]
        widths = []
        for i, c in enumerate(self.columns):
            left, right = self._pads(i)
            texts_i = ([c.header] if self.show_header and not self.grid else []) + cells[i]
            longest = max((len(t) for t in texts_i), default=0)
            top = min(longest + left + right, max_width)  # Measurement.with_maximum
            if c.min_width is not None:  # Measurement.clamp
                top = max(top, c.min_width + left + right)
            widths.append(top or 1)
        if sum(widths) > max_width:
            widths = _collapse_widths(widths, [not c.no_wrap for c in self.columns], max_width)
            if sum(widths) > max_width:
                return None  # rich's last resort shrinks every column, cropping: not ours
        out: list[str] = []
        table_width = sum(widths) + extra
        if self.title:
            if len(self.title) > table_width:
                return None
            pad = table_width - len(self.title)
            out.append(" " * (pad // 2) + self.title + " " * (pad - pad // 2))
        rows = ([[(c.header, "") for c in self.columns]] if self.show_header and not self.grid
                else []) + self.rows
        edge, divider = ("", "") if self.grid else (" ", " ")
        if not self.grid:
            out.append(" " * table_width)
        for r, row in enumerate(rows):
            block = []
            for i, (text, _) in enumerate(row):
                left, right = self._pads(i)
                inner = widths[i] - left - right
                c = self.columns[i]
                if c.no_wrap:
                    if len(text) > inner:
                        return None
                    wrapped = [text]
                else:
                    wrapped = _wrap(text, inner)
                    if wrapped is None:
                        return None
                block.append([" " * left + (w.rstrip().rjust(inner) if c.justify == "right"
                                             else w.ljust(inner)) + " " * right
                              for w in wrapped])
            height = max(len(b) for b in block)
            if r == 0 and self.show_header and not self.grid:  # rich aligns heads to the bottom
                block = [[" " * widths[i]] * (height - len(b)) + b for i, b in enumerate(block)]
            for k in range(height):
                out.append(edge + divider.join(b[k] if k < len(b) else " " * widths[i]
                                               for i, b in enumerate(block)) + edge)
            if r == 0 and self.show_header and not self.grid:
                out.append(" " + "\u2500" * (table_width - 2) + " ")
        if not self.grid:
            out.append(" " * table_width)
        if self.caption:
            wrapped = _wrap(self.caption, table_width)
            if wrapped is None:
                return None
            out.extend(w.ljust(table_width) for w in wrapped)
        return out


def _wrap(text: str, width: int) -> list[str] | None:
    """rich's greedy word wrap (``divide_line``) of one line of text; None for a word wider
    than the column (rich folds it) or a zero width."""
    if width <= 0:
        return None
    if not text:
        return [""]
    lines: list[str] = []
    current, offset = "", 0
    for word in _WORDS.findall(text):
        length = len(word.rstrip())
        if length > width:
            return None
        if width - offset >= length:
            current += word
            offset += len(word)
        else:
            lines.append(current)
            current, offset = word, len(word)
    lines.append(current)
    return [line if len(line) <= width else line.rstrip() for line in lines]  # rstrip_end


def _collapse_widths(widths: list[int], wrapable: list[bool], max_width: int) -> list[int]:
    """rich's ``Table._collapse_widths``: shrink the widest wrappable columns, together, to
    the next widest, until the table fits or nothing is left to shrink."""
    total = sum(widths)
    excess = total - max_width
    if any(wrapable):
        while total and excess > 0:
            top = max(w for w, ok in zip(widths, wrapable, strict=True) if ok)
            second = max(w if ok and w != top else 0
                         for w, ok in zip(widths, wrapable, strict=True))
            difference = top - second
            ratios = [1 if (w == top and ok) else 0 for w, ok in zip(widths, wrapable,
                                                                     strict=True)]
            if not any(ratios) or not difference:
                break
            widths = _ratio_reduce(excess, ratios, [min(excess, difference)] * len(widths),
                                   widths)
            total = sum(widths)
            excess = total - max_width
    return widths


def _ratio_reduce(total: int, ratios: list[int], maximums: list[int],
                  values: list[int]) -> list[int]:
    """rich's ``_ratio.ratio_reduce``."""
    ratios = [r if m else 0 for r, m in zip(ratios, maximums, strict=True)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return values[:]
    remaining = total
    result = []
    for ratio, maximum, value in zip(ratios, maximums, values, strict=True):
        if ratio and total_ratio > 0:
            distributed = min(maximum, round(ratio * remaining / total_ratio))
            result.append(value - distributed)
            remaining -= distributed
            total_ratio -= ratio
        else:
            result.append(value)
    return result


class PlainConsole:
    """Prints PlainTables as text to a pipe or file (rich's width there: COLUMNS, else the
    width given); a table ``lines`` cannot lay out, or any other renderable, goes through a
    rich Console of the same width, so the output does not depend on which one printed it."""

    def __init__(self, width: int, file: TextIO | None = None) -> None:
        self.width = width
        self._file = file
        self._rich: Any = None

    @property
    def file(self) -> TextIO:
        return self._file if self._file is not None else sys.stdout

    def print(self, renderable: Any = "", **options: Any) -> None:
        lines = renderable.lines(self.width) if isinstance(renderable, PlainTable) else None
        if lines is not None:
            self.file.write("".join(line + "\n" for line in lines))
            return
        if self._rich is None:
            from rich.console import Console

            self._rich = Console(file=self._file, width=self.width, markup=False, emoji=False,
                                 highlight=False)
        if isinstance(renderable, PlainTable):
            renderable = renderable.to_rich()
        self._rich.print(renderable, **options)


def plain_output(stream: TextIO | None = None) -> bool:
    """Whether output to ``stream`` (stdout) is plain text for rich too: not a terminal, no
    FORCE_COLOR / TTY_COMPATIBLE / TTY_INTERACTIVE asking for one, not a notebook."""
    stream = sys.stdout if stream is None else stream
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    forced = any(os.environ.get(k) for k in ("FORCE_COLOR", "TTY_COMPATIBLE",
                                             "TTY_INTERACTIVE", "JUPYTER_COLUMNS"))
    return not tty and not forced and "ipykernel" not in sys.modules
