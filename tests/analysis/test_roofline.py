"""Roofs by hand, placements, the survey's per-operator table (ViT-Base, RTX 4090) and the
attained <= roof property."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accelsim.analysis.records import LayerResult
from accelsim.analysis.roofline import (
    arch_roofs,
    operator_growth,
    operator_table,
    place_layer,
    place_result,
    reference_placements,
)
from accelsim.arch.load import load_arch
from accelsim.engine.simulator import simulate
from accelsim.workload.load import load_trace


def _layer(**kw) -> LayerResult:
    base = dict(name="x", kind="gemm", block="b", unit="array", group="x", precision="int8",
                macs_per_pe_per_cycle=1,
                macs=0, ops=0, elements=0, dram_read_bytes=0, dram_write_bytes=0,
                onchip_bytes=0, sram_read_bytes={}, sram_write_bytes={}, start_cycle=0,
                end_cycle=0, cycles=0, compute_cycles=0, utilization=0.0, stall_cycles=0,
                stalls={}, required_bandwidth_gbps=0.0)
    base.update(kw)
    return LayerResult(**base)


def test_sole_roofs_by_hand():
    roofs = arch_roofs(load_arch("sole"))
    assert roofs.compute_ops_per_s["int8"] == 32 * 32 * 1 * 2 * 1e9 == 2.048e12
    assert roofs.compute_ops_per_s["int4"] == 32 * 32 * 2 * 2 * 1e9
    assert roofs.dram_bytes_per_s == pytest.approx(25.6e9)
    assert roofs.ridge("int8") == pytest.approx(80.0)
    assert roofs.ridge("int4") == pytest.approx(160.0)
    assert roofs.sram_read_bytes_per_s == {"input": 32e9, "weight": 32e9, "output": 128e9}
    assert roofs.unit_roof("e2softmax", 5) == 16 * 5 * 1e9


def test_rtx4090_roofs_by_hand():
    roofs = arch_roofs(load_arch("rtx4090"))
    assert roofs.compute_ops_per_s == {"fp16": 330e12, "int8": 660e12}
    assert roofs.dram_bytes_per_s == pytest.approx(1008e9)
    assert roofs.ridge("fp16") == pytest.approx(330e12 / 1008e9)  # 327.4 ops/B
    assert roofs.ridge("int8") == pytest.approx(2 * roofs.ridge("fp16"))


def test_compute_bound_gemm_placement():
    # 256x256x256 int8 GEMM: 2*256^3 ops, 3*64 KiB of DRAM bytes -> 170.7 ops/B > ridge 80
    roofs = arch_roofs(load_arch("sole"))
    macs = 256**3
    cycles = macs // 1024 + 500  # the array's minimum plus fill/drain
    p = place_layer(_layer(macs=macs, ops=2 * macs, dram_read_bytes=2 * 65536,
                           dram_write_bytes=65536, cycles=cycles, end_cycle=cycles), roofs)
    assert p.intensity == pytest.approx(2 * macs / (3 * 65536))
    assert p.bound == "compute"
    assert p.roof_ops_per_s == 2.048e12
    assert p.attained_ops_per_s == pytest.approx(2 * macs / (cycles / 1e9))
    assert p.roof_fraction == pytest.approx(macs / 1024 / cycles)


def test_onchip_roof_is_set_by_the_busiest_read_port():
    # A layer fused on chip (no DRAM bytes) reading 1,000 B from the input buffer (32 B/cycle:
    # 31.25 cycles), 100 B of weights (32 B/cycle: 3.125) and 10,000 B from the output buffer
    # (128 B/cycle: 78.125) needs >= 78.125 ns at 1 GHz: roof = 10,000 ops / 78.125 ns =
    # 1.28e11 ops/s. Pooling the ports (192 B/cycle) would claim 11,100 B / 192 = 57.8 ns.
    roofs = arch_roofs(load_arch("sole"))
    p = place_layer(_layer(ops=10_000, cycles=100, end_cycle=100,
                           sram_read_bytes={"input": 1000, "weight": 100, "output": 10_000}), roofs)
    assert p.intensity == math.inf
    assert p.onchip_seconds == pytest.approx(78.125e-9)
    assert p.bound == "on-chip"
    assert p.roof_ops_per_s == pytest.approx(1.28e11)
    assert p.attained_ops_per_s == pytest.approx(1e11)  # 10,000 ops in 100 ns
    assert p.roof_fraction == pytest.approx(0.78125)


def test_a_port_exactly_feeding_the_array_leaves_the_gemm_compute_bound():
    # WS 32x32 on sole: each fold streams T rows of 32 int8 inputs, 32 B per cycle, exactly the
    # input port's width: the on-chip roof equals the compute roof and the tie goes to compute.
    roofs = arch_roofs(load_arch("sole"))
    macs = 197 * 768 * 768
    cycles = macs // 1024
    p = place_layer(_layer(macs=macs, ops=2 * macs, cycles=cycles, end_cycle=cycles,
                           sram_read_bytes={"input": 32 * cycles}), roofs)
    assert p.onchip_roof_ops_per_s == pytest.approx(2.048e12)
    assert (p.bound, p.roof_ops_per_s) == ("compute", 2.048e12)


def test_memory_bound_softmax_placement():
    # softmax over 197x197 int8 scores read and 197x197 written: 5 ops / 2 bytes = 2.5 ops/B
    roofs = arch_roofs(load_arch("sole"))
    n = 197 * 197
    cycles = math.ceil(2 * n / 25.6) + 100
    p = place_layer(_layer(kind="softmax", unit="e2softmax", ops=5 * n, elements=n,
                           dram_read_bytes=n, dram_write_bytes=n, cycles=cycles,
                           end_cycle=cycles), roofs)
    assert p.intensity == pytest.approx(2.5)
    assert p.bound == "memory"
    assert p.compute_roof_ops_per_s == 16 * 5 * 1e9
    assert p.roof_ops_per_s == pytest.approx(2.5 * 25.6e9)
    assert p.attained_ops_per_s <= p.roof_ops_per_s


def test_fused_layer_has_infinite_intensity():
    roofs = arch_roofs(load_arch("sole"))
    p = place_layer(_layer(kind="softmax", unit="e2softmax", ops=500, elements=100, cycles=10,
                           end_cycle=10), roofs)
    assert math.isinf(p.intensity) and p.bound == "compute"
    assert p.to_dict()["intensity"] is None


# The survey (Du, Gong, Chu, arXiv 2405.00314, section II, roofline of ViT-B on an RTX 4090)
# tabulates per operator FLOPs, memory operations and arithmetic intensity. The table's
# numbers could not be retrieved here (only the paper's abstract pages were reachable), so the
# values below are derived by hand with the survey's stated convention: ViT-Base/16 at 224
# (197 tokens, dim 768, 12 heads, MLP 3072), FP16 (2 bytes), batch 1, every op reads its
# inputs and writes its outputs once; weights and biases count as inputs; 1 MAC = 2 ops;
# softmax 5, layernorm 7, GELU 8, add 1 op per element. Per block:
#   q/k/v/out proj: 2*197*768*768 = 232,390,656 ops;
#                   (197*768 + 768*768 + 768 + 197*768) * 2 = 1,786,368 B -> 130.09 ops/B
#   qk matmul:      2*12*197*197*64 = 59,610,624 ops;
#                   (2*197*768 + 12*197*197) * 2 = 1,536,600 B -> 38.79 ops/B
#   sv matmul:      same ops and bytes as qk
#   softmax:        5*12*197*197 = 2,328,540 ops; 2*12*197*197*2 = 1,862,832 B -> 1.25 ops/B
#   fc1:            2*197*768*3072 = 929,562,624 ops;
#                   (197*768 + 768*3072 + 3072 + 197*3072) * 2 = 6,237,696 B -> 149.02 ops/B
#   fc2:            929,562,624 ops; (197*3072 + 3072*768 + 768 + 197*768) * 2 = 6,233,088 B
#   gelu:           8*197*3072 = 4,841,472 ops; 2*197*3072*2 = 2,420,736 B -> 2.0 ops/B
#   norm (x2):      7*197*768*2 = 2,118,144 ops; 2*(2*197*768*2 + 2*768*2) = 1,216,512 B
#   add (x2):       197*768*2 = 302,592 ops; 2*3*197*768*2 = 1,815,552 B -> 0.1667 ops/B
SURVEY_VIT_BASE_224 = {  # operator: (ops per block, bytes per block)
    "q_proj": (232_390_656, 1_786_368), "k_proj": (232_390_656, 1_786_368),
    "v_proj": (232_390_656, 1_786_368), "out_proj": (232_390_656, 1_786_368),
    "qk_matmul": (59_610_624, 1_536_600), "sv_matmul": (59_610_624, 1_536_600),
    "softmax": (2_328_540, 1_862_832), "fc1": (929_562_624, 6_237_696),
    "fc2": (929_562_624, 6_233_088), "gelu": (4_841_472, 2_420_736),
    "norm": (2_118_144, 1_216_512), "add": (302_592, 1_815_552),
}


def _reference_table(image_size: int):
    spec = load_arch("rtx4090")
    roofs, placements = reference_placements(spec, load_trace("vit_base", image_size, 1, "fp16"))
    return {row.operator: row for row in operator_table(placements, roofs)}, roofs


def test_reference_table_matches_hand_derived_survey_values():
    table, roofs = _reference_table(224)
    assert set(table) == set(SURVEY_VIT_BASE_224)
    for operator, (ops, nbytes) in SURVEY_VIT_BASE_224.items():
        row = table[operator]
        assert (row.ops, row.bytes) == (ops, nbytes), operator
        assert row.intensity == pytest.approx(ops / nbytes)
        assert row.attained_ops_per_s == pytest.approx(min(330e12, ops / nbytes * 1008e9))
    # survey: everything below ~200 ops/B is memory-bound on the RTX 4090 (ridge 327 ops/B)
    assert all(row.bound == "memory" for row in table.values())
    assert table["fc1"].intensity == pytest.approx(149.02, abs=0.01)


def test_attention_matmuls_grow_superlinearly_224_to_384():
    small, _ = _reference_table(224)
    large, _ = _reference_table(384)
    tokens = (577 / 197)
    assert large["q_proj"].ops / small["q_proj"].ops == pytest.approx(tokens)
    for op in ("qk_matmul", "sv_matmul", "softmax"):
        assert large[op].ops / small[op].ops == pytest.approx(tokens**2)  # 8.58x
    assert large["qk_matmul"].ops / small["qk_matmul"].ops > 2.5 * tokens
    growth = {g.operator: g for g in operator_growth(list(small.values()), list(large.values()))}
    assert growth["qk_matmul"].ops_ratio == pytest.approx(tokens**2)
    assert growth["fc1"].ops_ratio == pytest.approx(tokens)
    # bytes: fc1 reads its 768x3072 weights once at any size, so they grow less than tokens
    assert growth["fc1"].bytes_ratio == pytest.approx(
        (577 * 768 * 2 + 768 * 3072 * 2 + 3072 * 2 + 577 * 3072 * 2)
        / (197 * 768 * 2 + 768 * 3072 * 2 + 3072 * 2 + 197 * 3072 * 2))
    assert growth["fc1"].intensity_after > growth["fc1"].intensity_before


def test_a_precision_without_its_own_roof_uses_the_next_wider_one():
    roofs = arch_roofs(load_arch("rtx4090"))  # fp16 330, int8 660 TOPS
    assert roofs.compute_roof("int4") == 660e12  # runs on the int8 tensor cores
    assert roofs.compute_roof("int8") == 660e12
    assert roofs.compute_roof("fp32") == 330e12  # no wider fp roof: the lowest peak


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(size=st.sampled_from([32, 48, 64]), rows=st.sampled_from([4, 8, 16, 32]),
       cols=st.sampled_from([4, 8, 16, 32]), gbps=st.sampled_from([1.0, 6.4, 25.6, 200.0]),
       lanes=st.sampled_from([2, 8, 32]), quant=st.sampled_from(["sole", "w8a8", "w4a4"]),
       kib=st.sampled_from([16, 64, 256]), in_port=st.sampled_from([2, 8, 32]),
       out_port=st.sampled_from([2, 4, 128]), residual=st.booleans())
@example(size=224, rows=32, cols=32, gbps=25.6, lanes=32, quant="sole", kib=256, in_port=32,
         out_port=4, residual=False)  # the write-back's reads once counted against the port
def test_attained_never_exceeds_roof(size, rows, cols, gbps, lanes, quant, kib, in_port,
                                     out_port, residual):
    spec = load_arch("sole", [f"array.rows={rows}", f"array.cols={cols}", "dram.model=bandwidth",
                              f"dram.bandwidth_gbps={gbps}", f"sfu.vector.lanes={lanes}",
                              f"sfu.e2softmax.lanes={lanes}", f"buffers.input.size_bytes={kib}KiB",
                              f"buffers.weight.size_bytes={kib}KiB",
                              f"buffers.input.read_bytes_per_cycle={in_port}",
                              f"buffers.output.read_bytes_per_cycle={out_port}",
                              f"fusion.residual={str(residual).lower()}"])
    result = simulate(spec, load_trace("vit_tiny", size, 1, quant), record=False)
    _, placements = place_result(result)
    for p in placements:
        assert p.attained_ops_per_s <= p.roof_ops_per_s * (1 + 1e-9), p


@pytest.mark.parametrize("channels", [1, 4])
def test_banked_dram_stays_under_the_roof(channels):
    spec = load_arch("sole", [f"dram.timing.channels={channels}"])  # banked LPDDR4-3200
    _, placements = place_result(simulate(spec, load_trace("vit_tiny", 224, 1, "sole"),
                                          record=False))
    for p in placements:
        assert p.attained_ops_per_s <= p.roof_ops_per_s * (1 + 1e-9), p


@pytest.fixture(scope="module")
def sole_vit_base():
    trace = load_trace("vit_base", 224, 1, "sole")
    roofs, placements = place_result(simulate(load_arch("sole"), trace, record=False))
    return trace, roofs, placements, {row.operator: row for row in operator_table(placements,
                                                                                    roofs)}


def test_simulated_operator_table_counts_transformer_blocks_only(sole_vit_base):
    trace, _, placements, table = sole_vit_base
    counts = {"q_proj": 1, "k_proj": 1, "v_proj": 1, "qk_matmul": 1, "sv_matmul": 1,
              "softmax": 1, "out_proj": 1, "fc1": 1, "fc2": 1, "norm": 2, "add": 2, "gelu": 1}
    # requants of block0 (one per quantized GEMM / matmul output); embed's and head's excluded
    counts["requant"] = sum(1 for op in trace.ops
                            if op.block == "block0" and op.name.endswith(".requant"))
    assert counts["requant"] == 8  # q k v qk sv proj fc1 fc2
    assert {op: row.per_block for op, row in table.items()} == counts
    # 1 MAC = 2 ops; q projection of 197 tokens x 768 -> 768 (bias adds are not ops):
    #   2 * 197 * 768 * 768 = 232,390,656 ops, exactly one layer per block
    assert table["q_proj"].ops == 2 * 197 * 768 * 768 == 232_390_656
    for name, row in table.items():
        assert isinstance(row.ops, int) and isinstance(row.bytes, int), name
        assert row.intensity == (row.ops / row.bytes if row.bytes else math.inf)
        assert row.attained_ops_per_s <= row.roof_ops_per_s * (1 + 1e-12), name
    # per-block bytes are one block's simulated DRAM bytes (all 12 blocks are alike here)
    block0 = {p.name: p for p in placements if p.block == "block0"}
    assert table["q_proj"].bytes == block0["block0.q"].dram_bytes
    assert table["norm"].bytes == (block0["block0.ln1"].dram_bytes
                                   + block0["block0.ln2"].dram_bytes)


def test_simulated_operator_attained_is_measured_not_the_roof(sole_vit_base):
    _, roofs, placements, table = sole_vit_base
    softmax = [p for p in placements if p.name.endswith(".softmax")]
    measured = sum(p.ops for p in softmax) / sum(p.seconds for p in softmax)
    row = table["softmax"]
    assert row.attained_ops_per_s == pytest.approx(measured, rel=1e-12)
    assert row.roof_ops_per_s == roofs.unit_roof("e2softmax", 5) == 80e9  # E2Softmax, not array
    assert row.attained_ops_per_s < 0.9 * row.roof_ops_per_s
    q = [p for p in placements if p.name.endswith(".q")]
    assert table["q_proj"].attained_ops_per_s == pytest.approx(
        sum(p.ops for p in q) / sum(p.seconds for p in q), rel=1e-12)
    assert table["q_proj"].roof_ops_per_s == 2.048e12
    assert table["q_proj"].attained_ops_per_s < table["q_proj"].roof_ops_per_s
