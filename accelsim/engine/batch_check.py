"""Issue 16 guarantee (a) held by simulation: a batch of b never costs more cycles or DRAM
bytes than b batch-1 runs.

engine.batch_plan composes a batch plan per unit from *estimated* cycles; the estimate does
not see DRAM contention between groups, so a composed plan can be slower than the batch-1
plan played b times (ViT-Ti at 96 px, 8x8 array, 8 KiB input buffer, batch 2: +0.57%). Here
the batch-1 plan and the candidates (Scheduler.batch_candidates: the composed plan, every
unit image-major, the batch-1 plan repeated) are played on the fast engine, always that one
(both engines give the same figures, so the choice never depends on which plays the result),
and the plan kept is the best under the objective among those within b batch-1 runs in
both cycles and bytes. The batch-1 plan repeated is played only when neither of the first two
is within: overlapping images can still contend on the DRAM, so no plan is within by
construction; if none is, the one exceeding least is kept and the reason says so.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from accelsim.arch.spec import ArchSpec
from accelsim.engine.batch_plan import score
from accelsim.engine.plan import Group


class Measured(NamedTuple):
    """A candidate batch plan's simulated totals (the whole batch)."""

    name: str
    cycles: int
    dram_bytes: int


def over(m: Measured, limit: Measured) -> list[str]:
    """What ``m`` spends beyond ``limit``, b batch-1 runs (``cycles``, ``DRAM bytes``)."""
    return [what for what, a, b in (("cycles", m.cycles, limit.cycles),
                                    ("DRAM bytes", m.dram_bytes, limit.dram_bytes)) if a > b]


def choose(objective: str, limit: Measured, plans: list[Measured]) -> tuple[int, str]:
    """The index of the plan to keep and why: the best by the objective (then fewer bytes,
    then fewer cycles, then the earlier plan) of those within ``limit``; if none is, the one
    exceeding it least (its largest ratio to the limit)."""
    within = [i for i, m in enumerate(plans) if not over(m, limit)]
    rejected = "; ".join(f"{m.name} exceeds {limit.name} in {' and '.join(over(m, limit))}"
                         for m in plans if over(m, limit))
    if within:
        best = min(within, key=lambda i: (score(objective, plans[i].dram_bytes,
                                                plans[i].cycles),
                                          plans[i].dram_bytes, plans[i].cycles, i))
        why = (f"{plans[best].name}: within {limit.name} in cycles and DRAM bytes, the best "
               f"{'of ' + str(len(within)) + ' such plans ' if len(within) > 1 else ''}"
               f"by the {objective} objective")
    else:
        def ratio(m: Measured) -> float:
            return max(m.cycles / max(limit.cycles, 1), m.dram_bytes / max(limit.dram_bytes, 1))
        best = min(range(len(plans)), key=lambda i: (ratio(plans[i]), i))
        why = f"{plans[best].name}: no plan is within {limit.name}; it exceeds least"
    return best, why + (f" ({rejected})" if rejected else "")


def checked_plan(arch: ArchSpec, scheduler: Any, groups: list[Group]
                 ) -> tuple[list[Group], Any]:
    """The plan to play among ``scheduler.batch_candidates`` (``groups``: the first), its
    state adopted and ``scheduler.batch_check`` set; and its fast-engine run (None when there
    was nothing to check) for simulate_fast to reuse."""
    if not scheduler.batch_candidates:
        return groups, None
    from accelsim.engine.fast import plan_totals, run_plan

    batch = scheduler.trace.batch
    cycles, nbytes = plan_totals(run_plan(arch, scheduler.batch_reference))
    limit = Measured(f"{batch} batch-1 runs", batch * cycles, batch * nbytes)
    tried: list[tuple[Measured, list[Group], Any, Any]] = []
    for i, (name, make) in enumerate(scheduler.batch_candidates):
        if i >= 2 and any(not over(t[0], limit) for t in tried):
            break  # the batch-1 plan repeated: only when the first two both exceed
        plan, state = make()
        played = run_plan(arch, plan)
        tried.append((Measured(name, *plan_totals(played)), plan, state, played))
    best, why = choose(scheduler.objective, limit, [t[0] for t in tried])
    m, plan, state, played = tried[best]
    scheduler.adopt(state)
    scheduler.batch_check = {
        "chosen": m.name, "reason": why,
        "plans": {t[0].name: {"cycles": t[0].cycles, "dram_bytes": t[0].dram_bytes}
                  for t in tried},
        "batch_1_runs": {"cycles": limit.cycles, "dram_bytes": limit.dram_bytes}}
    return plan, played
