"""Tensors in the DRAM address space and the access pattern of a tile's slice.

Allocator (documented convention): every trace tensor is stored row-major as a 2-D matrix
(rows = elements / last dimension, cols = last dimension), its row pitch padded to whole
``pitch_align_bytes`` (a DRAM burst), its base aligned to ``align_bytes`` (page-aligned buffers,
as a DMA-friendly allocator does). Constants (weights, params) come first in program order of
first use, then the input, then activations; nothing is freed (every tensor has its own range).
Weights are laid out offline, so they are stored pre-tiled as the tile loops read them: in
column panels of the width the mapping reads (panel j holds all rows of its columns, row-major
inside), so a weight tile is one contiguous run; activations are plain row-major (a narrow tile
of them is one short run per row, which is what costs on banked DRAM).
A tile is a (rows x cols) slice at (row0, col0); ``tile_access`` turns it into the
AccessPattern cost.dram prices (``transposed_tile_access`` for a GEMM's output tile written
into a tensor stored transposed: one run per output column). The scheduler and the mapping
search both call it, so a tile costs the same wherever it is generated.
"""

from __future__ import annotations

from dataclasses import dataclass

from accelsim.cost.dram import AccessPattern
from accelsim.units import ceil_div
from accelsim.workload.trace import Trace

#: base alignment: 1 MiB is a multiple of every preset's (channels x banks x row) stripe, so
#: equal-shaped tensors start at the same bank and channel (and their tiles cost the same)
ALIGN_BYTES = 1 << 20
#: row pitch alignment: the largest preset burst (DDR4 / HBM2: 64 B)
PITCH_ALIGN_BYTES = 64


@dataclass(frozen=True, slots=True)
class TensorPlacement:
    """Where one tensor lives: base address, 2-D shape, bits per element, row pitch."""

    base_bytes: int
    rows: int
    cols: int
    bits: int
    pitch_bytes: int
    panels: bool = False  # stored in column panels of the tile width (weights)


def place_tensors(trace: Trace, align_bytes: int = ALIGN_BYTES,
                  pitch_align_bytes: int = PITCH_ALIGN_BYTES) -> dict[str, TensorPlacement]:
    """Base address of every tensor of ``trace`` (module docstring)."""
    order: list[str] = []
    seen: set[str] = set()
    for op in trace.ops:
        for name in (*op.inputs, *op.outputs):
            if name not in seen:
                seen.add(name)
                order.append(name)
    rank = {"weight": 0, "param": 0, "input": 1, "activation": 2}
    order.sort(key=lambda n: rank.get(trace.tensor(n).role, 2))  # stable: program order
    out: dict[str, TensorPlacement] = {}
    address = 0
    for name in order:
        t = trace.tensor(name)
        cols = t.shape[-1] if t.shape else 1
        rows = max(t.numel // max(cols, 1), 1)
        pitch = ceil_div(ceil_div(cols * t.bits, 8), pitch_align_bytes) * pitch_align_bytes
        out[name] = TensorPlacement(address, rows, cols, t.bits, pitch, t.role == "weight")
        address += ceil_div(max(rows * pitch, 1), align_bytes) * align_bytes
    return out


def tile_access(p: TensorPlacement, row0: int, rows: int, col0: int = 0,
                cols: int | None = None) -> AccessPattern:
    """Access pattern of the slice rows [row0, row0 + rows) x cols [col0, col0 + cols) of a
    placed tensor (all columns when ``cols`` is None): one run per row, ``pitch_bytes`` apart;
    whole rows of an unpadded tensor are one contiguous run."""
    cols = p.cols - col0 if cols is None else cols
    if p.panels:  # panel of ``cols`` columns starts after col0 full-height columns
        offset = (col0 * p.rows + row0 * cols) * p.bits // 8
        return AccessPattern(p.base_bytes + offset, ceil_div(rows * cols * p.bits, 8), 0, 1)
    start = col0 * p.bits // 8
    end = ceil_div((col0 + cols) * p.bits, 8)
    base = p.base_bytes + row0 * p.pitch_bytes + start
    run = end - start
    if rows > 1 and run == p.pitch_bytes:
        return AccessPattern(base, run * rows, 0, 1)
    return AccessPattern(base, run, p.pitch_bytes, max(rows, 1))


def transposed_tile_access(p: TensorPlacement, stored_rows_per_group: int, row0: int,
                           rows: int, col0: int, cols: int) -> AccessPattern:
    """Access pattern of the producer's tile rows [row0, row0 + rows) x cols [col0, col0 +
    cols) written into a tensor stored transposed: the producer's [g x R, N] result (R =
    ``p.cols`` rows per group, N = ``stored_rows_per_group``) sits as g matrices [N, R], so the
    tile is ``cols`` runs of ``rows`` elements, one per output column. A tile inside one group
    is exact; one spanning several groups is priced as the whole stored rows between its first
    and last run (exact when it covers whole groups and all N columns; otherwise an upper
    bound: the engine's write is one access pattern)."""
    r, n = p.cols, stored_rows_per_group
    g0, g1 = row0 // r, (row0 + max(rows, 1) - 1) // r
    if g0 == g1:
        return tile_access(p, g0 * n + col0, cols, row0 - g0 * r, rows)
    return tile_access(p, g0 * n + col0, (g1 - g0) * n + cols, 0, r)
