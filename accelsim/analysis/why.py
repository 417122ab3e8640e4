"""Why a run (or a block) takes the time it takes: one sentence from the array's busy time, its
layers' stall causes and the roofs. Pure data and text, no physics.

Decomposition of a span of time (the whole run, or a block's slice of it; breakdown.py):
  * array busy: the array computing (its layers' compute cycles inside the span);
  * no GEMM in flight: time no array layer is open (between its first load and its last write),
    when only non-linear units or the DMA work;
  * waiting: the rest, when a GEMM is in flight but the array does not compute. It is split
    over the causes in proportion to those layers' stall cycles (``LayerResult.stalls``: dram,
    sram, dependency, bank, unit, writeback), since a layer's stalls may overlap another layer's
    compute (the next GEMM's weights load while the previous one computes), so the stall cycles
    themselves do not sum to the waiting time.
Fused epilogues (``fused_into``) have no stalls of their own: they ride their host's output path.
The shares therefore sum to 100% of the span.
"""

from __future__ import annotations

from dataclasses import dataclass

from accelsim.analysis.breakdown import block_slices
from accelsim.analysis.records import LayerResult, SimResult

CAUSES = ("dram", "sram", "dependency", "bank", "unit", "writeback")
CAUSE_NAMES = {"dram": "DRAM", "sram": "SRAM ports", "dependency": "dependencies",
               "bank": "bank waits", "unit": "unit contention", "writeback": "write-back"}
_BUFFER_DATA = {"weight": "weights", "input": "activations", "output": "outputs"}


@dataclass(frozen=True)
class Why:
    """Shares of a span of ``span_cycles`` (they sum to 1) and the sentence."""

    span_cycles: int
    array_busy: float
    no_gemm: float
    causes: dict[str, float]  # cause -> share of the span
    sentence: str


def _array_layers(layers: list[LayerResult]) -> list[LayerResult]:
    return [x for x in layers if x.unit == "array" and not x.fused_into]


def _clip(start: int, end: int, lo: int, hi: int) -> int:
    return max(0, min(end, hi) - max(start, lo))


def _union_cycles(spans: list[tuple[int, int]]) -> int:
    total, reach = 0, None
    for start, end in sorted(spans):
        if reach is None or start > reach:
            total += end - start
            reach = end
        elif end > reach:
            total += end - reach
            reach = end
    return total


def explain(result: SimResult, layers: list[LayerResult], lo: int, hi: int) -> Why:
    """The decomposition of [lo, hi) (module docstring) and its sentence."""
    span = max(hi - lo, 0)
    gemms = _array_layers(layers)
    busy = 0.0
    for x in gemms:  # compute spread over the layer's span, clipped to [lo, hi)
        busy += x.compute_cycles * (_clip(x.start_cycle, x.end_cycle, lo, hi) / x.cycles
                                    if x.cycles else 0.0)
    in_flight = _union_cycles([(max(x.start_cycle, lo), min(x.end_cycle, hi)) for x in gemms
                               if min(x.end_cycle, hi) > max(x.start_cycle, lo)])
    busy = min(busy, in_flight)
    waiting = in_flight - busy
    stalls = {c: sum(x.stalls.get(c, 0) * (_clip(x.start_cycle, x.end_cycle, lo, hi) / x.cycles
                                            if x.cycles else 0.0) for x in gemms)
              for c in CAUSES}
    summed = sum(stalls.values())
    share = (lambda v: v / span) if span else (lambda v: 0.0)
    causes = {c: share(waiting * v / summed) if summed else 0.0 for c, v in stalls.items()}
    if not summed and waiting:
        causes["dependency"] = share(waiting)
    no_gemm = share(span - in_flight)
    why = Why(span, share(busy), no_gemm, causes, "")
    return Why(span, why.array_busy, no_gemm, causes, _sentence(result, why, gemms, layers))


def _sentence(result: SimResult, why: Why, gemms: list[LayerResult],
              layers: list[LayerResult]) -> str:
    parts = [f"array busy {why.array_busy:.1%}"]
    ranked = sorted(((v, c) for c, v in why.causes.items() if v >= 0.0005), reverse=True)
    for value, cause in ranked[:3]:
        worst = max(gemms, key=lambda x: x.stalls.get(cause, 0), default=None)
        detail = _detail(result, cause, worst) if worst is not None else ""
        parts.append(f"{CAUSE_NAMES[cause]} {value:.1%}" + (f" ({detail})" if detail else ""))
    if why.no_gemm >= 0.0005:
        others = sorted(((x.compute_cycles, x.unit) for x in layers if x.unit != "array"
                         and not x.fused_into), reverse=True)
        busiest = others[0][1] if others else ""
        parts.append(f"no GEMM in flight {why.no_gemm:.1%}"
                     + (f" (mostly {busiest})" if busiest else ""))
    return "; ".join(parts)


def _detail(result: SimResult, cause: str, x: LayerResult) -> str:
    """What the worst layer of a cause waits for, with the arch's numbers."""
    arch = result.arch
    if cause == "dram":
        dram = arch.get("dram") or {}
        bw = float(dram.get("bandwidth_gbps", 0)) * float(dram.get("efficiency", 1.0))
        fills = {k: v for k, v in x.sram_write_bytes.items() if k != "output" and v}
        data = _BUFFER_DATA.get(max(fills, key=lambda k: fills[k]), "data") if fills else "data"
        return (f"{x.name}: {data} at {bw:.3g} GB/s, {x.required_bandwidth_gbps:.3g} GB/s "
                "needed")
    if cause == "sram":
        port, width, need = _worst_port(result, x)
        if port:
            return f"{x.name}: {port} port {width} B/cycle, {need:.3g} needed"
        return x.name
    return f"worst: {x.name}"


def _worst_port(result: SimResult, x: LayerResult) -> tuple[str, int, float]:
    """(buffer role, read bytes/cycle of its port, bytes/cycle the layer's compute needs) of the
    port furthest over its width."""
    buffers = result.arch.get("buffers") or {}
    best = ("", 0, 0.0)
    ratio = 0.0
    for role, nbytes in x.sram_read_bytes.items():
        spec = buffers.get(role) or buffers.get("unified") or {}
        width = int(spec.get("read_bytes_per_cycle", 0) or 0)
        if role == "output":  # the DMA's write-back reads are not timed against the port
            nbytes = max(nbytes - x.dram_write_bytes, 0)
        need = nbytes / x.compute_cycles if x.compute_cycles else 0.0
        if width and need / width > ratio:
            ratio, best = need / width, (role, width, need)
    return best


def run_why(result: SimResult) -> Why:
    """The whole run's decomposition and sentence."""
    return explain(result, list(result.layers), 0, result.total_cycles)


def same_story(a: tuple[str, Why], b: tuple[str, Why]) -> bool:
    """Two blocks whose sentences match once their names are left out (block0.fc1 vs
    block1.fc1): printed once for a run of repeated blocks."""
    return a[1].sentence.replace(f"{a[0]}.", "") == b[1].sentence.replace(f"{b[0]}.", "")


def block_whys(result: SimResult) -> list[tuple[str, Why]]:
    """(block, decomposition) per block slice (breakdown.block_slices)."""
    by_block: dict[str, list[LayerResult]] = {}
    for layer in result.layers:
        by_block.setdefault(layer.block or "-", []).append(layer)
    return [(block, explain(result, by_block[block], lo, hi))
            for block, lo, hi in block_slices(result)]
