"""Which of the search's near-best GEMM tilings is fastest: each is played lone by the engine.

The search's estimate (mapping.estimate) is a closed form; it leaves out what only playing the
pipeline shows (the order in which loads and write-backs share the DRAM channel, banked DRAM's
row hits and misses, the bank each step waits for): measured, simulated / estimated spans
0.73 .. 1.26 on lone GEMMs. So the candidates are each played as a lone group by the simpy
engine, with the tensors at their real addresses, and the fastest is kept; for a GEMM on its
own the score is then the simulated cycle count itself. The candidates: the search's pick, the
others it estimates within ``search.BAND`` of the best (best first, up to ``search.BAND_LIMIT``
and ``REPLAY_STEPS`` steps in all), and the choice this procedure makes for the same GEMM with
every bank halved (memoised, recursively). That last one fits the bigger banks too, so
doubling the buffers never picks a slower lone tiling, by construction, wherever both sizes'
choices are played (at most ``REPLAY_STEPS`` / ``CHAIN_STEPS`` steps; bigger GEMMs keep the
search's pick, unplayed: a play costs ~40 us a step and the whole ViT-B mapping has 50 ms).
A lone replay cannot see other groups' DRAM traffic, so a band candidate that moves more DRAM
bytes than the search's pick must replay ``MORE_BYTES`` faster to win. Memoised by the GEMM's
shape and buffers within one plan (a ViT's blocks repeat the same shapes; the first one's
addresses decide), never across plans, so no simulation depends on what ran before it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from accelsim.engine.tile_costs import tile_for
from accelsim.errors import MappingError
from accelsim.mapping.tiler import GemmTiling, tile_band

if TYPE_CHECKING:
    from accelsim.engine.scheduler import Scheduler
    from accelsim.workload.ops import Op

#: steps (all batch elements) the replays of one GEMM shape may play in all, the search's pick
#: first, then the others best estimate first while they fit: a play costs ~40 us a step
REPLAY_STEPS = 48
#: the half-banks choice is played up to this many steps (it has about twice the steps)
CHAIN_STEPS = REPLAY_STEPS
#: a band candidate must play this much faster than the best so far to replace it: a cycle
#: or two is noise, and the search's pick has the fewest cuts (SCALE-Sim's compute)
MARGIN = 1e-3
#: a candidate moving more DRAM bytes than the search's pick must replay this much faster
MORE_BYTES = 1.01
#: the simpy engine class (engine.simulator sets it on import: the planning replays keep it
#: even where a test swaps the module's name to check the fast engine never plays a plan)
ENGINE: Any = None
#: lone plays since the last ``clear`` (benchmarks/bench_mapping.py reports it)
plays = 0


def fastest(s: Scheduler, index: int, op: Op, epilogue: list[Op], pick: GemmTiling,
            shape: tuple) -> GemmTiling:
    """The fastest of ``pick``, the search's other near-best tilings of ``shape`` and the
    choice for the same GEMM with every bank half as big, each played lone as the group of
    ``op`` and its ``epilogue`` (module docstring)."""
    batch = shape[-1].batch if shape[-1] is not None else 1
    if pick.steps * batch > REPLAY_STEPS:
        return pick
    memo = s.replay_choices
    key = (shape, tuple(e.kind for e in epilogue))
    known = memo.get(key)
    if known is not None:
        return known[0]
    best, best_score = pick, lone_cycles(s, index, op, epilogue, pick, shape)
    limit = best_score / MORE_BYTES
    budget = REPLAY_STEPS - pick.steps * batch
    tried = {_box(pick)}
    for cand in tile_band(*shape)[1:]:  # type: ignore[arg-type]
        steps = cand.steps * batch
        if steps > budget or _box(cand) in tried:
            continue
        budget -= steps
        tried.add(_box(cand))
        cycles = lone_cycles(s, index, op, epilogue, cand, shape)
        if cand.est_dram_bytes > pick.est_dram_bytes and cycles >= limit:
            continue
        if cycles < best_score * (1 - MARGIN):
            best, best_score = cand, cycles
    # what the same GEMM gets with every bank halved fits these banks too: kept when it plays
    # faster, so doubling the buffers never picks a slower tiling (by induction, down to the
    # banks whose choice is not replayed)
    half = _halved(s, index, op, epilogue, shape)
    if half is not None and _box(half[0]) not in tried and half[1] is not None \
            and half[1] < best_score:
        best, best_score = half
    memo[key] = (best, best_score)
    return best


def _box(t: GemmTiling) -> tuple[int, int, int, str]:
    return (t.mt, t.nt, t.kt, t.order)


def _halved(s: Scheduler, index: int, op: Op, epilogue: list[Op],
            shape: tuple) -> tuple[GemmTiling, int | None] | None:
    """(choice, lone cycles) for ``shape`` with the input, weight and output banks halved;
    None when nothing fits there; cycles None when the choice has more than
    ``CHAIN_STEPS`` steps (not played)."""
    banks = shape[9:12]
    if min(banks) < 2:
        return None
    small = (*shape[:9], *(b // 2 for b in banks), *shape[12:])
    try:
        default = tile_for(op.name, *small)
    except MappingError:
        return None
    choice = fastest(s, index, op, epilogue, default, small)
    known = s.replay_choices.get((small, tuple(e.kind for e in epilogue)))
    if known is not None:
        return choice, known[1]
    batch = shape[-1].batch if shape[-1] is not None else 1
    if choice.steps * batch > CHAIN_STEPS:
        return choice, None
    return choice, lone_cycles(s, index, op, epilogue, choice, shape)


def lone_cycles(s: Scheduler, index: int, op: Op, epilogue: list[Op], tiling: GemmTiling,
                shape: tuple | None = None) -> int:
    """Cycles of the group of ``op`` + ``epilogue`` tiled by ``tiling``, played by the simpy
    engine with nothing before or beside it (its inputs already in DRAM). Memoised by
    ``shape`` without the bank sizes (a tiling plays the same in bigger banks) when given."""
    global plays
    key = None
    if shape is not None:
        pm = shape[-1]
        key = (shape[:9], shape[12:14], tuple(e.kind for e in epilogue),
               None if pm is None else (pm.out_bits, pm.batch, pm.extra_read_bytes),
               _box(tiling))
        known = s.replay_cycles.get(key)
        if known is not None:
            return known
    plays += 1
    saved = s.mappings.get(op.name)
    try:
        group = s._gemm_group(index, op, epilogue, tiling)
    finally:
        if saved is None:
            s.mappings.pop(op.name, None)
        else:
            s.mappings[op.name] = saved
    group = replace(group, index=0, deps=frozenset())
    if ENGINE is None:  # engine.simulator registers its engine when imported
        import accelsim.engine.simulator  # noqa: F401
    assert ENGINE is not None
    engine = ENGINE(s.arch, [group], False)
    engine.run()
    cycles = max(st.end for st in engine.stats.values())
    if key is not None:
        s.replay_cycles[key] = cycles
    return cycles


def clear() -> None:
    """Reset the play counter (benchmarks/bench_mapping.py)."""
    global plays
    plays = 0
