"""Frozen results: one LayerResult per op and the SimResult of a run (plain data, to_dict)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

RESULT_SCHEMA = "accelsim.result/1"


@dataclass(frozen=True)
class LayerResult:
    """Per-op statistics as simulated. Cycles are integers; bytes are DRAM/SRAM bytes."""

    name: str
    kind: str
    block: str
    unit: str
    group: str  # fused group the op ran in ("a+b+c"), or its own name
    precision: str  # operand precision: "int8", "int4", "fp16" ... (widest input)
    macs_per_pe_per_cycle: int  # the array's MAC rate at that precision (0 off the array)
    macs: int
    ops: int
    elements: int
    dram_read_bytes: int
    dram_write_bytes: int
    onchip_bytes: int
    sram_read_bytes: dict[str, int]
    sram_write_bytes: dict[str, int]
    start_cycle: int
    end_cycle: int
    cycles: int
    compute_cycles: int
    utilization: float
    stall_cycles: int
    stalls: dict[str, int]
    required_bandwidth_gbps: float
    tiling: str = ""
    #: the op whose output path runs this one (a fused epilogue: requant, GELU, residual add);
    #: its cycles overlap the host's, so its waits are the host's, not stalls of its own
    fused_into: str = ""
    dram_busy_cycles: int = 0  # cycles the DRAM port spent on this op's transfers
    dram_achieved_gbps: float = 0.0  # its DRAM bytes / those cycles
    dram_row_hit_rate: float = 0.0  # banked model: bursts hitting an open row / bursts
    dram_activates: int = 0  # banked model: ACT (+PRE) commands
    dram_read_bursts: int = 0
    dram_write_bursts: int = 0

    @property
    def dram_bytes(self) -> int:
        return self.dram_read_bytes + self.dram_write_bytes

    @classmethod
    def of(cls, **values: Any) -> LayerResult:
        """``LayerResult(**values)`` with every field given, without the frozen ``__init__``'s
        one ``object.__setattr__`` per field (a third of the time; the result assembly builds
        one per op of every run). TypeError on a missing or unknown field."""
        if values.keys() != _LAYER_FIELDS:
            raise TypeError(f"LayerResult.of: fields {sorted(values.keys() ^ _LAYER_FIELDS)}")
        layer = object.__new__(cls)
        layer.__dict__.update(values)
        return layer


_LAYER_FIELDS = frozenset(f.name for f in fields(LayerResult))


@dataclass(frozen=True)
class SimResult:
    """A whole run: identity of arch and model, totals, per-unit busy cycles, layers."""

    arch_name: str
    arch: dict[str, Any]
    model: dict[str, Any]
    clock_hz: float
    total_cycles: int
    unit_busy_cycles: dict[str, int]
    dram_busy_cycles: int
    peak_bank_use: dict[str, int]
    events: int
    wall_time_s: float
    layers: tuple[LayerResult, ...]
    fidelity: str = "model"
    extra: dict[str, Any] = field(default_factory=dict)
    #: honest-default warnings of the run (accelsim.engine.warnings): modelling choices the
    #: simulator made that the inputs did not ask for; the CLI prints them on stderr
    warnings: tuple[str, ...] = ()
    dram_refreshes: int = 0  # banked model: all-bank refreshes per channel during the run

    @property
    def latency_s(self) -> float:
        return self.total_cycles / self.clock_hz

    @property
    def fps(self) -> float:
        batch = self.model.get("batch", 1) or 1
        return batch / self.latency_s if self.total_cycles else 0.0

    @property
    def total_macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def pe_count(self) -> int:
        array = self.arch.get("array") or {}
        return int(array.get("rows", 0)) * int(array.get("cols", 0))

    @property
    def pe_slot_cycles(self) -> float:
        """PE-cycles the array's MACs need: sum of MACs / (MACs per PE per cycle) per layer
        (an int4 MAC packed two to a PE takes half a PE-cycle)."""
        return sum(x.macs / x.macs_per_pe_per_cycle for x in self.layers
                   if x.macs and x.macs_per_pe_per_cycle)

    @property
    def pe_utilization(self) -> float:
        """Share of the PE-cycles of the whole run doing useful MACs (the per-layer definition,
        MACs / (R x C x MACs/PE/cycle x cycles), over the total latency)."""
        slots = self.pe_count * self.total_cycles
        return self.pe_slot_cycles / slots if slots else 0.0

    @property
    def pe_utilization_busy(self) -> float:
        """The same, over the cycles the array is busy only (its mapping/fold efficiency)."""
        slots = self.pe_count * self.unit_busy_cycles.get("array", 0)
        return self.pe_slot_cycles / slots if slots else 0.0

    @property
    def dram_read_bytes(self) -> int:
        return sum(layer.dram_read_bytes for layer in self.layers)

    @property
    def dram_write_bytes(self) -> int:
        return sum(layer.dram_write_bytes for layer in self.layers)

    def unit_share(self) -> dict[str, float]:
        """Busy cycles of each unit as a share of the total latency."""
        return {u: c / self.total_cycles for u, c in self.unit_busy_cycles.items()
                if self.total_cycles}

    def layer(self, name: str) -> LayerResult:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def to_dict(self, include_timing: bool = True) -> dict[str, Any]:
        """JSON-ready data (schema accelsim.result/1). ``include_timing=False`` drops the
        simulator's own wall time so that identical inputs give byte-identical output."""
        data = {
            "schema": RESULT_SCHEMA,
            "arch": {"name": self.arch_name, **self.arch},
            "model": self.model,
            "fidelity": self.fidelity,
            "clock_hz": self.clock_hz,
            "summary": {
                "total_cycles": self.total_cycles,
                "latency_ms": self.latency_s * 1e3,
                "fps": self.fps,
                "macs": self.total_macs,
                "pe_utilization": self.pe_utilization,
                "pe_utilization_busy": self.pe_utilization_busy,
                "dram_read_bytes": self.dram_read_bytes,
                "dram_write_bytes": self.dram_write_bytes,
                "unit_busy_cycles": self.unit_busy_cycles,
                "unit_share": self.unit_share(),
                "dram_busy_cycles": self.dram_busy_cycles,
                "dram_refreshes": self.dram_refreshes,
                "peak_bank_use": self.peak_bank_use,
                "events": self.events,
                **({"wall_time_s": self.wall_time_s} if include_timing else {}),
            },
            "layers": [asdict(layer) for layer in self.layers],
        }
        if self.warnings:
            data["warnings"] = list(self.warnings)
        if self.extra:
            data["extra"] = self.extra
        return data
