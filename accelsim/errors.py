"""Error hierarchy: every user-facing failure names the file, the key path, the value and what
was expected.

The CLI prints ``str(error)`` as one line and exits non-zero; ``--debug`` shows the traceback.
"""

from __future__ import annotations


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
        where = ": ".join(p for p in (self.file, self.key) if p)
        if where:
            parts.append(where)
        parts.append(self.message)
        line = ": ".join(parts)
        if self.value is not None:
            line += f" (got {self.value!r})"
        if self.expected:
            line += f"; expected {self.expected}"
        return line


class ConfigError(AccelsimError):
    """Bad accelerator description: malformed YAML, unknown key, impossible value, bad override."""


class TraceError(AccelsimError):
    """Bad workload: unknown model, malformed trace file, inconsistent shapes or dependencies."""


class MappingError(AccelsimError):
    """An op cannot be mapped onto the hardware (e.g. a buffer too small for the smallest tile)."""


class SimulationError(AccelsimError):
    """The engine failed: deadlock, violated invariant."""
