"""A sweep worker's memo of plans, shared by points that plan identically.

Why (issue 19): planning is most of a fast-engine point (ViT-B: ~70 % of its CPU). The
planner (engine.scheduler, engine.tile_costs, mapping.*) reads the clock and the DRAM only
through ``ArchSpec.dram_bytes_per_cycle`` and ``ArchSpec.dram_latency_cycles``; every other
field it may read is in the key whole. So two points whose arch differs only in ``clock_hz``
or ``dram.*`` with the same bytes per cycle and the same latency in cycles (bandwidth and
clock scaled together; a banked DRAM's timing at one bandwidth) get the same plan, and the
engine plays it against each point's own DRAM and clock. tests/dse/test_sweep_scale.py checks
byte-identical records with and without the memo.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

#: plans kept per worker: points sharing a plan are usually neighbours (a DRAM timing or
#: mapping swept last), and every plan held makes each full garbage collection longer (8
#: ViT-B plans: +20 ms a point on a grid where none is shared)
MEMO_PLANS = 2


def plan_key(spec: Any, workload: tuple, fidelity: str = "model", objective: str = "latency",
             batch_order: str = "auto") -> tuple:
    """Exactly what the planner reads: the arch without its clock and DRAM, the DRAM's
    bytes per cycle and latency in cycles, the workload and the planning options. With
    ``mapper.replay`` the planner plays candidate tilings on the whole arch (engine.replay),
    so then the key is the whole arch."""
    rest = spec.model_dump_json(exclude=None if spec.mapper.replay else {"clock_hz", "dram"})
    return (rest, spec.dram_bytes_per_cycle, spec.dram_latency_cycles, workload, fidelity,
            objective, batch_order)


class PlanMemo:
    """Least-recently-used plans by plan_key; ``hits`` / ``misses`` count the lookups."""

    def __init__(self, size: int = MEMO_PLANS) -> None:
        self.size = size
        self._plans: OrderedDict[tuple, tuple[Any, list]] = OrderedDict()
        self.hits = self.misses = 0

    def clear(self) -> None:
        self._plans.clear()
        self.hits = self.misses = 0

    def plan(self, spec: Any, workload: tuple, trace: Any) -> tuple[Any, list]:
        """(scheduler, groups) for ``spec`` on ``trace`` (default planning options)."""
        from accelsim.engine.scheduler import Scheduler

        key = plan_key(spec, workload)
        known = self._plans.get(key)
        if known is not None:
            self.hits += 1
            self._plans.move_to_end(key)
            return known
        self.misses += 1
        from accelsim.engine import budget

        budget.check_work(spec, trace, None)  # refused before it is planned, as simulate does
        scheduler = Scheduler(spec, trace)
        made = (scheduler, scheduler.plan())
        if scheduler.batch_candidates:
            return made  # a batch plan is chosen by simulating it on each point's own DRAM
        self._plans[key] = made
        if len(self._plans) > self.size:
            self._plans.popitem(last=False)
        return made


#: the memo of this worker process (each pool worker and dask worker has its own)
WORKER_MEMO = PlanMemo()
