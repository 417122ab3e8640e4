"""Energy and area model (accelsim.analysis.energy): hand-computed numbers from the counters."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from accelsim.analysis.energy import (
    buffer_pj_per_byte,
    dynamic_scale,
    energy_report,
    energy_summary,
    mac_pj,
    sram_pj_per_byte,
)
from accelsim.arch.load import load_arch
from accelsim.arch.spec import ArchSpec, EnergySpec
from accelsim.engine.simulator import simulate
from accelsim.errors import ConfigError
from accelsim.workload.load import load_trace
from accelsim.workload.topology import read_scalesim_topology


def one_gemm(tmp_path: Path, m: int, n: int, k: int):
    path = tmp_path / "gemm.csv"
    path.write_text(f"Layer, M, N, K,\ng, {m}, {n}, {k},\n", encoding="utf-8")
    return read_scalesim_topology(path)


# ----------------------------------------------------------------------------- defaults
def test_defaults_validate_and_apply_when_energy_is_omitted() -> None:
    spec = EnergySpec()
    assert spec.reference_node_nm == 45.0
    assert spec.mac_pj_by_precision["int8"] == pytest.approx(0.2 + 0.1)  # Horowitz 8b mult+32b add
    assert spec.mac_pj_by_precision["fp16"] == pytest.approx(1.1 + 0.9)
    assert spec.dram_pj_per_byte == pytest.approx(640 / 4)  # 640 pJ per 32 bits
    # tpu_v1_like.yaml has no energy section: the defaults apply, not None
    assert load_arch("tpu_v1_like").energy == spec
    # sole.yaml writes the defaults out explicitly (with comments): the same numbers
    assert load_arch("sole").energy == spec


def test_unknown_energy_keys_are_rejected() -> None:
    with pytest.raises(ConfigError, match="energy"):
        load_arch("sole", ["energy.mac_pJ=0.3"])
    with pytest.raises(ConfigError, match="energy"):
        load_arch("sole", ["energy.sfu.e2softmax.pj_per_elem=1"])
    with pytest.raises(ConfigError, match="energy"):
        load_arch("sole", ["energy.sram_read_pj_per_byte.scratch=1"])


def test_partial_tables_merge_over_defaults() -> None:
    spec = load_arch("sole", ["energy.mac_pj_by_precision.int8=0.5",
                              "energy.sfu.fp32.pj_per_element=3"]).energy
    assert spec.mac_pj_by_precision["int8"] == 0.5
    assert spec.mac_pj_by_precision["fp16"] == pytest.approx(2.0)
    assert spec.sfu.fp32.pj_per_element == 3.0
    assert spec.sfu.fp32.pj_per_element_by_kind["softmax"] == pytest.approx(44.0)


def test_sram_rule_passes_through_horowitz_points() -> None:
    e = EnergySpec()
    assert sram_pj_per_byte(e, 8 * 1024) == pytest.approx(10 / 8)
    assert sram_pj_per_byte(e, 32 * 1024) == pytest.approx(20 / 8)
    assert sram_pj_per_byte(e, 1024 * 1024) == pytest.approx(100 / 8)
    # 128 KiB lies between 32 KiB and 1 MiB: 2.5 * 4^(ln 5 / ln 32)
    assert sram_pj_per_byte(e, 128 * 1024) == pytest.approx(
        2.5 * 4 ** (math.log(5) / math.log(32)))


def test_mac_precision_fallback() -> None:
    e = EnergySpec()
    assert mac_pj(e, "int32") == pytest.approx(e.mac_pj_by_precision["int16"])
    assert mac_pj(e, "int3") == pytest.approx(e.mac_pj_by_precision["int4"])
    assert mac_pj(e.model_copy(update={"mac_pj": 0.25}), "fp16") == 0.25


# ----------------------------------------------------------------------------- scaling
def test_technology_scaling_of_one_mac() -> None:
    """(node / 45)^2: an int8 MAC of 0.3 pJ at 45 nm costs 0.3 * (28/45)^2 = 0.11615 pJ at 28 nm
    and 0.3 * (90/45)^2 = 1.2 pJ at 90 nm; area scales the same way; DRAM does not scale."""
    sole = load_arch("sole")
    assert sole.technology_nm == 28
    assert dynamic_scale(sole) * mac_pj(sole.energy, "int8") == pytest.approx(0.116148, rel=1e-5)
    old = load_arch("sole", ["technology_nm=90"])
    assert dynamic_scale(old) * mac_pj(old.energy, "int8") == pytest.approx(1.2)
    same = load_arch("sole", ["technology_nm=45"])
    assert dynamic_scale(same) == 1.0
    linear = load_arch("sole", ["technology_nm=90", "energy.dynamic_scaling_exponent=1"])
    assert dynamic_scale(linear) == pytest.approx(2.0)


# ----------------------------------------------------------------------------- one GEMM by hand
def test_single_gemm_energy_by_hand(tmp_path: Path) -> None:
    # scale 1: the tables apply as written; the bandwidth model's flat 160 pJ/B (the banked
    # model's energy per action: tests/engine/test_dram_engine.py)
    arch = load_arch("sole", ["technology_nm=45", "dram.model=bandwidth"])
    result = simulate(arch, one_gemm(tmp_path, 64, 64, 64), record=False)
    (layer,) = result.layers
    assert layer.macs == 64 * 64 * 64 and layer.precision == "int8"
    # fills: the whole 64x64 int8 A and B arrive once each; the int8 output drains once
    assert layer.sram_write_bytes["input"] == 4096 == layer.sram_write_bytes["weight"]
    # banks: input/weight 256 KiB in 2 banks -> 128 KiB each; output 128 KiB -> 64 KiB banks
    pj_128k = 2.5 * (128 / 32) ** (math.log(5) / math.log(32))  # 4.3519 pJ/B
    pj_64k = 2.5 * (64 / 32) ** (math.log(5) / math.log(32))  # 3.4577 pJ/B
    assert buffer_pj_per_byte(arch, "input", False) == pytest.approx(pj_128k)
    assert buffer_pj_per_byte(arch, "output", True) == pytest.approx(pj_64k)
    expected_pj = (
        layer.macs * 0.3  # 262,144 MACs x (0.2 + 0.1) pJ
        + layer.sram_read_bytes["input"] * pj_128k
        + layer.sram_read_bytes["weight"] * pj_128k
        + layer.sram_read_bytes["output"] * pj_64k
        + layer.sram_write_bytes["output"] * pj_64k  # writes cost reads (assumption)
        # DMA fills of the input and weight banks are SRAM writes of the DRAM bytes read
        + layer.sram_write_bytes["input"] * pj_128k
        + layer.sram_write_bytes["weight"] * pj_128k
        + (layer.dram_read_bytes + layer.dram_write_bytes) * 160.0
    )
    report = energy_report(result, arch)
    assert report.layers[0].energy_pj == pytest.approx(expected_pj)
    assert report.dynamic_pj == pytest.approx(expected_pj)
    assert report.dynamic_pj_by_component["array"] == pytest.approx(262_144 * 0.3)
    assert report.dynamic_pj_by_component["dram"] == (
        (layer.dram_read_bytes + layer.dram_write_bytes) * 160.0)
    # 64x64 int8 in + 64x64 int8 weights are read from DRAM, the 32-bit output written back
    assert layer.dram_read_bytes == 2 * 64 * 64
    # static: area x 10 mW/mm^2 over the latency
    static_w = sum(report.area_mm2_by_component.values()) * 10.0 * 1e-3
    assert report.static_pj == pytest.approx(static_w * result.latency_s * 1e12)
    assert report.total_pj == pytest.approx(expected_pj + report.static_pj)
    # the arch stored in the result gives the same numbers
    assert energy_report(result).total_pj == pytest.approx(report.total_pj)


def test_area_by_component_by_hand() -> None:
    arch = load_arch("sole", ["technology_nm=45"])
    area = energy_report(simulate(arch, load_trace("vit_tiny", 224, 1, "sole", {}),
                                  record=False), arch).area_mm2_by_component
    assert area["array"] == pytest.approx(1024 * (282 + 137 + 48 * 4.5) * 1e-6)
    assert area["input"] == pytest.approx(256 * 8192 * 0.346 / 0.6 * 1e-6)
    assert area["e2softmax"] == pytest.approx(16 * (9 * 36 + 67) * 1e-6 + 256 / 1024 * 8192
                                              * 0.346 / 0.6 * 1e-6, rel=1e-6)
    assert "fp32" not in area  # SOLE design: no FP32 fallback unit


# ----------------------------------------------------------------------------- static vs latency
def test_static_energy_scales_linearly_with_latency(tmp_path: Path) -> None:
    trace = one_gemm(tmp_path, 4, 1024, 1024)  # 1 MiB of weights per 4 rows: DRAM-bound
    fast = load_arch("sole", ["dram.model=bandwidth"])
    slow = load_arch("sole", ["dram.model=bandwidth", "dram.bandwidth_gbps=12.8"])
    r_fast, r_slow = (simulate(a, trace, record=False) for a in (fast, slow))
    e_fast, e_slow = energy_report(r_fast, fast), energy_report(r_slow, slow)
    assert r_slow.total_cycles > 1.8 * r_fast.total_cycles
    assert e_slow.static_pj / e_fast.static_pj == pytest.approx(
        r_slow.total_cycles / r_fast.total_cycles)
    assert e_slow.dynamic_pj == pytest.approx(e_fast.dynamic_pj)  # same bytes, same MACs


# ----------------------------------------------------------------------------- SOLE vs FP32
@pytest.fixture(scope="module")
def sole_vs_fp32() -> tuple[dict[str, float], dict[str, float]]:
    trace = load_trace("vit_base", 224, 1, "sole", {})
    out = []
    for overrides in ([], ["sfu.kind=fp32"]):
        arch = load_arch("sole", overrides)
        result = simulate(arch, trace, record=False)
        report = energy_report(result, arch)
        per_kind: dict[str, float] = {}
        for layer, energy in zip(result.layers, report.layers, strict=True):
            per_kind[layer.kind] = per_kind.get(layer.kind, 0.0) + energy.sfu_pj
        out.append(per_kind)
    return out[0], out[1]


def test_sole_units_beat_fp32_fallback_in_sole_direction(sole_vs_fp32) -> None:
    """SOLE reports 3.04x (softmax) and 3.86x (layernorm) energy efficiency over prior custom
    hardware; against an FP32 fallback the datapath energy ratio is larger: 44.0 / 1.5433 =
    28.5x for softmax and 33.9 / 3.9317 = 8.6x for layernorm (same elements, so the ratio of
    the units' energies equals the ratio per element)."""
    sole, fp32 = sole_vs_fp32
    softmax = fp32["softmax"] / sole["softmax"]
    layernorm = fp32["layernorm"] / sole["layernorm"]
    assert softmax == pytest.approx(44.0 / 1.543333, rel=1e-4)
    assert layernorm == pytest.approx(33.9 / 3.931667, rel=1e-4)
    assert softmax > 3.04 and layernorm > 3.86  # same direction as SOLE, at least as large


def test_energy_summary_for_sweeps(tmp_path: Path) -> None:
    arch = load_arch("sole")
    result = simulate(arch, one_gemm(tmp_path, 64, 64, 64), record=False)
    summary = energy_summary(result, arch)
    report = energy_report(result, arch)
    assert summary["energy_mj"] == pytest.approx(report.total_pj * 1e-9)
    assert summary["area_mm2"] == pytest.approx(report.area_mm2)
    assert summary["avg_power_w"] == pytest.approx(report.total_pj * 1e-12 / result.latency_s)
    ops = 2 * 64 * 64 * 64
    assert summary["tops_per_w"] == pytest.approx(ops / (report.total_pj * 1e-12) / 1e12)
    assert set(report.to_dict()) >= {"energy_per_inference_mj", "area_mm2_by_component"}


def test_reference_device_gets_default_energy() -> None:
    spec: ArchSpec = load_arch("rtx4090")
    assert spec.energy == EnergySpec()
