"""The why decomposition by hand: array busy + causes + no GEMM in flight = the span, the
waiting split by stall cycles, fused epilogues ignored, the sentence naming the worst layer."""

from __future__ import annotations

import pytest

from accelsim.analysis.records import LayerResult, SimResult
from accelsim.analysis.why import block_whys, explain, run_why
from accelsim.arch.load import load_arch

SOLE = load_arch("sole").model_dump(mode="json", exclude={"name"})


def _layer(name, block, unit, start, end, busy, stalls, fused="", reads=None):
    return LayerResult(
        name=name, kind="gemm", block=block, unit=unit, group=name, precision="int8",
        macs_per_pe_per_cycle=1, macs=1, ops=2, elements=1, dram_read_bytes=0,
        dram_write_bytes=0, onchip_bytes=0, sram_read_bytes=reads or {},
        sram_write_bytes={"weight": 10}, start_cycle=start, end_cycle=end, cycles=end - start,
        compute_cycles=busy, utilization=0.5, stall_cycles=end - start - busy, stalls=stalls,
        required_bandwidth_gbps=51.2, fused_into=fused)


# b0: a GEMM over [0, 100): 60 busy, stalls dram 30 + sram 10; a fused requant with a big
# (host) stall; then softmax alone over [100, 150); b1: a GEMM over [150, 200), 50 busy.
LAYERS = (
    _layer("b0.fc", "b0", "array", 0, 100, 60, {"dram": 30, "sram": 10},
           reads={"input": 6400}),
    _layer("b0.fc.requant", "b0", "vector", 0, 100, 5, {"dependency": 95}, fused="b0.fc"),
    _layer("b0.softmax", "b0", "e2softmax", 100, 150, 50, {}),
    _layer("b1.fc", "b1", "array", 150, 200, 50, {}),
)
RUN = SimResult(arch_name="sole", arch=SOLE, model={"name": "toy"}, clock_hz=1e9,
                total_cycles=200, unit_busy_cycles={"array": 110}, dram_busy_cycles=0,
                peak_bank_use={}, events=0, wall_time_s=0.0, layers=LAYERS)


def test_run_decomposition_by_hand():
    w = run_why(RUN)
    assert w.array_busy == pytest.approx(110 / 200)
    assert w.no_gemm == pytest.approx(50 / 200)  # softmax alone
    # 40 waiting cycles split 30:10 by the GEMM's stalls; the requant's 95 are ignored
    assert w.causes["dram"] == pytest.approx(30 / 200)
    assert w.causes["sram"] == pytest.approx(10 / 200)
    assert w.causes["dependency"] == 0
    assert w.array_busy + w.no_gemm + sum(w.causes.values()) == pytest.approx(1.0)
    assert w.sentence.startswith("array busy 55.0%; DRAM 15.0% (b0.fc: weights at 25.6 "
                                 "GB/s, 51.2 GB/s needed)")
    # 6400 B over 60 busy cycles: 107 B/cycle through a 32 B/cycle input port
    assert "SRAM ports 5.0% (b0.fc: input port 32 B/cycle, 107 needed)" in w.sentence
    assert "no GEMM in flight 25.0% (mostly e2softmax)" in w.sentence


def test_block_slices_by_hand():
    (b0, w0), (b1, w1) = block_whys(RUN)
    assert (b0, b1) == ("b0", "b1")
    assert w0.span_cycles == 150 and w1.span_cycles == 50
    assert w0.array_busy == pytest.approx(60 / 150) and w0.no_gemm == pytest.approx(50 / 150)
    assert w1.array_busy == pytest.approx(1.0) and w1.sentence == "array busy 100.0%"


def test_a_clipped_span_counts_only_its_share():
    w = explain(RUN, list(LAYERS), 50, 100)  # half of b0.fc
    assert w.array_busy == pytest.approx(30 / 50)
    assert w.causes["dram"] + w.causes["sram"] == pytest.approx(20 / 50)
