"""simulate(arch, trace) -> SimResult: wires DRAM, DMA, ping-pong buffers and units, runs simpy.

Time unit: one accelerator clock cycle (integers throughout). Processes, talking only through
stores and resources handed to them:
  * the DMA loader walks every group's steps in program order, takes a free bank for each tile,
    moves it over the shared DRAM channel, then hands the step to the group's first stage;
    activation loads wait until the producing group has finished (dependencies);
  * one process per stage of a group takes steps in order, waits for its data, a free bank
    downstream and its unit, computes for the cycle model's duration, frees banks;
  * one writer per group runs the output-path epilogue (once any operand it streams in, e.g.
    a fused residual, has arrived) and writes finished tiles to DRAM, then frees the output
    bank.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass, field

import simpy

from accelsim.analysis.records import LayerResult, SimResult
from accelsim.arch.spec import ArchSpec
from accelsim.engine import budget, invariants, replay
from accelsim.engine.buffer import PingPongBuffer
from accelsim.engine.dram import DramCounts, make_dram
from accelsim.engine.plan import Group, Load, Step, Work
from accelsim.engine.queues import Channel, Fifo
from accelsim.engine.recorder import Recorder
from accelsim.engine.scheduler import Scheduler
from accelsim.engine.tile_costs import op_precision
from accelsim.engine.warnings import run_warnings
from accelsim.errors import SimulationError
from accelsim.mapping.batch import BATCH_ORDERS
from accelsim.mapping.search import OBJECTIVES
from accelsim.workload.trace import Trace

#: event cores: auto (fast unless the event log is kept), simpy (the reference), fast
ENGINES = ("auto", "simpy", "fast")
STALL_CAUSES = ("dram", "bank", "dependency", "unit", "sram", "writeback")


@dataclass
class _OpStats:
    start: int | None = None
    end: int = 0
    first_compute: int | None = None
    busy: int = 0
    amount: int = 0
    dram_read: int = 0
    dram_write: int = 0
    #: DMA traffic through the buffers: fills are SRAM writes, write-backs SRAM reads
    fills: dict[str, int] = field(default_factory=dict)
    drains: int = 0
    stalls: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STALL_CAUSES, 0))
    dram: DramCounts = field(default_factory=DramCounts)

    def touch(self, begin: int, end: int) -> None:
        self.start = begin if self.start is None else min(self.start, begin)
        self.end = max(self.end, end)


class _Engine:
    def __init__(self, arch: ArchSpec, groups: list[Group], record: bool) -> None:
        assert arch.buffers is not None
        self.env = simpy.Environment()
        self.arch = arch
        self.groups = groups
        self.rec = Recorder(record)
        self.dram = make_dram(self.env, arch)
        self.buffers = {role: PingPongBuffer(self.env, role, arch.buffers.role(role).banks,
                                             self.rec)
                        for role in ("input", "weight", "output")}
        unit_names = sorted({u for g in groups for u in g.stage_units} | {"vector"})
        self.units = {u: Channel(self.env) for u in unit_names}
        self.unit_busy = dict.fromkeys(unit_names, 0)
        self.sram_stalls: dict[str, int] = {}  # buffer -> cycles its port held a unit
        self.done = {g.index: self.env.event() for g in groups}
        self.stats: dict[str, _OpStats] = {op.name: _OpStats() for g in groups for op in g.ops}
        self.finished_stages: list[str] = []
        self.consumed: dict[tuple[int, int], int] = {}  # (group, stage) -> steps taken
        self.misordered = 0

    # ------------------------------------------------------------------ helpers
    def _deps(self, group: Group) -> simpy.events.Event | None:
        pending = [self.done[d] for d in sorted(group.deps) if not self.done[d].triggered]
        return self.env.all_of(pending) if pending else None

    def _compute(self, work: Work, component: str) -> Generator[simpy.Event, None, None]:
        """Run ``work`` on its unit, counting the wait for the unit as a ``unit`` stall."""
        env = self.env
        t0 = int(env.now)
        with self.units[work.unit].request() as req:
            yield req
            t1 = int(env.now)
            self.rec(t1, component, "start", work.op)
            # held for the compute and for any extra cycles an SRAM port needs to feed it
            yield env.timeout(work.cycles + work.port_cycles)
        t2 = int(env.now)
        self.rec(t2, component, "end", work.op)
        if self.rec.enabled:
            self.rec.span(f"{work.unit} stalls", "unit", t0, t1, work.op)
            self.rec.span(f"{work.unit} stalls", "sram", t2 - work.port_cycles, t2, work.op)
        self.unit_busy[work.unit] += work.cycles
        st = self.stats[work.op]
        st.touch(t1, t2)
        st.first_compute = t1 if st.first_compute is None else st.first_compute
        st.busy += work.cycles
        st.amount += work.amount
        st.stalls["unit"] += t1 - t0
        st.stalls["sram"] += work.port_cycles
        if work.port_cycles:
            self.sram_stalls[work.port_buffer] = (self.sram_stalls.get(work.port_buffer, 0)
                                                  + work.port_cycles)

    # ------------------------------------------------------------------ processes
    def loader(self, ready: dict[int, Fifo]) -> Generator[simpy.Event, None, None]:
        env = self.env
        for group in self.groups:
            deps_waited = False
            operands: simpy.Event | None = None  # the open output tile's epilogue operands
            for step in group.steps:
                arrival = int(env.now)
                streamed: list[Load] = []
                for load in step.loads:
                    if load.produced and not deps_waited:
                        deps_waited = True
                        event = self._deps(group)
                        if event is not None:
                            yield event
                    if load.epilogue:
                        streamed.append(load)
                        continue
                    if load.bank:
                        yield self.buffers[load.buffer].acquire()
                        self.buffers[load.buffer].taken(load.op)
                    arrival = max(arrival, (yield from self._read(load)))
                if streamed:
                    operands = env.event()
                handed = operands if step.closes_out else None
                yield ready[group.index].put((step, arrival, handed))
                # an operand only the output path needs follows the step: the array need not
                # wait for it, the write-back of the tile does (writer)
                if streamed:
                    assert operands is not None
                    landed = 0
                    for load in streamed:
                        landed = max(landed, (yield from self._read(load)))
                    operands.succeed((landed, streamed[0].op))
                if step.closes_out:
                    operands = None

    def _read(self, load: Load) -> Generator[simpy.Event, None, int]:
        """One DRAM -> buffer transfer; returns the cycle its data has arrived."""
        arrival = int(self.env.now)
        if load.dram_bytes:
            st = self.stats[load.op]
            t1 = int(self.env.now)
            self.rec(t1, "dma", "read", load.op)
            arrival = yield from self.dram.transfer(load.dram_bytes, load.pattern, False,
                                                    st.dram)
            if self.rec.enabled:
                self.rec.span("DRAM channel", "read", *self.dram.last_span, load.op)
            st.dram_read += load.dram_bytes
            st.fills[load.buffer] = st.fills.get(load.buffer, 0) + load.dram_bytes
            st.touch(t1, int(self.env.now))
        return arrival

    def stage(self, group: Group, j: int, inbox: Fifo, outbox: Fifo | None,
              tokens_in: Fifo | None, tokens_out: Fifo | None,
              writer: Fifo) -> Generator[simpy.Event, None, None]:
        env = self.env
        last = j == len(group.stage_units) - 1
        component = f"{group.stage_units[j]}"
        out_buf = self.buffers["output"]
        for index, _ in enumerate(group.steps):
            t_wait = int(env.now)
            step, ready_at, operands = yield inbox.get()
            self.consumed[(group.index, j)] = self.consumed.get((group.index, j), 0) + 1
            self.misordered += step is not group.steps[index]
            t0 = int(env.now)
            if j == 0 and index == 0:
                event = self._deps(group)
                if event is not None:
                    yield event
            t_dep = int(env.now) - t0
            if ready_at > env.now:
                yield env.timeout(ready_at - int(env.now))
            work = step.stages[j]
            op = work.op if work is not None else group.ops[0].name
            st = self.stats[op]
            # waiting for the step to arrive is a stall once the op has started
            queued = t0 - t_wait if index > 0 else 0
            st.stalls["dram" if j == 0 else "dependency"] += queued + int(env.now) - t0 - t_dep
            st.stalls["dependency"] += t_dep
            t1 = int(env.now)
            if self.rec.enabled:
                track = f"{group.stage_units[j]} stalls"
                waited = "dram" if j == 0 else "dependency"
                if index > 0:
                    self.rec.span(track, waited, t_wait, t0, op)
                self.rec.span(track, "dependency", t0, t0 + t_dep, op)
                self.rec.span(track, waited, t0 + t_dep, t1, op)
            if not last:
                assert tokens_out is not None
                yield tokens_out.get()
            elif step.opens_out:
                yield out_buf.acquire()
                out_buf.taken(step.write_op or op)
            st.stalls["bank"] += int(env.now) - t1
            if self.rec.enabled:
                self.rec.span(f"{group.stage_units[j]} stalls", "bank", t1, int(env.now), op)
            if work is not None and work.cycles + work.port_cycles > 0:
                yield from self._compute(work, component)
            for buffer, at in step.releases:
                if at == j:
                    self.buffers[buffer].release()
            if tokens_in is not None:
                tokens_in.put(0)
            if not last:
                assert outbox is not None
                yield outbox.put((step, int(env.now), operands))
            elif step.closes_out:
                yield writer.put((step, operands))
        self.finished_stages.append(f"{group.name}[{j}]")

    def writer(self, group: Group, inbox: Fifo) -> Generator[simpy.Event, None, None]:
        env = self.env
        closing = sum(1 for s in group.steps if s.closes_out)
        landed = 0
        for _ in range(closing):
            step: Step
            step, operands = yield inbox.get()
            if operands is not None:  # a streamed epilogue operand may still be on its way
                t0 = int(env.now)
                operands_landed, op = yield operands
                if operands_landed > env.now:
                    yield env.timeout(operands_landed - int(env.now))
                self.stats[op].stalls["dram"] += int(env.now) - t0
                self.rec.span("epilogue stalls", "dram", t0, int(env.now), op)
            for work in step.epilogue:
                if work.cycles + work.port_cycles > 0:
                    yield from self._compute(work, "epilogue")
            if step.write_bytes:
                t0 = int(env.now)
                self.rec(t0, "dma", "write", step.write_op)
                # the bank is drained once the channel has taken the data; the latency is
                # pipelined (dram.py), so the next write need not wait for this one to land
                st = self.stats[step.write_op]
                t1 = yield from self.dram.transfer(step.write_bytes, step.write_pattern, True,
                                                   st.dram)
                if self.rec.enabled:
                    self.rec.span("DRAM channel", "write", *self.dram.last_span, step.write_op)
                landed = max(landed, t1)
                st.dram_write += step.write_bytes
                st.drains += step.write_bytes
                st.touch(t0, t1)
            self.buffers["output"].release()
        if landed > env.now:  # consumers may read the group's output once it has all landed
            yield env.timeout(landed - int(env.now))
        self.done[group.index].succeed()

    # ------------------------------------------------------------------ run
    def run(self) -> None:
        env = self.env
        ready: dict[int, Fifo] = {}
        for group in self.groups:
            n = len(group.stage_units)
            inboxes = [Fifo(env) for _ in range(n)]
            ready[group.index] = inboxes[0]
            tokens = []
            for _ in range(n - 1):
                store = Fifo(env, capacity=2)
                store.items.extend([0, 0])  # ping-pong between consecutive stages
                tokens.append(store)
            writer = Fifo(env)
            for j in range(n):
                env.process(self.stage(
                    group, j, inboxes[j], inboxes[j + 1] if j + 1 < n else None,
                    tokens[j - 1] if j > 0 else None, tokens[j] if j + 1 < n else None, writer))
            env.process(self.writer(group, writer))
        env.process(self.loader(ready))
        env.run()
        stuck = [g.name for g in self.groups if not self.done[g.index].triggered]
        if stuck:
            finished = set(self.finished_stages)
            blocked = [f"{g.name}[{j}]" for g in self.groups if g.name in stuck
                       for j in range(len(g.stage_units)) if f"{g.name}[{j}]" not in finished]
            raise SimulationError(
                f"deadlock: {len(stuck)} group(s) never finished: {', '.join(stuck[:5])}"
                f"{' ...' if len(stuck) > 5 else ''}; blocked stage processes "
                f"{', '.join(blocked[:5]) or 'none (writer)'}; banks in use "
                f"{[(b.name, b.in_use) for b in self.buffers.values()]}")


replay.ENGINE = _Engine  # the planning replays play lone groups with it (engine.replay)

def simulate(arch: ArchSpec, trace: Trace, fidelity: str = "model",
             record: bool | None = None, check: bool = False,
             max_events: int | None = None, dram_requests: bool = False,
             objective: str = "latency", batch_order: str = "auto",
             mapping: dict[str, tuple[int, int, int, str]] | None = None,
             planned: list | None = None, engine: str = "auto",
             plan: tuple[Scheduler, list[Group]] | None = None) -> SimResult:
    """Simulate ``trace`` on ``arch``; deterministic (same inputs, same result).

    ``fidelity="pe"`` times every GEMM tile with the cycle-by-cycle PE-grid model instead of
    the closed form (slow; for small GEMMs). ``record`` keeps the event log, rows of (cycle,
    component, event, op), in ``result.extra["event_log"]``. ``dram_requests`` keeps every
    DRAM transfer in issue order as ``result.extra["dram_requests"]``: rows of (base_bytes,
    run_bytes, stride_bytes, runs, is_write) (analysis.dram_trace writes them for Ramulator).
    ``check`` verifies the engine invariants after the run (accelsim.engine.invariants;
    SimulationError). ``max_events`` caps the up-front work estimate (accelsim.engine.budget;
    default ``ACCELSIM_MAX_EVENTS`` or 2 M events): a bigger run is refused before it is
    planned. ``objective``: what the mapping search
    minimises per GEMM (``latency``, ``energy``, ``edp``; mapping.search). ``batch_order``:
    ``auto`` (per unit by the objective, then held to b batch-1 runs by simulation:
    engine.batch_check; the result's ``model.batch_check`` says which plan ran and why),
    ``layer-major`` or ``image-major`` (mapping.batch); the result's model says which ran.
    ``mapping``: op name -> (Mt, Nt, Kt, order) to replay instead of searching (a mapping
    file, mapping.io); ``planned``: a list that receives the Scheduler (``accelsim map``).
    ``plan``: (scheduler, groups) already planned with these options for an arch that plans
    identically (a sweep's memo, accelsim.dse.plan_memo; never a batch plan, which
    batch_check adopts); played as is, not planned again.
    ``engine="fast"`` plays the same plan without simpy (engine/fast.py: the same result, both
    DRAM models, every mapping option, the DRAM request log) but keeps no event log, so
    ``record=True`` runs simpy. ``engine="simpy"``: the reference event core (the log unless
    ``record=False``). ``engine="auto"`` (default): fast unless the log is kept, i.e. fast with
    ``record=False``, simpy with ``record=True`` or ``None`` (a plain ``simulate(arch,
    trace)`` keeps its event log, as before the fast engine existed).
    """
    wall0 = time.perf_counter()
    if fidelity not in ("model", "pe"):
        raise SimulationError("unknown fidelity", key="--fidelity", value=fidelity,
                              expected="model | pe")
    if objective not in OBJECTIVES:
        raise SimulationError("unknown objective", key="--objective", value=objective,
                              expected=" | ".join(OBJECTIVES))
    if batch_order not in BATCH_ORDERS:
        raise SimulationError("unknown batch order", key="--batch-order", value=batch_order,
                              expected=" | ".join(BATCH_ORDERS))
    if engine not in ENGINES:
        raise SimulationError("unknown engine", key="--engine", value=engine,
                              expected=" | ".join(ENGINES))
    budget.check_work(arch, trace, max_events)
    if plan is not None:
        scheduler, groups = plan
    else:
        scheduler = Scheduler(arch, trace, fidelity, objective, batch_order, mapping)
        groups = scheduler.plan()
    played = None
    if scheduler.batch_candidates:  # a batch: held to b batch-1 runs by simulation
        from accelsim.engine.batch_check import checked_plan

        groups, played = checked_plan(arch, scheduler, groups)
    if planned is not None:
        planned.append(scheduler)
    if not record and engine != "simpy":
        from accelsim.engine import jit

        # auto: the compiled kernel when it pays (engine/jit.py), else simpy (faster than the
        # kernel's Python path); record=None keeps the log
        if engine == "fast" or (record is not None
                                and jit.compiled(sum(g.n_steps for g in groups))):
            from accelsim.engine.fast import simulate_fast

            return simulate_fast(arch, trace, scheduler, groups, fidelity, check, dram_requests,
                                 wall0, None if dram_requests else played)
    # record=None: the log with simpy
    record = True if record is None else record
    engine = _Engine(arch, groups, record)
    if dram_requests:
        engine.dram.requests = []
    engine.run()
    extra: dict = {"sram_stall_cycles_by_buffer": dict(sorted(engine.sram_stalls.items()))}
    if record:
        extra.update(event_log=engine.rec.rows, spans=engine.rec.spans)
    if engine.dram.requests is not None:
        extra["dram_requests"] = [(p.base_bytes, p.run_bytes, p.stride_bytes, p.runs, w)
                                  for p, w in engine.dram.requests]
    result = assemble_result(
        arch, trace, fidelity, scheduler, groups, engine.stats, dict(sorted(
            engine.unit_busy.items())), engine.dram.busy_cycles,
        {b.name: b.max_in_use for b in engine.buffers.values()}, engine.rec.count, wall0, extra)
    if check:
        observed = invariants.Observed(
            amount_by_op={name: st.amount for name, st in engine.stats.items()},
            steps_by_stage=engine.consumed, misordered=engine.misordered,
            banks={name: b.banks for name, b in engine.buffers.items()})
        invariants.check_all(trace, groups, result, observed, arch.dram_bytes_per_cycle)
    return result


def assemble_result(arch: ArchSpec, trace: Trace, fidelity: str, scheduler: Scheduler,
                    groups: list[Group], stats: dict[str, _OpStats],
                    unit_busy_cycles: dict[str, int], dram_busy_cycles: int,
                    peak_bank_use: dict[str, int], events: int, wall0: float,
                    extra: dict) -> SimResult:
    """The SimResult of a played plan, from what either engine measured (per-op stats and
    the run's totals): the one place both engines build it, so their JSON is the same."""
    layers = _layers(arch, trace, groups, stats)
    total = max((layer.end_cycle for layer in layers), default=0)
    wall = time.perf_counter() - wall0
    return SimResult(
        arch_name=arch.name,
        arch=arch.model_dump(mode="json", exclude={"name"}),
        model=run_model(trace, groups, scheduler),
        clock_hz=arch.clock_hz,
        total_cycles=total,
        unit_busy_cycles=unit_busy_cycles,
        dram_busy_cycles=dram_busy_cycles,
        dram_refreshes=_refreshes(arch, total),
        peak_bank_use=peak_bank_use,
        events=events,
        wall_time_s=wall,
        layers=tuple(layers),
        fidelity=fidelity,
        extra=extra,
        warnings=run_warnings(arch, trace),
    )


def run_model(trace: Trace, groups: list[Group], scheduler: Scheduler) -> dict:
    """The result's model identity, shared by both engines (their JSON must be the same)."""
    return {"name": trace.name, "model": trace.model, "image_size": trace.image_size,
            "batch": trace.batch, "quant": trace.quant, "source": trace.source,
            "ops": len(trace.ops), "groups": len(groups), "batch_order": scheduler.batch_order,
            **({"batch_check": scheduler.batch_check} if scheduler.batch_check else {}),
            **({"seq_len": trace.seq_len} if trace.seq_len else {})}


def _layers(arch: ArchSpec, trace: Trace, groups: list[Group],
            stats: dict[str, _OpStats]) -> list[LayerResult]:
    assert arch.array is not None
    array = arch.array
    out: list[LayerResult] = []
    ops = {op.name: op for op in trace.ops}
    # an image-major plan plays each op once per image: one layer row, its SRAM bytes summed
    copies: dict[str, int] = {}
    for group in groups:
        for op in group.ops:
            copies[op.name] = copies.get(op.name, 0) + 1
    seen: set[str] = set()
    template_hosts: dict[int, dict[str, str]] = {}
    lanes_of: dict[str, int] = {}
    for group in groups:
        hosts = group.hosts(template_hosts)
        group_name = group.name  # a property joining the op names: once per group
        for op in group.ops:
            if op.name in seen:
                continue
            seen.add(op.name)
            times = copies[op.name]
            op = ops.get(op.name, op)
            st = stats[op.name]
            unit = group.units.get(op.name, group.stage_units[0])
            start = st.start if st.start is not None else 0
            end = max(st.end, start)
            cycles = end - start
            macs, elements = op.macs, op.elements  # properties: computed once
            # op_precision reads the operands' records (mac_rate too): once per op
            precision = op_precision(trace, op)
            rate = array.mac_rate(precision) if unit == "array" else 0
            if unit == "array":
                capacity = array.rows * array.cols * rate * cycles
                util = macs / capacity if capacity else 0.0
            else:
                lanes = lanes_of.get(unit)
                if lanes is None:
                    lanes = lanes_of[unit] = _lanes(arch, unit)
                util = elements / (lanes * cycles) if cycles else 0.0
            stalls = dict(st.stalls)
            stall = max(cycles - st.busy, 0)
            first = st.first_compute if st.first_compute is not None else end
            # before its first compute an op waits in the DMA queue behind other groups
            counted = sum(stalls.values())
            waited = max(first - start - counted, 0)
            stalls["dependency"] += waited
            rest = max(stall - counted - waited, 0)
            # an output-path op (fused epilogue) idles while its producer computes the next tile
            stalls["dependency" if op is not group.ops[0] and unit == "vector" and
                   group.stage_units[0] == "array" else "writeback"] += rest
            dram = st.dram_read + st.dram_write
            need = dram / st.busy * arch.clock_hz / 1e9 if st.busy else 0.0
            out.append(LayerResult.of(
                name=op.name, kind=op.kind, block=op.block, unit=unit, group=group_name,
                precision=precision,
                macs_per_pe_per_cycle=rate,
                macs=macs, ops=op.ops, elements=elements,
                dram_read_bytes=st.dram_read, dram_write_bytes=st.dram_write,
                onchip_bytes=group.onchip_bytes.get(op.name, 0),
                sram_read_bytes=_merge(_times(group.sram_read_bytes.get(op.name, {}), times),
                                       {"output": st.drains} if st.drains else _NONE),
                sram_write_bytes=_merge(_times(group.sram_write_bytes.get(op.name, {}), times),
                                        st.fills),
                start_cycle=start, end_cycle=end, cycles=cycles, compute_cycles=st.busy,
                utilization=min(util, 1.0) if util <= 1.0 + 1e-9 else util,
                stall_cycles=stall, stalls=stalls, required_bandwidth_gbps=need,
                tiling=group.tiling.get(op.name, ""), fused_into=hosts.get(op.name, ""),
                **_dram_fields(st.dram, dram, arch.clock_hz)))  # type: ignore[arg-type]
    return out


def _refreshes(arch: ArchSpec, total_cycles: int) -> int:
    """All-bank refreshes one channel performs during the run (banked model; every tREFI)."""
    t = arch.dram.timing
    if arch.dram.model != "banked" or t is None:
        return 0
    return int(total_cycles / arch.clock_hz * 1e9 // (t.tREFI * t.tCK_ns))


def _dram_fields(c: DramCounts, nbytes: int, clock_hz: float) -> dict[str, float | int]:
    """Per-layer DRAM figures: busy cycles of its transfers, the bandwidth they achieved
    (bytes / busy time), and for the banked model the row-buffer hit rate (bursts served from
    an open row / bursts) and the action counts the energy model prices."""
    return {
        "dram_busy_cycles": c.busy_cycles,
        "dram_achieved_gbps": nbytes / c.busy_cycles * clock_hz / 1e9 if c.busy_cycles else 0.0,
        "dram_row_hit_rate": c.row_hits / c.bursts if c.bursts else 0.0,
        "dram_activates": c.activates,
        "dram_read_bursts": c.read_bursts,
        "dram_write_bursts": c.write_bursts,
    }


_NONE: dict[str, int] = {}  # read only


def _times(counts: dict[str, int], times: int) -> dict[str, int]:
    """``counts`` times ``times`` (read only: the plan's own dict when ``times`` is 1)."""
    return counts if times == 1 else {k: v * times for k, v in counts.items()}


def _merge(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    """Per-buffer byte counts of the compute side plus the DMA side, sorted by buffer (a new
    dict; ``a`` and ``b`` are only read)."""
    if not b:
        return {k: a[k] for k in sorted(a)}
    return {k: a.get(k, 0) + b.get(k, 0) for k in sorted(set(a) | set(b))}


def _lanes(arch: ArchSpec, unit: str) -> int:
    spec = getattr(arch.sfu, unit, None)
    return spec.lanes if spec is not None else 1
