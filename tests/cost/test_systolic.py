"""Closed-form systolic cycle model: hand-computed cases and properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.cost.systolic import (
    GemmTiming,
    compute_utilization,
    gemm_compute_cycles,
    gemm_folds,
    gemm_timing,
    mapping_efficiency,
    utilization,
)

# (rows, cols, dataflow, m, n, k, expected no-overlap cycles, expected overlap cycles)
HAND_CASES = [
    # WS 4x4, M=7 N=13 K=5: folds = ceil(5/4) * ceil(13/4) = 2 * 4 = 8; T = M = 7.
    # no overlap: 8 * (2*4 + 4 + 7 - 2) - 1 = 8 * 17 - 1 = 135 (SCALE-Sim golden: 135)
    # overlap: fill 4 + 7 * max(7, 4) + 7 + (4 + 4 - 2) - 1 = 4 + 49 + 7 + 6 - 1 = 65
    (4, 4, "ws", 7, 13, 5, 135, 65),
    # WS 2x2, M=N=K=2: one fold, 2*2 + 2 + 2 - 2 = 6 cycles, last index 5; overlap is the same.
    (2, 2, "ws", 2, 2, 2, 5, 5),
    # WS 2x3, M=1 N=3 K=6: folds = ceil(6/2) * ceil(3/3) = 3; T = 1.
    # no overlap: 3 * (4 + 3 + 1 - 2) - 1 = 17; overlap: 2 + 2 * max(1, 2) + 1 + 3 - 1 = 9
    (2, 3, "ws", 1, 3, 6, 17, 9),
    # OS 4x4, M=7 N=13 K=5: folds = ceil(7/4) * ceil(13/4) = 8; T = K = 5.
    # no overlap: 8 * (4 + 4 + 5 - 2) - 1 = 8 * 11 - 1 = 87 (golden: 87)
    # overlap: 0 + 7 * max(5, 4) + 5 + 6 - 1 = 35 + 10 = 45
    (4, 4, "os", 7, 13, 5, 87, 45),
    # OS 3x2, M=3 N=2 K=1: one fold, 3 + 2 + 1 - 2 = 4 cycles, last index 3.
    (3, 2, "os", 3, 2, 1, 3, 3),
    # OS 2x2, M=4 N=2 K=1: 2 folds of 2 + 2 + 1 - 2 = 3 -> 5; overlap: max(1, 2) + 1 + 2 - 1 = 4
    (2, 2, "os", 4, 2, 1, 5, 4),
    # IS 4x4, M=7 N=13 K=5: folds = ceil(5/4) * ceil(7/4) = 4; T = N = 13.
    # no overlap: 4 * (8 + 4 + 13 - 2) - 1 = 4 * 23 - 1 = 91 (golden: 91)
    # overlap: 4 + 3 * max(13, 4) + 13 + 6 - 1 = 4 + 39 + 18 = 61
    (4, 4, "is", 7, 13, 5, 91, 61),
    # IS 8x8, M=N=K=1: one fold, 16 + 8 + 1 - 2 = 23 cycles, last index 22 (golden: 22).
    (8, 8, "is", 1, 1, 1, 22, 22),
]


@pytest.mark.parametrize("rows, cols, dataflow, m, n, k, plain, overlapped", HAND_CASES)
def test_hand_computed_cycles(rows, cols, dataflow, m, n, k, plain, overlapped):
    assert gemm_compute_cycles(rows, cols, dataflow, m, n, k) == plain
    overlap = gemm_compute_cycles(rows, cols, dataflow, m, n, k, overlap_weight_load=True)
    assert overlap == overlapped


def test_timing_breakdown_ws():
    # WS 4x4, M=7 N=13 K=5: fill R = 4, stream M = 7, drain R + C - 2 = 6, interval 17.
    timing = gemm_timing(4, 4, "ws", 7, 13, 5)
    assert timing == GemmTiming(cycles=135, folds=8, row_folds=2, col_folds=4, fill_cycles=4,
                                stream_cycles=7, drain_cycles=6, fold_interval_cycles=17)
    assert gemm_timing(4, 4, "ws", 7, 13, 5, overlap_weight_load=True).fold_interval_cycles == 7


def test_os_has_no_fill():
    timing = gemm_timing(4, 4, "os", 7, 13, 5)
    assert (timing.fill_cycles, timing.stream_cycles, timing.drain_cycles) == (0, 5, 6)


def test_macs_per_pe_packs_k():
    # int4 in an int8 PE: K = 9 -> K_eff = ceil(9 / 2) = 5 reduction steps.
    # WS 4x4, M=7 N=13: folds = ceil(5/4) * ceil(13/4) = 8 as for K = 5 -> 135 cycles.
    assert gemm_compute_cycles(4, 4, "ws", 7, 13, 9, macs_per_pe_per_cycle=2) == 135
    # OS: T = K_eff = 5 -> same as K = 5: 87 cycles.
    assert gemm_compute_cycles(4, 4, "os", 7, 13, 9, macs_per_pe_per_cycle=2) == 87
    assert gemm_folds(4, 4, "is", 7, 13, 9, macs_per_pe_per_cycle=2) == 4


def test_folds_per_dataflow():
    # WS: ceil(K/R) * ceil(N/C); OS: ceil(M/R) * ceil(N/C); IS: ceil(K/R) * ceil(M/C)
    assert gemm_folds(4, 8, "ws", 100, 17, 9) == 3 * 3
    assert gemm_folds(4, 8, "os", 100, 17, 9) == 25 * 3
    assert gemm_folds(4, 8, "is", 100, 17, 9) == 3 * 13


def test_utilization_numbers():
    # OS 4x4, M=7 N=13 K=5, 87 cycles: 455 MACs / (16 * 87) = 0.326867...
    assert utilization(7 * 13 * 5, 4, 4, 87) == pytest.approx(455 / 1392)
    assert utilization(100, 4, 4, 10, macs_per_pe_per_cycle=2) == pytest.approx(100 / 320)
    # mapped M x N = 7 x 13 over 2 x 4 folds of 16 PEs: 91 / 128 = 0.7109375 (golden 71.09375 %)
    assert mapping_efficiency(4, 4, "os", 7, 13, 5) == pytest.approx(91 / 128)
    # compute util (OS): 91 * 5 / (8 * 16 * (4 + 4 + 5 - 2)) = 455 / 1408 (golden 32.3153 %)
    assert compute_utilization(4, 4, "os", 7, 13, 5) == pytest.approx(455 / 1408)
    # compute util (WS): mapped K x N = 65, T = 7, SCALE-Sim fold cycles 8 + 8 + 7 - 3 = 20:
    # 65 * 7 / (8 * 16 * 20) = 455 / 2560 = 0.177734375 (golden 17.7734375 %)
    assert compute_utilization(4, 4, "ws", 7, 13, 5) == pytest.approx(455 / 2560)


@pytest.mark.parametrize("bad", [
    dict(dataflow="rs"), dict(rows=0), dict(m=0), dict(k=-1), dict(cols=2.5),
    dict(macs_per_pe_per_cycle=0),
])
def test_rejects_bad_arguments(bad):
    args = dict(rows=4, cols=4, dataflow="ws", m=3, n=3, k=3, macs_per_pe_per_cycle=1)
    args.update(bad)
    with pytest.raises(ValueError):
        gemm_compute_cycles(**args)


shapes = st.tuples(st.integers(1, 64), st.integers(1, 64), st.integers(1, 300),
                   st.integers(1, 300), st.integers(1, 300), st.sampled_from(["ws", "os", "is"]),
                   st.integers(1, 4))


@settings(max_examples=300, derandomize=True)
@given(shapes)
def test_overlap_never_slower(shape):
    rows, cols, m, n, k, dataflow, p = shape
    plain = gemm_timing(rows, cols, dataflow, m, n, k, False, p)
    overlapped = gemm_timing(rows, cols, dataflow, m, n, k, True, p)
    assert overlapped.cycles <= plain.cycles
    if plain.folds == 1:
        assert overlapped.cycles == plain.cycles


@settings(max_examples=300, derandomize=True)
@given(shapes, st.integers(0, 16), st.integers(0, 16))
def test_bigger_array_never_more_folds(shape, extra_rows, extra_cols):
    rows, cols, m, n, k, dataflow, p = shape
    assert gemm_folds(rows + extra_rows, cols + extra_cols, dataflow, m, n, k, p) <= gemm_folds(
        rows, cols, dataflow, m, n, k, p)


@settings(max_examples=200, derandomize=True)
@given(shapes)
def test_utilizations_are_fractions(shape):
    rows, cols, m, n, k, dataflow, p = shape
    cycles = gemm_compute_cycles(rows, cols, dataflow, m, n, k, True, p)
    macs = m * n * math.ceil(k / p) * p
    # cycles is a last-cycle index (SCALE-Sim counting): the array ran cycles + 1 cycles.
    assert 0 < utilization(macs, rows, cols, cycles + 1, p) <= 1
    if min(rows, cols) > 1:
        assert 0 < utilization(macs, rows, cols, cycles, p) <= 1
    assert 0 < compute_utilization(rows, cols, dataflow, m, n, k, p) <= mapping_efficiency(
        rows, cols, dataflow, m, n, k, p) <= 1
