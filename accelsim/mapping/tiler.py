"""Op + buffer capacities -> tiles and loop order that minimise DRAM traffic (then cycles).

GEMM C[M x N] = A[M x K] @ B[K x N]: a tile is a box (Mt, Nt, Kt) of the iteration space. Its
A block must fit one bank of the input buffer, its B block one bank of the weight buffer and its
int32 partial sums one bank of the output buffer: K is innermost in the loop order, so partial
sums stay on chip until the output tile is complete (unlike SCALE-Sim, which spills them).
The spatially mapped dimensions are cut at fold boundaries (multiples of R or C), so the tiles'
compute cycles add up to the closed form of the whole GEMM whenever the streamed dimension is
not cut (cost.systolic). Traffic follows the classic single-tile-reuse model: an operand block is
fetched again whenever the loop order moves to a different block of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from accelsim.cost.systolic import gemm_mapping, gemm_timing
from accelsim.errors import MappingError
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

    @property
    def steps(self) -> int:
        return self.tiles_m * self.tiles_n * self.tiles_k


def _candidates(extent: int, unit: int) -> list[int]:
    """Tile sizes for one dimension: powers-of-two multiples of ``unit`` and the full extent."""
    sizes = {extent}
    size = unit
    while size < extent:
        sizes.add(size)
        size *= 2
    # also the largest multiple of unit that splits the extent evenly into 2..8 parts
    for parts in range(2, 9):
        sizes.add(min(extent, ceil_div(ceil_div(extent, parts), unit) * unit))
    return sorted(sizes)


def _reloads(outer_tiles: int, inner_tiles: int, k_tiles: int, operand_outer: bool) -> int:
    """How many times each block of an operand is fetched for loop order (outer, inner, k).

    ``operand_outer``: the operand is indexed by the outer loop (A for order m-outer)."""
    if k_tiles > 1:  # k innermost changes the block every step
        return inner_tiles if operand_outer else outer_tiles
    if operand_outer:
        return 1  # constant while the inner loop runs
    return outer_tiles if inner_tiles > 1 else 1


@dataclass(frozen=True)
class PipelineModel:
    """What the tiler needs to estimate a tiling's latency: the array's weight-load overlap, the
    DRAM bandwidth, the bit width of the bytes written back, and how many independent GEMMs of
    this shape run back to back (a batched matmul's heads pipeline into each other)."""

    overlap_weight_load: bool
    dram_bytes_per_cycle: float
    out_bits: int
    batch: int = 1
    double_buffered: bool = True  # False when a buffer has one bank: nothing overlaps


#: tilings whose estimated latency is within this factor of the best count as equally fast;
#: among them the one with the fewest steps wins (fewer events, no gain to chase)
LATENCY_TIE = 1.01


def _split(extent: int, tile: int) -> tuple[tuple[int, int], ...]:
    """(size, count) of the full tiles and the edge tile of one dimension."""
    full, edge = divmod(extent, tile)
    return tuple((size, count) for size, count in ((tile, full), (edge, 1)) if size and count)


def estimate_cycles(rows: int, cols: int, dataflow: str, m: int, n: int, k: int,
                    tiling: GemmTiling, p: int, model: PipelineModel) -> float:
    """Latency of a tiling played as a double-buffered pipeline on one DRAM channel.

    The first tile's load and the last tile's write-back are exposed; in between the array
    (total compute C) and the channel (loads L plus write-backs W) work in parallel, so

        estimate = L / steps + max(C, L + W) + W / output_tiles

    and with a single bank in any buffer nothing overlaps: estimate = L + C + W.

    C sums the tiles' fold intervals (cost.systolic), so cutting the streamed dimension, which
    pays fill and drain again, costs compute; L + W counts bytes at the DRAM bandwidth.
    """
    compute = 0
    for mt, cm in _split(m, tiling.mt):
        for nt, cn in _split(n, tiling.nt):
            for kt, ck in _split(k, tiling.kt):
                t = gemm_timing(rows, cols, dataflow, mt, nt, kt, model.overlap_weight_load, p)
                compute += cm * cn * ck * t.folds * t.fold_interval_cycles
    bw = model.dram_bytes_per_cycle
    b = model.batch
    load = b * (tiling.a_dram_bytes + tiling.b_dram_bytes) / bw
    write = b * tensor_bytes(m * n, model.out_bits) / bw
    if not model.double_buffered:
        return load + b * compute + write
    return (load / (b * tiling.steps) + max(b * compute, load + write)
            + write / (b * tiling.tiles_m * tiling.tiles_n))


def tile_gemm(op_name: str, rows: int, cols: int, dataflow: str, m: int, n: int, k: int,
              a_bits: int, b_bits: int, acc_bits: int, input_bank_bytes: int,
              weight_bank_bytes: int, output_bank_bytes: int, macs_per_pe_per_cycle: int = 1,
              a_resident: bool = False, pipeline: PipelineModel | None = None) -> GemmTiling:
    """Choose (Mt, Nt, Kt) and the loop order for one GEMM (per batch element).

    Ranking: DRAM bytes first, then the fewest cuts of the streamed dimension (each pays the
    array's fill and drain again; uncut, the tiles' compute adds up to SCALE-Sim's count). Among
    those, with a ``pipeline`` model, the lowest estimated latency (``estimate_cycles``: one
    big tile cannot overlap its load with compute, so more buffer must not make a layer slower),
    ties within ``LATENCY_TIE`` broken by fewer steps; without one, the fewest steps.
    ``a_resident``: A is already on chip (a fused producer left it in the input buffer), so it
    costs no DRAM traffic and no bank.
    """
    p = macs_per_pe_per_cycle
    row_ext, col_ext, _ = gemm_mapping(dataflow, m, n, k, p)
    # fold units of each GEMM dimension (in elements), by which dimension maps where
    unit = {"m": 1, "n": 1, "k": p}
    streamed = {"ws": "m", "os": "k", "is": "n"}[dataflow]
    if dataflow == "ws":
        unit["k"], unit["n"] = rows * p, cols
    elif dataflow == "os":
        unit["m"], unit["n"] = rows, cols
    else:
        unit["k"], unit["m"] = rows * p, cols
    del row_ext, col_ext
    a_total = tensor_bytes(m * k, a_bits)
    b_total = tensor_bytes(k * n, b_bits)
    candidates: list[tuple[int, int, int, GemmTiling]] = []
    for mt in _candidates(m, unit["m"]):
        if not a_resident and tensor_bytes(mt * unit["k"], a_bits) > input_bank_bytes:
            break
        for nt in _candidates(n, unit["n"]):
            if tensor_bytes(mt * nt, acc_bits) > output_bank_bytes:
                break
            for kt in _candidates(k, unit["k"]):
                if not a_resident and tensor_bytes(mt * kt, a_bits) > input_bank_bytes:
                    break
                if tensor_bytes(kt * nt, b_bits) > weight_bank_bytes:
                    break
                tm, tn, tk = ceil_div(m, mt), ceil_div(n, nt), ceil_div(k, kt)
                for order in ("mnk", "nmk"):
                    outer, inner = (tm, tn) if order == "mnk" else (tn, tm)
                    a_fetch = 0 if a_resident else a_total * _reloads(
                        outer, inner, tk, operand_outer=order == "mnk")
                    b_fetch = b_total * _reloads(outer, inner, tk, operand_outer=order == "nmk")
                    cuts = {"m": tm, "n": tn, "k": tk}[streamed]
                    candidates.append((a_fetch + b_fetch, cuts, tm * tn * tk,
                                       GemmTiling(mt, nt, kt, order, tm, tn, tk, a_fetch,
                                                  b_fetch)))
    best: tuple[object, GemmTiling] | None = None
    if candidates:
        least = min(c[:2] for c in candidates)
        cheapest = [c for c in candidates if c[:2] == least]
        if pipeline is None:
            chosen = min(cheapest, key=lambda c: c[:3])
        else:
            est = [estimate_cycles(rows, cols, dataflow, m, n, k, c[3], p, pipeline)
                   for c in cheapest]
            fastest = min(est)
            chosen = min((c for c, e in zip(cheapest, est, strict=True)
                          if e <= fastest * LATENCY_TIE), key=lambda c: (c[2], c[1]))
        best = (chosen[:3], chosen[3])
    if best is None:
        smallest = {
            "input": 0 if a_resident else tensor_bytes(unit["m"] * unit["k"], a_bits),
            "weight": tensor_bytes(unit["k"] * unit["n"], b_bits),
            "output": tensor_bytes(unit["m"] * unit["n"], acc_bits),
        }
        banks = {"input": input_bank_bytes, "weight": weight_bank_bytes,
                 "output": output_bank_bytes}
        short = [b for b in smallest if smallest[b] > banks[b]] or ["input"]
        name = short[0]
        raise MappingError(
            f"buffer '{name}' is too small for the smallest legal tile of op {op_name!r}: "
            f"one bank holds {banks[name]} bytes, the tile needs {smallest[name]}",
            key=f"buffers.{name}.size_bytes")
    return best[1]


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
