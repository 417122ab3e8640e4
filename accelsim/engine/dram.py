"""Shared DRAM: the engine component every DMA transfer goes through.

``Dram`` (``dram.model: bandwidth``): one channel whose bandwidth reads and writes share, plus a
fixed latency. A transfer occupies the channel for ceil(bytes / bytes_per_cycle) cycles; its
data arrives ``latency_cycles`` later. The latency is pipelined (the channel serves the next
request while the previous one is in flight), so back-to-back transfers reach the full
bandwidth.

``BankedDram`` (``dram.model: banked``): the same port, but a transfer holds it for what its
access pattern costs on channels, banks and row buffers (cost.dram.transfer_cost, all channels
in parallel), plus a read/write turnaround when the direction changes (cost.dram.turnaround_tck,
hidden behind the transfer's first ACT where it can), stretched by the all-bank refreshes that
fall inside it (tRFC every tREFI of wall-clock time: cost.dram.refresh_end_cycle). It counts
bursts, activates and row hits / misses / conflicts for the report and the energy model.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass

import simpy

from accelsim.arch.spec import ArchSpec
from accelsim.cost import dram as dram_cost
from accelsim.cost.dram import AccessPattern
from accelsim.engine.queues import Channel


@dataclass(slots=True)
class DramCounts:
    """What one op's transfers did on the DRAM (banked model; zeros for bandwidth)."""

    busy_cycles: int = 0
    bursts: int = 0
    activates: int = 0
    row_hits: int = 0
    row_misses: int = 0
    row_conflicts: int = 0
    read_bursts: int = 0
    write_bursts: int = 0

    def add(self, busy_cycles: int, cost: dram_cost.DramCost, write: bool) -> None:
        self.busy_cycles += busy_cycles
        self.bursts += cost.bursts
        self.activates += cost.activates
        self.row_hits += cost.row_hits
        self.row_misses += cost.row_misses
        self.row_conflicts += cost.row_conflicts
        if write:
            self.write_bursts += cost.bursts
        else:
            self.read_bursts += cost.bursts


class Dram:
    def __init__(self, env: simpy.Environment, bytes_per_cycle: float, latency_cycles: int) -> None:
        self.env = env
        self.bytes_per_cycle = bytes_per_cycle
        self.latency_cycles = latency_cycles
        self.channel = Channel(env)
        self.busy_cycles = 0
        #: (pattern, write) of every transfer in issue order, when asked (--dram-trace)
        self.requests: list[tuple[AccessPattern, bool]] | None = None
        #: (start, end) cycles the channel was held by the last transfer (timeline spans)
        self.last_span: tuple[int, int] = (0, 0)

    def occupancy_cycles(self, nbytes: int) -> int:
        return math.ceil(nbytes / self.bytes_per_cycle - 1e-9) if nbytes > 0 else 0

    def transfer(self, nbytes: int, pattern: AccessPattern | None = None, write: bool = False,
                 counts: DramCounts | None = None) -> Generator[simpy.Event, None, int]:
        """Hold the channel for the transfer; returns the cycle the data has fully arrived."""
        cycles = self.occupancy_cycles(nbytes)
        with self.channel.request() as req:
            yield req
            if self.requests is not None and nbytes > 0:
                self.requests.append((pattern or AccessPattern(0, nbytes, 0, 1), write))
            start = int(self.env.now)
            yield self.env.timeout(cycles)
        self.last_span = (start, start + cycles)
        self.busy_cycles += cycles
        if counts is not None:
            counts.busy_cycles += cycles
        return int(self.env.now) + self.latency_cycles


class BankedDram(Dram):
    def __init__(self, env: simpy.Environment, arch: ArchSpec) -> None:
        super().__init__(env, arch.dram_bytes_per_cycle, arch.dram_latency_cycles)
        self.geometry = dram_cost.dram_geometry(arch.dram)
        self.clock_hz = arch.clock_hz
        g = self.geometry
        self.refresh_period = self._cycles(g.tREFI)
        self.refresh_cycles = self._cycles(g.tRFC)
        self.last_write: bool | None = None
        #: (pattern, write, previous direction) -> (cost, cycles before refresh)
        self._memo: dict[tuple[AccessPattern, bool, bool | None],
                         tuple[dram_cost.DramCost, int]] = {}
        #: the same by the pattern's shape (cost.dram.pattern_shape): patterns of other tensors
        #: at the same row alignment cost the same
        self._by_shape: dict[tuple[tuple[int, int, int, int], bool, bool | None],
                             tuple[dram_cost.DramCost, int]] = {}

    def _cycles(self, tck: int) -> int:
        return dram_cost.tck_to_cycles(tck, self.geometry.tCK_ns, self.clock_hz)

    def transfer(self, nbytes: int, pattern: AccessPattern | None = None, write: bool = False,
                 counts: DramCounts | None = None) -> Generator[simpy.Event, None, int]:
        if pattern is None or nbytes <= 0:
            pattern = AccessPattern(0, max(nbytes, 0), 0, 1)
        key = (pattern, write, self.last_write)
        known = self._memo.get(key)
        if known is None:
            shape = (dram_cost.pattern_shape(self.geometry, pattern), write, self.last_write)
            known = self._by_shape.get(shape)
            if known is None:
                cost = dram_cost.transfer_cost(self.geometry, pattern, write)
                known = self._by_shape[shape] = (cost, self._work_cycles(cost, self.last_write,
                                                                          write))
            self._memo[key] = known
        cost, work = known
        with self.channel.request() as req:
            yield req
            if self.requests is not None and cost.bursts:
                self.requests.append((pattern, write))
            start = int(self.env.now)
            period = self.refresh_period
            into = start % period
            if into + work <= period and (start < period or into >= self.refresh_cycles):
                end = start + work  # no refresh inside (the common case)
            else:
                end = dram_cost.refresh_end_cycle(start, work, period, self.refresh_cycles)
            yield self.env.timeout(end - start)
        self.last_span = (start, end)
        if cost.bursts:
            self.last_write = write
        self.busy_cycles += end - start
        if counts is not None:
            counts.add(end - start, cost, write)
        return int(self.env.now) + self.latency_cycles

    def _work_cycles(self, cost: dram_cost.DramCost, previous_write: bool | None,
                     write: bool) -> int:
        return banked_work_cycles(self.geometry, self.clock_hz, cost, previous_write, write)


def banked_work_cycles(g: dram_cost.DramGeometry, clock_hz: float, cost: dram_cost.DramCost,
                       previous_write: bool | None, write: bool) -> int:
    """Accelerator cycles of a banked transfer before refresh: its nCK plus the part of a
    read/write turnaround its first ACT does not hide (also the fast engine's table)."""
    if not cost.bursts:
        return 0
    extra = max(dram_cost.turnaround_tck(g, previous_write, write) - cost.first_column_tck, 0)
    return dram_cost.tck_to_cycles(cost.busy_tck + extra, g.tCK_ns, clock_hz)


def make_dram(env: simpy.Environment, arch: ArchSpec) -> Dram:
    """The DRAM component ``arch.dram.model`` asks for."""
    if arch.dram.model == "banked":
        return BankedDram(env, arch)
    return Dram(env, arch.dram_bytes_per_cycle, arch.dram_latency_cycles)
