"""Append-only event log: (cycle, component, event, op) rows, and the timeline's spans. No logic."""

from __future__ import annotations

#: one timeline span: (track, label, start_cycle, end_cycle, op)
Span = tuple[str, str, int, int, str]


class Recorder:
    """Collects rows; ``enabled=False`` keeps only the count (for speed-critical runs).

    ``spans`` hold what the point events cannot: DRAM transfers (start to the channel's
    release), bank holds and stalls (accelsim.analysis.timeline draws them). They are not
    events and do not count in ``count``."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.rows: list[tuple[int, str, str, str]] = []
        self.spans: list[Span] = []
        self.count = 0

    def __call__(self, cycle: int, component: str, event: str, op: str) -> None:
        self.count += 1
        if self.enabled:
            self.rows.append((cycle, component, event, op))

    def span(self, track: str, label: str, start: int, end: int, op: str) -> None:
        if self.enabled and end > start:
            self.spans.append((track, label, start, end, op))
