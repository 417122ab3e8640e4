"""PingPongBuffer: ``banks`` bank tokens. The DMA takes a free bank before filling it; the
consumer returns it after its last use of the tile. Two banks let the DMA fill one while the
consumer drains the other; one bank serialises them (no overlap)."""

from __future__ import annotations

import simpy


class PingPongBuffer:
    def __init__(self, env: simpy.Environment, name: str, banks: int) -> None:
        self.name = name
        self.banks = banks
        self.free = simpy.Store(env, capacity=banks)
        self.free.items.extend(range(banks))
        self.in_use = 0
        self.max_in_use = 0

    def acquire(self) -> simpy.events.Event:
        return self.free.get()

    def taken(self) -> None:
        self.in_use += 1
        self.max_in_use = max(self.max_in_use, self.in_use)

    def release(self) -> None:
        self.in_use -= 1
        self.free.put(0)
