"""Row blocks of a fused attention group, chosen by the objective (issue 16: "fused
attention's row blocks under the bank capacities").

A head's Q rows are cut into blocks; each block runs QK^T on the array, its epilogue on the
vector unit, softmax on its unit and SV on the array again, with K and V resident for the
whole head. The largest block the banks allow (its scores in an output bank, its Q rows in an
input bank) pays the array's fill and drain least often and reads K and V from the weight SRAM
least often; smaller blocks let softmax of one block overlap the array's work on the next.
The DRAM bytes are the same for every block size (Q once, K and V once per head, the context
once). Estimate, the same two-resource view as mapping.estimate, per head: the blocks flow
through the stages back to back, so

    cycles = sum over blocks of (max(array, vector, softmax) + DRAM latency)
             +  the other stages of one block

(the array runs QK^T and SV of a block: one resource; a block's Q rows wait the DRAM latency,
their input bank being freed only as the block before them finishes, the rule
mapping.estimate applies to a step fetching a new block), and energy = the SRAM bytes the tiles
access x the buffer's pJ/B. The search tries every distinct block count from the fewest the
banks allow up to one row per block (O(sqrt(tokens)) distinct block sizes, as space.dim_sizes)
and keeps the best score; latency ties (within 0.1%) go to fewer blocks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from accelsim.mapping.space import dim_sizes
from accelsim.units import ceil_div


@dataclass(frozen=True)
class BlockChoice:
    """The chosen row blocks of one head and their estimate (whole group: all heads)."""

    blocks: int
    block_rows: int
    est_cycles: float
    est_sram_pj: float
    fewest_blocks: int  # the largest block the banks allow (the rule before the search)
    fewest_cycles: float


def choose_blocks(tokens: int, max_rows: int, heads: int, objective: str,
                  stage_cycles: Callable[[int], tuple[int, int, int]],
                  sram_pj: Callable[[int], float], dram_pj: float,
                  fixed_rows: int | None = None, dram_latency: int = 0) -> BlockChoice:
    """Block rows for ``tokens`` Q rows, at most ``max_rows`` per block. ``stage_cycles(rows)``:
    (array, vector, softmax) cycles of one block of ``rows``; ``sram_pj(rows)`` its SRAM
    energy; ``dram_pj`` the group's DRAM energy (the same for every choice, for EDP);
    ``fixed_rows``: a replayed choice (a mapping file), estimated but not searched;
    ``dram_latency``: cycles each block's Q fetch waits."""

    def cost(rows: int) -> tuple[float, float, int]:
        blocks = ceil_div(tokens, rows)
        rows = ceil_div(tokens, blocks)  # balanced, as the group plays them
        last = tokens - rows * (blocks - 1)
        full, edge = stage_cycles(rows), stage_cycles(last)
        flow = (blocks - 1) * max(full) + max(edge) + blocks * dram_latency
        cycles = heads * flow + sum(full) - max(full)
        energy = heads * ((blocks - 1) * sram_pj(rows) + sram_pj(last))
        return cycles, energy, blocks

    top = min(max_rows, tokens)
    fewest = cost(top)
    if fixed_rows is not None:
        cycles, energy, blocks = cost(min(fixed_rows, tokens))
        return BlockChoice(blocks, ceil_div(tokens, blocks), cycles, energy, fewest[2],
                           fewest[0])

    def score(c: tuple[float, float, int]) -> float:
        if objective == "energy":
            return c[1]
        if objective == "edp":
            return c[0] * (c[1] + dram_pj)
        return c[0]

    best = fewest
    for rows in dim_sizes(tokens, 1):
        if rows > top:
            continue
        c = cost(rows)
        if score(c) < score(best) * (1 - 1e-3):
            best = c
    cycles, energy, blocks = best
    return BlockChoice(blocks, ceil_div(tokens, blocks), cycles, energy, fewest[2], fewest[0])
