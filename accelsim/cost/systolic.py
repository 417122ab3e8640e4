"""Closed-form compute cycles of a GEMM on an R x C systolic array (SCALE-Sim convention).

C[M x N] = A[M x K] @ B[K x N] on an array of R rows and C columns. Operand roles follow
SCALE-Sim 3.0.0 (A = ifmap, B = filter); T is the streamed dimension:

    dataflow  stationary  rows <-  cols <-  T   folds
    ws        B           K        N        M   ceil(K/R) * ceil(N/C)
    os        C (outputs) M        N        K   ceil(M/R) * ceil(N/C)
    is        A           K        M        N   ceil(K/R) * ceil(M/C)

A fold is one R x C tile of the spatially mapped dimensions; edge folds are padded to the full
array and last as long as full ones. Every fold has a fill (WS/IS: the stationary operand enters
top-down, one row per cycle, R cycles; OS: none), a stream of T cycles and a drain of R + C - 2
cycles (the skew: the last streamed element crosses R - 1 rows and C - 1 columns).

``cycles`` counts like SCALE-Sim's "Total Cycles": the 0-based index of the cycle in which the
last output leaves the array, cycle 0 being the first cycle of the first fold (one less than the
number of elapsed cycles).

Without overlap (SCALE-Sim 3.0.0, verified against tests/golden/scalesim_compute.csv)::

    ws, is: cycles = folds * (2R + C + T - 2) - 1
    os:     cycles = folds * (R + C + T - 2) - 1

(The SCALE-Sim paper's 2R + C + T - 2 holds for WS/IS; its OS code has no fill term.)

With ``overlap_weight_load`` folds are pipelined: fold f + 1 starts
``max(T, R)`` cycles after fold f, and only the first fill and the last drain are paid::

    cycles = fill + (folds - 1) * max(T, R) + T + (R + C - 2) - 1     (fill = R, or 0 for OS)

The interval max(T, R) is set by two ports that move one row per cycle: the row inputs are busy
T cycles per fold, and either the weight-load port needs R cycles to shift the next stationary
tile into the shadow registers (WS/IS) or each column's output port needs R cycles to emit its
R results (OS). ``accelsim.functional.pe_grid`` simulates both variants register by register and
its measured cycle counts equal these formulas.

Precision: ``macs_per_pe_per_cycle = p`` means each PE reduces p consecutive K elements per cycle
(e.g. an int8 PE packing two int4 MACs), so K is replaced by K_eff = ceil(K / p) everywhere: the
stationary K extent for WS/IS, the stream length T for OS.

Three utilization numbers, side by side (all in [0, 1]):

- ``utilization`` = MACs / (R * C * p * cycles): useful MACs over the peak the array could do in
  the measured cycles; what accelsim reports as PE utilization. With p = 1 and no overlap it is
  SCALE-Sim's "Overall Util %" / 100.
- ``mapping_efficiency``: mean over folds of the fraction of PEs that hold mapped work
  (used rows x used cols / (R * C)); it ignores time entirely (SCALE-Sim "Mapping Efficiency %").
- ``compute_utilization``: SCALE-Sim's "Compute Util %", the mean over folds of
  used PEs x T / (R * C * fold cycles); it charges fill and drain to each fold but not the padding
  of the stream, and for WS/IS its fold cycles are 2R + 2C + T - 3 (C - 1 more than the real fold:
  a quirk of SCALE-Sim's source that we reproduce so the numbers compare).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Dataflow = Literal["ws", "os", "is"]
DATAFLOWS: tuple[str, ...] = ("ws", "os", "is")


@dataclass(frozen=True)
class GemmTiming:
    """Timing of one GEMM on the array; all durations in cycles (SCALE-Sim counting)."""

    cycles: int
    folds: int
    row_folds: int
    col_folds: int
    fill_cycles: int
    stream_cycles: int
    drain_cycles: int
    fold_interval_cycles: int


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _check(rows: int, cols: int, dataflow: str, m: int, n: int, k: int, p: int) -> None:
    if dataflow not in DATAFLOWS:
        raise ValueError(f"dataflow must be one of {DATAFLOWS}, got {dataflow!r}")
    for name, value in (("rows", rows), ("cols", cols), ("m", m), ("n", n), ("k", k),
                        ("macs_per_pe_per_cycle", p)):
        if isinstance(value, bool) or int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def gemm_mapping(dataflow: str, m: int, n: int, k: int,
                 macs_per_pe_per_cycle: int = 1) -> tuple[int, int, int]:
    """(extent mapped on rows, extent mapped on cols, streamed length T) per SCALE-Sim's mapping.

    K is counted in PE reduction steps: K_eff = ceil(K / macs_per_pe_per_cycle).
    """
    k_eff = _ceil_div(k, macs_per_pe_per_cycle)
    if dataflow == "ws":
        return k_eff, n, m
    if dataflow == "os":
        return m, n, k_eff
    if dataflow == "is":
        return k_eff, m, n
    raise ValueError(f"dataflow must be one of {DATAFLOWS}, got {dataflow!r}")


def gemm_folds(rows: int, cols: int, dataflow: str, m: int, n: int, k: int,
               macs_per_pe_per_cycle: int = 1) -> int:
    """Number of R x C folds: ceil(rows extent / R) * ceil(cols extent / C) (SCALE-Sim)."""
    _check(rows, cols, dataflow, m, n, k, macs_per_pe_per_cycle)
    row_extent, col_extent, _ = gemm_mapping(dataflow, m, n, k, macs_per_pe_per_cycle)
    return _ceil_div(row_extent, rows) * _ceil_div(col_extent, cols)


def gemm_timing(rows: int, cols: int, dataflow: str, m: int, n: int, k: int,
                overlap_weight_load: bool = False,
                macs_per_pe_per_cycle: int = 1) -> GemmTiming:
    """Fold count and cycle breakdown of C = A @ B; formulas in the module docstring.

    overlap_weight_load=False reproduces SCALE-Sim 3.0.0 "Total Cycles" exactly: a fold (WS/IS:
    its tile load) starts only after the previous fold's last output has left the array.

    overlap_weight_load=True (double-buffered PE registers, TPU-style): WS/IS shift the next
    stationary tile into shadow registers while the current fold streams, column c starting
    once PE(0, c) has swapped in the current tile; the swap travels with the next fold's first
    operands. A fold's stream starts once column 0 holds its tile and the previous fold's
    stream has left row 0. OS has nothing to preload: the next fold's operands skew in behind
    the current ones once its wavefront has reached PE(R-1, 0), so that each column's output
    port (one result per cycle) emits the R results of a fold before the next fold's first.
    Hidden: every fill but the first, and every fold's drain (skew) but the last one's. Not
    hidden: the first fill, the last drain, and the R-cycle tile load (WS/IS) or R-result column
    drain (OS) when the stream is shorter (T < R), hence the interval max(T, R).
    """
    _check(rows, cols, dataflow, m, n, k, macs_per_pe_per_cycle)
    row_extent, col_extent, stream_cycles = gemm_mapping(
        dataflow, m, n, k, macs_per_pe_per_cycle)
    row_folds = _ceil_div(row_extent, rows)
    col_folds = _ceil_div(col_extent, cols)
    folds = row_folds * col_folds
    fill_cycles = 0 if dataflow == "os" else rows
    drain_cycles = rows + cols - 2
    if overlap_weight_load:
        interval = max(stream_cycles, rows)
        cycles = fill_cycles + (folds - 1) * interval + stream_cycles + drain_cycles - 1
    else:
        interval = fill_cycles + stream_cycles + drain_cycles
        cycles = folds * interval - 1
    return GemmTiming(cycles=cycles, folds=folds, row_folds=row_folds, col_folds=col_folds,
                      fill_cycles=fill_cycles, stream_cycles=stream_cycles,
                      drain_cycles=drain_cycles, fold_interval_cycles=interval)


def gemm_compute_cycles(rows: int, cols: int, dataflow: str, m: int, n: int, k: int,
                        overlap_weight_load: bool = False,
                        macs_per_pe_per_cycle: int = 1) -> int:
    """Compute cycles of C[MxN] = A[MxK] @ B[KxN] on an R x C array (SCALE-Sim "Total Cycles")."""
    return gemm_timing(rows, cols, dataflow, m, n, k, overlap_weight_load,
                       macs_per_pe_per_cycle).cycles


def utilization(macs: int, rows: int, cols: int, cycles: int,
                macs_per_pe_per_cycle: int = 1) -> float:
    """PE utilization = MACs / (R * C * p * cycles); SCALE-Sim "Overall Util" when p = 1.

    cycles is SCALE-Sim's last-cycle index (elapsed - 1), so a degenerate 1 x 1 OS array can
    exceed 1 (K_eff MACs in K_eff - 1 cycles) or report 0 cycles (then 0.0 is returned); any
    array with R + C >= 3 stays within [0, 1].
    """
    if cycles <= 0:
        return 0.0
    return macs / (rows * cols * macs_per_pe_per_cycle * cycles)


def _mean_used_fraction(rows: int, cols: int, dataflow: str, m: int, n: int, k: int,
                        p: int) -> tuple[float, int]:
    """(mean over folds of used PEs / (R * C), T); the mean used extent is extent / folds."""
    row_extent, col_extent, stream = gemm_mapping(dataflow, m, n, k, p)
    mean_rows = row_extent / _ceil_div(row_extent, rows)
    mean_cols = col_extent / _ceil_div(col_extent, cols)
    return mean_rows * mean_cols / (rows * cols), stream


def mapping_efficiency(rows: int, cols: int, dataflow: str, m: int, n: int, k: int,
                       macs_per_pe_per_cycle: int = 1) -> float:
    """Mean over folds of used rows x used cols / (R * C) (SCALE-Sim "Mapping Efficiency")."""
    _check(rows, cols, dataflow, m, n, k, macs_per_pe_per_cycle)
    return _mean_used_fraction(rows, cols, dataflow, m, n, k, macs_per_pe_per_cycle)[0]


def compute_utilization(rows: int, cols: int, dataflow: str, m: int, n: int, k: int,
                        macs_per_pe_per_cycle: int = 1) -> float:
    """SCALE-Sim "Compute Util": mean over folds of used PEs * T / (R * C * fold cycles).

    Fold cycles as SCALE-Sim 3.0.0 computes them: R + C + T - 2 for OS, 2R + 2C + T - 3 for
    WS/IS (C - 1 more than the fold really lasts; kept for parity).
    """
    _check(rows, cols, dataflow, m, n, k, macs_per_pe_per_cycle)
    used, stream = _mean_used_fraction(rows, cols, dataflow, m, n, k, macs_per_pe_per_cycle)
    if dataflow == "os":
        fold_cycles = rows + cols + stream - 2
    else:
        fold_cycles = 2 * rows + 2 * cols + stream - 3
    return used * stream / fold_cycles
