"""Append-only event log: (cycle, component, event, op) rows. No logic."""

from __future__ import annotations


class Recorder:
    """Collects rows; ``enabled=False`` keeps only the count (for speed-critical runs)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.rows: list[tuple[int, str, str, str]] = []
        self.count = 0

    def __call__(self, cycle: int, component: str, event: str, op: str) -> None:
        self.count += 1
        if self.enabled:
            self.rows.append((cycle, component, event, op))
