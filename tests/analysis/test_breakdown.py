"""Latency breakdown: the block slices partition the latency exactly, busy time from the event
log (hand-computed) and without it, and the group-by tables agree with the summary."""

from __future__ import annotations

import pytest

from accelsim.analysis.breakdown import block_slices, busy_intervals, latency_breakdown
from accelsim.analysis.records import LayerResult, SimResult
from accelsim.analysis.report import summary_lines
from accelsim.analysis.views import group_table
from accelsim.arch.load import load_arch
from accelsim.engine.simulator import simulate
from accelsim.workload.load import load_trace


def _layer(name, kind, block, unit, start, end, busy, macs=0, elements=0, sram=0):
    return LayerResult(
        name=name, kind=kind, block=block, unit=unit, group=name, precision="int8",
        macs_per_pe_per_cycle=1 if unit == "array" else 0, macs=macs, ops=2 * macs or elements,
        elements=elements, dram_read_bytes=0, dram_write_bytes=0, onchip_bytes=0,
        sram_read_bytes={}, sram_write_bytes={}, start_cycle=start, end_cycle=end,
        cycles=end - start, compute_cycles=busy, utilization=0.0,
        stall_cycles=end - start - busy, stalls={"sram": sram}, required_bandwidth_gbps=0.0)


#: a 2x2 array at 1 GHz, 4-lane vector and softmax units, two blocks:
#:   b0.fc   array  span [0, 100), computes [10, 100): 90 cycles, 320 MACs
#:   b0.gelu vector span [50, 110), epilogue holds [60, 70) and [100, 110): 20 cycles, 40 el.
#:   b1.fc   array  span [95, 250) (weights prefetched from 95), one hold [130, 250) of which
#:           20 cycles wait on an SRAM port: 100 busy cycles, 400 MACs
#:   b1.sm   e2softmax span [200, 240), computes [200, 232): 32 cycles, 64 elements
LAYERS = (
    _layer("b0.fc", "gemm", "b0", "array", 0, 100, 90, macs=320),
    _layer("b0.gelu", "gelu", "b0", "vector", 50, 110, 20, elements=40),
    _layer("b1.fc", "gemm", "b1", "array", 95, 250, 100, macs=400, sram=20),
    _layer("b1.sm", "softmax", "b1", "e2softmax", 200, 240, 32, elements=64),
)
LOG = [(10, "array", "start", "b0.fc"), (60, "epilogue", "start", "b0.gelu"),
       (70, "epilogue", "end", "b0.gelu"), (95, "dma", "read", "b1.fc"),
       (100, "array", "end", "b0.fc"), (100, "epilogue", "start", "b0.gelu"),
       (110, "epilogue", "end", "b0.gelu"), (130, "array", "start", "b1.fc"),
       (200, "e2softmax", "start", "b1.sm"), (232, "e2softmax", "end", "b1.sm"),
       (250, "array", "end", "b1.fc")]


def _result(log: bool) -> SimResult:
    return SimResult(
        arch_name="toy", arch={"array": {"rows": 2, "cols": 2},
                               "sfu": {"vector": {"lanes": 4}, "e2softmax": {"lanes": 4}}},
        model={}, clock_hz=1e9, total_cycles=250,
        unit_busy_cycles={"array": 190, "e2softmax": 32, "vector": 20}, dram_busy_cycles=125,
        peak_bank_use={}, events=len(LOG), wall_time_s=0.0, layers=LAYERS,
        extra={"event_log": LOG} if log else {})


def test_blocks_own_the_cycles_up_to_their_last_end():
    # b1's prefetch from cycle 95 overlaps b0, which ends at 110: b1 owns [110, 250)
    assert block_slices(_result(True)) == [("b0", 0, 110), ("b1", 110, 250)]


def test_busy_intervals_from_the_event_log_by_hand():
    busy = busy_intervals(_result(True))
    assert busy == {"array": [(10, 100.0), (130, 230.0)],  # 120-cycle hold, 100 computing
                    "vector": [(60, 70.0), (100, 110.0)], "e2softmax": [(200, 232.0)]}
    assert busy_intervals(_result(False)) is None


def test_block_times_by_hand_with_the_event_log():
    b = latency_breakdown(_result(True))
    b0, b1 = b.blocks
    assert (b0.latency_cycles, b1.latency_cycles) == (110, 140)
    assert (b0.array_busy_cycles, b1.array_busy_cycles) == (90, 100)
    assert (b0.sfu_busy_cycles, b1.sfu_busy_cycles) == (20, 32)
    # PE utilization = MACs / (rows x cols x MACs/PE/cycle x block latency)
    assert b0.pe_utilization == pytest.approx(320 / (2 * 2 * 1 * 110))  # 72.7%
    assert b1.pe_utilization == pytest.approx(400 / (2 * 2 * 1 * 140))  # 71.4%
    assert b.pe_utilization == pytest.approx(720 / (4 * 250)) == _result(True).pe_utilization
    assert b.from_event_log


def test_block_times_without_the_log_spread_busy_over_spans():
    b0, b1 = latency_breakdown(_result(False)).blocks
    # b1.fc's 100 busy cycles over its 155-cycle span: 15 of them fall before cycle 110
    assert b0.array_busy_cycles == pytest.approx(90 + 100 * 15 / 155)
    assert b1.array_busy_cycles == pytest.approx(100 * 140 / 155)
    assert b0.sfu_busy_cycles == pytest.approx(20)  # gelu's span lies inside b0
    assert b1.sfu_busy_cycles == pytest.approx(32)


def test_unit_and_kind_times_by_hand():
    b = latency_breakdown(_result(True))
    units = {u.unit: u for u in b.units}
    assert units["array"].busy_share == 190 / 250
    assert units["array"].utilization_busy == pytest.approx((320 + 400) / 4 / 190)
    assert units["vector"].utilization_busy == pytest.approx(40 / 4 / 20)
    kinds = {k.kind: k for k in b.kinds}
    assert kinds["gemm"].busy_cycles == 190
    assert kinds["gemm"].share == pytest.approx(190 / 242)
    assert kinds["softmax"].units == ("e2softmax",)
    assert kinds["softmax"].utilization_busy == pytest.approx(64 / 4 / 32)


@pytest.fixture(scope="module", params=["sole", "tpu_v1_like"])
def run(request):
    return simulate(load_arch(request.param), load_trace("vit_tiny", 64, 1, "sole"))


def test_slices_partition_the_latency_exactly(run):
    b = latency_breakdown(run)
    assert b.blocks[0].start_cycle == 0
    assert all(x.end_cycle == y.start_cycle for x, y in zip(b.blocks, b.blocks[1:],
                                                                  strict=False))
    assert sum(x.latency_cycles for x in b.blocks) == run.total_cycles
    assert [x.block for x in b.blocks] == list(dict.fromkeys(x.block for x in run.layers))
    assert b.pe_utilization == pytest.approx(run.pe_utilization, rel=1e-12)


def test_event_log_busy_time_matches_the_unit_counters(run):
    busy = busy_intervals(run)
    assert busy is not None
    for unit, cycles in run.unit_busy_cycles.items():
        assert sum(b - a for a, b in busy.get(unit, [])) == pytest.approx(cycles, abs=1e-6)
    array = sorted(busy["array"])
    # one op at a time
    assert all(a[1] <= b[0] for a, b in zip(array, array[1:], strict=False))
    blocks = latency_breakdown(run).blocks
    assert sum(x.array_busy_cycles for x in blocks) == pytest.approx(
        run.unit_busy_cycles["array"], abs=1e-6)
    assert all(x.array_busy_cycles <= x.latency_cycles for x in blocks)


def test_group_tables_agree_with_the_summary(run):
    summary = dict(summary_lines(run))
    block = group_table(run, "block")
    total = block.rows[-1]
    assert total[0] == "total" and total[3] == f"{run.total_cycles:,}" and total[4] == "100.0%"
    assert total[-1] == f"{run.pe_utilization:.1%}"
    assert summary["PE utilization"].startswith(total[-1])
    assert "sum to the" in block.caption and "MACs / (rows x cols" in block.caption
    unit = group_table(run, "unit")
    shares = {row[0]: row[3] for row in unit.rows}
    for name, share in run.unit_share().items():
        assert shares[name] == f"{share:.1%}"
        assert f"{name} {share:.1%}" in summary["unit busy / latency"]
    assert shares["DRAM channel"] == f"{run.dram_busy_cycles / run.total_cycles:.1%}"
    kind = group_table(run, "kind")
    assert kind.rows[-1][3] == f"{sum(x.compute_cycles for x in run.layers):,}"
    assert "not of latency" in kind.caption
    with pytest.raises(ValueError):
        group_table(run, "layer")
