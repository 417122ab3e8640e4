"""Mapping search for one GEMM: the best tiling and loop order under an objective.

Objectives: ``latency`` (estimated pipelined cycles; default), ``energy`` (estimated pJ) and
``edp`` (their product). Ties within ``TIE`` of the best score go to the tiling with the fewest
DRAM bytes (energy), then the fewest cuts of the streamed dimension (its compute then equals
SCALE-Sim's), then the fewest steps
(fewer events to simulate; the engine's group-to-group interplay, which the estimate leaves
out, favours them too), then the fewest DRAM bytes.

Pruning (exact, as Timeloop's mapper and ZigZag's LOMA do it: never drop a mapping that could
win): (1) equivalence: per dimension only the smallest size per tile count (mapping.space);
(2) capacity: sizes whose smallest block already overflows a bank are dropped before the grid
is built; (3) bound, for ``latency``: a first pass over fold-unit multiples gives an incumbent;
a sub-unit size (idle rows or columns) whose compute lower bound (its folds x the fewest folds
and shortest stream the other dimensions allow) exceeds it cannot win and is dropped. The grid
left is evaluated vectorised (mapping.estimate). Memoised by the problem (shape, bits, banks,
rates): a ViT's blocks repeat the same shapes.

``search_band`` returns, after the pick, up to ``BAND_LIMIT - 1`` more tilings of the evaluated
grid scoring within ``BAND`` of the best: the best of each cut class (which of M, N, K are
cut) first, then by score. The engine plays them lone and keeps the fastest (engine.replay):
the estimate ranks by bytes where banked DRAM prices an access pattern.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from accelsim.errors import MappingError
from accelsim.mapping.estimate import evaluate
from accelsim.mapping.space import STREAMED, GemmProblem, all_sizes, dim_sizes, fold_units
from accelsim.units import tensor_bytes

OBJECTIVES = ("latency", "energy", "edp")
#: scores within this factor of the best count as equal; fewer steps, then bytes, break the tie
TIE = 1.01
#: ``search_band`` also returns up to ``BAND_LIMIT - 1`` more tilings scoring within ``BAND``
#: of the best: the candidates the engine replays (engine.replay)
BAND = 1.10
BAND_LIMIT = 6


@dataclass(frozen=True)
class Choice:
    """The chosen tiling of one GEMM and what the search estimated for it."""

    mt: int
    nt: int
    kt: int
    order: str
    tiles_m: int
    tiles_n: int
    tiles_k: int
    a_dram_bytes: int
    b_dram_bytes: int
    est_cycles: float
    est_dram_bytes: int
    est_energy_pj: float
    candidates: int  # tilings the search evaluated

    @property
    def steps(self) -> int:
        return self.tiles_m * self.tiles_n * self.tiles_k

    @property
    def resident(self) -> str:
        """The operand the outer loop holds while the inner loop runs."""
        return "A" if self.order == "mnk" else "B"


def _score(v: dict[str, np.ndarray], objective: str) -> np.ndarray:
    if objective == "latency":
        return v["cycles"]
    if objective == "energy":
        return v["energy_pj"]
    return v["cycles"] * v["energy_pj"]


def _capacity_filter(p: GemmProblem, ms: np.ndarray, ns: np.ndarray, ks: np.ndarray):
    """Grid of sizes that fit every bank (broadcast over m x n x k)."""
    m, n, k = ms[:, None, None], ns[None, :, None], ks[None, None, :]
    ok = (_bytes(k * n, p.b_bits) <= p.weight_bank_bytes) & \
        (_bytes(m * n, p.acc_bits) <= p.output_bank_bytes)
    if not p.a_resident:
        ok = ok & (_bytes(m * k, p.a_bits) <= p.input_bank_bytes)
    return ok


def _bytes(elems: np.ndarray, bits: int) -> np.ndarray:
    return (elems.astype(np.int64) * bits + 7) // 8


def _best(p: GemmProblem, ms: list[int], ns: list[int], ks: list[int], objective: str,
          dram_latency: int, band: float = TIE,
          limit: int = 1) -> tuple[tuple[Choice, ...], float] | None:
    """Evaluate the fitting part of the grid ms x ns x ks x orders: the chosen tiling first,
    then up to ``limit - 1`` more whose score is within ``band`` of the best, by score (the
    engine replays them: mapping.replay), and the lowest score on the grid."""
    am, an, ak = (np.asarray(x, dtype=np.int64) for x in (ms, ns, ks))
    ok = _capacity_filter(p, am, an, ak)
    idx = np.nonzero(ok)
    if idx[0].size == 0:
        return None
    mt = np.concatenate([am[idx[0]]] * 2)
    nt = np.concatenate([an[idx[1]]] * 2)
    kt = np.concatenate([ak[idx[2]]] * 2)
    order = np.repeat(np.array([True, False]), idx[0].size)
    v = evaluate(p, mt, nt, kt, order, dram_latency)
    score = _score(v, objective)
    best = float(score.min())
    near = np.nonzero(score <= best * TIE)[0]
    steps = np.broadcast_to(v["steps"], score.shape)[near]
    dram = np.broadcast_to(v["dram_bytes"], score.shape)[near]
    cuts = np.broadcast_to(v["tiles_" + STREAMED[p.dataflow]], score.shape)[near]
    # lexsort, last key first: fewest DRAM bytes, fewest cuts of the streamed dimension
    # (uncut, the compute equals SCALE-Sim's), fewest steps, lowest score, then grid order
    picks = [int(near[np.lexsort((near, score[near], steps, cuts, dram))[0]])]
    if limit > 1:
        wide = np.nonzero(score <= best * band)[0]
        ranked = [int(i) for i in wide[np.lexsort((wide, score[wide]))] if i != picks[0]]
        # the best of each cut class (which of M, N, K are cut) first, then by score: the
        # estimate is least sure between classes (banked DRAM prices a cut by its access
        # pattern, not its bytes), and a replay budget is better spent there
        cut = [np.broadcast_to(v[f"tiles_{d}"], score.shape) > 1 for d in "mnk"]

        def cls(i: int) -> tuple[bool, ...]:
            return tuple(bool(c[i]) for c in cut)

        seen = {cls(picks[0])}
        heads = []
        for i in ranked:
            if cls(i) not in seen:
                seen.add(cls(i))
                heads.append(i)
        rest = [i for i in ranked if i not in set(heads)]
        picks.extend((heads + rest)[:limit - 1])

    def at(key: str, i: int) -> int | float:
        return np.broadcast_to(v[key], score.shape)[i].item()

    choices = tuple(Choice(int(mt[i]), int(nt[i]), int(kt[i]), "mnk" if order[i] else "nmk",
                           int(at("tiles_m", i)), int(at("tiles_n", i)), int(at("tiles_k", i)),
                           int(at("a_fetch", i)), int(at("b_fetch", i)), float(at("cycles", i)),
                           int(at("dram_bytes", i)), float(at("energy_pj", i)), int(score.size))
                    for i in picks)
    return choices, best


@lru_cache(maxsize=4096)
def search(p: GemmProblem, objective: str = "latency", dram_latency: int = 0) -> Choice | None:
    """The best tiling of ``p`` under ``objective`` (None when no tile fits any bank)."""
    found = search_band(p, objective, dram_latency)
    return found[0] if found else None


@lru_cache(maxsize=4096)
def search_band(p: GemmProblem, objective: str = "latency", dram_latency: int = 0,
                band: float = BAND, limit: int = BAND_LIMIT) -> tuple[Choice, ...]:
    """``search``'s pick first, then up to ``limit - 1`` tilings scoring within ``band`` of the
    best, best first (empty when no tile fits any bank). The bound prune keeps every size
    that could score within the band, so the band is exact too."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    unit = fold_units(p)
    sizes = {d: dim_sizes(e, unit[d]) for d, e in (("m", p.m), ("n", p.n), ("k", p.k))}
    full = {d: [s for s in v if s >= min(unit[d], e)]
            for (d, v), e in zip(sizes.items(), (p.m, p.n, p.k), strict=True)}
    first = _best(p, full["m"], full["n"], full["k"], objective, dram_latency, band, limit)
    if objective == "latency" and first is not None:
        sizes = _bound_prune(p, sizes, full, first[1])
    if all(sizes[d] == full[d] for d in sizes) and first is not None:
        return first[0]
    result = _best(p, sizes["m"], sizes["n"], sizes["k"], objective, dram_latency, band, limit)
    return () if result is None else result[0]


def _bound_prune(p: GemmProblem, sizes: dict[str, list[int]], full: dict[str, list[int]],
                 incumbent: float) -> dict[str, list[int]]:
    """Drop sub-unit sizes whose compute lower bound exceeds the incumbent's latency: fewer
    PEs per fold means more folds, and latency >= batch x compute."""
    lb = {}
    for d in "mnk":
        vals = np.asarray(sizes[d], dtype=np.int64)
        # the compute of a grid point where only this dimension varies and the others take
        # their largest (cheapest) size bounds every point with this size from below
        others = {x: np.array([max(full[x]) if full[x] else 1]) for x in "mnk" if x != d}
        grid = {d: vals, **others}
        v = evaluate(p, grid["m"], grid["n"], grid["k"], np.array([True]))
        lb[d] = v["compute"]
    out = {}
    for d in "mnk":
        out[d] = [s for s, bound in zip(sizes[d], np.broadcast_to(lb[d], (len(sizes[d]),)),
                                        strict=True)
                  if s in full[d] or bound <= incumbent]
    return out


def exhaustive(p: GemmProblem, objective: str = "latency") -> float | None:
    """Best score over the whole space (mapping.space.all_sizes), no pruning: for tests."""
    unit = fold_units(p)
    result = _best(p, all_sizes(p.m, unit["m"]), all_sizes(p.n, unit["n"]),
                   all_sizes(p.k, unit["k"]), objective, 0)
    return None if result is None else result[1]


def too_small(p: GemmProblem, op_name: str) -> MappingError:
    """The error for a GEMM no tile of which fits: names the first short buffer."""
    smallest = {
        "input": 0 if p.a_resident else tensor_bytes(1, p.a_bits),
        "weight": tensor_bytes(1, p.b_bits),
        "output": tensor_bytes(1, p.acc_bits),
    }
    banks = {"input": p.input_bank_bytes, "weight": p.weight_bank_bytes,
             "output": p.output_bank_bytes}
    short = [b for b in smallest if smallest[b] > banks[b]] or ["input"]
    name = short[0]
    return MappingError(
        f"buffer '{name}' is too small for the smallest legal tile of op {op_name!r}: "
        f"one bank holds {banks[name]} bytes, the tile needs {smallest[name]}",
        key=f"buffers.{name}.size_bytes")
