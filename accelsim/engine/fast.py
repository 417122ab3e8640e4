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
from typing import Any

import numpy as np

from accelsim.analysis.records import SimResult
from accelsim.arch.spec import ArchSpec
from accelsim.engine import fast_kernel, invariants
from accelsim.engine.plan import Group
from accelsim.engine.scheduler import Scheduler
from accelsim.engine.simulator import STALL_CAUSES, _layers, _OpStats
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

        def cycles(nbytes: int) -> int:  # engine/dram.py's occupancy, the same float test
            return math.ceil(nbytes / bpc - 1e-9) if nbytes > 0 else 0

        g_nst, g_step0, g_step1, g_dep0, g_dep1, deps = [], [], [], [], [], []
        g_close0, g_close1, closing, g_pid0 = [], [], [], []
        s_load0, s_load1, s_w0, s_rel0, s_rel1, s_ep0, s_ep1 = [], [], [], [], [], [], []
        s_opens, s_closes, s_wbytes, s_wcycles, s_wop = [], [], [], [], []
        l_buf, l_bytes, l_cycles, l_op, l_bank, l_produced, l_epilogue = ([] for _ in range(7))
        w_unit, w_cycles, w_port, w_amount, w_op = [], [], [], [], []
        rel_buf, rel_at, ep_work = [], [], []
        pid = 0

        def work(w: Any, default_op: str) -> None:
            w_unit.append(-1 if w is None else unit_id[w.unit])
            w_cycles.append(0 if w is None else w.cycles)
            w_port.append(0 if w is None else w.port_cycles)
            w_amount.append(0 if w is None else w.amount)
            w_op.append(op_id[default_op if w is None else w.op])

        for g in groups:
            n = len(g.stage_units)
            g_nst.append(n)
            g_pid0.append(pid)
            pid += n + 1
            g_step0.append(len(s_load0))
            g_dep0.append(len(deps))
            deps.extend(position[d] for d in sorted(g.deps))
            g_dep1.append(len(deps))
            g_close0.append(len(closing))
            first_op = g.ops[0].name
            for step in g.steps:
                if step.closes_out:
                    closing.append(len(s_load0))
                s_load0.append(len(l_buf))
                for load in step.loads:
                    l_buf.append(buf_id[load.buffer])
                    l_bytes.append(load.dram_bytes)
                    l_cycles.append(cycles(load.dram_bytes))
                    l_op.append(op_id[load.op])
                    l_bank.append(int(load.bank))
                    l_produced.append(int(load.produced))
                    l_epilogue.append(int(load.epilogue))
                s_load1.append(len(l_buf))
                s_w0.append(len(w_unit))
                for w in step.stages:
                    work(w, first_op)
                s_rel0.append(len(rel_buf))
                for buffer, at in step.releases:
                    rel_buf.append(buf_id[buffer])
                    rel_at.append(at)
                s_rel1.append(len(rel_buf))
                s_ep0.append(len(ep_work))
                for w in step.epilogue:
                    ep_work.append(len(w_unit))
                    work(w, first_op)
                s_ep1.append(len(ep_work))
                s_opens.append(int(step.opens_out))
                s_closes.append(int(step.closes_out))
                s_wbytes.append(step.write_bytes)
                s_wcycles.append(cycles(step.write_bytes))
                s_wop.append(op_id[step.write_op] if step.write_bytes else 0)
            g_step1.append(len(s_load0))
            g_close1.append(len(closing))
        g_pid0.append(pid)
        assert arch.buffers is not None
        self.banks = [arch.buffers.role(b).banks for b in BUFFERS]
        self.steps = len(s_load0)
        self.args = [_i64(a) for a in (
            g_nst, g_step0, g_step1, g_dep0, g_dep1, deps, g_close0, g_close1, closing, g_pid0,
            s_load0, s_load1, s_w0, s_rel0, s_rel1, s_ep0, s_ep1, s_opens, s_closes, s_wbytes,
            s_wcycles, s_wop, l_buf, l_bytes, l_cycles, l_op, l_bank, l_produced, l_epilogue,
            w_unit, w_cycles, w_port, w_amount, w_op, rel_buf, rel_at, ep_work, self.banks)]
        self.n_proc = pid


def simulate_fast(arch: ArchSpec, trace: Trace, fidelity: str = "model",
                  check: bool = False) -> SimResult:
    """simulate(..., engine="fast", record=False): the same result without simpy."""
    wall0 = time.perf_counter()
    groups = Scheduler(arch, trace, fidelity).plan()
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
                      stalls={c: int(op_stall[o, i]) for i, c in enumerate(STALL_CAUSES)})
        stats[name] = st

    class _Played:  # what simulator._layers reads of an engine
        pass

    played = _Played()
    played.stats = stats  # type: ignore[attr-defined]
    layers = _layers(arch, trace, groups, played)  # type: ignore[arg-type]
    total = max((layer.end_cycle for layer in layers), default=0)
    model = {"name": trace.name, "model": trace.model, "image_size": trace.image_size,
             "batch": trace.batch, "quant": trace.quant, "source": trace.source,
             "ops": len(trace.ops), "groups": len(groups),
             **({"seq_len": trace.seq_len} if trace.seq_len else {})}
    result = SimResult(
        arch_name=arch.name,
        arch=arch.model_dump(mode="json", exclude={"name"}),
        model=model,
        clock_hz=arch.clock_hz,
        total_cycles=total,
        unit_busy_cycles={u: int(unit_busy[i]) for i, u in enumerate(flat.units)},
        dram_busy_cycles=int(counters[0]),
        peak_bank_use={b: int(bank_peak[i]) for i, b in enumerate(BUFFERS)},
        events=int(counters[1]),
        wall_time_s=time.perf_counter() - wall0,
        layers=tuple(layers),
        fidelity=fidelity,
        extra={},
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
