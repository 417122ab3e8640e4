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

from accelsim.cost.systolic import gemm_mapping
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


def tile_gemm(op_name: str, rows: int, cols: int, dataflow: str, m: int, n: int, k: int,
              a_bits: int, b_bits: int, acc_bits: int, input_bank_bytes: int,
              weight_bank_bytes: int, output_bank_bytes: int, macs_per_pe_per_cycle: int = 1,
              a_resident: bool = False) -> GemmTiling:
    """Choose (Mt, Nt, Kt) and the loop order for one GEMM (per batch element).

    Ranking: DRAM bytes, then the number of cuts of the streamed dimension (each cut pays the
    array's fill and drain again), then fewer steps. ``a_resident``: A is already on chip (a
    fused producer left it in the input buffer), so it costs no DRAM traffic and no bank.
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
    best: tuple[tuple[int, int, int], GemmTiling] | None = None
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
                    key = (a_fetch + b_fetch, cuts, tm * tn * tk)
                    if best is None or key < best[0]:
                        best = (key, GemmTiling(mt, nt, kt, order, tm, tn, tk, a_fetch, b_fetch))
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
