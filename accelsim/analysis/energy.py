"""Energy and area of a simulated run, from the engine's counters and the arch's energy tables.

Pure functions (no simpy, no I/O). Dynamic energy per layer = MACs x pJ/MAC (by operand
precision) + SRAM bytes x pJ/byte (per buffer, by bank size) + DRAM bytes x pJ/byte + SFU
elements x pJ/element (by unit and op kind). Static energy = sum over components of
static power x latency. Tables are given at ``energy.reference_node_nm`` (Horowitz, ISSCC 2014,
45 nm, by default) and scaled to the arch's ``technology_nm``: dynamic energy by
(node / reference)^dynamic_scaling_exponent, area by (node / reference)^area_scaling_exponent;
DRAM energy is off-chip and not scaled. Derivations of the defaults:
accelsim/arch/energy_defaults.py; description: the "Energy and area" section of README.md.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from accelsim.analysis.records import LayerResult, SimResult
from accelsim.arch.spec import ArchSpec, EnergySpec
from accelsim.cost.dram import action_energy

BUFFER_ROLES = ("input", "weight", "output")
SFU_UNITS = ("e2softmax", "ailayernorm", "vector", "fp32")


def dynamic_scale(arch: ArchSpec) -> float:
    """Factor from the reference node's dynamic energy to the arch's node."""
    e = arch.energy
    return (arch.technology_nm / e.reference_node_nm) ** e.dynamic_scaling_exponent


def area_scale(arch: ArchSpec) -> float:
    """Factor from the reference node's area to the arch's node."""
    e = arch.energy
    return (arch.technology_nm / e.reference_node_nm) ** e.area_scaling_exponent


def mac_pj(energy: EnergySpec, precision: str) -> float:
    """pJ per MAC at the reference node. A precision missing from the table (e.g. "int32")
    takes the narrowest listed one of the same family that is at least as wide, else the
    widest of the family, else int8."""
    if energy.mac_pj is not None:
        return energy.mac_pj
    table = energy.mac_pj_by_precision
    if precision in table:
        return table[precision]
    family, bits = _split_precision(precision)
    same = sorted((_split_precision(p)[1], pj) for p, pj in table.items()
                  if _split_precision(p)[0] == family)
    wider = [pj for b, pj in same if b >= bits]
    if wider:
        return wider[0]
    if same:
        return same[-1][1]
    return table.get("int8", max(table.values(), default=0.0))


def _split_precision(precision: str) -> tuple[str, int]:
    family = precision.rstrip("0123456789")
    digits = precision[len(family):]
    return family, int(digits) if digits else 0


def sram_pj_per_byte(energy: EnergySpec, bank_bytes: int) -> float:
    """Read pJ/byte of an SRAM bank at the reference node: log-log interpolation through the
    (KiB, pJ/byte) points (Horowitz: 8 KB 1.25, 32 KB 2.5, 1 MB 12.5), extended beyond the ends
    with the nearest segment's slope (a single point: constant)."""
    points = energy.sram_read_pj_per_byte_by_kib
    kib = bank_bytes / 1024
    if len(points) == 1:
        return points[0][1]
    i = 0
    while i < len(points) - 2 and kib > points[i + 1][0]:
        i += 1
    (x0, y0), (x1, y1) = points[i], points[i + 1]
    if y0 <= 0 or y1 <= 0:
        t = (kib - x0) / (x1 - x0)
        return max(y0 + t * (y1 - y0), 0.0)
    slope = math.log(y1 / y0) / math.log(x1 / x0)
    return y0 * (kib / x0) ** slope


def buffer_pj_per_byte(arch: ArchSpec, role: str, write: bool) -> float:
    """pJ per byte read (or written) in the buffer serving ``role``, at the reference node."""
    e = arch.energy
    override = (e.sram_write_pj_per_byte if write else e.sram_read_pj_per_byte).get(role)
    if override is not None:
        return override
    if arch.buffers is None:
        return 0.0
    read = sram_pj_per_byte(e, arch.buffers.role(role).bank_bytes)  # type: ignore[arg-type]
    return read * e.sram_write_to_read_energy if write else read


def sfu_pj_per_element(energy: EnergySpec, unit: str, kind: str) -> float:
    """pJ per element of ``kind`` on ``unit`` at the reference node (0 for unknown units)."""
    spec = getattr(energy.sfu, unit, None)
    if spec is None:
        return 0.0
    return spec.pj_per_element_by_kind.get(kind, spec.pj_per_element)


@dataclass(frozen=True)
class LayerEnergy:
    """Dynamic energy of one layer (pJ at the arch's node) split by where it is spent."""

    name: str
    unit: str
    mac_pj: float
    sram_pj: float
    dram_pj: float
    sfu_pj: float

    @property
    def energy_pj(self) -> float:
        return self.mac_pj + self.sram_pj + self.dram_pj + self.sfu_pj


@dataclass(frozen=True)
class EnergyReport:
    """Energy, power and area of one run. Energies in pJ, power in mW/W, area in mm^2."""

    technology_nm: float
    reference_node_nm: float
    dynamic_scale: float
    area_scale: float
    latency_s: float
    batch: int
    ops: int
    layers: tuple[LayerEnergy, ...]
    dynamic_pj_by_component: dict[str, float]
    static_mw_by_component: dict[str, float]
    area_mm2_by_component: dict[str, float]

    @property
    def dynamic_pj(self) -> float:
        return sum(self.dynamic_pj_by_component.values())

    @property
    def static_pj(self) -> float:
        return sum(self.static_mw_by_component.values()) * 1e-3 * self.latency_s * 1e12

    @property
    def total_pj(self) -> float:
        return self.dynamic_pj + self.static_pj

    @property
    def energy_per_inference_mj(self) -> float:
        return self.total_pj * 1e-9 / max(self.batch, 1)

    @property
    def avg_power_w(self) -> float:
        return self.total_pj * 1e-12 / self.latency_s if self.latency_s else 0.0

    @property
    def tops_per_w(self) -> float:
        """Ops per joule / 1e12 (1 MAC = 2 ops, plus the non-linear ops per element)."""
        return self.ops / (self.total_pj * 1e-12) / 1e12 if self.total_pj else 0.0

    @property
    def inferences_per_j(self) -> float:
        return max(self.batch, 1) / (self.total_pj * 1e-12) if self.total_pj else 0.0

    @property
    def area_mm2(self) -> float:
        return sum(self.area_mm2_by_component.values())

    @property
    def tops_per_mm2(self) -> float:
        """Attained ops/s (ops / latency) / 1e12 per mm^2."""
        if not self.latency_s or not self.area_mm2:
            return 0.0
        return self.ops / self.latency_s / 1e12 / self.area_mm2

    def static_pj_by_component(self) -> dict[str, float]:
        return {c: mw * 1e-3 * self.latency_s * 1e12
                for c, mw in self.static_mw_by_component.items()}

    def layer_energy_pj(self) -> dict[str, float]:
        """Dynamic energy of each layer by name."""
        return {x.name: x.energy_pj for x in self.layers}

    def to_dict(self, include_layers: bool = False) -> dict[str, Any]:
        """JSON-ready data: the summary, per-component tables and (optionally) the layers."""
        data: dict[str, Any] = {
            "technology_nm": self.technology_nm,
            "reference_node_nm": self.reference_node_nm,
            "dynamic_scale": self.dynamic_scale,
            "area_scale": self.area_scale,
            "dynamic_pj": self.dynamic_pj,
            "static_pj": self.static_pj,
            "total_pj": self.total_pj,
            "energy_per_inference_mj": self.energy_per_inference_mj,
            "avg_power_w": self.avg_power_w,
            "tops_per_w": self.tops_per_w,
            "inferences_per_j": self.inferences_per_j,
            "area_mm2": self.area_mm2,
            "tops_per_mm2": self.tops_per_mm2,
            "dynamic_pj_by_component": dict(self.dynamic_pj_by_component),
            "static_mw_by_component": dict(self.static_mw_by_component),
            "static_pj_by_component": self.static_pj_by_component(),
            "area_mm2_by_component": dict(self.area_mm2_by_component),
        }
        if include_layers:
            data["layers"] = [{**asdict(x), "energy_pj": x.energy_pj} for x in self.layers]
        return data


def layer_energy(layer: LayerResult, arch: ArchSpec) -> LayerEnergy:
    """Dynamic energy of one layer from its counters, at the arch's node."""
    e = arch.energy
    scale = dynamic_scale(arch)
    macs = layer.macs * mac_pj(e, layer.precision) * scale
    sram = sum(b * buffer_pj_per_byte(arch, role, write=False)
               for role, b in sorted(layer.sram_read_bytes.items()))
    sram += sum(b * buffer_pj_per_byte(arch, role, write=True)
                for role, b in sorted(layer.sram_write_bytes.items()))
    if arch.dram.model == "banked":
        # per action from the preset's currents (cost.dram.action_energy), not a flat pJ/B
        d = action_energy(arch.dram)
        dram = (layer.dram_activates * d.activate_pj + layer.dram_read_bursts * d.read_burst_pj
                + layer.dram_write_bursts * d.write_burst_pj)
    else:
        dram = (layer.dram_read_bytes + layer.dram_write_bytes) * e.dram_pj_per_byte
    sfu = layer.elements * sfu_pj_per_element(e, layer.unit, layer.kind) * scale
    return LayerEnergy(layer.name, layer.unit, macs, sram * scale, dram, sfu)


def _buffer_components(arch: ArchSpec) -> dict[str, int]:
    """Physical buffers and their sizes in bytes (a unified buffer counts once)."""
    b = arch.buffers
    if b is None:
        return {}
    if b.unified is not None:
        return {"unified": b.unified.size_bytes}
    return {role: getattr(b, role).size_bytes for role in BUFFER_ROLES}


def _sfu_components(arch: ArchSpec, result: SimResult | None) -> list[str]:
    """Units present in the design: SOLE's units or the FP32 fallback, the vector unit, and any
    unit the run used."""
    present = {"vector", *(("e2softmax", "ailayernorm") if arch.sfu.kind == "sole" else ("fp32",))}
    if result is not None:
        present |= {u for u in result.unit_busy_cycles if u in SFU_UNITS}
    return [u for u in SFU_UNITS if u in present]


def area_mm2_by_component(arch: ArchSpec, result: SimResult | None = None) -> dict[str, float]:
    """Area of the array, each buffer and each SFU at the arch's node (mm^2)."""
    e = arch.energy
    scale = area_scale(arch)
    out: dict[str, float] = {}
    if arch.array is not None:
        out["array"] = arch.array.pe_count * e.array_area_mm2_per_pe * scale
    for name, size in _buffer_components(arch).items():
        out[name] = size / 1024 * e.sram_area_mm2_per_kib * scale
    for unit in _sfu_components(arch, result):
        spec = getattr(e.sfu, unit)
        lanes = getattr(arch.sfu, unit).lanes
        out[unit] = (lanes * spec.area_mm2_per_lane + spec.area_mm2_shared) * scale
    return out


def static_mw_by_component(area: dict[str, float], energy: EnergySpec) -> dict[str, float]:
    """Static power per component: the explicit ``static_mw`` entry, else area x leakage."""
    return {c: energy.static_mw.get(c, a * energy.leakage_mw_per_mm2)  # type: ignore[call-overload]
            for c, a in area.items()}


def arch_of(result: SimResult) -> ArchSpec:
    """The ArchSpec a result was simulated on, rebuilt from its JSON dump."""
    return ArchSpec.model_validate({"name": result.arch_name, **result.arch})


def energy_report(result: SimResult, arch: ArchSpec | None = None) -> EnergyReport:
    """Energy, power and area of ``result`` (``arch`` defaults to the one stored in it)."""
    arch = arch if arch is not None else arch_of(result)
    layers = tuple(layer_energy(x, arch) for x in result.layers)
    components: dict[str, float] = {}
    for x, le in zip(result.layers, layers, strict=True):
        if le.mac_pj:
            components["array"] = components.get("array", 0.0) + le.mac_pj
        if le.sfu_pj:
            components[x.unit] = components.get(x.unit, 0.0) + le.sfu_pj
        for role in sorted(set(x.sram_read_bytes) | set(x.sram_write_bytes)):
            pj = (x.sram_read_bytes.get(role, 0) * buffer_pj_per_byte(arch, role, False)
                  + x.sram_write_bytes.get(role, 0) * buffer_pj_per_byte(arch, role, True))
            key = f"sram.{role}"
            components[key] = components.get(key, 0.0) + pj * dynamic_scale(arch)
        if le.dram_pj:
            components["dram"] = components.get("dram", 0.0) + le.dram_pj
    static_mw = static_mw_by_component(area_mm2_by_component(arch, result), arch.energy)
    if arch.dram.model == "banked" and arch.dram.timing is not None:
        d = action_energy(arch.dram)
        channels = arch.dram.timing.channels
        components["dram.refresh"] = result.dram_refreshes * channels * d.refresh_pj
        static_mw["dram"] = channels * d.background_mw  # active standby (IDD3N), all run long
    area = area_mm2_by_component(arch, result)
    return EnergyReport(
        technology_nm=arch.technology_nm,
        reference_node_nm=arch.energy.reference_node_nm,
        dynamic_scale=dynamic_scale(arch),
        area_scale=area_scale(arch),
        latency_s=result.latency_s,
        batch=int(result.model.get("batch", 1) or 1),
        ops=sum(x.ops for x in result.layers),
        layers=layers,
        dynamic_pj_by_component=dict(sorted(components.items())),
        static_mw_by_component=static_mw,
        area_mm2_by_component=area,
    )


def energy_summary(result: SimResult, arch: ArchSpec | None = None) -> dict[str, float]:
    """Flat summary metrics for sweeps and tables: energy_mj (per inference), avg_power_w,
    tops_per_w, inferences_per_j, area_mm2, tops_per_mm2, dynamic_mj, static_mj."""
    r = energy_report(result, arch)
    return {
        "energy_mj": r.energy_per_inference_mj,
        "avg_power_w": r.avg_power_w,
        "tops_per_w": r.tops_per_w,
        "inferences_per_j": r.inferences_per_j,
        "area_mm2": r.area_mm2,
        "tops_per_mm2": r.tops_per_mm2,
        "dynamic_mj": r.dynamic_pj * 1e-9,
        "static_mj": r.static_pj * 1e-9,
    }
