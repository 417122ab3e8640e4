"""Plain data the scheduler hands to the engine: groups of fused ops cut into steps (tiles).

A *step* is one tile moving through a group's pipeline: the loads the DMA performs for it, the
work of each stage (one unit each), the banks it frees, and the write-back of a finished output
tile (with the epilogue the output path applies on the way, e.g. fused requant/GELU).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from accelsim.cost.dram import AccessPattern
from accelsim.workload.ops import Op


@dataclass(frozen=True, slots=True)
class Load:
    """One DRAM -> buffer transfer. ``bank``: needs a free bank of ``buffer`` (released later by
    the step that last uses the tile); parameters stream through without a bank. ``produced``:
    the tensor is written by an earlier group, so the transfer waits until that group is done
    (weights and parameters need not wait and prefetch). ``epilogue``: only the output path
    needs it (a fused residual operand): the array need not wait for it, the write-back of the
    output tile does."""

    buffer: str
    dram_bytes: int
    op: str
    tensor: str
    bank: bool = True
    produced: bool = False
    epilogue: bool = False
    pattern: AccessPattern | None = None  # where the bytes sit in DRAM (mapping.placement)


@dataclass(frozen=True, slots=True)
class Work:
    """``cycles`` of one unit spent on ``op`` for a step; ``amount``: MACs or elements.
    ``port_cycles``: extra cycles the unit is held because an SRAM port cannot feed it that
    fast (reported as an ``sram`` stall, not as compute)."""

    unit: str
    cycles: int
    op: str
    amount: int = 0
    port_cycles: int = 0
    port_buffer: str = ""  # the buffer whose port set port_cycles (sram stalls by buffer)


@dataclass(frozen=True, slots=True)
class Step:
    loads: tuple[Load, ...]
    stages: tuple[Work | None, ...]
    releases: tuple[tuple[str, int], ...] = ()  # (buffer, stage index that frees the bank)
    opens_out: bool = True
    closes_out: bool = True
    epilogue: tuple[Work, ...] = ()
    write_bytes: int = 0
    write_op: str = ""
    write_pattern: AccessPattern | None = None


@dataclass(frozen=True)
class Stamp:
    """A group planned as a copy of an earlier one of the same shape (Scheduler._templated):
    the same steps with its own op and tensor names and each tensor's tiles shifted by the
    distance between the two tensors' DRAM bases (every access pattern of a tile is the
    tensor's base plus an offset fixed by the shape: mapping.placement). The fast engine plays
    the template's integer rows with these names and addresses; ``Group.steps`` builds the
    steps themselves only when something reads them (the simpy engine, the invariants)."""

    template: Group
    op_names: dict[str, str]  # template op -> this group's op
    tensors: dict[str, tuple[str, int]]  # template tensor -> (this tensor, base delta in bytes)
    write_tensor: str  # the template's tensor its closing steps write back

    def steps(self) -> list[Step]:
        """The template's steps renamed and shifted (equal to planning this group afresh)."""
        op_names, tensors = self.op_names, self.tensors
        works: dict[int, Work] = {}
        stages: dict[int, tuple] = {}
        loads: dict[int, Load] = {}

        def work(w: Work | None) -> Work | None:
            if w is None:
                return None
            new = works.get(id(w))
            if new is None:
                new = works[id(w)] = replace(w, op=op_names[w.op])
            return new

        def renamed(ws: tuple) -> tuple:
            new = stages.get(id(ws))
            if new is None:
                new = stages[id(ws)] = tuple(work(w) for w in ws)
            return new

        def load(ld: Load) -> Load:
            new = loads.get(id(ld))
            if new is None:
                name, delta = tensors[ld.tensor]
                new = loads[id(ld)] = Load(ld.buffer, ld.dram_bytes, op_names[ld.op], name,
                                           ld.bank, ld.produced, ld.epilogue,
                                           _shifted(ld.pattern, delta))
            return new

        delta = self.tensors[self.write_tensor][1]
        return [Step(tuple(load(ld) for ld in s.loads), renamed(s.stages), s.releases,
                     s.opens_out, s.closes_out, renamed(s.epilogue), s.write_bytes,
                     op_names.get(s.write_op, s.write_op), _shifted(s.write_pattern, delta))
                for s in self.template.steps]


def _shifted(pattern: AccessPattern | None, delta: int) -> AccessPattern | None:
    if pattern is None or delta == 0:
        return pattern
    return AccessPattern(pattern.base_bytes + delta, pattern.run_bytes, pattern.stride_bytes,
                         pattern.runs)


@dataclass
class Group:
    """Ops executed as one pipeline (a fused chain, or a single op) and their steps
    (``steps`` is built on first use when the group is a ``stamp`` of an earlier one)."""

    index: int
    ops: tuple[Op, ...]
    stage_units: tuple[str, ...]
    steps: list[Step]
    deps: frozenset[int] = frozenset()
    #: per op: static counters the engine does not measure (SRAM traffic, on-chip bytes)
    sram_read_bytes: dict[str, dict[str, int]] = field(default_factory=dict)
    sram_write_bytes: dict[str, dict[str, int]] = field(default_factory=dict)
    onchip_bytes: dict[str, int] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)  # op name -> unit
    tiling: dict[str, str] = field(default_factory=dict)  # op name -> human summary
    stamp: Stamp | None = None

    @property
    def name(self) -> str:
        return "+".join(op.name for op in self.ops)

    @property
    def n_steps(self) -> int:
        """len(steps), without building a stamped group's steps."""
        if self._steps is None and self.stamp is not None:
            return self.stamp.template.n_steps
        return len(self.steps)

    def moved(self, index: int, deps: frozenset[int]) -> Group:
        """This group at another place of the plan (steps, stamp and counters shared)."""
        return Group(index, self.ops, self.stage_units, self._steps, deps, self.sram_read_bytes,
                     self.sram_write_bytes, self.onchip_bytes, self.units, self.tiling,
                     self.stamp)

    def hosts(self, memo: dict[int, dict[str, str]] | None = None) -> dict[str, str]:
        """Output-path op -> the op of the last stage it is fused into (the layer table's
        ``fused_into``). ``memo``: template id -> its hosts, kept by a caller that asks every
        stamp of a plan (one walk of each template's steps, not one per stamp)."""
        if self._steps is None and self.stamp is not None:
            names = self.stamp.op_names
            template = self.stamp.template
            own = memo.get(id(template)) if memo is not None else None
            if own is None:
                own = template.hosts()
                if memo is not None:
                    memo[id(template)] = own
            return {names[a]: names[b] for a, b in own.items()}
        return {w.op: s.stages[-1].op for s in self.steps if s.stages[-1] is not None
                for w in s.epilogue}


def _get_steps(group: Group) -> list[Step]:
    steps = group._steps
    if steps is None:
        assert group.stamp is not None, f"group {group.name!r} has no steps"
        steps = group._steps = group.stamp.steps()
    return steps


def _set_steps(group: Group, steps: list[Step] | None) -> None:
    group._steps = steps


# ``steps`` stays a dataclass field (constructor, equality, repr) stored in ``_steps`` and
# built on first read for a stamped group
Group._steps = None  # type: ignore[attr-defined]
Group.steps = property(_get_steps, _set_steps)  # type: ignore[assignment]
