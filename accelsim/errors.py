"""Error hierarchy: every user-facing failure names the file, the key path, the value and what
was expected.

The CLI prints ``str(error)`` as one line and exits non-zero; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import reprlib

#: longest value repr, key path, file name and whole line an error prints (a 200,000-character
#: value or a "billion laughs" structure must not flood the terminal, nor take long to format)
MAX_VALUE_CHARS = 120
MAX_PART_CHARS = 300
MAX_LINE_CHARS = 1000

_REPR = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxstring = MAX_VALUE_CHARS
_REPR.maxother = MAX_VALUE_CHARS
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 8
_REPR.maxlong = 40


def short_repr(value: object) -> str:
    """A bounded repr: never longer than MAX_VALUE_CHARS, cheap on any structure (reprlib
    stops descending at a depth and a length, so shared/aliased lists are never expanded)."""
    return clip(_REPR.repr(value), MAX_VALUE_CHARS)


def clip(text: str, limit: int = MAX_PART_CHARS) -> str:
    """``text`` cut to ``limit`` characters, the cut marked by "..." and the length."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 30]}... ({len(text):,} characters)"


class AccelsimError(Exception):
    """Base of all errors accelsim reports to users (never a bare traceback)."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        key: str | None = None,
        value: object = None,
        expected: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.key = key
        self.value = value
        self.expected = expected
        super().__init__(self.format())

    def format(self) -> str:
        parts = []
        where = ": ".join(clip(str(p)) for p in (self.file, self.key) if p)
        if where:
            parts.append(where)
        parts.append(clip(str(self.message), MAX_LINE_CHARS // 2))
        line = ": ".join(parts)
        if self.value is not None:
            line += f" (got {short_repr(self.value)})"
        if self.expected:
            line += f"; expected {clip(str(self.expected))}"
        return clip(" ".join(line.splitlines()), MAX_LINE_CHARS)


class ConfigError(AccelsimError):
    """Bad accelerator description: malformed YAML, unknown key, impossible value, bad override."""


class TraceError(AccelsimError):
    """Bad workload: unknown model, malformed trace file, inconsistent shapes or dependencies."""


class MappingError(AccelsimError):
    """An op cannot be mapped onto the hardware (e.g. a buffer too small for the smallest tile)."""


class SimulationError(AccelsimError):
    """The engine failed: deadlock, violated invariant."""
