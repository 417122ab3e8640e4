"""Op + buffer capacities -> the GEMM tiling (mapping.search) and row tiles; the loop nest.

GEMM C[M x N] = A[M x K] @ B[K x N]: a tile is a box (Mt, Nt, Kt) of the iteration space. Its
A block must fit one bank of the input buffer, its B block one bank of the weight buffer and its
int32 partial sums one bank of the output buffer: K is innermost in the loop order, so partial
sums stay on chip until the output tile is complete (unlike SCALE-Sim, which spills them).
``tile_gemm`` asks mapping.search for the tiling with the best estimated pipelined latency
(or energy, or EDP): it weighs the fill and drain every cut of the streamed dimension pays
against the DRAM traffic a bigger tile saves, instead of ranking DRAM bytes first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.errors import MappingError
from accelsim.mapping.estimate import estimate, evaluate
from accelsim.mapping.search import search, search_band, too_small
from accelsim.mapping.space import GemmProblem
from accelsim.units import ceil_div, tensor_bytes


@dataclass(frozen=True)
class GemmTiling:
    """Chosen tiling of one (batch element of a) GEMM."""

    mt: int
    nt: int
    kt: int
    order: str  # "mnk" (m outer) or "nmk" (n outer); k is always innermost
    tiles_m: int
    tiles_n: int
    tiles_k: int
    a_dram_bytes: int
    b_dram_bytes: int
    #: the search's estimate for the whole GEMM (all batch elements): cycles, DRAM bytes, pJ
    est_cycles: float = 0.0
    est_dram_bytes: int = 0
    est_energy_pj: float = 0.0

    @property
    def resident(self) -> str:
        """The operand the outer loop holds while the inner one runs (A: mnk, B: nmk)."""
        return "A" if self.order == "mnk" else "B"

    @property
    def steps(self) -> int:
        return self.tiles_m * self.tiles_n * self.tiles_k


@dataclass(frozen=True)
class PipelineModel:
    """What the search needs beyond the shape and the banks: the array's weight-load overlap,
    the DRAM bandwidth and latency, the bit width of the bytes written back, how many
    independent GEMMs of this shape run back to back (a batched matmul's heads), the SRAM port
    widths (input read, weight read, output read, output write), energy per byte (DRAM, input,
    weight, output SRAM), the bytes a fused residual streams in, and the objective."""

    overlap_weight_load: bool
    dram_bytes_per_cycle: float
    out_bits: int
    batch: int = 1
    double_buffered: bool = True  # False when a buffer has one bank: nothing overlaps
    ports: tuple[int, int, int, int] = (1 << 30, 1 << 30, 1 << 30, 1 << 30)
    pj_per_byte: tuple[float, float, float, float] = (160.0, 4.0, 4.0, 4.0)
    extra_read_bytes: int = 0
    dram_latency_cycles: int = 0
    objective: str = "latency"


def problem_of(rows: int, cols: int, dataflow: str, m: int, n: int, k: int, a_bits: int,
               b_bits: int, acc_bits: int, input_bank_bytes: int, weight_bank_bytes: int,
               output_bank_bytes: int, macs_per_pe_per_cycle: int = 1,
               a_resident: bool = False, pipeline: PipelineModel | None = None) -> GemmProblem:
    """The search problem of one GEMM (``pipeline`` None: unlimited ports, 32 B/cycle DRAM)."""
    pm = pipeline or PipelineModel(False, 32.0, acc_bits)
    return GemmProblem(rows, cols, dataflow, m, n, k, a_bits, b_bits, acc_bits, pm.out_bits,
                       input_bank_bytes, weight_bank_bytes, output_bank_bytes,
                       macs_per_pe_per_cycle, a_resident, pm.overlap_weight_load,
                       pm.dram_bytes_per_cycle, pm.batch, pm.double_buffered, pm.ports,
                       pm.pj_per_byte, pm.extra_read_bytes)


def tile_gemm(op_name: str, rows: int, cols: int, dataflow: str, m: int, n: int, k: int,
              a_bits: int, b_bits: int, acc_bits: int, input_bank_bytes: int,
              weight_bank_bytes: int, output_bank_bytes: int, macs_per_pe_per_cycle: int = 1,
              a_resident: bool = False, pipeline: PipelineModel | None = None) -> GemmTiling:
    """Choose (Mt, Nt, Kt) and the loop order for one GEMM (per batch element) by
    mapping.search under ``pipeline.objective``; MappingError naming the short buffer when no
    tile fits. ``a_resident``: A is already on chip (a fused producer left it in the input
    buffer), so it costs no DRAM traffic and no bank."""
    prob = problem_of(rows, cols, dataflow, m, n, k, a_bits, b_bits, acc_bits,
                      input_bank_bytes, weight_bank_bytes, output_bank_bytes,
                      macs_per_pe_per_cycle, a_resident, pipeline)
    objective = pipeline.objective if pipeline else "latency"
    latency = pipeline.dram_latency_cycles if pipeline else 0
    c = search(prob, objective, latency)
    if c is None:
        raise too_small(prob, op_name)
    return GemmTiling(c.mt, c.nt, c.kt, c.order, c.tiles_m, c.tiles_n, c.tiles_k,
                      c.a_dram_bytes, c.b_dram_bytes, c.est_cycles, c.est_dram_bytes,
                      c.est_energy_pj)


def tile_band(rows: int, cols: int, dataflow: str, m: int, n: int, k: int, a_bits: int,
              b_bits: int, acc_bits: int, input_bank_bytes: int, weight_bank_bytes: int,
              output_bank_bytes: int, macs_per_pe_per_cycle: int = 1, a_resident: bool = False,
              pipeline: PipelineModel | None = None) -> tuple[GemmTiling, ...]:
    """``tile_gemm``'s pick first, then the other tilings estimated within ``search.BAND`` of
    the best (empty when none fits): the candidates the engine replays."""
    prob = problem_of(rows, cols, dataflow, m, n, k, a_bits, b_bits, acc_bits,
                      input_bank_bytes, weight_bank_bytes, output_bank_bytes,
                      macs_per_pe_per_cycle, a_resident, pipeline)
    objective = pipeline.objective if pipeline else "latency"
    latency = pipeline.dram_latency_cycles if pipeline else 0
    return tuple(GemmTiling(c.mt, c.nt, c.kt, c.order, c.tiles_m, c.tiles_n, c.tiles_k,
                            c.a_dram_bytes, c.b_dram_bytes, c.est_cycles, c.est_dram_bytes,
                            c.est_energy_pj)
                 for c in search_band(prob, objective, latency))


def fixed_tiling(op_name: str, tile: tuple, rows: int, cols: int,
                 dataflow: str, m: int, n: int, k: int, a_bits: int, b_bits: int, acc_bits: int,
                 input_bank_bytes: int, weight_bank_bytes: int, output_bank_bytes: int,
                 macs_per_pe_per_cycle: int = 1, a_resident: bool = False,
                 pipeline: PipelineModel | None = None) -> GemmTiling:
    """A user-given tiling (a mapping file), checked against the banks and estimated like a
    searched one; MappingError naming the op and the short buffer when it does not fit.
    ``tile``: (Mt, Nt, Kt, order), a batch order may follow (engine.batch_plan reads it)."""
    mt, nt, kt, order = tile[:4]
    if order not in ("mnk", "nmk"):
        raise MappingError(f"op {op_name!r}: loop order must be mnk or nmk, got {order!r}",
                           key=f"layers.{op_name}.order")
    for name, size, extent in (("M", mt, m), ("N", nt, n), ("K", kt, k)):
        if not 1 <= size <= extent:
            raise MappingError(f"op {op_name!r}: tile {name} = {size} is outside 1..{extent}",
                               key=f"layers.{op_name}.tile")
    need = {"input": 0 if a_resident else tensor_bytes(mt * kt, a_bits),
            "weight": tensor_bytes(kt * nt, b_bits), "output": tensor_bytes(mt * nt, acc_bits)}
    have = {"input": input_bank_bytes, "weight": weight_bank_bytes, "output": output_bank_bytes}
    for name in need:
        if need[name] > have[name]:
            raise MappingError(
                f"op {op_name!r}: tile {mt}x{nt}x{kt} does not fit: its {name} block needs "
                f"{need[name]} bytes, one bank of buffer '{name}' holds {have[name]}",
                key=f"layers.{op_name}.tile")
    prob = problem_of(rows, cols, dataflow, m, n, k, a_bits, b_bits, acc_bits, input_bank_bytes,
                      weight_bank_bytes, output_bank_bytes, macs_per_pe_per_cycle, a_resident,
                      pipeline)
    v = evaluate(prob, np.array([mt]), np.array([nt]), np.array([kt]),
                 np.array([order == "mnk"]), pipeline.dram_latency_cycles if pipeline else 0)
    e = estimate(prob, mt, nt, kt, order, pipeline.dram_latency_cycles if pipeline else 0)
    tm, tn, tk = ceil_div(m, mt), ceil_div(n, nt), ceil_div(k, kt)
    return GemmTiling(mt, nt, kt, order, tm, tn, tk, int(np.ravel(v["a_fetch"])[0]),
                      int(np.ravel(v["b_fetch"])[0]), e.cycles, e.dram_bytes, e.energy_pj)


def tile_rows(op_name: str, rows: int, in_row_bytes: int, out_row_bytes: int,
              input_bank_bytes: int, output_bank_bytes: int, max_rows: int | None = None) -> int:
    """Rows per tile of a row-wise op (softmax rows, LayerNorm tokens, element-wise rows):
    the most whole rows whose input fits one input bank and output one output bank."""
    fit_in = input_bank_bytes // max(in_row_bytes, 1)
    fit_out = output_bank_bytes // max(out_row_bytes, 1)
    fit = min(fit_in, fit_out, rows, max_rows or rows)
    if fit < 1:
        name, need, have = (("input", in_row_bytes, input_bank_bytes) if fit_in < 1
                            else ("output", out_row_bytes, output_bank_bytes))
        raise MappingError(
            f"buffer '{name}' is too small for one row of op {op_name!r}: one bank holds "
            f"{have} bytes, a row needs {need}", key=f"buffers.{name}.size_bytes")
    # balance the tiles so the last one is not a sliver
    tiles = ceil_div(rows, fit)
    return ceil_div(rows, tiles)


def loop_nest(tiling: GemmTiling, m: int, n: int, k: int):
    """Steps of the loop nest with k innermost: ranges, whether A/B blocks are fetched, whether
    it is their last use (bank freed), and whether the output tile opens/closes."""
    m_ranges = [(i, min(tiling.mt, m - i)) for i in range(0, m, tiling.mt)]
    n_ranges = [(j, min(tiling.nt, n - j)) for j in range(0, n, tiling.nt)]
    k_ranges = [(x, min(tiling.kt, k - x)) for x in range(0, k, tiling.kt)]
    if tiling.order == "mnk":
        seq = [(mi, ni, ki) for mi in range(len(m_ranges)) for ni in range(len(n_ranges))
               for ki in range(len(k_ranges))]
    else:
        seq = [(mi, ni, ki) for ni in range(len(n_ranges)) for mi in range(len(m_ranges))
               for ki in range(len(k_ranges))]
    a_idx = [(mi, ki) for mi, _, ki in seq]
    b_idx = [(ki, ni) for _, ni, ki in seq]
    last = len(seq) - 1
    for s, (mi, ni, ki) in enumerate(seq):
        a_new = s == 0 or a_idx[s] != a_idx[s - 1]
        b_new = s == 0 or b_idx[s] != b_idx[s - 1]
        a_last = s == last or a_idx[s + 1] != a_idx[s]
        b_last = s == last or b_idx[s + 1] != b_idx[s]
        yield (m_ranges[mi], n_ranges[ni], k_ranges[ki], a_new, b_new, a_last, b_last,
               ki == 0, ki == len(k_ranges) - 1)
