"""The mapping space of one GEMM: per-dimension tile sizes, loop orders, and what fits.

C[M x N] = A[M x K] @ B[K x N] on an R x C array. A tile is a box (Mt, Nt, Kt); the loop order
is m-outer ("mnk") or n-outer ("nmk") with K innermost, so partial sums stay in the output bank
until the tile is complete and the operand of the outer loop is the *resident* one (fetched once
while the inner loop runs, when K is not cut). The whole space, which ``exhaustive`` enumerates:

  * the streamed dimension (WS: M, OS: K, IS: N) takes any size 1..extent;
  * the two spatially mapped dimensions take any multiple of their fold unit (R x p or C, see
    ``fold_units``), the full extent, or any size below one unit (rows or columns left idle so
    that a bank too small for a full fold still maps). Sizes above one unit that are not
    multiples of it are left out: they pad a fold the rounded-up size fills.

The search never needs all of it (Timeloop's mapper and ZigZag's LOMA prune the same way, by
equivalence of tilings): every cost (folds, fill and drain per cut, DRAM reloads, SRAM
accesses) depends on a size only through the tile count ceil(E / s) and, for a fixed count,
is no worse at the smallest size reaching that count, which also fits best. ``dim_sizes``
keeps that smallest size per count: O(sqrt(E)) values instead of E.
"""

from __future__ import annotations

from dataclasses import dataclass

from accelsim.units import ceil_div

ORDERS = ("mnk", "nmk")
#: dimension streamed through the array per dataflow (cost.systolic)
STREAMED = {"ws": "m", "os": "k", "is": "n"}


@dataclass(frozen=True)
class GemmProblem:
    """Everything the search needs about one GEMM and the hardware (all hashable: the search
    is memoised by this value). Banks and ports in bytes and bytes per cycle; ``batch``: how
    many independent GEMMs of this shape run back to back (a batched matmul's heads)."""

    rows: int
    cols: int
    dataflow: str
    m: int
    n: int
    k: int
    a_bits: int
    b_bits: int
    acc_bits: int
    out_bits: int
    input_bank_bytes: int
    weight_bank_bytes: int
    output_bank_bytes: int
    macs_per_pe_per_cycle: int = 1
    a_resident: bool = False
    overlap_weight_load: bool = False
    dram_bytes_per_cycle: float = 32.0
    batch: int = 1
    double_buffered: bool = True
    #: SRAM port widths (bytes per cycle): input read, weight read, output read, output write
    ports: tuple[int, int, int, int] = (1 << 30, 1 << 30, 1 << 30, 1 << 30)
    #: energy per byte (pJ): DRAM, input, weight, output SRAM
    pj_per_byte: tuple[float, float, float, float] = (160.0, 4.0, 4.0, 4.0)
    #: DRAM bytes the output path streams in beside the tiles (a fused residual), per batch
    extra_read_bytes: int = 0


def fold_units(p: GemmProblem) -> dict[str, int]:
    """Elements of each GEMM dimension one array fold covers (1 for the streamed one; K is
    reduced p elements per PE per cycle)."""
    rp = p.rows * p.macs_per_pe_per_cycle
    if p.dataflow == "ws":
        return {"m": 1, "n": p.cols, "k": rp}
    if p.dataflow == "os":
        return {"m": p.rows, "n": p.cols, "k": p.macs_per_pe_per_cycle}
    return {"m": p.cols, "n": 1, "k": rp}


def dim_sizes(extent: int, unit: int) -> list[int]:
    """The smallest tile size per tile count: the search's candidates for one dimension."""
    sizes = set()
    for count in _counts(extent):
        s = ceil_div(extent, count)
        sizes.add(s if s < unit else min(extent, ceil_div(s, unit) * unit))
    return sorted(sizes)


def all_sizes(extent: int, unit: int) -> list[int]:
    """Every size of the whole space for one dimension (``exhaustive`` only)."""
    below = range(1, min(unit, extent + 1))
    return sorted({*below, *range(unit, extent + 1, unit), extent})


def _counts(extent: int) -> list[int]:
    """Distinct values of ceil(extent / s) reach every distinct tile count; the counts for which
    ceil(extent / count) changes are O(sqrt(extent))."""
    counts = []
    count = 1
    while count <= extent:
        counts.append(count)
        size = ceil_div(extent, count)
        if size == 1:
            break
        # next count with a smaller size: the smallest c with ceil(extent / c) <= size - 1
        count = ceil_div(extent, size - 1)
    return counts


def fits(p: GemmProblem, mt: int, nt: int, kt: int) -> bool:
    """The tile's A block fits an input bank (unless A is resident), its B block a weight bank
    and its partial sums an output bank."""
    from accelsim.units import tensor_bytes

    return ((p.a_resident or tensor_bytes(mt * kt, p.a_bits) <= p.input_bank_bytes)
            and tensor_bytes(kt * nt, p.b_bits) <= p.weight_bank_bytes
            and tensor_bytes(mt * nt, p.acc_bits) <= p.output_bank_bytes)
