"""The engine times softmax / layernorm with the SOLE unit models (cost.sfu): hand-computed
cycle counts for ViT-B on sole.yaml, and the FP32 fallback's slowdown."""

from __future__ import annotations

import pytest

import accelsim
from accelsim.cost.sfu import fp32_fallback_cycles


@pytest.fixture(scope="module")
def unfused():
    arch = accelsim.load_arch("sole", {"fusion.attention": False})
    return accelsim.simulate(arch, accelsim.build_trace("vit_base"), record=False)


def test_softmax_cycles_hand_computed(unfused):
    # 12 heads x 197 rows = 2364 rows of 197 int8 scores; uint8 out.
    # input bank 256KiB/2 = 131072 B -> 665 rows; output bank 128KiB/2 = 65536 B -> 332 rows.
    # 332 rows/tile -> ceil(2364/332) = 8 tiles -> balanced to ceil(2364/8) = 296 rows
    # (7 tiles of 296, last of 2364 - 7*296 = 292).
    # E2Softmax, 16 lanes, depth 4: (rows + 1) * ceil(197/16) + 2*4 = (rows + 1) * 13 + 8
    # -> 7 * (297*13 + 8) + (293*13 + 8) = 7 * 3869 + 3817 = 30900
    layer = unfused.layer("block0.softmax")
    assert layer.unit == "e2softmax"
    assert layer.compute_cycles == 30900
    # the 4-bit log2 intermediate, ping-pong: 2 * ceil(296 * 197 * 4 / 8) = 58312 bytes on chip
    assert layer.onchip_bytes == 2 * (296 * 197 * 4 // 8)


def test_layernorm_cycles_hand_computed(unfused):
    # 197 tokens x 768 int8 channels; output bank 65536 B / 768 B = 85 tokens per tile
    # -> 3 tiles, balanced to 66, 66, 65 tokens.
    # AILayerNorm, 16 lanes, depth 4: (tokens + 1) * 48 + 8
    # -> 2 * (67*48 + 8) + (66*48 + 8) = 2 * 3224 + 3176 = 9624
    layer = unfused.layer("block0.ln1")
    assert layer.unit == "ailayernorm"
    assert layer.compute_cycles == 9624


def test_fp32_fallback_is_slower_and_uses_its_model():
    trace = accelsim.build_trace("vit_tiny")
    sole = accelsim.simulate(accelsim.load_arch("sole", {"fusion.attention": False}), trace,
                             record=False)
    fp32 = accelsim.simulate(
        accelsim.load_arch("sole", {"fusion.attention": False, "sfu.kind": "fp32"}), trace,
        record=False)
    sm = fp32.layer("block0.softmax")
    assert sm.unit == "fp32"
    # vit_tiny: 3 heads x 197 rows = 591 rows of 197; 296-row tiles as above but the output
    # bank limits to 332 rows -> ceil(591/332) = 2 tiles -> 296 + 295 rows.
    # fp32 unit (sole.yaml): 8 lanes, depth 8, exp 4 cycles/beat, softmax 3 passes, 2 special.
    expected = sum(fp32_fallback_cycles(r * 197, 8, 3, 8, special_function_passes=2,
                                        special_function_cycles=4) for r in (296, 295))
    assert sm.compute_cycles == expected
    assert fp32.total_cycles > sole.total_cycles
    share = lambda r: sum(r.unit_busy_cycles.get(u, 0) for u in  # noqa: E731
                          ("e2softmax", "ailayernorm", "fp32")) / r.total_cycles
    assert share(fp32) > 3 * share(sole)


def test_sram_port_limits_an_unfused_requant():
    # With the epilogue unfused, block0.q.requant reads int32 accumulators (768 x 4 B a row)
    # through the input buffer's 32 B/cycle read port while the vector unit would take 32
    # elements (128 B) a cycle. Tiles: input bank 131072 B / 3072 B = 42 rows, output bank
    # 65536 B / 768 B = 85 rows -> 42 rows -> ceil(197/42) = 5 tiles -> 40, 40, 40, 40, 37.
    # vector: ceil(40*768/32) + 2 = 962 cycles; port: 40*768*4 / 32 = 3840 -> 2878 extra.
    # last tile: 888 + 2 = 890 cycles; port 37*768*4 / 32 = 3552 -> 2662 extra.
    trace = accelsim.build_trace("vit_base")
    narrow = accelsim.simulate(accelsim.load_arch("sole", {"fusion.epilogue": False}), trace,
                               record=False).layer("block0.q.requant")
    assert narrow.compute_cycles == 4 * 962 + 890
    assert narrow.stalls["sram"] == 4 * 2878 + 2662
    # a 128 B/cycle port feeds the unit: 40*768*4/128 = 960 <= 962 and 888 <= 890, no stall
    wide = accelsim.simulate(
        accelsim.load_arch("sole", {"fusion.epilogue": False,
                                    "buffers.input.read_bytes_per_cycle": 128}),
        trace, record=False).layer("block0.q.requant")
    assert wide.compute_cycles == narrow.compute_cycles
    assert wide.stalls["sram"] == 0
    assert wide.cycles < narrow.cycles


def test_pe_utilization_counts_packed_int4_macs():
    # w4a4 packs two int4 MACs per PE per cycle (sole.yaml: int4: 2), so a PE-cycle holds two
    # MACs: utilization = sum(MACs / rate) / (R x C x cycles) stays <= 1 (it read 173% when the
    # summary divided raw MACs by R x C x cycles)
    trace = accelsim.build_trace("vit_base", quant="w4a4")
    result = accelsim.simulate(accelsim.load_arch("sole"), trace, record=False)
    fc1 = result.layer("block0.fc1")
    assert fc1.precision == "int4" and fc1.macs_per_pe_per_cycle == 2
    slots = sum(x.macs / x.macs_per_pe_per_cycle for x in result.layers
                if x.unit == "array")
    assert result.pe_utilization == slots / (32 * 32 * result.total_cycles)
    assert 0.5 < result.pe_utilization < result.pe_utilization_busy <= 1.0
    assert result.total_macs / (32 * 32 * result.total_cycles) > 1.0  # the old, wrong ratio


@pytest.mark.parametrize("attention_fusion", [True, False])
def test_activation_loads_wait_for_their_producer(attention_fusion):
    # K feeds QK^T and V feeds SV. Those operands sit in the weight buffer, but they are
    # activations: no DMA read of them may start before the group producing them has written
    # its last tile (a missing dependency made them prefetch like weights, too early).
    arch = accelsim.load_arch("sole", {"fusion.attention": attention_fusion})
    result = accelsim.simulate(arch, accelsim.build_trace("vit_tiny"), record=True)
    log = result.extra["event_log"]

    def first(event: str, op: str) -> int:
        return min(c for c, comp, e, o in log if comp == "dma" and e == event and o == op)

    def last(event: str, op: str) -> int:
        return max(c for c, comp, e, o in log if comp == "dma" and e == event and o == op)

    k_written = last("write", "block0.k.requant")
    v_written = last("write", "block0.v.requant")
    assert first("read", "block0.qk") > k_written
    if attention_fusion:  # V is loaded by the fused group on behalf of SV
        assert first("read", "block0.sv") > v_written
    else:
        assert first("read", "block0.sv") > max(v_written, last("write", "block0.softmax"))
