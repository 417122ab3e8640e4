"""Shared DRAM: one channel whose bandwidth reads and writes share, plus a fixed latency.

A transfer occupies the channel for ceil(bytes / bytes_per_cycle) cycles; its data arrives
``latency_cycles`` later. The latency is pipelined (the channel serves the next request while
the previous one is in flight), so back-to-back transfers reach the full bandwidth.
"""

from __future__ import annotations

import math
from collections.abc import Generator

import simpy


class Dram:
    def __init__(self, env: simpy.Environment, bytes_per_cycle: float, latency_cycles: int) -> None:
        self.env = env
        self.bytes_per_cycle = bytes_per_cycle
        self.latency_cycles = latency_cycles
        self.channel = simpy.Resource(env, capacity=1)
        self.busy_cycles = 0

    def occupancy_cycles(self, nbytes: int) -> int:
        return math.ceil(nbytes / self.bytes_per_cycle - 1e-9) if nbytes > 0 else 0

    def transfer(self, nbytes: int) -> Generator[simpy.Event, None, int]:
        """Hold the channel for the transfer; returns the cycle the data has fully arrived."""
        cycles = self.occupancy_cycles(nbytes)
        with self.channel.request() as req:
            yield req
            yield self.env.timeout(cycles)
        self.busy_cycles += cycles
        return int(self.env.now) + self.latency_cycles
