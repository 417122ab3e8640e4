"""What the hardware is: frozen, validated specs (no behaviour, no simpy).

One schema: these pydantic models are the YAML format. Unknown keys are rejected
(``extra="forbid"``) and every error carries its key path. Units are in the key names
(``clock_hz``, ``size_bytes``, ``bandwidth_gbps``), as STYLE.md asks; quantities may also be
written with units ("1GHz", "256KiB", "25.6GB/s") and are converted on load.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, model_validator

from accelsim.arch import energy_defaults as ed
from accelsim.units import bytes_per_cycle, ns_to_cycles, parse_quantity
from accelsim.yamlio import as_number


def _number(unit: str | None = None, scale: float = 1.0, integer: bool = False,
            lo: float | None = None, hi: float | None = None, open_low: bool = False,
            shown: str = ""):
    """The numeric policy of every spec field (README "Reliability: inputs"): a number, or a
    string holding a YAML 1.2 number, is in the key's unit; a string with a unit ("1GHz",
    "256KiB", "25.6GB/s") must carry the field's dimension ``unit`` (``scale`` converts that
    base unit to the key's: GB/s keys 1e-9); booleans, lists and mappings are never numbers;
    an integer field takes a whole number (``1e6`` is 1000000, ``1.5`` is refused); the value
    must be finite and within the field's documented bounds ``lo``..``hi`` (in ``shown``)."""

    def convert(value: object) -> object:
        given = value
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            kind = "a boolean" if isinstance(value, bool) else f"a {type(value).__name__}"
            raise ValueError(f"expected a number{f' or a quantity in {unit}' if unit else ''}, "
                             f"got {kind}")
        if isinstance(value, str):
            if unit is not None:
                value = parse_quantity(value, unit, scale)
            else:
                number = as_number(value)
                if number is None:
                    raise ValueError("expected a number (this field has no unit)")
                value = number
        if not math.isfinite(value):
            raise ValueError("expected a finite number")
        if lo is not None and hi is not None and not (
                (value > lo if open_low else value >= lo) and value <= hi):
            bounds = f"{'(' if open_low else '['}{lo:g}, {hi:g}]{f' {shown}' if shown else ''}"
            raise ValueError(f"{value:g} is outside the documented range {bounds}")
        if integer:
            if value != int(value):
                raise ValueError(f"{given!r} is not a whole number"
                                 f"{f' of {shown}' if shown else ''}")
            return int(value)
        return float(value)

    return BeforeValidator(convert)


def _count(lo: int, hi: int) -> object:
    """An integer field bounded to ``lo..hi`` (documented physical range)."""
    return Annotated[int, _number(integer=True, lo=lo, hi=hi), Strict()]


def _real(lo: float, hi: float, *, unit: str | None = None, scale: float = 1.0,
          open_low: bool = False, shown: str = "") -> object:
    """A finite float field bounded to ``[lo, hi]`` (``(lo, hi]`` with ``open_low``)."""
    return Annotated[float, _number(unit, scale, lo=lo, hi=hi, open_low=open_low, shown=shown),
                     Strict()]


Flag = Annotated[bool, Strict()]
#: documented physical bounds (README "Reliability: inputs"), checked on load
Hertz = _real(1e3, 1e11, unit="Hz", shown="Hz")                       # 1 kHz .. 100 GHz
SizeBytes = Annotated[int, _number("B", integer=True, lo=1, hi=2**40, shown="bytes"),
                      Strict()]                           # 1 B .. 1 TiB
GBps = _real(1e-3, 1e6, unit="B/s", scale=1e-9, shown="GB/s")          # 1 MB/s .. 1 PB/s
Nanoseconds = _real(0, 1e6, unit="s", scale=1e9, shown="ns")        # 0 .. 1 ms
Nanometres = _real(1, 1000, unit="m", scale=1e9, shown="nm")        # 1 nm .. 1 um process nodes
PositiveInt = _count(1, 2**16)                            # PEs per side, lanes, bytes/cycle
Bits = _count(1, 64)
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
    macs_per_pe_per_cycle: dict[Precision, _count(1, 64)] = Field(
        default_factory=lambda: {"int8": 1}, min_length=1,
        description="MACs one PE completes per cycle, by operand precision (int4: 2 = packed)",
    )
    overlap_weight_load: Flag = Field(
        default=True, description="preload the next fold's stationary operand while streaming"
    )
    accumulator_bits: Bits = Field(default=32, description="partial-sum width in bits")

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
    pipeline_depth: _count(1, 4096) = Field(
        default=4, description="cycles from first input to first output"
    )


class Fp32UnitSpec(UnitSpec):
    """A naive FP32 fallback unit: dequantize -> float op -> requantize (survey section V.A)."""

    exp_cycles: _count(1, 4096) = Field(default=4, description="cycles per exp in one lane")
    div_cycles: _count(1, 4096) = Field(default=8,
                                        description="cycles per divide/rsqrt in one lane")


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
    banks: _count(1, 8) = 2
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


DramPreset = Literal["LPDDR4-3200", "LPDDR5-6400", "DDR4-3200", "GDDR6", "HBM2", "HBM3"]
Nck = _count(0, 2**24)
MAPPING_FIELDS = ("Ro", "Ra", "Bg", "Ba", "Co", "Ch")


class DramTiming(_Spec):
    """Banked-DRAM organisation and timing, DRAMsim3 / Ramulator names; timings in nCK (cycles
    of ``tCK_ns``), counts per channel. Presets: accelsim/arch/dram_presets.py (cited)."""

    tCK_ns: _real(0, 100, open_low=True)
    beats_per_tck: _count(1, 16) = Field(
        description="data beats per command clock: 2 for DDR, 8 for LPDDR5/GDDR6 (WCK = 4 CK)")
    BL: _count(1, 64) = Field(description="burst length in beats")
    bus_width_bits: _count(4, 1024) = Field(description="per channel")
    channels: _count(1, 256)
    ranks: _count(1, 16) = 1
    bankgroups: _count(1, 16) = 1
    banks_per_group: _count(1, 64)
    row_bytes: SizeBytes = Field(description="row (page) size of one channel's rank")
    rows: _count(1, 2**24) = Field(
        default=65536, description="rows per bank (only matters when Ro is not the top field)")
    RL: Nck
    WL: Nck
    tRCD: Nck
    tRP: Nck
    tRAS: Nck
    tCCD_S: Nck
    tCCD_L: Nck
    tRRD_S: Nck
    tRRD_L: Nck
    tFAW: Nck
    tWR: Nck
    tWTR_S: Nck
    tWTR_L: Nck
    tRTP: Nck
    tRTRS: Nck = 1
    tRFC: Nck
    tREFI: _count(1, 2**24)
    vdd_v: _real(0, 5, open_low=True) = 1.2
    devices_per_channel: _count(1, 64) = 1
    IDD0_mA: _real(0, 1e5) = 0.0
    IDD2N_mA: _real(0, 1e5) = 0.0
    IDD3N_mA: _real(0, 1e5) = 0.0
    IDD4R_mA: _real(0, 1e5) = 0.0
    IDD4W_mA: _real(0, 1e5) = 0.0
    IDD5_mA: _real(0, 1e5) = 0.0

    @model_validator(mode="after")
    def _consistent(self) -> DramTiming:
        if self.BL % self.beats_per_tck:
            raise ValueError("BL must be a multiple of beats_per_tck (a burst is whole nCK)")
        if (self.bus_width_bits * self.BL) % 8:
            raise ValueError("bus_width_bits x BL must be whole bytes")
        if self.row_bytes % self.burst_bytes:
            raise ValueError(f"row_bytes must be a multiple of the burst ({self.burst_bytes} B)")
        if self.tRFC >= self.tREFI:
            raise ValueError("tRFC must be shorter than tREFI")
        return self

    @property
    def burst_bytes(self) -> int:
        return self.bus_width_bits * self.BL // 8

    @property
    def burst_tck(self) -> int:
        """nCK one burst holds the data bus (tBURST = BL / beats per nCK)."""
        return self.BL // self.beats_per_tck

    @property
    def peak_gbps(self) -> float:
        """Peak bandwidth of all channels, 10^9 bytes/s."""
        return self.channels * self.burst_bytes / (self.burst_tck * self.tCK_ns)


def _preset_merged(data: object) -> object:
    """``preset`` fills ``timing``; keys given under ``timing`` override the preset's."""
    if not isinstance(data, dict):
        return data
    from accelsim.arch.dram_presets import DRAM_PRESETS

    preset = data.get("preset")
    timing = data.get("timing")
    if preset is not None and preset not in DRAM_PRESETS:
        raise ValueError(f"unknown preset {preset!r}; expected one of "
                         f"{' | '.join(DRAM_PRESETS)}")
    if preset is not None and preset in DRAM_PRESETS and (timing is None
                                                          or isinstance(timing, dict)):
        data = {**data, "timing": {**DRAM_PRESETS[preset], **(timing or {})}}
    if "bandwidth_gbps" not in data:  # the timing's peak (so model: bandwidth compares)
        t = data.get("timing")
        if isinstance(t, dict):
            try:
                data = {**data, "bandwidth_gbps": DramTiming.model_validate(t).peak_gbps}
            except ValueError:
                # placeholder: the timing's own validation reports the error with its key path
                data = {**data, "bandwidth_gbps": 1.0}
    return data


class DramSpec(_Spec):
    """Off-chip memory. ``model: bandwidth``: reads and writes share ``bandwidth_gbps`` (10^9
    bytes/s) at a fixed latency, whatever the access pattern (roofline references, SCALE-Sim
    comparisons). ``model: banked``: channels, banks and row buffers with JEDEC timing
    (``preset`` and/or ``timing``); each DMA tile costs what its access pattern costs
    (cost.dram); ``bandwidth_gbps`` is then the timing's peak (given: it must agree). Left
    out, ``bandwidth_gbps`` is the timing's peak for either model, so ``--set
    dram.model=bandwidth`` runs the bandwidth model at the banked model's peak."""

    model: Literal["bandwidth", "banked"] = "bandwidth"
    bandwidth_gbps: GBps
    latency_ns: Nanoseconds = 100.0
    efficiency: _real(0, 1, open_low=True) = 1.0
    preset: DramPreset | None = None
    timing: DramTiming | None = None
    address_mapping: str = Field(
        default="RoBaRaCoCh", description="address fields MSB -> LSB (Ramulator spelling): "
        "Ro, Ra, Bg, Ba, Co, Ch; only Ch may sit below Co; without Bg, the bank group bits "
        "sit just below Ba (consecutive banks alternate bank groups)")
    page_policy: Literal["open", "closed"] = "open"

    @property
    def mapping_fields(self) -> tuple[str, ...]:
        """Address fields MSB -> LSB, Bg inserted below Ba when the string leaves it out."""
        fields = [self.address_mapping[i:i + 2] for i in range(0, len(self.address_mapping), 2)]
        if "Bg" not in fields:
            fields.insert(fields.index("Ba") + 1, "Bg")
        return tuple(fields)

    @model_validator(mode="before")
    @classmethod
    def _merge_preset(cls, data: object) -> object:
        return _preset_merged(data)

    @model_validator(mode="after")
    def _banked_complete(self) -> DramSpec:
        fields = [self.address_mapping[i:i + 2] for i in range(0, len(self.address_mapping), 2)]
        if sorted(fields) != sorted(MAPPING_FIELDS) and sorted(fields) != sorted(
                f for f in MAPPING_FIELDS if f != "Bg"):
            raise ValueError(f"address_mapping {self.address_mapping!r} must name each of "
                             f"{', '.join(MAPPING_FIELDS)} once (Bg may be left out)")
        if fields.index("Co") < len(fields) - 2 or (fields.index("Co") == len(fields) - 2
                                                    and fields[-1] != "Ch"):
            raise ValueError(f"address_mapping {self.address_mapping!r}: only Ch may sit below "
                             "Co (the closed form streams whole row segments)")
        if self.model == "banked":
            if self.timing is None:
                raise ValueError("model 'banked' needs a 'preset' or a 'timing' section")
            if self.efficiency != 1.0:
                raise ValueError("efficiency applies to model 'bandwidth' only; the banked "
                                 "model derives it from the timing")
            peak = self.timing.peak_gbps
            if abs(self.bandwidth_gbps - peak) > 1e-3 * peak:
                raise ValueError(f"bandwidth_gbps {self.bandwidth_gbps:g} disagrees with the "
                                 f"banked timing's peak {peak:.6g} GB/s: leave it out, change "
                                 "dram.timing.channels or dram.preset, or set "
                                 "dram.model=bandwidth for a flat pipe of that bandwidth")
        return self


class FusionSpec(_Spec):
    """Which producer->consumer chains keep their intermediates on chip (no DRAM round trip)."""

    epilogue: Flag = Field(default=True, description="requant/GELU in the array's output path")
    attention: Flag = Field(default=True, description="QK^T -> softmax -> SV per head on chip")
    layernorm: Flag = Field(default=True, description="layernorm output stays on chip for GEMMs")
    residual: Flag = Field(
        default=False,
        description="residual add in the output path of the GEMM producing one operand: the "
                    "other operand streams in from DRAM beside each output tile")


class MapperSpec(_Spec):
    """How the mapping search decides (a mapper setting, beside the fusion choices)."""

    replay: Flag = Field(
        default=False,
        description="play the search's near-best GEMM tilings lone on the engine and keep the "
                    "fastest (engine.replay): more capacity never picks a slower lone tiling")


class RooflineSpec(_Spec):
    """Roofline-only reference device (e.g. a GPU): peak throughput by precision."""

    peak_tops: dict[Precision, _real(1e-6, 1e6, shown="TOPS")] = Field(min_length=1)


#: 0 .. 1 uJ per MAC, byte or element
Picojoules = _real(0, 1e6, unit="J", scale=1e12, shown="pJ")
AreaMm2 = _real(0, 1e5, shown="mm^2")
Milliwatts = _real(0, 1e6, unit="W", scale=1e3, shown="mW")
Exponent = _real(0, 4)
#: SRAM energy curve: bank sizes 1 B .. 1 TiB (in KiB); steepest log-log slope between points
KiB = _real(2.0**-10, 2.0**30, unit="B", scale=2.0**-10, shown="KiB")
MAX_SRAM_CURVE_SLOPE = 4.0
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

    reference_node_nm: Nanometres = 45.0
    dynamic_scaling_exponent: Exponent = Field(
        default=2.0, description="E ~ (node/ref)^x; 2 = the rule of thumb C ~ node, V^2 ~ node")
    area_scaling_exponent: Exponent = 2.0
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
    sram_read_pj_per_byte_by_kib: tuple[tuple[KiB, Picojoules], ...] = (
        Field(default=ed.SRAM_READ_PJ_PER_BYTE_BY_KIB, min_length=1,
              description="(bank KiB, pJ/byte) points, interpolated log-log by bank size"))
    sram_write_to_read_energy: _real(0, 10, open_low=True) = Field(
        default=1.0, description="write energy / read energy (assumption: equal)")
    dram_pj_per_byte: Picojoules = ed.DRAM_PJ_PER_BYTE
    sfu: SfuEnergiesSpec = Field(default_factory=SfuEnergiesSpec)
    array_area_mm2_per_pe: AreaMm2 = ed.ARRAY_AREA_MM2_PER_PE
    sram_area_mm2_per_kib: AreaMm2 = ed.SRAM_AREA_MM2_PER_KIB
    leakage_mw_per_mm2: _real(0, 1e4, unit="W", scale=1e3, shown="mW/mm^2") = Field(
        default=ed.LEAKAGE_MW_PER_MM2, description="static power = area x this (assumption)")
    static_mw: dict[Component, Milliwatts] = Field(
        default_factory=dict, description="per-component static power override (arch's node)")

    @model_validator(mode="after")
    def _sorted_curve(self) -> EnergySpec:
        sizes = [kib for kib, _ in self.sram_read_pj_per_byte_by_kib]
        if sizes != sorted(set(sizes)):
            raise ValueError("sram_read_pj_per_byte_by_kib sizes must be increasing")
        points = self.sram_read_pj_per_byte_by_kib
        for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
            if y0 > 0 and y1 > 0:
                slope = math.log(y1 / y0) / math.log(x1 / x0)
                if abs(slope) > MAX_SRAM_CURVE_SLOPE:
                    raise ValueError(
                        f"sram_read_pj_per_byte_by_kib is too steep between {x0:g} and {x1:g} "
                        f"KiB (log-log slope {slope:.3g}, at most {MAX_SRAM_CURVE_SLOPE:g}: "
                        "energy per byte grows about as sqrt(size))")
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

    name: Annotated[str, Strict()] = Field(min_length=1, max_length=200)
    description: Annotated[str, Strict()] = Field(default="", max_length=10_000)
    kind: Literal["accelerator", "reference"] = "accelerator"
    clock_hz: Hertz
    technology_nm: Nanometres = 28.0
    array: ArraySpec | None = None
    sfu: SfuSpec = Field(default_factory=SfuSpec)
    buffers: BuffersSpec | None = None
    dram: DramSpec
    fusion: FusionSpec = Field(default_factory=FusionSpec)
    mapper: MapperSpec = Field(default_factory=MapperSpec)
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
