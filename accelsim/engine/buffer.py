"""PingPongBuffer: ``banks`` bank tokens. The DMA takes a free bank before filling it; the
consumer returns it after its last use of the tile. Two banks let the DMA fill one while the
consumer drains the other; one bank serialises them (no overlap)."""

from __future__ import annotations

from collections import deque

import simpy

from accelsim.engine.queues import Fifo
from accelsim.engine.recorder import Recorder


class PingPongBuffer:
    def __init__(self, env: simpy.Environment, name: str, banks: int,
                 rec: Recorder | None = None) -> None:
        self.env = env
        self.name = name
        self.banks = banks
        self.free = Fifo(env, capacity=banks)
        self.free.items.extend(range(banks))
        self.in_use = 0
        self.max_in_use = 0
        self.rec = rec
        # timeline only: holds open as (lane, start, op), closed oldest first; a lane is the
        # lowest one free, so no two holds of a lane overlap (which physical bank is not modelled)
        self._open: deque[tuple[int, int, str]] = deque()

    def acquire(self) -> simpy.events.Event:
        return self.free.get()

    def taken(self, op: str = "") -> None:
        self.in_use += 1
        self.max_in_use = max(self.max_in_use, self.in_use)
        if self.rec is not None and self.rec.enabled:
            used = {lane for lane, _, _ in self._open}
            lane = next(i for i in range(self.banks + 1) if i not in used)
            self._open.append((lane, int(self.env.now), op))

    def release(self) -> None:
        self.in_use -= 1
        self.free.put(0)
        if self.rec is not None and self._open:
            lane, start, op = self._open.popleft()
            self.rec.span(f"{self.name} bank {lane}", op, start, int(self.env.now), op)
