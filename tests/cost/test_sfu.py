"""SFU cycle models: hand-computed numbers (arithmetic in comments) and a schedule recurrence."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.cost import sfu


def schedule_two_pass(items: int, beats: int, depth: int) -> int:
    """Event-by-event schedule of the two-stage ping-pong pipeline (independent of the formula).

    Pass 1 of row r issues when pass 1 of row r - 1 has issued and its bank is free (row r - 2's
    pass 2 has read each beat before row r rewrites it: start1 + depth > start2[r - 2]); pass 2
    of row r issues once row r's reduction is known and pass 2 of row r - 1 has issued.
    """
    start1: list[int] = []
    start2: list[int] = []
    for r in range(items):
        s1 = start1[-1] + beats if start1 else 0
        if r >= 2:
            s1 = max(s1, start2[r - 2] - depth + 1)
        start1.append(s1)
        ready = s1 + beats + depth
        start2.append(max(ready, start2[-1] + beats) if start2 else ready)
    return start2[-1] + beats + depth if items else 0


def test_e2softmax_cycles_by_hand():
    # one row, L = 197, 16 lanes: T = ceil(197 / 16) = 13; (1 + 1) * 13 + 2 * 4 = 34
    assert sfu.e2softmax_cycles(1, 197, 16, 4) == 34
    # ViT-B attention, 12 heads x 197 rows: (2364 + 1) * 13 + 8 = 30745 + 8 = 30753
    assert sfu.e2softmax_cycles(12 * 197, 197, 16, 4) == 30753
    # L = 577, 32 lanes: T = ceil(577 / 32) = 19; (2 + 1) * 19 + 2 * 3 = 57 + 6 = 63
    assert sfu.e2softmax_cycles(2, 577, 32, 3) == 63
    # exact multiple, no pipeline latency: T = 64 / 16 = 4; (3 + 1) * 4 = 16
    assert sfu.e2softmax_cycles(3, 64, 16, 0) == 16
    assert sfu.e2softmax_cycles(0, 197, 16, 4) == 0
    assert sfu.e2softmax_cycles(5, 0, 16, 4) == 0


def test_ailayernorm_cycles_by_hand():
    # 197 tokens x 768 channels, 16 lanes: T = 48; (197 + 1) * 48 + 2 * 5 + 20 = 9504 + 30 = 9534
    assert sfu.ailayernorm_cycles(197, 768, 16, 5, stats_latency_cycles=20) == 9534
    # no scalar latency: 1 token, 100 channels, 8 lanes: T = 13; 2 * 13 + 2 * 2 = 30
    assert sfu.ailayernorm_cycles(1, 100, 8, 2) == 30
    assert sfu.ailayernorm_cycles(0, 768, 16, 5, stats_latency_cycles=20) == 0


def test_vector_cycles_by_hand():
    # GELU on 197 x 3072: ceil(605184 / 16) = 37824 beats x 8 ops + 3 = 302595
    assert sfu.vector_cycles(197 * 3072, 16, 3, sfu.GELU_OPS_PER_ELEMENT) == 302595
    # 10 elements, 4 lanes: 3 beats x 1 op + 2 = 5
    assert sfu.vector_cycles(10, 4, 2) == 5
    assert sfu.vector_cycles(0, 4, 2) == 0


def test_fp32_fallback_by_hand():
    # softmax of 197 x 197 scores on 16 FP32 lanes: B = ceil(38809 / 16) = 2426;
    # 1 plain pass 2426 + 2 special passes 2 * 2426 * 4 = 19408 + 3 drains * 4 = 12
    # + dequant/requant ceil(38809 * 2 / 16) = ceil(4851.125) = 4852 -> 26698
    got = sfu.fp32_fallback_cycles(
        197 * 197,
        16,
        sfu.FP32_SOFTMAX_PASSES,
        4,
        dequant_quant_overhead_cycles_per_element=2,
        special_function_passes=sfu.FP32_SOFTMAX_SPECIAL_PASSES,
        special_function_cycles=4,
    )
    assert got == 26698
    # the same rows on E2Softmax: (197 + 1) * 13 + 8 = 2582, about 10x fewer cycles
    assert sfu.e2softmax_cycles(197, 197, 16, 4) == 2582
    # one plain pass, no overhead: ceil(100 / 10) = 10 + 1 drain = 11
    assert (
        sfu.fp32_fallback_cycles(100, 10, 1, 1, dequant_quant_overhead_cycles_per_element=0) == 11
    )
    assert sfu.fp32_fallback_cycles(0, 10, 3, 1) == 0


def test_intermediate_bytes_by_hand():
    # one row of 197 4-bit codes, ping-pong: 2 * ceil(788 / 8) = 2 * 99 = 198
    assert sfu.intermediate_bytes(1, 197) == 198
    # the same in 8 bits: 2 * 197 = 394 (the 4-bit codes need about half)
    assert sfu.intermediate_bytes(1, 197, sfu.INT8_INTERMEDIATE_BITS) == 394
    # 197 rows, one bank: ceil(38809 * 4 / 8) = ceil(19404.5) = 19405 vs 38809
    assert sfu.intermediate_bytes(197, 197, 4, banks=1) == 19405
    assert sfu.intermediate_bytes(197, 197, 8, banks=1) == 38809


def test_ops_per_element_constants():
    assert sfu.SOFTMAX_OPS_PER_ELEMENT == 5
    assert sfu.LAYERNORM_OPS_PER_ELEMENT == 7
    assert sfu.GELU_OPS_PER_ELEMENT == 8


@settings(max_examples=200, deadline=None)
@given(items=st.integers(0, 40), beats=st.integers(1, 50), depth=st.integers(0, 80))
def test_formula_matches_schedule(items, beats, depth):
    assert sfu.two_pass_pipeline_cycles(items, beats, depth) == schedule_two_pass(
        items, beats, depth
    )


@settings(max_examples=100, deadline=None)
@given(
    rows=st.integers(0, 50),
    length=st.integers(0, 600),
    lanes=st.integers(1, 64),
    depth=st.integers(0, 10),
)
def test_more_lanes_never_slower(rows, length, lanes, depth):
    assert sfu.e2softmax_cycles(rows, length, lanes + 1, depth) <= sfu.e2softmax_cycles(
        rows, length, lanes, depth
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda: sfu.e2softmax_cycles(-1, 10, 4, 1),
        lambda: sfu.e2softmax_cycles(1, 10, 0, 1),
        lambda: sfu.ailayernorm_cycles(1, 10, 4, -1),
        lambda: sfu.vector_cycles(10, 4, 1, ops_per_element=0),
        lambda: sfu.fp32_fallback_cycles(10, 4, 1, 1, special_function_passes=2),
        lambda: sfu.intermediate_bytes(1, 10, banks=-1),
        lambda: sfu.e2softmax_cycles(1.5, 10, 4, 1),
    ],
)
def test_rejects_bad_arguments(call):
    with pytest.raises(ValueError):
        call()
