"""'Did you mean ...?' suggestions for unknown names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """A short hint naming the closest choice, or listing the choices when nothing is close."""
    options = sorted(choices)
    with_unit = [o for o in options if o.startswith(f"{name}_")]  # size -> size_bytes
    if len(with_unit) == 1:
        return f"did you mean {with_unit[0]!r}?"
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return "choose from " + ", ".join(options)
