"""Banked DRAM in the engine: hand-computed transfer cycles, per-layer hit rates and achieved
bandwidth, energy per action, the Ramulator trace, and banked >= bandwidth at the same peak."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim import build_trace, simulate
from accelsim.analysis.dram_trace import ramulator_trace
from accelsim.analysis.energy import energy_report
from accelsim.arch.load import arch_from_dict
from accelsim.cost.dram import action_energy
from accelsim.errors import ConfigError
from accelsim.workload.ops import Gemm, Tensor
from accelsim.workload.trace import Trace


def banked_arch(model: str = "banked", **dram: object):
    """4x4 WS array at 1.6 GHz = the LPDDR4-3200 command clock (1 cycle = 1 nCK), one x16
    channel (6.4 GB/s peak, 4 B/cycle), latency 2 ns."""
    return arch_from_dict({
        "name": "tiny-banked", "clock_hz": 1.6e9,
        "array": {"rows": 4, "cols": 4, "dataflow": "ws", "overlap_weight_load": False},
        "buffers": {"input": {"size_bytes": 1024, "banks": 2},
                    "weight": {"size_bytes": 64, "banks": 2},
                    "output": {"size_bytes": 4096, "banks": 2}},
        "dram": {"model": model, "preset": "LPDDR4-3200", "timing": {"channels": 1},
                 "latency_ns": 2, **dram},
    }, "tiny-banked")


def one_gemm_trace(m: int = 8, n: int = 8, k: int = 8, transposed: bool = False) -> Trace:
    return Trace(
        name="g",
        tensors=(Tensor("a", (m, k), 8, role="input"), Tensor("b", (k, n), 8, role="weight"),
                 Tensor("c", (n, m) if transposed else (m, n), 32, transposed=transposed)),
        ops=(Gemm(name="g", m=m, n=n, k=k, inputs=("a", "b"), outputs=("c",)),),
    ).validate()


def test_gemm_transfers_by_hand() -> None:
    # Tiles 8x4x8 (one 4-column half of B each, as in test_engine's hand-computed log).
    # Placement: B is a weight, stored in 4-column panels: each B tile is 32 contiguous bytes =
    # 1 burst (32 B): a fresh ACT, tRCD 29 + tBURST 8 = 37 nCK. A (input, row-major, 8 B rows
    # padded to a 64 B pitch) is 8 runs of 8 B, 64 B apart: 8 bursts in one row of bank 0 =
    # one segment, 29 + 7 x 8 + 8 = 93. Each C tile (int32, 16 B of each 32 B row, pitch 64):
    # 8 bursts in one row, 93; the read -> write turnaround RL + 2 - WL = 16 hides behind its
    # first ACT (29). Busy: 37 + 93 + 37 + 93 + 93 = 353 cycles, no refresh (tREFI 6246).
    r = simulate(banked_arch(), one_gemm_trace(), record=False)
    layer = r.layer("g")
    assert r.dram_busy_cycles == layer.dram_busy_cycles == 353
    assert layer.dram_read_bursts == 1 + 8 + 1 and layer.dram_write_bursts == 16
    assert layer.dram_activates == 5
    assert layer.dram_row_hit_rate == pytest.approx(21 / 26)
    assert layer.dram_achieved_gbps == pytest.approx(
        (32 + 64 + 32 + 256) / 353 * 1.6e9 / 1e9)


def test_gemm_written_transposed_by_hand() -> None:
    # The same GEMM with C stored transposed ([n, m], for a reader wanting columns): each
    # 8x4 output tile is written as 4 runs (one per output column) of 8 int32 = 32 B, one
    # 32 B burst each, 64 B apart (the 32 B rows of C^T padded to a 64 B pitch): 4 bursts in
    # one row, 29 + 3 x 8 + 8 = 61 nCK per tile instead of 93; 8 write bursts (no burst half
    # used), reads and the rest unchanged. Busy: 37 + 93 + 37 + 61 + 61 = 289.
    r = simulate(banked_arch(), one_gemm_trace(transposed=True), record=False,
                 dram_requests=True)
    layer = r.layer("g")
    assert r.dram_busy_cycles == layer.dram_busy_cycles == 289
    assert layer.dram_read_bursts == 10 and layer.dram_write_bursts == 8
    assert layer.dram_row_hit_rate == pytest.approx(13 / 18)
    stores = [int(x.split()[1], 16) for x in ramulator_trace(r).splitlines()
              if x.startswith("ST")]
    assert stores == [stores[0] + 64 * i for i in range(8)]  # row i of C^T = column i of C
    # on the bandwidth model a transposed write moves the same bytes: the same cycles
    flat = banked_arch("bandwidth")
    assert simulate(flat, one_gemm_trace(transposed=True)).total_cycles == \
        simulate(flat, one_gemm_trace()).total_cycles


def test_banked_energy_is_per_action() -> None:
    arch = banked_arch()
    r = simulate(arch, one_gemm_trace(), record=False)
    d = action_energy(arch.dram)
    layer = r.layer("g")
    e = energy_report(r)
    assert e.layers[0].dram_pj == pytest.approx(5 * d.activate_pj + 10 * d.read_burst_pj
                                                + 16 * d.write_burst_pj)
    assert e.static_mw_by_component["dram"] == pytest.approx(1.1 * 33.0)
    assert layer.dram_bytes * arch.energy.dram_pj_per_byte != pytest.approx(e.layers[0].dram_pj)


def test_ramulator_trace_has_one_line_per_burst() -> None:
    r = simulate(banked_arch(), one_gemm_trace(), record=False, dram_requests=True)
    lines = ramulator_trace(r).splitlines()
    assert len(lines) == 26
    assert sum(x.startswith("ST 0x") for x in lines) == 16
    assert all(x.split()[0] in ("LD", "ST") and int(x.split()[1], 16) % 32 == 0 for x in lines)
    assert lines[0] == "LD 0x0"  # B's first panel: the first weight, at address 0


@settings(max_examples=12, deadline=None)
@given(st.integers(1, 64), st.integers(1, 64), st.integers(1, 64))
def test_banked_never_faster_than_bandwidth_at_same_peak(m: int, n: int, k: int) -> None:
    trace = one_gemm_trace(m, n, k)
    banked = simulate(banked_arch(), trace, record=False)
    bandwidth = simulate(banked_arch("bandwidth"), trace, record=False)
    assert banked_arch("bandwidth").dram_bytes_per_cycle == pytest.approx(4.0)
    assert banked.total_cycles >= bandwidth.total_cycles
    assert banked.dram_busy_cycles >= bandwidth.dram_busy_cycles


def test_vit_tiny_banked_runs_and_reports() -> None:
    from accelsim.arch.load import load_arch

    arch = load_arch("sole", {"dram.model": "banked", "dram.preset": "LPDDR4-3200"})
    r = simulate(arch, build_trace("vit_tiny"), record=False, check=True)
    streamed = [x for x in r.layers if x.dram_bytes]
    assert all(0.0 <= x.dram_row_hit_rate <= 1.0 for x in streamed)
    assert all(0 < x.dram_achieved_gbps <= 25.6 + 1e-9 for x in streamed)
    assert r.dram_refreshes == int(r.latency_s * 1e9 // (6246 * 0.625))


@pytest.mark.parametrize(("dram", "message"), [
    ({"preset": "LPDDR9"}, "preset"),
    ({"address_mapping": "RoBaRaChCo"[:8]}, "address_mapping"),
    ({"address_mapping": "CoRoBaRaCh"}, "only Ch may sit below Co"),
    ({"efficiency": 0.9}, "efficiency applies to model 'bandwidth' only"),
    ({"bandwidth_gbps": 12.8}, "disagrees with the banked timing's peak"),
    ({"timing": {"tRFC": 7000}}, "tRFC must be shorter than tREFI"),
])
def test_bad_banked_config_is_one_clear_error(dram: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        banked_arch(**dram)


def test_banked_without_timing_is_an_error() -> None:
    with pytest.raises(ConfigError, match="needs a 'preset' or a 'timing'"):
        arch_from_dict({"name": "x", "clock_hz": 1e9,
                        "array": {"rows": 4, "cols": 4, "dataflow": "ws"},
                        "buffers": {"unified": {"size_bytes": 4096}},
                        "dram": {"model": "banked", "bandwidth_gbps": 4}}, "x")


def test_summary_names_the_banked_hit_rate() -> None:
    from accelsim.analysis.report import summary_lines

    lines = dict(summary_lines(simulate(banked_arch(), one_gemm_trace(), record=False)))
    # 21 of 26 bursts hit; 384 B in 353 cycles at 1.6 GHz = 1.7 GB/s
    assert lines["DRAM (banked)"] == ("row hit rate 80.8%, 1.7 GB/s achieved while busy, "
                                      "0 refreshes per channel")
    flat = dict(summary_lines(simulate(banked_arch("bandwidth"), one_gemm_trace(),
                                       record=False)))
    assert "DRAM (banked)" not in flat
