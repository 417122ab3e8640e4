"""The fast engine: the scheduler's plan flattened to arrays and played by fast_kernel.

Same plan, same semantics, same SimResult as engine/simulator.py (byte-identical JSON, tested
in tests/engine/test_fast_engine.py); what it does not keep is the event log (simpy stays the
engine for ``record=True``). Plans of at least ``JIT_MIN_STEPS`` steps run the numba-compiled
kernel (``cache=True``: compiled once per machine, then loaded from the cache); smaller plans
run the same kernel as plain Python, where loading numba would cost more than it saves, unless
the compiled kernel is already loaded in this process (a sweep worker pays the load once).
``ACCELSIM_JIT=0`` / ``=1`` forces either path; without numba the Python path runs.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable

import numpy as np

from accelsim.analysis.records import SimResult
from accelsim.arch.spec import ArchSpec
from accelsim.engine import fast_kernel, invariants
from accelsim.engine.dram import DramCounts
from accelsim.engine.plan import Group
from accelsim.engine.scheduler import Scheduler
from accelsim.engine.simulator import STALL_CAUSES, _layers, _OpStats, run_model
from accelsim.engine.warnings import run_warnings
from accelsim.errors import SimulationError
from accelsim.workload.trace import Trace

BUFFERS = ("input", "weight", "output")
#: below this many steps the plain-Python kernel is faster than loading the compiled one
JIT_MIN_STEPS = 600
_compiled: Callable[..., None] | None = None


def _kernel(steps: int) -> Callable[..., None]:
    """The numba-compiled kernel for big plans, the plain-Python one otherwise."""
    global _compiled
    forced = os.environ.get("ACCELSIM_JIT", "")
    if forced == "0" or (forced != "1" and steps < JIT_MIN_STEPS and _compiled is None):
        return fast_kernel.play
    if _compiled is None:
        try:
            import numba
        except ImportError:  # numba is a dependency, but the Python path needs none
            return fast_kernel.play
        _compiled = numba.njit(cache=True)(fast_kernel.play)
    return _compiled


def _i64(values: list[int]) -> np.ndarray:
    return np.asarray(values, dtype=np.int64) if values else np.zeros(0, np.int64)


class _Flat:
    """The plan as integer arrays (CSR ranges per group and per step)."""

    def __init__(self, arch: ArchSpec, groups: list[Group]) -> None:
        bpc = arch.dram_bytes_per_cycle
        self.units = sorted({u for g in groups for u in g.stage_units} | {"vector"})
        unit_id = {u: i for i, u in enumerate(self.units)}
        self.ops = [op.name for g in groups for op in g.ops]
        op_id = {name: i for i, name in enumerate(self.ops)}
        buf_id = {b: i for i, b in enumerate(BUFFERS)}
        position = {g.index: i for i, g in enumerate(groups)}
        occupancy: dict[int, int] = {0: 0}

        def cycles(nbytes: int) -> int:  # engine/dram.py's occupancy, the same float test
            if nbytes not in occupancy:
                occupancy[nbytes] = math.ceil(nbytes / bpc - 1e-9) if nbytes > 0 else 0
            return occupancy[nbytes]

        # nst, step0, step1, dep0, dep1, close0, close1, pid0
        group_rows: list[tuple[int, ...]] = []
        deps: list[int] = []
        closing: list[int] = []
        step_rows: list[tuple[int, ...]] = []
        load_rows: list[tuple[int, ...]] = []
        work_rows: list[tuple[int, ...]] = []
        rel_rows: list[tuple[int, int]] = []
        ep_work: list[int] = []
        add_load, add_work, add_step = load_rows.append, work_rows.append, step_rows.append
        #: channel cycles of each op's transfers (bandwidth model: what they occupy, whenever
        #: they run) and the cycles each buffer's port held a unit: both fixed by the plan
        self.dram_busy = [0] * len(self.ops)
        self.sram_stalls: dict[str, int] = {}
        pid = 0
        for g in groups:
            n = len(g.stage_units)
            step0, dep0, close0 = len(step_rows), len(deps), len(closing)
            deps.extend(position[d] for d in sorted(g.deps))
            none = (-1, 0, 0, 0, op_id[g.ops[0].name])  # a stage with no work on this step
            for step in g.steps:
                if step.closes_out:
                    closing.append(len(step_rows))
                load0, w0, rel0, ep0 = len(load_rows), len(work_rows), len(rel_rows), len(ep_work)
                for ld in step.loads:
                    self.dram_busy[op_id[ld.op]] += cycles(ld.dram_bytes)
                    add_load((buf_id[ld.buffer], ld.dram_bytes, cycles(ld.dram_bytes),
                              op_id[ld.op], ld.bank, ld.produced, ld.epilogue))
                for w in step.stages:
                    add_work(none if w is None else (unit_id[w.unit], w.cycles, w.port_cycles,
                                                     w.amount, op_id[w.op]))
                rel_rows.extend((buf_id[b], at) for b, at in step.releases)
                for w in step.epilogue:
                    ep_work.append(len(work_rows))
                    add_work((unit_id[w.unit], w.cycles, w.port_cycles, w.amount, op_id[w.op]))
                for w in (*step.stages, *step.epilogue):
                    if w is not None and w.port_cycles:
                        self.sram_stalls[w.port_buffer] = (self.sram_stalls.get(w.port_buffer, 0)
                                                           + w.port_cycles)
                if step.write_bytes:
                    self.dram_busy[op_id[step.write_op]] += cycles(step.write_bytes)
                add_step((load0, len(load_rows), w0, rel0, len(rel_rows), ep0, len(ep_work),
                          step.opens_out, step.closes_out, step.write_bytes,
                          cycles(step.write_bytes),
                          op_id[step.write_op] if step.write_bytes else 0))
            group_rows.append((n, step0, len(step_rows), dep0, len(deps), close0, len(closing),
                               pid))
            pid += n + 1
        assert arch.buffers is not None
        self.banks = [arch.buffers.role(b).banks for b in BUFFERS]
        self.steps = len(step_rows)
        self.n_proc = pid

        def columns(rows: list[tuple[int, ...]], width: int) -> list[np.ndarray]:
            array = np.asarray(rows, dtype=np.int64).reshape(len(rows), width)
            return [np.ascontiguousarray(array[:, i]) for i in range(width)]

        g_nst, g_step0, g_step1, g_dep0, g_dep1, g_close0, g_close1, g_pid = columns(
            group_rows, 8)
        g_pid0 = np.append(g_pid, np.int64(pid))
        rel = columns(rel_rows, 2)
        self.args = [g_nst, g_step0, g_step1, g_dep0, g_dep1, _i64(deps), g_close0, g_close1,
                     _i64(closing), g_pid0, *columns(step_rows, 12), *columns(load_rows, 7),
                     *columns(work_rows, 5), *rel, _i64(ep_work), _i64(self.banks)]


def simulate_fast(arch: ArchSpec, trace: Trace, fidelity: str = "model",
                  check: bool = False) -> SimResult:
    """simulate(..., engine="fast", record=False): the same result without simpy."""
    wall0 = time.perf_counter()
    scheduler = Scheduler(arch, trace, fidelity, "latency", "auto", None)
    groups = scheduler.plan()
    flat = _Flat(arch, groups)
    n_ops = len(flat.ops)
    op_i = np.zeros((n_ops, 8), np.int64)
    op_i[:, 0] = -1
    op_i[:, 2] = -1
    op_fill = np.zeros((n_ops, 3), np.int64)
    op_stall = np.zeros((n_ops, len(STALL_CAUSES)), np.int64)
    unit_busy = np.zeros(len(flat.units), np.int64)
    counters = np.zeros(6, np.int64)
    bank_peak = np.zeros(3, np.int64)
    done = np.zeros(len(groups), np.int64)
    pcs = np.zeros(flat.n_proc + 1, np.int64)
    got = np.zeros(flat.n_proc + 1, np.int64)
    _kernel(flat.steps)(len(flat.units), arch.dram_latency_cycles, *flat.args,
                        op_i, op_fill, op_stall, unit_busy, counters, bank_peak, done, pcs, got)
    if (pcs == -2).any():
        raise SimulationError("fast engine: a process reached an unknown state (a bug)")
    if not done.all():
        _deadlock(groups, flat, done, pcs, counters)
    stats = {}
    for o, name in enumerate(flat.ops):
        start, end, first, busy, amount, read, write, drains = (int(x) for x in op_i[o])
        st = _OpStats(start=None if start < 0 else start, end=end,
                      first_compute=None if first < 0 else first, busy=busy, amount=amount,
                      dram_read=read, dram_write=write, drains=drains,
                      fills={b: int(op_fill[o, i]) for i, b in enumerate(BUFFERS)
                             if op_fill[o, i]},
                      stalls={c: int(op_stall[o, i]) for i, c in enumerate(STALL_CAUSES)},
                      dram=DramCounts(busy_cycles=flat.dram_busy[o]))
        stats[name] = st

    class _Played:  # what simulator._layers reads of an engine
        pass

    played = _Played()
    played.stats = stats  # type: ignore[attr-defined]
    layers = _layers(arch, trace, groups, played)  # type: ignore[arg-type]
    total = max((layer.end_cycle for layer in layers), default=0)
    model = run_model(trace, groups, scheduler)
    result = SimResult(
        arch_name=arch.name,
        arch=arch.model_dump(mode="json", exclude={"name"}),
        model=model,
        clock_hz=arch.clock_hz,
        total_cycles=total,
        unit_busy_cycles={u: int(unit_busy[i]) for i, u in enumerate(flat.units)},
        dram_busy_cycles=int(counters[0]),
        dram_refreshes=0,  # the bandwidth model does not refresh
        peak_bank_use={b: int(bank_peak[i]) for i, b in enumerate(BUFFERS)},
        events=int(counters[1]),
        wall_time_s=time.perf_counter() - wall0,
        layers=tuple(layers),
        fidelity=fidelity,
        extra={"sram_stall_cycles_by_buffer": dict(sorted(flat.sram_stalls.items()))},
        warnings=run_warnings(arch, trace),
    )
    if check:
        g_pid0 = flat.args[9]
        steps_by_stage = {(g.index, j): int(got[g_pid0[i] + j]) for i, g in enumerate(groups)
                          for j in range(len(g.stage_units))}
        observed = invariants.Observed(
            amount_by_op={name: st.amount for name, st in stats.items()},
            steps_by_stage=steps_by_stage, misordered=0,
            banks=dict(zip(BUFFERS, flat.banks, strict=True)))
        invariants.check_all(trace, groups, result, observed, arch.dram_bytes_per_cycle)
    return result


def _deadlock(groups: list[Group], flat: _Flat, done: np.ndarray, pcs: np.ndarray,
              counters: np.ndarray) -> None:
    """The simpy engine's deadlock error, word for word."""
    g_pid0 = flat.args[9]
    stuck = [g.name for i, g in enumerate(groups) if not done[i]]
    blocked = [f"{g.name}[{j}]" for i, g in enumerate(groups) if not done[i]
               for j in range(len(g.stage_units)) if pcs[g_pid0[i] + j] != -1]
    in_use = [(b, int(counters[3 + i])) for i, b in enumerate(BUFFERS)]
    raise SimulationError(
        f"deadlock: {len(stuck)} group(s) never finished: {', '.join(stuck[:5])}"
        f"{' ...' if len(stuck) > 5 else ''}; blocked stage processes "
        f"{', '.join(blocked[:5]) or 'none (writer)'}; banks in use {in_use}")
