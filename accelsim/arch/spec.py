"""What the hardware is: frozen, validated specs (no behaviour, no simpy).

One schema: these pydantic models are the YAML format. Unknown keys are rejected
(``extra="forbid"``) and every error carries its key path. Units are in the key names
(``clock_hz``, ``size_bytes``, ``bandwidth_gbps``), as STYLE.md asks; quantities may also be
written with units ("1GHz", "256KiB", "25.6GB/s") and are converted on load.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from accelsim.arch import energy_defaults as ed
from accelsim.units import bytes_per_cycle, ns_to_cycles, parse_quantity


def _quantity(unit: str, integer: bool = False, scale: float = 1.0):
    """Accept "1GHz"-style strings for a field whose key names its unit; ``scale`` converts the
    parsed base unit to the key's unit (GB/s keys: 1e-9)."""

    def convert(value: object) -> object:
        if isinstance(value, str):
            number = parse_quantity(value, unit) * scale
            if integer:
                if number != int(number):
                    raise ValueError(f"{value!r} is not a whole number of {unit}")
                return int(number)
            return number
        return value

    return BeforeValidator(convert)


Hertz = Annotated[float, _quantity("Hz"), Field(gt=0, allow_inf_nan=False)]
SizeBytes = Annotated[int, _quantity("B", integer=True), Field(gt=0, le=2**40)]
GBps = Annotated[float, _quantity("B/s", scale=1e-9), Field(gt=0, le=1e6, allow_inf_nan=False)]
PositiveInt = Annotated[int, Field(gt=0, le=2**20)]
Precision = Literal["int2", "int4", "int8", "int16", "fp8", "fp16", "bf16", "fp32"]


class FrozenDict(dict):
    """A dict that refuses mutation, so that a frozen spec is frozen all the way down (its
    tables too). Change a spec with overrides or ``model_copy(update=...)`` instead."""

    def _refuse(self, *args: object, **kwargs: object) -> None:
        raise TypeError("specs are frozen: change them with overrides (load_arch(..., "
                        "overrides), --set) or model_copy(update=...)")

    __setitem__ = __delitem__ = __ior__ = _refuse  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[type, tuple[dict]]:
        return (FrozenDict, (dict(self),))

    def __copy__(self) -> FrozenDict:
        return self

    def __deepcopy__(self, memo: dict) -> FrozenDict:
        return self


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, validate_default=True)

    @model_validator(mode="after")
    def _freeze_tables(self) -> _Spec:
        """Replace dict fields by FrozenDicts once validated (pydantic freezes attributes
        only)."""
        for name in type(self).model_fields:
            value = self.__dict__.get(name)
            if type(value) is dict:
                self.__dict__[name] = FrozenDict(value)
        return self


class ArraySpec(_Spec):
    """Systolic GEMM engine (SCALE-Sim vocabulary: rows x cols PEs, one dataflow)."""

    rows: PositiveInt = Field(description="PE rows (R)")
    cols: PositiveInt = Field(description="PE columns (C)")
    dataflow: Literal["ws", "os", "is"] = Field(
        description="weight-, output- or input-stationary (SCALE-Sim operand mapping)"
    )
    macs_per_pe_per_cycle: dict[Precision, PositiveInt] = Field(
        default_factory=lambda: {"int8": 1},
        description="MACs one PE completes per cycle, by operand precision (int4: 2 = packed)",
    )
    overlap_weight_load: bool = Field(
        default=True, description="preload the next fold's stationary operand while streaming"
    )
    accumulator_bits: PositiveInt = Field(default=32, description="partial-sum width in bits")

    def mac_rate(self, precision: str) -> int:
        """MACs per PE per cycle for ``precision``; an unlisted precision runs at the slowest
        listed rate (normally the widest precision's, 1)."""
        if precision in self.macs_per_pe_per_cycle:
            return self.macs_per_pe_per_cycle[precision]
        return min(self.macs_per_pe_per_cycle.values())

    @property
    def pe_count(self) -> int:
        return self.rows * self.cols


class UnitSpec(_Spec):
    """A pipelined special-function or vector unit: ``lanes`` elements enter per cycle."""

    lanes: PositiveInt = Field(description="elements processed per cycle")
    pipeline_depth: Annotated[int, Field(ge=1, le=4096)] = Field(
        default=4, description="cycles from first input to first output"
    )


class Fp32UnitSpec(UnitSpec):
    """A naive FP32 fallback unit: dequantize -> float op -> requantize (survey section V.A)."""

    exp_cycles: PositiveInt = Field(default=4, description="cycles per exp in one lane")
    div_cycles: PositiveInt = Field(default=8, description="cycles per divide/rsqrt in one lane")


class SfuSpec(_Spec):
    """Non-linear units. ``kind: sole`` uses E2Softmax/AILayerNorm (SOLE, ICCAD'23);
    ``kind: fp32`` sends softmax/layernorm/GELU to the FP32 fallback unit."""

    kind: Literal["sole", "fp32"] = "sole"
    e2softmax: UnitSpec = Field(default_factory=lambda: UnitSpec(lanes=16, pipeline_depth=4))
    ailayernorm: UnitSpec = Field(default_factory=lambda: UnitSpec(lanes=16, pipeline_depth=4))
    vector: UnitSpec = Field(default_factory=lambda: UnitSpec(lanes=32, pipeline_depth=2))
    fp32: Fp32UnitSpec = Field(default_factory=lambda: Fp32UnitSpec(lanes=8, pipeline_depth=8))


class BufferSpec(_Spec):
    """One on-chip SRAM buffer; ``banks: 2`` is ping-pong (double buffering), 1 disables overlap."""

    size_bytes: SizeBytes
    banks: Annotated[int, Field(ge=1, le=8)] = 2
    #: port widths; ``auto``: what the array consumes or produces per cycle (ArchSpec resolves)
    read_bytes_per_cycle: PositiveInt | Literal["auto"] = 64
    write_bytes_per_cycle: PositiveInt | Literal["auto"] = 64

    @property
    def bank_bytes(self) -> int:
        return self.size_bytes // self.banks


class BuffersSpec(_Spec):
    """Per-operand buffers (input activations, weights, outputs), or one unified buffer split
    evenly across the three roles (TPU v1's unified buffer)."""

    input: BufferSpec | None = None
    weight: BufferSpec | None = None
    output: BufferSpec | None = None
    unified: BufferSpec | None = None

    @model_validator(mode="after")
    def _one_layout(self) -> BuffersSpec:
        split = [self.input, self.weight, self.output]
        if self.unified is not None and any(b is not None for b in split):
            raise ValueError("give either 'unified' or 'input'/'weight'/'output', not both")
        if self.unified is None and any(b is None for b in split):
            raise ValueError("give 'unified' or all three of 'input', 'weight', 'output'")
        return self

    def role(self, name: Literal["input", "weight", "output"]) -> BufferSpec:
        """The buffer serving one operand role (a third of the unified buffer if unified)."""
        if self.unified is not None:
            u = self.unified
            return BufferSpec(
                size_bytes=max(u.size_bytes // 3, u.banks),
                banks=u.banks,
                read_bytes_per_cycle=u.read_bytes_per_cycle,
                write_bytes_per_cycle=u.write_bytes_per_cycle,
            )
        spec = getattr(self, name)
        assert spec is not None  # guaranteed by the validator
        return spec


class DramSpec(_Spec):
    """Off-chip memory: reads and writes share ``bandwidth_gbps`` (10^9 bytes/s)."""

    bandwidth_gbps: GBps
    latency_ns: Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)] = 100.0
    efficiency: Annotated[float, Field(gt=0, le=1)] = 1.0


class FusionSpec(_Spec):
    """Which producer->consumer chains keep their intermediates on chip (no DRAM round trip)."""

    epilogue: bool = Field(default=True, description="requant/GELU in the array's output path")
    attention: bool = Field(default=True, description="QK^T -> softmax -> SV per head on chip")
    layernorm: bool = Field(default=True, description="layernorm output stays on chip for GEMMs")
    residual: bool = Field(
        default=False,
        description="residual add in the output path of the GEMM producing one operand: the "
                    "other operand streams in from DRAM beside each output tile")


class RooflineSpec(_Spec):
    """Roofline-only reference device (e.g. a GPU): peak throughput by precision."""

    peak_tops: dict[Precision, Annotated[float, Field(gt=0)]]


Picojoules = Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)]
AreaMm2 = Annotated[float, Field(ge=0, le=1e5, allow_inf_nan=False)]
BufferRole = Literal["input", "weight", "output"]
Component = Literal["array", "input", "weight", "output", "unified", "e2softmax", "ailayernorm",
                    "vector", "fp32"]


SFU_ENERGY_UNITS = ("e2softmax", "ailayernorm", "vector", "fp32")


def _merged_macs(value: object) -> object:
    """Precisions given in YAML override the default table; the others keep their default."""
    return {**ed.MAC_PJ_BY_PRECISION, **value} if isinstance(value, dict) else value


def _sfu_energy(unit: str) -> SfuEnergySpec:
    return SfuEnergySpec(
        pj_per_element=ed.SFU_PJ_PER_ELEMENT[unit],
        pj_per_element_by_kind=ed.SFU_PJ_PER_ELEMENT_BY_KIND.get(unit, {}),
        area_mm2_per_lane=ed.SFU_AREA_MM2_PER_LANE[unit],
        area_mm2_shared=ed.SFU_AREA_MM2_SHARED[unit])


class SfuEnergySpec(_Spec):
    """Energy and area of one special-function unit at the reference node (derivations:
    accelsim/arch/energy_defaults.py)."""

    pj_per_element: Picojoules = Field(description="dynamic energy per element, any op kind")
    pj_per_element_by_kind: dict[str, Picojoules] = Field(
        default_factory=dict, description="per op kind (softmax, layernorm, gelu ...) override")
    area_mm2_per_lane: AreaMm2 = Field(description="datapath area of one lane")
    area_mm2_shared: AreaMm2 = Field(default=0.0, description="buffers/logic shared by lanes")


class SfuEnergiesSpec(_Spec):
    """Per-unit energy/area; a unit given in YAML is merged over its defaults."""

    @model_validator(mode="before")
    @classmethod
    def _merge_defaults(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        return {unit: ({**_sfu_energy(unit).model_dump(), **given}
                       if isinstance(given, dict) and unit in SFU_ENERGY_UNITS else given)
                for unit, given in data.items()}

    e2softmax: SfuEnergySpec = Field(default_factory=lambda: _sfu_energy("e2softmax"))
    ailayernorm: SfuEnergySpec = Field(default_factory=lambda: _sfu_energy("ailayernorm"))
    vector: SfuEnergySpec = Field(default_factory=lambda: _sfu_energy("vector"))
    fp32: SfuEnergySpec = Field(default_factory=lambda: _sfu_energy("fp32"))


class EnergySpec(_Spec):
    """Energy and area tables (used by accelsim.analysis.energy). Figures are given at
    ``reference_node_nm`` and scaled to the arch's ``technology_nm``: dynamic energy by
    (node / reference)^dynamic_scaling_exponent, area by (node / reference)^area_scaling_exponent;
    DRAM energy is off-chip and not scaled. Defaults: Horowitz, ISSCC 2014, 45 nm (sources per
    number in accelsim/arch/energy_defaults.py)."""

    reference_node_nm: Annotated[float, Field(gt=0, le=1000)] = 45.0
    dynamic_scaling_exponent: Annotated[float, Field(ge=0, le=4)] = Field(
        default=2.0, description="E ~ (node/ref)^x; 2 = the rule of thumb C ~ node, V^2 ~ node")
    area_scaling_exponent: Annotated[float, Field(ge=0, le=4)] = 2.0
    mac_pj: Picojoules | None = Field(
        default=None, description="if set, one MAC energy for every precision (table ignored)")
    mac_pj_by_precision: Annotated[dict[Precision, Picojoules],
                                   BeforeValidator(_merged_macs)] = Field(
        default_factory=lambda: dict(ed.MAC_PJ_BY_PRECISION),
        description="multiply at the operand precision + accumulate, per MAC")
    sram_read_pj_per_byte: dict[BufferRole, Picojoules] = Field(
        default_factory=dict, description="per-buffer override of the size rule")
    sram_write_pj_per_byte: dict[BufferRole, Picojoules] = Field(
        default_factory=dict, description="per-buffer override of the size rule")
    sram_read_pj_per_byte_by_kib: tuple[tuple[Annotated[float, Field(gt=0)], Picojoules], ...] = (
        Field(default=ed.SRAM_READ_PJ_PER_BYTE_BY_KIB, min_length=1,
              description="(bank KiB, pJ/byte) points, interpolated log-log by bank size"))
    sram_write_to_read_energy: Annotated[float, Field(gt=0, le=10)] = Field(
        default=1.0, description="write energy / read energy (assumption: equal)")
    dram_pj_per_byte: Picojoules = ed.DRAM_PJ_PER_BYTE
    sfu: SfuEnergiesSpec = Field(default_factory=SfuEnergiesSpec)
    array_area_mm2_per_pe: AreaMm2 = ed.ARRAY_AREA_MM2_PER_PE
    sram_area_mm2_per_kib: AreaMm2 = ed.SRAM_AREA_MM2_PER_KIB
    leakage_mw_per_mm2: Annotated[float, Field(ge=0, le=1e4)] = Field(
        default=ed.LEAKAGE_MW_PER_MM2, description="static power = area x this (assumption)")
    static_mw: dict[Component, Annotated[float, Field(ge=0, le=1e6)]] = Field(
        default_factory=dict, description="per-component static power override (arch's node)")

    @model_validator(mode="after")
    def _sorted_curve(self) -> EnergySpec:
        sizes = [kib for kib, _ in self.sram_read_pj_per_byte_by_kib]
        if sizes != sorted(set(sizes)):
            raise ValueError("sram_read_pj_per_byte_by_kib sizes must be increasing")
        return self


#: operand width (bits) an ``auto`` port is sized for: the array's int8 lanes (int4 operands
#: pack two per lane, so they need the same bytes per cycle)
AUTO_PORT_OPERAND_BITS = 8


def auto_port_bytes_per_cycle(array: ArraySpec, role: str) -> int:
    """Bytes per cycle a buffer must move so the array never waits on it: an operand enters
    the array along one edge, one element per row (or column) per cycle (SCALE-Sim's operand
    matrices: a WS array of R rows reads R input elements per cycle and loads its weights a
    row of C per cycle); the output buffer takes (and, accumulating, gives back) one partial
    sum per column per cycle at the accumulator width."""
    r, c = array.rows, array.cols
    edge = {"ws": {"input": r, "weight": c}, "os": {"input": r, "weight": c},
            "is": {"input": c, "weight": r}}[array.dataflow]
    if role == "output":
        return c * array.accumulator_bits // 8
    return edge[role] * AUTO_PORT_OPERAND_BITS // 8


def _resolve_auto_ports(buffers: BuffersSpec, array: ArraySpec | None) -> BuffersSpec:
    """``auto`` port widths -> numbers from the array (unified: the widest role's)."""
    def fixed(spec: BufferSpec | None, roles: tuple[str, ...]) -> BufferSpec | None:
        if spec is None or "auto" not in (spec.read_bytes_per_cycle, spec.write_bytes_per_cycle):
            return spec
        if array is None:
            raise ValueError("an 'auto' port width needs an 'array' section")
        width = max(auto_port_bytes_per_cycle(array, r) for r in roles)
        return spec.model_copy(update={
            k: width for k in ("read_bytes_per_cycle", "write_bytes_per_cycle")
            if getattr(spec, k) == "auto"})
    return buffers.model_copy(update={
        "input": fixed(buffers.input, ("input",)), "weight": fixed(buffers.weight, ("weight",)),
        "output": fixed(buffers.output, ("output",)),
        "unified": fixed(buffers.unified, ("input", "weight", "output"))})


class ArchSpec(_Spec):
    """Root of an accelerator description (the YAML file's top level)."""

    name: str = Field(min_length=1)
    description: str = ""
    kind: Literal["accelerator", "reference"] = "accelerator"
    clock_hz: Hertz
    technology_nm: Annotated[float, Field(gt=0, le=1000)] = 28.0
    array: ArraySpec | None = None
    sfu: SfuSpec = Field(default_factory=SfuSpec)
    buffers: BuffersSpec | None = None
    dram: DramSpec
    fusion: FusionSpec = Field(default_factory=FusionSpec)
    roofline: RooflineSpec | None = None
    energy: EnergySpec = Field(default_factory=EnergySpec)

    @model_validator(mode="after")
    def _complete(self) -> ArchSpec:
        if self.kind == "accelerator":
            missing = [k for k in ("array", "buffers") if getattr(self, k) is None]
            if missing:
                raise ValueError(f"an accelerator needs section(s) {', '.join(missing)}")
        elif self.roofline is None:
            raise ValueError("a reference device needs a 'roofline' section with peak_tops")
        if self.buffers is not None:
            self.__dict__["buffers"] = _resolve_auto_ports(self.buffers, self.array)
        return self

    @property
    def dram_bytes_per_cycle(self) -> float:
        """Effective DRAM bandwidth in bytes per accelerator cycle."""
        return bytes_per_cycle(self.dram.bandwidth_gbps * self.dram.efficiency, self.clock_hz)

    @property
    def dram_latency_cycles(self) -> int:
        return ns_to_cycles(self.dram.latency_ns, self.clock_hz)

    def peak_ops_per_s(self, precision: str) -> float:
        """Peak ops/s (1 MAC = 2 ops): rows x cols x MACs/PE/cycle x 2 x clock, or the
        reference device's published peak."""
        if self.roofline is not None and precision in self.roofline.peak_tops:
            return self.roofline.peak_tops[precision] * 1e12
        if self.array is None:
            assert self.roofline is not None
            return min(self.roofline.peak_tops.values()) * 1e12
        return self.array.pe_count * self.array.mac_rate(precision) * 2 * self.clock_hz
