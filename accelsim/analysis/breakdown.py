"""Where a run's latency goes: an exact partition of the end-to-end cycles over blocks, the
units' busy time inside each part, and per-unit and per-kind busy time. Pure data, no I/O.

Definitions (the figures and group-by tables state them in their captions):
  * block slice: blocks in first-appearance order; block i owns the cycles
    [e_{i-1}, e_i) with e_{-1} = 0, e_i = max(e_{i-1}, last end_cycle of block i's layers) and
    the last e = total_cycles. Everything before e_{i-1} belongs to earlier blocks, so the
    slice is the latency block i adds to the run: prefetching its weights while block i-1
    still computes costs no extra wall time and is not charged to it. The slices tile
    [0, total_cycles) exactly, so their latencies sum to ``SimResult.total_cycles``.
  * busy: a unit computing (``Work.cycles``). With the event log (``simulate(record=True)``)
    each hold of a unit is an exact interval; the SRAM-port cycles a hold also contains
    (``stalls["sram"]``) are taken out in proportion over the op's holds, so each op's busy
    time is exactly its ``compute_cycles``. Without the log, each layer's busy cycles are
    spread evenly over its span [start_cycle, end_cycle) (an estimate; totals kept).
  * PE utilization of a block: MACs / (rows x cols x MACs/PE/cycle x block latency), summed
    per precision as PE-cycles (``SimResult.pe_slot_cycles``); the latency-weighted mean over
    blocks is ``SimResult.pe_utilization``.
  * unit busy share: busy cycles / total latency (``SimResult.unit_share``); units overlap in
    time, so shares do not sum to 100%.
  * utilization while busy: ideal cycles / busy cycles, ideal = MACs / (rows x cols x
    MACs/PE/cycle) on the array (``SimResult.pe_utilization_busy`` for the array unit) and
    elements / lanes on the other units.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from accelsim.analysis.records import LayerResult, SimResult

ARRAY = "array"
Interval = tuple[float, float]


@dataclass(frozen=True)
class BlockTime:
    """One block's slice [start_cycle, end_cycle) of the end-to-end latency."""

    block: str
    layers: int
    start_cycle: int
    end_cycle: int
    macs: int
    pe_slot_cycles: float  # PE-cycles the block's MACs need (MACs / MACs per PE per cycle)
    array_busy_cycles: float  # the array computing inside the slice
    sfu_busy_cycles: float  # at least one non-array unit computing inside the slice (union)
    pe_utilization: float  # pe_slot_cycles / (rows x cols x latency_cycles)

    @property
    def latency_cycles(self) -> int:
        return self.end_cycle - self.start_cycle


@dataclass(frozen=True)
class UnitTime:
    """Busy cycles of one unit over the whole run."""

    unit: str
    layers: int
    busy_cycles: int
    busy_share: float  # busy_cycles / total latency
    utilization_busy: float  # ideal cycles / busy cycles


@dataclass(frozen=True)
class KindTime:
    """Busy cycles of all layers of one op kind."""

    kind: str
    units: tuple[str, ...]
    layers: int
    busy_cycles: int
    share: float  # busy_cycles / all layers' busy cycles
    utilization_busy: float  # ideal cycles / busy cycles


@dataclass(frozen=True)
class LatencyBreakdown:
    """Everything a latency chart or a group-by table needs, from one SimResult."""

    total_cycles: int
    clock_hz: float
    pe_count: int  # rows x cols of the array
    blocks: tuple[BlockTime, ...]
    units: tuple[UnitTime, ...]
    kinds: tuple[KindTime, ...]
    dram_busy_cycles: int
    from_event_log: bool  # busy time placed from the event log (exact) or spread over spans

    @property
    def pe_utilization(self) -> float:
        """PE-cycles of all MACs / (rows x cols x total latency): SimResult.pe_utilization."""
        capacity = self.pe_count * self.total_cycles
        return sum(b.pe_slot_cycles for b in self.blocks) / capacity if capacity else 0.0


def latency_breakdown(result: SimResult) -> LatencyBreakdown:
    """Block slices, unit and kind busy time of a run (definitions: module docstring)."""
    busy = busy_intervals(result)
    blocks = tuple(_block_times(result, busy))
    return LatencyBreakdown(result.total_cycles, result.clock_hz, result.pe_count, blocks,
                            tuple(_unit_times(result)), tuple(_kind_times(result)),
                            result.dram_busy_cycles, busy is not None)


# ------------------------------------------------------------------ block slices
def block_slices(result: SimResult) -> list[tuple[str, int, int]]:
    """(block, start_cycle, end_cycle) per block in first-appearance order: an exact partition
    of [0, total_cycles) (module docstring). Layers without a block count as block ``-``."""
    last_end: dict[str, int] = {}
    for layer in result.layers:
        key = layer.block or "-"
        last_end[key] = max(last_end.get(key, 0), layer.end_cycle)
    slices = []
    boundary = 0
    for key, end in last_end.items():
        start, boundary = boundary, max(boundary, end)
        slices.append((key, start, boundary))
    if slices:
        key, start, _ = slices[-1]
        slices[-1] = (key, start, max(result.total_cycles, start))
    return slices


def ideal_cycles(layer: LayerResult, pe_count: int, lanes: dict[str, int]) -> float:
    """Cycles the layer would take at full throughput of its unit: MACs / (rows x cols x
    MACs/PE/cycle) on the array, elements / lanes elsewhere."""
    if layer.unit == ARRAY:
        rate = layer.macs_per_pe_per_cycle
        return layer.macs / (pe_count * rate) if pe_count and rate else 0.0
    return layer.elements / lanes[layer.unit] if lanes.get(layer.unit) else 0.0


def unit_lanes(result: SimResult) -> dict[str, int]:
    """Lanes of each non-array unit of the arch a result was simulated on."""
    sfu = result.arch.get("sfu") or {}
    return {u: int(v["lanes"]) for u, v in sfu.items() if isinstance(v, dict) and "lanes" in v}


def _block_times(result: SimResult,
                 busy: dict[str, list[Interval]] | None) -> Iterable[BlockTime]:
    by_block: dict[str, list[LayerResult]] = {}
    for layer in result.layers:
        by_block.setdefault(layer.block or "-", []).append(layer)
    slices = block_slices(result)
    bounds = [(a, b) for _, a, b in slices]
    if busy is not None:
        array = _overlaps(_union(busy.get(ARRAY, [])), bounds)
        sfu = _overlaps(_union(iv for u, ivs in busy.items() if u != ARRAY for iv in ivs),
                        bounds)
    else:
        array = _spread([x for x in result.layers if x.unit == ARRAY], bounds)
        sfu = _spread([x for x in result.layers if x.unit != ARRAY], bounds)
    pe_count = result.pe_count
    for (key, start, end), on_array, on_sfu in zip(slices, array, sfu, strict=True):
        layers = by_block[key]
        slots = sum(x.macs / x.macs_per_pe_per_cycle for x in layers
                    if x.macs and x.macs_per_pe_per_cycle)
        capacity = pe_count * (end - start)
        yield BlockTime(key, len(layers), start, end, sum(x.macs for x in layers), slots,
                        min(on_array, end - start), min(on_sfu, end - start),
                        slots / capacity if capacity else 0.0)


def busy_intervals(result: SimResult) -> dict[str, list[Interval]] | None:
    """Busy intervals per unit from the run's event log, or None without a log. A hold of a
    unit (start..end row of one op) also holds its SRAM-port cycles; each hold is shortened
    by the op's compute_cycles / (its summed hold cycles) so an op's busy time is exactly its
    compute_cycles (the port cycles of a tile are placed after its compute)."""
    log = result.extra.get("event_log")
    if log is None:
        return None
    layers = {x.name: x for x in result.layers}
    open_at: dict[tuple[str, str], list[int]] = {}
    holds: dict[str, list[tuple[str, int, int]]] = {}  # op -> (unit, start, end)
    for cycle, component, event, op in log:
        if event == "start":
            open_at.setdefault((component, op), []).append(int(cycle))
        elif event == "end" and open_at.get((component, op)):
            unit = layers[op].unit if component == "epilogue" else component
            holds.setdefault(op, []).append((unit, open_at[(component, op)].pop(0), int(cycle)))
    out: dict[str, list[Interval]] = {}
    for op, rows in holds.items():
        held = sum(end - start for _, start, end in rows)
        ratio = layers[op].compute_cycles / held if held else 0.0
        for unit, start, end in rows:
            out.setdefault(unit, []).append((start, start + (end - start) * ratio))
    return out


def _union(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint union of intervals."""
    merged: list[list[float]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def _overlaps(disjoint: list[Interval], bounds: list[tuple[int, int]]) -> list[float]:
    """Length of the disjoint intervals inside each [start, end) of ``bounds``."""
    return [sum(max(0.0, min(b, hi) - max(a, lo)) for a, b in disjoint) for lo, hi in bounds]


def _spread(layers: list[LayerResult], bounds: list[tuple[int, int]]) -> list[float]:
    """Busy cycles per slice with each layer's compute_cycles spread evenly over its span (a
    zero-span layer counts in the slice holding its start)."""
    out = [0.0] * len(bounds)
    for x in layers:
        if not x.compute_cycles:
            continue
        for i, (lo, hi) in enumerate(bounds):
            if x.cycles:
                out[i] += x.compute_cycles * max(0, min(hi, x.end_cycle) -
                                                 max(lo, x.start_cycle)) / x.cycles
            elif lo <= x.start_cycle < hi:
                out[i] += x.compute_cycles
    return out


# ------------------------------------------------------------------ units and kinds
def _unit_times(result: SimResult) -> Iterable[UnitTime]:
    lanes = unit_lanes(result)
    total = result.total_cycles
    for unit, busy in result.unit_busy_cycles.items():
        layers = [x for x in result.layers if x.unit == unit]
        ideal = sum(ideal_cycles(x, result.pe_count, lanes) for x in layers)
        yield UnitTime(unit, len(layers), busy, busy / total if total else 0.0,
                       ideal / busy if busy else 0.0)


def _kind_times(result: SimResult) -> Iterable[KindTime]:
    lanes = unit_lanes(result)
    by_kind: dict[str, list[LayerResult]] = {}
    for layer in result.layers:
        by_kind.setdefault(layer.kind, []).append(layer)
    everything = sum(x.compute_cycles for x in result.layers)
    for kind, layers in by_kind.items():
        busy = sum(x.compute_cycles for x in layers)
        ideal = sum(ideal_cycles(x, result.pe_count, lanes) for x in layers)
        units = tuple(dict.fromkeys(x.unit for x in layers))
        yield KindTime(kind, units, len(layers), busy, busy / everything if everything else 0.0,
                       ideal / busy if busy else 0.0)
