"""Engine invariants: cheap checks over the plan (groups of steps) and the finished run.

``simulate(..., check=True)`` (``accelsim simulate --check``) runs them all after the run; the
tests always do. Each raises SimulationError naming the invariant, the op or unit, and both
numbers. Pure functions: no simpy, nothing printed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from accelsim.analysis.records import SimResult
from accelsim.engine.plan import Group
from accelsim.errors import SimulationError
from accelsim.workload.trace import Trace


@dataclass(frozen=True)
class Observed:
    """What the engine measured while running, beyond the SimResult.

    ``amount_by_op``: MACs (array) or elements (other units) the units processed per op;
    ``steps_by_stage``: steps each (group index, stage index) process took from its inbox;
    ``misordered``: steps a stage received out of program order;
    ``banks``: bank count of each buffer role.
    """

    amount_by_op: Mapping[str, int]
    steps_by_stage: Mapping[tuple[int, int], int]
    misordered: int
    banks: Mapping[str, int]


def planned_amounts(groups: list[Group]) -> dict[str, int]:
    """Work amount per op in the plan: stage work and output-path epilogues."""
    out: dict[str, int] = {}
    for group in groups:
        for step in group.steps:
            for work in (*step.stages, *step.epilogue):
                if work is not None and work.cycles > 0:
                    out[work.op] = out.get(work.op, 0) + work.amount
    return out


def check_macs(trace: Trace, groups: list[Group], observed: Observed) -> None:
    """Every MAC of the trace is planned on the array once and executed once."""
    planned = sum(work.amount for g in groups for s in g.steps for work in s.stages
                  if work is not None and work.unit == "array")
    if planned != trace.total_macs:
        raise SimulationError(f"invariant violated: MACs not conserved by the plan: the array's "
                              f"work sums to {planned:,} MACs, the trace has "
                              f"{trace.total_macs:,}")
    for op, amount in planned_amounts(groups).items():
        done = observed.amount_by_op.get(op, 0)
        if done != amount:
            raise SimulationError(f"invariant violated: op {op!r} was planned {amount:,} units "
                                  f"of work and executed {done:,}")


def check_producers_first(groups: list[Group]) -> None:
    """Every tensor a group reads from DRAM that an op produces comes from an earlier group the
    reader depends on (the loader waits only for ``deps``: anything else would read it early)."""
    producers: dict[str, set[int]] = {}  # tensor -> the groups so far writing it (an
    for group in groups:                   # image-major plan writes it once per image)
        for step in group.steps:
            for load in step.loads:
                if not load.produced:
                    continue
                src = producers.get(load.tensor, set())
                if not src & group.deps:
                    raise SimulationError(
                        f"invariant violated: group {group.name!r} reads tensor {load.tensor!r} "
                        f"produced by group(s) {sorted(src)} without waiting for one of them "
                        f"(group index {group.index}, deps {sorted(group.deps)})")
        for op in group.ops:
            for t in op.outputs:
                producers.setdefault(t, set()).add(group.index)


def check_bytes(groups: list[Group], result: SimResult) -> None:
    """Per op, the DRAM bytes the run moved equal the plan's loads and write-backs."""
    reads: dict[str, int] = {}
    writes: dict[str, int] = {}
    for group in groups:
        for step in group.steps:
            for load in step.loads:
                reads[load.op] = reads.get(load.op, 0) + load.dram_bytes
            if step.closes_out and step.write_bytes:
                writes[step.write_op] = writes.get(step.write_op, 0) + step.write_bytes
    for layer in result.layers:
        for what, plan, got in (("read", reads.get(layer.name, 0), layer.dram_read_bytes),
                                ("written", writes.get(layer.name, 0), layer.dram_write_bytes)):
            if plan != got:
                raise SimulationError(f"invariant violated: op {layer.name!r}: DRAM bytes "
                                      f"{what}: planned {plan:,}, simulated {got:,}")


def check_steps(groups: list[Group], observed: Observed) -> None:
    """Every stage of every group took each of its group's steps exactly once, in order."""
    if observed.misordered:
        raise SimulationError(f"invariant violated: {observed.misordered} step(s) reached a "
                              "stage out of program order")
    for group in groups:
        for j, unit in enumerate(group.stage_units):
            got = observed.steps_by_stage.get((group.index, j), 0)
            if got != len(group.steps):
                raise SimulationError(f"invariant violated: stage {j} ({unit}) of group "
                                      f"{group.name!r} consumed {got} of {len(group.steps)} "
                                      "steps")


def check_banks(result: SimResult, observed: Observed) -> None:
    """No buffer ever had more banks taken than it has."""
    for role, peak in result.peak_bank_use.items():
        if peak > observed.banks[role]:
            raise SimulationError(f"invariant violated: buffer {role!r} had {peak} banks in "
                                  f"use, it has {observed.banks[role]}")


def check_lower_bounds(groups: list[Group], result: SimResult, dram_bytes_per_cycle: float) -> None:
    """Latency is at least every unit's busy time, the DRAM channel's busy time and the total
    DRAM bytes over the bandwidth; each op spans at least its own compute time."""
    total = result.total_cycles
    bounds = {f"unit {unit!r} busy": busy for unit, busy in result.unit_busy_cycles.items()}
    bounds["DRAM channel busy"] = result.dram_busy_cycles
    moved = sum(ld.dram_bytes for g in groups for s in g.steps for ld in s.loads) + sum(
        s.write_bytes for g in groups for s in g.steps if s.closes_out)
    bounds["DRAM bytes / bandwidth"] = int(moved / dram_bytes_per_cycle)
    for what, bound in bounds.items():
        if total < bound:
            raise SimulationError(f"invariant violated: latency {total:,} cycles is below the "
                                  f"{what} bound of {bound:,} cycles")
    for layer in result.layers:
        if layer.cycles < layer.compute_cycles:
            raise SimulationError(f"invariant violated: op {layer.name!r} spans {layer.cycles:,} "
                                  f"cycles but computed for {layer.compute_cycles:,}")


def check_constants_read(trace: Trace, groups: list[Group]) -> None:
    """Every constant operand (weight, parameter, model input) of a planned op is read from DRAM
    by some load of the plan, unless it is kept on chip: a fused op must not read its weights
    for free."""
    loaded = {ld.tensor for g in groups for s in g.steps for ld in s.loads}
    for group in groups:
        for op in group.ops:
            for name in op.inputs:
                tensor = trace.tensor(name)
                if tensor.is_constant and tensor.size_bytes and name not in loaded:
                    raise SimulationError(f"invariant violated: op {op.name!r} reads constant "
                                          f"{name!r} ({tensor.size_bytes:,} B) but the plan "
                                          f"never loads it")


def check_all(trace: Trace, groups: list[Group], result: SimResult, observed: Observed,
              dram_bytes_per_cycle: float) -> None:
    """All invariants; the first violation raises SimulationError."""
    check_macs(trace, groups, observed)
    check_producers_first(groups)
    check_constants_read(trace, groups)
    check_bytes(groups, result)
    check_steps(groups, observed)
    check_banks(result, observed)
    check_lower_bounds(groups, result, dram_bytes_per_cycle)
