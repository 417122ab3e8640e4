"""The fast engine: the scheduler's plan flattened to arrays and played by fast_kernel.

Same plan, same semantics, same SimResult as engine/simulator.py (byte-identical JSON, tested
in tests/engine/test_fast_engine.py); what it does not keep is the event log (simpy stays the
engine for ``record=True``). engine/jit.py picks the numba-compiled kernel or the same source
as plain Python (``ACCELSIM_JIT``).
"""

from __future__ import annotations

import copy
import math
import time
from functools import lru_cache

import numpy as np

from accelsim.analysis.records import SimResult
from accelsim.arch.spec import ArchSpec
from accelsim.cost import dram as dram_cost
from accelsim.cost.dram import AccessPattern
from accelsim.engine import invariants, jit
from accelsim.engine.dram import DramCounts, banked_work_cycles
from accelsim.engine.plan import Group, Stamp
from accelsim.engine.scheduler import Scheduler
from accelsim.engine.simulator import STALL_CAUSES, _OpStats, assemble_result
from accelsim.errors import SimulationError
from accelsim.workload.trace import Trace

BUFFERS = ("input", "weight", "output")


def _i64(values: list[int]) -> np.ndarray:
    return np.asarray(values, dtype=np.int64) if values else np.zeros(0, np.int64)


class _Block:
    """One group's steps as integer rows, indices relative to the group's first load, work,
    release and epilogue entry (so the copies an image-major plan shares are flattened once).
    Op columns hold local codes: 1 + the op's index in ``names`` (the group's ops first), 0
    where the row names no op; ``_Flat`` maps them to plan-wide ids. A stamped group (plan.Stamp)
    plays its template's block under its own names (``stamped``)."""

    def __init__(self, flat: _Flat, g: Group) -> None:
        cost_of, unit_id = flat.dram.cost, flat.unit_id
        buf_id = {b: i for i, b in enumerate(BUFFERS)}
        self.names = [op.name for op in g.ops]
        local = {name: i + 1 for i, name in enumerate(self.names)}

        def op_code(name: str) -> int:
            code = local.get(name)
            if code is None:
                self.names.append(name)
                code = local[name] = len(self.names)
            return code

        # flat lists of the rows (numpy reads a flat int list much faster than tuples)
        steps: list[int] = []
        loads: list[int] = []
        works: list[int] = []
        rels: list[int] = []
        ep_work: list[int] = []
        closing: list[int] = []
        # per load, then per step's write-back: same, turn, bursts, counts id, op
        load_dram: list[int] = []
        write_dram: list[int] = []
        #: banked DRAM: per transfer (loads, then write-backs) its tensor (index in
        #: ``tensors``, -1: none), base, run, stride, runs, bytes, write, row in its table
        self.tensors: list[str] = []
        slot: dict[str, int] = {}
        moves: list[int] | None = [] if flat.dram.banked else None
        #: the cycles each buffer's port held a unit and, when asked, (pattern, bytes, write)
        #: of every load and write-back
        self.sram_stalls: dict[str, int] = {}
        patterns = self.patterns = [] if flat.patterns is not None else None
        self.write_patterns: list[tuple[AccessPattern | None, int, bool]] = []
        no_transfer = (0, 0, 0, 0, 0)
        none = (-1, 0, 0, 0, 1)  # a stage with no work on this step (the group's first op)
        stalls = self.sram_stalls
        write_tensor = g.ops[-1].outputs[0] if g.ops and g.ops[-1].outputs else ""
        n_load = n_work = n_rel = n_ep = 0

        def move(tensor: str, pattern: AccessPattern | None, nbytes: int, write: int,
                 row: int) -> None:
            assert moves is not None
            if pattern is None:
                moves.extend((-1, 0, nbytes, 0, 1, nbytes, write, row))
                return
            at = slot.get(tensor)
            if at is None:
                at = slot[tensor] = len(self.tensors)
                self.tensors.append(tensor)
            moves.extend((at, pattern.base_bytes, pattern.run_bytes, pattern.stride_bytes,
                          pattern.runs, nbytes, write, row))

        for index, step in enumerate(g.steps):
            if step.closes_out:
                closing.append(index)
            load0, w0, rel0, ep0 = n_load, n_work, n_rel, n_ep
            for ld in step.loads:
                o = op_code(ld.op)
                if ld.dram_bytes > 0:
                    load_dram.extend(cost_of(ld.pattern, ld.dram_bytes, False))
                    load_dram.append(o)
                    if moves is not None:
                        move(ld.tensor, ld.pattern, ld.dram_bytes, 0, n_load)
                else:
                    load_dram.extend(no_transfer)
                if patterns is not None:
                    patterns.append((ld.pattern, ld.dram_bytes, False))
                loads.extend((buf_id[ld.buffer], ld.dram_bytes, o, ld.bank, ld.produced,
                              ld.epilogue))
                n_load += 1
            for w in step.stages:
                if w is None:
                    works.extend(none)
                else:
                    works.extend((unit_id[w.unit], w.cycles, w.port_cycles, w.amount,
                                  op_code(w.op)))
                    if w.port_cycles:
                        stalls[w.port_buffer] = stalls.get(w.port_buffer, 0) + w.port_cycles
                n_work += 1
            for b, at in step.releases:
                rels.extend((buf_id[b], at))
                n_rel += 1
            for w in step.epilogue:
                ep_work.append(n_work)
                works.extend((unit_id[w.unit], w.cycles, w.port_cycles, w.amount,
                              op_code(w.op)))
                if w.port_cycles:
                    stalls[w.port_buffer] = stalls.get(w.port_buffer, 0) + w.port_cycles
                n_work += 1
                n_ep += 1
            if step.write_bytes > 0:
                o = op_code(step.write_op)
                write_dram.extend(cost_of(step.write_pattern, step.write_bytes, True))
                write_dram.append(o)
                if moves is not None:
                    move(write_tensor, step.write_pattern, step.write_bytes, 1, index)
            else:
                o = 0
                write_dram.extend(no_transfer)
            if patterns is not None:
                self.write_patterns.append((step.write_pattern, step.write_bytes, True))
            steps.extend((load0, n_load, w0, rel0, n_rel, ep0, n_ep, step.opens_out,
                          step.closes_out, step.write_bytes, o))
        self.steps = _rows(steps, 11)
        self.loads = _rows(loads, 6)
        self.works = _rows(works, 5)
        self.rels = _rows(rels, 2)
        self.ep_work = _rows(ep_work, 1)[:, 0]
        self.closing = _rows(closing, 1)[:, 0]
        self.load_dram = _rows(load_dram, 5)
        self.write_dram = _rows(write_dram, 5)
        self.moves = _rows(moves, 8) if moves is not None else None
        self.write_tensor = write_tensor

    def stamped(self, stamp: Stamp, dram: _DramTable) -> _Block:
        """This (template) block under a stamp's names; on banked DRAM each transfer priced
        at its own addresses unless every tensor moved by whole address-map periods (a shift
        that only renames rows: the same cost, cost.dram.pattern_shape)."""
        block = copy.copy(self)
        block.names = [stamp.op_names.get(name, name) for name in self.names]
        if self.moves is None or not len(self.moves):
            return block
        deltas = np.array([stamp.tensors[name][1] for name in self.tensors] + [0], np.int64)
        period = dram.geometry.period_bytes
        if period and not (deltas % period).any():
            return block
        m = self.moves
        bases = m[:, 1] + deltas[m[:, 0]]
        if period:
            bases %= period
        load_dram, write_dram = self.load_dram.copy(), self.write_dram.copy()
        cost = dram.cost_shape
        for base, run, stride, runs, nbytes, write, row in zip(
                bases.tolist(), *(m[:, i].tolist() for i in range(2, 8)), strict=True):
            (write_dram if write else load_dram)[row, :4] = cost(base, run, stride, runs,
                                                                 nbytes, write)
        block.load_dram, block.write_dram = load_dram, write_dram
        return block


def _rows(values: list[int], width: int) -> np.ndarray:
    """A flat list of ints as rows of ``width``."""
    return np.fromiter(values, np.int64, len(values)).reshape(-1, width)


class _Flat:
    """The plan as integer arrays (CSR ranges per group and per step)."""

    def __init__(self, arch: ArchSpec, groups: list[Group], requests: bool = False) -> None:
        self.dram = dram = _dram_table(arch)
        self.units = sorted({u for g in groups for u in g.stage_units} | {"vector"})
        self.unit_id = {u: i for i, u in enumerate(self.units)}
        #: op names in plan order, once each (an image-major plan repeats them)
        self.ops = list(dict.fromkeys(op.name for g in groups for op in g.ops))
        self.op_id = op_id = {name: i for i, name in enumerate(self.ops)}
        self.patterns: list[tuple[AccessPattern | None, int, bool]] | None = (
            [] if requests else None)
        position = {g.index: i for i, g in enumerate(groups)}
        blocks: dict[int, _Block] = {}  # id(steps list) or id(stamp) -> its block
        # nst, step0, step1, dep0, dep1, close0, close1, pid0
        group_rows: list[tuple[int, ...]] = []
        deps: list[int] = []
        parts: list[tuple[_Block, int, int, int, int, int]] = []
        #: per part, the plan-wide ids of its op codes (code 0: id 0)
        codes: list[int] = []
        code0: list[int] = []
        step_n = load_n = work_n = rel_n = ep_n = close_n = pid = 0
        self.sram_stalls: dict[str, int] = {}
        for g in groups:
            block = self._block(g, blocks)
            parts.append((block, step_n, load_n, work_n, rel_n, ep_n))
            code0.append(len(codes))
            codes.append(0)
            codes.extend(op_id[name] for name in block.names)
            for buffer, cycles in block.sram_stalls.items():
                self.sram_stalls[buffer] = self.sram_stalls.get(buffer, 0) + cycles
            n = len(g.stage_units)
            dep0 = len(deps)
            deps.extend(position[d] for d in sorted(g.deps))
            n_steps, n_close = len(block.steps), len(block.closing)
            group_rows.append((n, step_n, step_n + n_steps, dep0, len(deps), close_n,
                               close_n + n_close, pid))
            step_n += n_steps
            load_n += len(block.loads)
            work_n += len(block.works)
            rel_n += len(block.rels)
            ep_n += len(block.ep_work)
            close_n += n_close
            pid += n + 1
        assert arch.buffers is not None
        self.banks = [arch.buffers.role(b).banks for b in BUFFERS]
        self.steps = step_n
        self.groups = len(groups)
        self.n_proc = pid
        shift = np.array([[1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
                          [0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0]],
                         np.int64)
        if parts:  # each part's rows shifted by its offsets: one repeat, not one add a part
            def shifted(name: str, offsets: np.ndarray) -> np.ndarray:
                arrays = [getattr(b, name) for b, *_ in parts]
                return np.concatenate(arrays) + np.repeat(
                    offsets, [len(a) for a in arrays], axis=0)

            offsets = _rows([x for _, _, lo, wo, ro, eo in parts for x in (lo, wo, ro, eo)], 4)
            steps = shifted("steps", offsets @ shift)
            closing = shifted("closing", _i64([so for _, so, *_ in parts]))
            ep_work = shifted("ep_work", offsets[:, 1].copy())
        else:
            steps, closing, ep_work = _rows([], 11), _i64([]), _i64([])

        def stacked(name: str, width: int) -> np.ndarray:
            arrays = [getattr(b, name) for b, *_ in parts]
            return np.concatenate(arrays) if arrays else _rows([], width)

        loads, works, rels = stacked("loads", 6), stacked("works", 5), stacked("rels", 2)
        load_dram, write_dram = stacked("load_dram", 5), stacked("write_dram", 5)
        table, first = _i64(codes), _i64(code0)

        def plan_ids(array: np.ndarray, column: int, name: str) -> None:
            """Local op codes of ``column`` -> plan-wide op ids."""
            per_part = _i64([len(getattr(b, name)) for b, *_ in parts])
            array[:, column] = table[array[:, column] + np.repeat(first, per_part)]

        plan_ids(steps, 10, "steps")
        plan_ids(loads, 2, "loads")
        plan_ids(works, 4, "works")
        plan_ids(load_dram, 4, "load_dram")
        plan_ids(write_dram, 4, "write_dram")
        transfers = np.concatenate([load_dram, write_dram])
        t_same, t_turn, t_bursts, t_cid, t_op = _columns(transfers)
        #: each op's bursts, ACTs, hits, misses, conflicts, read and write bursts (banked),
        #: fixed by the access patterns (their busy cycles are the kernel's)
        self.dram_counts = _counts_by_op(len(self.ops), t_op, t_cid,
                                         np.asarray(dram.counts, np.int64).reshape(-1, 7))
        t_write = np.zeros(len(transfers), np.int64)
        t_write[len(load_dram):] = 1
        if self.patterns is not None:
            for b, *_ in parts:
                self.patterns.extend(b.patterns or ())
            for b, *_ in parts:
                self.patterns.extend(b.write_patterns)
        self.transfers = len(transfers)
        g_nst, g_step0, g_step1, g_dep0, g_dep1, g_close0, g_close1, g_pid = _columns(
            _rows([x for row in group_rows for x in row], 8))
        g_pid0 = np.append(g_pid, np.int64(pid))
        self.args = [g_nst, g_step0, g_step1, g_dep0, g_dep1, _i64(deps), g_close0, g_close1,
                     closing, g_pid0, *_columns(steps), *_columns(loads), *_columns(works),
                     *_columns(rels), ep_work, _i64(self.banks), t_same, t_turn, t_write,
                     t_bursts, t_op, dram.refresh_period, dram.refresh_cycles]

    def _block(self, g: Group, blocks: dict[int, _Block]) -> _Block:
        """``g``'s block: flattened once per steps list, a stamp from its template's block
        (the DRAM request log needs every step's own pattern: stamped steps are built)."""
        stamp = g.stamp
        if stamp is not None and self.patterns is None:
            block = blocks.get(id(stamp))
            if block is None:
                block = blocks[id(stamp)] = self._block(stamp.template, blocks).stamped(
                    stamp, self.dram)
            return block
        block = blocks.get(id(g.steps))
        if block is None:
            block = blocks[id(g.steps)] = _Block(self, g)
        return block


def _counts_by_op(n_ops: int, t_op: np.ndarray, t_cid: np.ndarray,
                  table: np.ndarray) -> np.ndarray:
    """Per op, the sum of ``table``'s rows its transfers name (``t_cid``): (how often each op
    moves each distinct transfer of the plan) @ (their rows), integer and exact, a few times
    quicker than np.add.at over the transfers; np.add.at when that matrix would be large."""
    ids, local = np.unique(t_cid, return_inverse=True)
    if n_ops * len(ids) > 4 * len(t_cid) + 65536:
        counts = np.zeros((n_ops, table.shape[1]), np.int64)
        np.add.at(counts, t_op, table[t_cid])
        return counts
    uses = np.bincount(t_op * len(ids) + local.reshape(-1), minlength=n_ops * len(ids))
    return uses.reshape(n_ops, len(ids)).astype(np.int64) @ table[ids]


def _columns(array: np.ndarray) -> list[np.ndarray]:
    return [np.ascontiguousarray(array[:, i]) for i in range(array.shape[1])]


class _DramTable:
    """Per transfer, what engine/dram.py decides without the clock: the channel cycles before
    refresh (the same direction as the last transfer, or turning around), whether it moves
    bursts, and its counts (bursts, ACTs, hits, misses, conflicts, read / write bursts) for the
    banked model; the occupancy alone for the bandwidth pipe. Memoised by pattern and by cost,
    and kept between runs on the same DRAM (``_dram_table``: a sweep worker, a benchmark)."""

    def __init__(self, geometry: dram_cost.DramGeometry | None, clock_hz: float,
                 bytes_per_cycle: float) -> None:
        self.banked = geometry is not None
        self.bytes_per_cycle = bytes_per_cycle
        self.refresh_period = self.refresh_cycles = 0
        self._memo: dict[tuple | int, tuple[int, int, int, int]] = {}
        self._by_cost: dict[tuple[dram_cost.DramCost, bool], tuple[int, int, int, int]] = {}
        #: counts of each distinct transfer (row 0: none)
        self.counts: list[tuple[int, ...]] = [(0,) * 7]
        if geometry is not None:
            self.geometry = g = geometry
            self.clock_hz = clock_hz
            self.refresh_period = dram_cost.tck_to_cycles(g.tREFI, g.tCK_ns, clock_hz)
            self.refresh_cycles = dram_cost.tck_to_cycles(g.tRFC, g.tCK_ns, clock_hz)

    def cost_shape(self, base: int, run: int, stride: int, runs: int, nbytes: int,
                   write: int) -> tuple[int, int, int, int]:
        """``cost`` of the pattern (base, run, stride, runs) on banked DRAM, the base already
        reduced modulo the geometry's period (pattern_shape reduces it the same way); ``cost``
        memoises it."""
        return self.cost(AccessPattern(base, run, stride, runs), nbytes, bool(write))

    def cost(self, pattern: AccessPattern | None, nbytes: int, write: bool
             ) -> tuple[int, int, int, int]:
        """(cycles same way, cycles turning around, moves bursts, row of its counts)."""
        key = (pattern, nbytes, write) if self.banked else nbytes
        known = self._memo.get(key)
        if known is not None:
            return known
        if not self.banked:  # engine/dram.py's occupancy, the same float test
            cycles = math.ceil(nbytes / self.bytes_per_cycle - 1e-9)
            known = (cycles, cycles, 1, 0)
        else:
            if pattern is None:
                pattern = AccessPattern(0, nbytes, 0, 1)
            c = dram_cost.transfer_cost(self.geometry, pattern, write)
            known = self._by_cost.get((c, write))
            if known is None:
                g, hz = self.geometry, self.clock_hz
                self.counts.append((c.bursts, c.activates, c.row_hits, c.row_misses,
                                    c.row_conflicts, 0 if write else c.bursts,
                                    c.bursts if write else 0))
                known = self._by_cost[(c, write)] = (
                    banked_work_cycles(g, hz, c, write, write),
                    banked_work_cycles(g, hz, c, not write, write), 1 if c.bursts else 0,
                    len(self.counts) - 1)
        self._memo[key] = known
        return known


@lru_cache(maxsize=16)
def _table(geometry: dram_cost.DramGeometry | None, clock_hz: float,
           bytes_per_cycle: float) -> _DramTable:
    return _DramTable(geometry, clock_hz, bytes_per_cycle)


def _dram_table(arch: ArchSpec) -> _DramTable:
    """The transfer table of ``arch``'s DRAM, shared by runs on the same DRAM and clock."""
    banked = arch.dram.model == "banked"
    return _table(dram_cost.dram_geometry(arch.dram) if banked else None,
                  arch.clock_hz if banked else 0.0, arch.dram_bytes_per_cycle)


def play(arch: ArchSpec, flat: _Flat) -> tuple[np.ndarray, ...]:
    """Run the kernel on a flattened plan; its output arrays (fast_kernel.play's order)."""
    n_ops = len(flat.ops)
    op_i = np.zeros((n_ops, 8), np.int64)
    op_i[:, 0] = -1
    op_i[:, 2] = -1
    outputs = (op_i, np.zeros(n_ops, np.int64), np.zeros(flat.transfers, np.int64),
               np.zeros((n_ops, 3), np.int64), np.zeros((n_ops, len(STALL_CAUSES)), np.int64),
               np.zeros(len(flat.units), np.int64), np.zeros(7, np.int64),
               np.zeros(3, np.int64), np.zeros(flat.groups, np.int64),
               np.zeros(flat.n_proc + 1, np.int64), np.zeros(flat.n_proc + 1, np.int64))
    jit.kernel(flat.steps)(len(flat.units), arch.dram_latency_cycles, *flat.args, *outputs)
    return outputs


Played = tuple[_Flat, tuple[np.ndarray, ...]]


def run_plan(arch: ArchSpec, groups: list[Group], dram_requests: bool = False) -> Played:
    """``groups`` flattened and played: what ``simulate_fast`` (``played``) and
    ``plan_totals`` read."""
    flat = _Flat(arch, groups, dram_requests)
    return flat, play(arch, flat)


def plan_totals(played: Played) -> tuple[int, int]:
    """(total cycles, DRAM bytes) of a played plan, as the SimResult totals them: the last
    op's end (an op's end is at least its start) and every op's reads and writes."""
    op_i = played[1][0]
    if not len(op_i):
        return 0, 0
    ends = np.maximum(op_i[:, 1], np.maximum(op_i[:, 0], 0))
    return int(ends.max()), int(op_i[:, 5].sum() + op_i[:, 6].sum())


def simulate_fast(arch: ArchSpec, trace: Trace, scheduler: Scheduler, groups: list[Group],
                  fidelity: str = "model", check: bool = False, dram_requests: bool = False,
                  wall0: float | None = None, played: Played | None = None) -> SimResult:
    """simulate(..., engine="fast", record=False) on the scheduler's plan ``groups``: the
    same result without simpy (``played``: ``run_plan``'s run of ``groups``, not replayed)."""
    wall0 = time.perf_counter() if wall0 is None else wall0
    flat, outputs = played if played is not None else run_plan(arch, groups, dram_requests)
    (op_i, op_dram_busy, request_log, op_fill, op_stall, unit_busy, counters, bank_peak, done,
     pcs, got) = outputs
    if (pcs == -2).any():
        raise SimulationError("fast engine: a process reached an unknown state (a bug)")
    if not done.all():
        _deadlock(groups, flat, done, pcs, counters)
    stats = {}
    fills = op_fill.tolist()
    stalls = op_stall.tolist()
    counts = flat.dram_counts.tolist()
    dram_busy = op_dram_busy.tolist()
    for name, (start, end, first, busy, amount, read, write, drains), fill, stall, count, \
            busy_cycles in zip(flat.ops, op_i.tolist(), fills, stalls, counts, dram_busy,
                               strict=True):
        # positional: _OpStats's field order (start, end, first_compute, busy, amount,
        # dram_read, dram_write, fills, drains, stalls, dram)
        stats[name] = _OpStats(
            None if start < 0 else start, end, None if first < 0 else first, busy, amount,
            read, write, {b: n for b, n in zip(BUFFERS, fill, strict=True) if n}, drains,
            dict(zip(STALL_CAUSES, stall, strict=True)), DramCounts(busy_cycles, *count))
    extra: dict = {"sram_stall_cycles_by_buffer": dict(sorted(flat.sram_stalls.items()))}
    if flat.patterns is not None:
        extra["dram_requests"] = [_request(*flat.patterns[t])
                                  for t in request_log[:counters[6]].tolist()]
    result = assemble_result(
        arch, trace, fidelity, scheduler, groups, stats,
        dict(zip(flat.units, unit_busy.tolist(), strict=True)), int(counters[0]),
        dict(zip(BUFFERS, bank_peak.tolist(), strict=True)), int(counters[1]), wall0, extra)
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


def _request(pattern: AccessPattern | None, nbytes: int,
             write: bool) -> tuple[int, int, int, int, bool]:
    """A DRAM request log row as engine/dram.py writes it (no pattern: one run)."""
    p = pattern if pattern is not None else AccessPattern(0, nbytes, 0, 1)
    return (p.base_bytes, p.run_bytes, p.stride_bytes, p.runs, write)


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
