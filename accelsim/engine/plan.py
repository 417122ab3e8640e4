"""Plain data the scheduler hands to the engine: groups of fused ops cut into steps (tiles).

A *step* is one tile moving through a group's pipeline: the loads the DMA performs for it, the
work of each stage (one unit each), the banks it frees, and the write-back of a finished output
tile (with the epilogue the output path applies on the way, e.g. fused requant/GELU).
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass
class Group:
    """Ops executed as one pipeline (a fused chain, or a single op) and their steps."""

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

    @property
    def name(self) -> str:
        return "+".join(op.name for op in self.ops)
