"""Engine: hand-computed event logs, roofs, conservation, ping-pong, fusion, determinism."""

from __future__ import annotations

import dataclasses
import math

import pytest

from accelsim import build_trace, load_arch, simulate
from accelsim.analysis.report import result_json
from accelsim.arch.load import arch_from_dict
from accelsim.engine.invariants import check_constants_read, check_producers_first
from accelsim.engine.plan import Group, Load, Step, Work
from accelsim.engine.scheduler import Scheduler
from accelsim.engine.simulator import _Engine
from accelsim.errors import SimulationError
from accelsim.workload.ops import Add, Gemm, Tensor
from accelsim.workload.trace import Trace


def tiny_arch(weight_banks: int = 2, residual: bool = False):
    """4x4 WS array, 1 GHz, 4 GB/s = 4 bytes/cycle, 2 ns = 2 cycles DRAM latency; the weight
    buffer is 64 bytes, so one weight bank holds 64 / banks bytes."""
    return arch_from_dict({
        "name": "tiny", "clock_hz": 1e9,
        "array": {"rows": 4, "cols": 4, "dataflow": "ws", "overlap_weight_load": False},
        "buffers": {"input": {"size_bytes": 1024, "banks": 2},
                    "weight": {"size_bytes": 32 * weight_banks, "banks": weight_banks},
                    "output": {"size_bytes": 4096, "banks": 2}},
        "dram": {"bandwidth_gbps": 4, "latency_ns": 2},
        "fusion": {"residual": residual},
    }, "tiny")


def one_gemm_trace(m: int = 8, n: int = 8, k: int = 8) -> Trace:
    return Trace(
        name="g",
        tensors=(Tensor("a", (m, k), 8, role="input"), Tensor("b", (k, n), 8, role="weight"),
                 Tensor("c", (m, n), 32)),
        ops=(Gemm(name="g", m=m, n=n, k=k, inputs=("a", "b"), outputs=("c",)),),
    ).validate()


# --------------------------------------------------------------------------- event log

def test_two_weight_tiles_event_log_by_hand() -> None:
    # C[8x8] = A[8x8] @ B[8x8], int8 operands, int32 output. B is 64 bytes, a weight bank 32:
    # the tiler takes tiles of 8x4x8 (MxNxK, one 4-column half of B each), A (64 B) once.
    # DRAM: 4 B/cycle, latency 2. Closed form per tile (WS, R = C = 4, T = M = 8):
    # folds = ceil(8/4) * ceil(4/4) = 2, fold = 2R + C + T - 2 = 18 cycles; the first tile pays
    # SCALE-Sim's -1: 2 * 18 - 1 = 35, the second 36 (35 + 36 = 71 = 4 folds * 18 - 1, the
    # closed form of the whole GEMM).
    #   t=0   read B tile 0 (32 B -> 8 cycles, channel 0..8)
    #   t=8   read A (64 B -> 16 cycles, channel 8..24); data there at 24 + 2 = 26
    #   t=24  read B tile 1 into the second bank (channel 24..32): ping-pong overlaps it with
    #   t=26  the first compute, 26..61 (35 cycles)
    #   t=61  write C tile 0 (8x4 int32 = 128 B -> 32 cycles, 61..93, landed 95);
    #         the second compute 61..97 (B tile 1 arrived at 34)
    #   t=97  write C tile 1 (97..129), landed 129 + 2 = 131 = total
    arch, trace = tiny_arch(), one_gemm_trace()
    result = simulate(arch, trace)
    assert result.extra["event_log"] == [
        (0, "dma", "read", "g"),
        (8, "dma", "read", "g"),
        (24, "dma", "read", "g"),
        (26, "array", "start", "g"),
        (61, "array", "end", "g"),
        (61, "dma", "write", "g"),
        (61, "array", "start", "g"),
        (97, "array", "end", "g"),
        (97, "dma", "write", "g"),
    ]
    layer = result.layer("g")
    assert result.total_cycles == 131
    assert layer.compute_cycles == 35 + 36
    assert (layer.dram_read_bytes, layer.dram_write_bytes) == (32 + 64 + 32, 2 * 128)
    # DRAM channel busy: 8 + 16 + 8 (reads) + 32 + 32 (writes)
    assert result.dram_busy_cycles == 96


def test_one_weight_bank_serialises_load_and_compute() -> None:
    # Same GEMM, weight buffer of one 32-byte bank: B tile 1 can only be read once tile 0's
    # bank is freed at the end of the first compute (61).
    #   0..8 B0, 8..24 A, compute 26..61 (as above)
    #   t=61 the freed bank goes to the DMA first: B1 61..69, arrives 71;
    #        the C0 write queues behind it on the channel: 69..101, landed 103
    #   compute 71..107 (36 cycles); C1 write 107..139, landed 141 = total
    result = simulate(tiny_arch(weight_banks=1), one_gemm_trace())
    assert result.extra["event_log"] == [
        (0, "dma", "read", "g"),
        (8, "dma", "read", "g"),
        (26, "array", "start", "g"),
        (61, "array", "end", "g"),
        (61, "dma", "read", "g"),
        (61, "dma", "write", "g"),
        (71, "array", "start", "g"),
        (107, "array", "end", "g"),
        (107, "dma", "write", "g"),
    ]
    assert result.total_cycles == 141


def gemm_plus_residual_trace() -> Trace:
    """d = (a @ b) + r: the same 8x8x8 GEMM, its int32 output plus an int32 residual."""
    return Trace(
        name="g+r",
        tensors=(Tensor("a", (8, 8), 8, role="input"), Tensor("b", (8, 8), 8, role="weight"),
                 Tensor("c", (8, 8), 32), Tensor("r", (8, 8), 32, role="input"),
                 Tensor("d", (8, 8), 32)),
        ops=(Gemm(name="g", m=8, n=8, k=8, inputs=("a", "b"), outputs=("c",)),
             Add(name="add", rows=8, length=8, inputs=("c", "r"), outputs=("d",))),
    ).validate()


def test_residual_add_in_the_output_path_event_log_by_hand() -> None:
    # fusion.residual: the add runs in g's output path; each 8x4 output tile's residual
    # (8 x 4 int32 = 128 B, 32 channel cycles) is read right after the tile's own loads, and
    # only the write-back waits for it, not the array.
    #   0..8 B0, 8..24 A (lands 26): step 0 handed over; 24..56 R0 (lands 58)
    #   26..61 compute tile 0 (35 cycles, as above); 56..64 B1 (lands 66); 64..96 R1 (lands 98)
    #   61 epilogue of tile 0 (R0 is there): vector 1 beat + depth 2 = 3 cycles, held 4 by
    #      the output buffer's read port (2 x 128 B at 64 B/cycle): 61..65
    #   65 write D0 (128 B) queues behind R1 on the channel: 96..128, lands 130
    #   66..102 compute tile 1 (36 cycles); its epilogue waits for the writer: 128..132
    #   132 write D1: 132..164, lands 166 = total
    result = simulate(tiny_arch(residual=True), gemm_plus_residual_trace(), check=True)
    assert result.extra["event_log"] == [
        (0, "dma", "read", "g"),
        (8, "dma", "read", "g"),
        (24, "dma", "read", "add"),
        (26, "array", "start", "g"),
        (56, "dma", "read", "g"),
        (61, "array", "end", "g"),
        (61, "epilogue", "start", "add"),
        (64, "dma", "read", "add"),
        (65, "epilogue", "end", "add"),
        (65, "dma", "write", "add"),
        (66, "array", "start", "g"),
        (102, "array", "end", "g"),
        (128, "epilogue", "start", "add"),
        (132, "epilogue", "end", "add"),
        (132, "dma", "write", "add"),
    ]
    assert result.total_cycles == 166
    g, add = result.layer("g"), result.layer("add")
    assert g.group == add.group == "g+add"
    # c never leaves the chip: g reads A and B, the add reads R and writes D
    assert (g.dram_read_bytes, g.dram_write_bytes) == (64 + 2 * 32, 0)
    assert (add.dram_read_bytes, add.dram_write_bytes) == (256, 256)
    assert result.dram_busy_cycles == 8 + 16 + 32 + 8 + 32 + 32 + 32
    # unfused, c makes the round trip (256 B out, 256 B back) and the add runs after the GEMM:
    # the GEMM as in the first test (C landed at 131); the add reads C (256 B, 131..195) and R
    # (195..259, lands 261), computes 261..269 (1 beat + depth 2, held 8 cycles by the input
    # port: 2 x 256 B at 64 B/cycle), writes D 269..333, landed 335
    unfused = simulate(tiny_arch(), gemm_plus_residual_trace(), check=True)
    assert unfused.dram_read_bytes - result.dram_read_bytes == 256
    assert unfused.dram_write_bytes - result.dram_write_bytes == 256
    assert unfused.total_cycles == 335


def test_a_broadcast_add_is_not_fused_as_a_residual() -> None:
    # c is one row (1 x 8) broadcast over the 8 rows of r: the GEMM's output tiles cover 8 of
    # the add's 64 elements, so the add runs on its own and writes all 64 int32 (256 B)
    trace = Trace(
        name="bcast",
        tensors=(Tensor("a", (1, 8), 8, role="input"), Tensor("b", (8, 8), 8, role="weight"),
                 Tensor("c", (1, 8), 32), Tensor("r", (8, 8), 32, role="input"),
                 Tensor("d", (8, 8), 32)),
        ops=(Gemm(name="g", m=1, n=8, k=8, inputs=("a", "b"), outputs=("c",)),
             Add(name="add", rows=8, length=8, inputs=("r", "c"), outputs=("d",))),
    ).validate()
    result = simulate(tiny_arch(residual=True), trace, record=False, check=True)
    assert result.layer("add").group == "add"
    assert result.layer("add").dram_write_bytes == 256


def test_reading_a_tensor_before_its_producer_is_an_invariant_violation() -> None:
    trace = gemm_plus_residual_trace()
    groups = Scheduler(tiny_arch(residual=True), trace).plan()
    early = Group(0, (trace.ops[0],), ("array",),
                  [Step(loads=(Load("output", 4, "g", "d", bank=False, produced=True),),
                        stages=(None,))])
    with pytest.raises(SimulationError, match=r"reads tensor 'd' produced by group\(s\) \[\]"):
        check_producers_first([early, Group(1, (trace.ops[1],), ("vector",), [])])
    check_producers_first(groups)  # the real plan passes
    # an image-major plan writes a tensor once per image: a reader waits for one writer (its
    # image's), not the last one; a reader waiting for none of them is still refused
    writer = Group(0, (trace.ops[1],), ("vector",), [])
    again = Group(1, (trace.ops[1],), ("vector",), [])
    reader = Group(2, (trace.ops[0],), ("array",), [Step(
        loads=(Load("output", 4, "g", "d", bank=False, produced=True),), stages=(None,))],
        deps=frozenset({0}))
    check_producers_first([writer, again, reader])
    lost = Group(2, reader.ops, reader.stage_units, reader.steps, deps=frozenset())
    with pytest.raises(SimulationError, match=r"produced by group\(s\) \[0, 1\]"):
        check_producers_first([writer, again, lost])


def test_a_fused_epilogue_reads_its_constants_once_and_a_plan_that_drops_them_is_refused() -> None:
    """ViT-B's position-embedding add is fused into the patch-embedding GEMM's epilogue; its
    197 x 768 INT8 table (151,296 B) must still come from DRAM, once, before the first tile."""
    trace = build_trace("vit_base")
    groups = Scheduler(load_arch("sole"), trace).plan()
    pos = [ld for g in groups for s in g.steps for ld in s.loads if ld.tensor == "embed.pos"]
    assert [ld.dram_bytes for ld in pos] == [trace.tensor("embed.pos").size_bytes] == [151_296]
    check_constants_read(trace, groups)
    stripped = []
    for g in groups:
        steps = [dataclasses.replace(s, loads=tuple(ld for ld in s.loads
                                                    if ld.tensor != "embed.pos"))
                 for s in g.steps]
        stripped.append(dataclasses.replace(g, steps=steps))
    with pytest.raises(SimulationError, match=r"op 'embed\.pos_add' reads constant 'embed\.pos' "
                                              r"\(151,296 B\) but the plan never loads it"):
        check_constants_read(trace, stripped)


# --------------------------------------------------------------------------- ViT-B on bundled archs

@pytest.fixture(scope="module")
def vit_base():
    return build_trace("vit_base")


@pytest.fixture(scope="module")
def vit_base_runs(vit_base):
    return {name: (load_arch(name), simulate(load_arch(name), vit_base, record=False))
            for name in ("sole", "edge_16x16", "tpu_v1_like")}


@pytest.mark.parametrize("name", ["sole", "edge_16x16", "tpu_v1_like"])
def test_every_layer_respects_compute_and_dram_roofs(vit_base_runs, name) -> None:
    arch, result = vit_base_runs[name]
    bpc = arch.dram_bytes_per_cycle
    assert len(result.layers) == len(build_trace("vit_base").ops)
    for layer in result.layers:
        # a layer lasts at least as long as its unit works and its bytes need on the channel
        dram_roof = math.ceil((layer.dram_read_bytes + layer.dram_write_bytes) / bpc - 1e-9)
        assert layer.cycles >= layer.compute_cycles, layer.name
        assert layer.cycles >= dram_roof, layer.name
        assert 0 <= layer.stall_cycles <= layer.cycles
    assert result.total_cycles >= result.unit_busy_cycles["array"]
    assert result.total_cycles >= result.dram_busy_cycles
    assert result.total_cycles == max(layer.end_cycle for layer in result.layers)


@pytest.mark.parametrize("name", ["sole", "edge_16x16", "tpu_v1_like"])
def test_bytes_and_macs_are_conserved(vit_base_runs, vit_base, name) -> None:
    arch, result = vit_base_runs[name]
    groups = Scheduler(arch, vit_base).plan()
    planned_reads = sum(ld.dram_bytes for g in groups for s in g.steps for ld in s.loads)
    planned_writes = sum(s.write_bytes for g in groups for s in g.steps)
    array_macs = sum(w.amount for g in groups for s in g.steps for w in s.stages
                     if w is not None and w.unit == "array")
    assert sum(layer.dram_read_bytes for layer in result.layers) == planned_reads
    assert sum(layer.dram_write_bytes for layer in result.layers) == planned_writes
    assert array_macs == vit_base.total_macs == result.total_macs
    # every weight byte is read at least once, every GEMM's output written at least once
    weights = sum(t.size_bytes for t in vit_base.tensors if t.role == "weight")
    assert planned_reads >= weights
    # the bandwidth model's channel is busy exactly ceil(bytes / bytes-per-cycle) per transfer;
    # the banked model (sole, edge_16x16) never less, and its busy cycles add up per layer
    transfers = [ld.dram_bytes for g in groups for s in g.steps for ld in s.loads if ld.dram_bytes]
    transfers += [s.write_bytes for g in groups for s in g.steps if s.write_bytes]
    bpc = arch.dram_bytes_per_cycle
    flat = sum(math.ceil(b / bpc - 1e-9) for b in transfers)
    if arch.dram.model == "bandwidth":
        assert result.dram_busy_cycles == flat
    else:
        assert result.dram_busy_cycles > flat
    assert sum(x.dram_busy_cycles for x in result.layers) == result.dram_busy_cycles


def test_bandwidth_starved_run_is_memory_bound(vit_base) -> None:
    # 0.5 GB/s at 1 GHz = 0.5 B/cycle: moving the bytes takes ~400 M cycles against ~17 M of
    # compute, so the latency is the DRAM time within 2%
    arch = load_arch("sole", ["dram.model=bandwidth", "dram.bandwidth_gbps=0.5"])
    result = simulate(arch, vit_base, record=False)
    dram_time = (result.dram_read_bytes + result.dram_write_bytes) / arch.dram_bytes_per_cycle
    assert dram_time <= result.total_cycles <= 1.02 * dram_time


def test_fusing_attention_keeps_scores_off_dram(vit_base) -> None:
    # Unfused, each of the 12 blocks writes the int8 scores (12 heads x 197 x 197 B, from qk's
    # fused requant) and softmax reads them back; softmax writes its int8 output and sv reads it.
    # Per block: 2 x 465,708 B more written and 2 x 465,708 B more read; the rest (Q, K, V in,
    # context out) is the same.
    scores = 12 * 197 * 197
    assert scores == 465_708
    fused = simulate(load_arch("sole"), vit_base, record=False)
    unfused = simulate(load_arch("sole", ["fusion.attention=false"]), vit_base, record=False)
    assert unfused.dram_write_bytes - fused.dram_write_bytes == 12 * 2 * scores == 11_176_992
    assert unfused.dram_read_bytes - fused.dram_read_bytes == 12 * 2 * scores
    softmax = unfused.layer("block0.softmax")
    assert (softmax.dram_read_bytes, softmax.dram_write_bytes) == (scores, scores)
    assert unfused.layer("block0.qk.requant").dram_write_bytes == scores
    assert fused.layer("block0.softmax").dram_read_bytes == 0
    assert fused.layer("block0.softmax").dram_write_bytes == 0


def _array_idle_between(result, before: str, after: str) -> int:
    """Cycles the array sat idle between an op ending in ``before`` and one in ``after``."""
    idle, end, last = 0, 0, ""
    for cycle, component, event, op in result.extra["event_log"]:
        if component != "array":
            continue
        if event == "start" and last.endswith(before) and op.endswith(after):
            idle += cycle - end
        if event == "end":
            end, last = cycle, op
    return idle


def test_a_heads_k_and_v_share_a_bank_so_the_next_head_prefetches(vit_base) -> None:
    # One head's K and V are 197 x 64 int8 each (12,608 B): together they fit one 128 KiB
    # weight bank of sole.yaml, so the next head's pair loads into the other bank while this
    # head computes and the array never waits between heads. With a 40 KiB weight buffer
    # (20 KiB banks) K and V take a bank each; the next head's V can only load once the last
    # SV frees its bank, so each of the 12 x 11 head switches waits, on the one DRAM channel
    # (25.6 B/cycle), for V (12,608 B: 493 cycles), the write-back of the last row block's
    # context (65 x 64 B: 163) and the next head's first Q block (66 x 64 B: 165), plus the
    # 100-cycle latency: 921 cycles (read off the event log), 132 x 921 = 121,572. (The
    # bandwidth model, where the hand count holds; on sole's banked LPDDR4 the same switches
    # cost 261,232 cycles: narrow per-head slices reach a fraction of the peak, README.)
    bw = ["dram.model=bandwidth"]
    shared = simulate(load_arch("sole", bw), vit_base)
    split = simulate(load_arch("sole", [*bw, "buffers.weight.size_bytes=40KiB"]), vit_base)
    assert _array_idle_between(shared, ".sv", ".qk") == 0
    assert _array_idle_between(split, ".sv", ".qk") == 132 * 921 == 121_572
    assert shared.total_cycles == 18_202_447  # 18,196,537 before the position embedding was read
    banked_split = simulate(load_arch("sole", ["buffers.weight.size_bytes=40KiB"]), vit_base)
    assert _array_idle_between(banked_split, ".sv", ".qk") == 261_232


def test_attention_that_does_not_fit_runs_unfused_instead_of_failing() -> None:
    # fp16 DeiT-Ti: one head's K is 198 x 64 x 2 B = 25,344 B, more than a 20 KiB weight bank,
    # so QK^T, softmax and SV run as separate groups whose tiler cuts K and V.
    trace = build_trace("deit_tiny", 224, 1, "fp16")
    small = simulate(load_arch("sole", ["buffers.weight.size_bytes=40KiB"]), trace,
                     record=False, check=True)
    assert small.layer("block0.qk").group == "block0.qk"
    assert small.layer("block0.softmax").dram_read_bytes == 3 * 198 * 198 * 2  # fp16 scores
    fits = simulate(load_arch("sole"), trace, record=False, check=True)
    assert fits.layer("block0.qk").group.startswith("block0.qk+")


def test_fused_attention_sizes_q_blocks_to_the_input_bank_and_runs_on_one_weight_bank() -> None:
    trace = build_trace("vit_tiny")
    # 4 KiB input buffer = 2 KiB banks: 2048 // 64 B per Q row = 32 rows at most, so 197 rows
    # take ceil(197/32) = 7 blocks of ceil(197/7) = 29 rows (29 x 64 = 1,856 B per bank)
    small_input = simulate(load_arch("sole", ["buffers.input.size_bytes=4KiB"]), trace,
                           record=False, check=True)
    assert small_input.layer("block0.qk").tiling.startswith(
        "fused attention: 3 heads x 7 row blocks of 29 rows")
    # one weight bank: a head's K and V (2 x 197 x 64 B) fit it together, so attention fuses
    one_bank = simulate(load_arch("sole", ["buffers.weight.banks=1"]), trace, record=False,
                        check=True)
    assert one_bank.layer("block0.softmax").group.startswith("block0.qk+")
    assert one_bank.layer("block0.softmax").dram_read_bytes == 0


def test_fused_residual_adds_skip_one_round_trip_each(vit_base) -> None:
    # fusion.residual: the 24 residual adds of ViT-B (197 x 768 int8 each) run in the output
    # path of proj / fc2; the GEMM's own output (151,296 B) is neither written nor read back.
    # The residual tile shares the output bank with the int32 accumulators (5 B per element
    # instead of 4), so fc2's tile shrinks from 99x160x448 to 99x128x512 and its input
    # (197 x 3072 int8 = 605,184 B, re-read once per N tile) is read 6 times instead of 5.
    tensor = 197 * 768
    off = simulate(load_arch("sole"), vit_base, record=False)
    on = simulate(load_arch("sole", ["fusion.residual=true"]), vit_base, record=False, check=True)
    assert off.dram_write_bytes - on.dram_write_bytes == 24 * tensor == 3_631_104
    fc2_off, fc2_on = off.layer("block0.fc2"), on.layer("block0.fc2")
    assert fc2_off.tiling.startswith("tile 99x160x448 ")
    assert fc2_on.tiling.startswith("tile 99x128x512 ")
    assert fc2_on.dram_read_bytes - fc2_off.dram_read_bytes == 197 * 3072 == 605_184
    # proj's tile shrinks the same way, so its input (197 x 768 int8) is read once more per
    # block: + 12 x tensor (the mapping search; the DRAM-first tiler kept proj's reads)
    assert on.dram_read_bytes - off.dram_read_bytes == 12 * 605_184 - 24 * tensor + 12 * tensor
    add = on.layer("block0.add1")
    assert add.group == "block0.proj+block0.proj.requant+block0.add1"
    assert (add.dram_read_bytes, add.dram_write_bytes) == (tensor, tensor)  # residual in, sum out
    assert on.layer("block0.proj.requant").dram_write_bytes == 0
    assert on.total_cycles < off.total_cycles
    assert on.total_cycles == 17_879_163  # banked sole with the mapping search; README
    assert on.total_macs == off.total_macs


def test_a_residual_produced_later_waits_for_its_own_gemm() -> None:
    # DeiT's head averages its two classifier outputs: head.avg = head.fc.out + head.fc_dist.out.
    # It can only join the second GEMM's output path (the first runs before fc_dist exists).
    result = simulate(load_arch("sole", ["fusion.residual=true"]), build_trace("deit_tiny"),
                      record=False, check=True)
    assert result.layer("head.avg").group == "head.fc_dist+head.fc_dist.requant+head.avg"
    assert result.layer("head.fc").group == "head.fc+head.fc.requant"


# --------------------------------------------------------------------------- ping-pong, bandwidth

@pytest.fixture(scope="module")
def vit_tiny():
    return build_trace("vit_tiny")


def test_single_banks_are_strictly_slower(vit_tiny) -> None:
    ping_pong = simulate(load_arch("sole"), vit_tiny, record=False)
    single = simulate(load_arch("sole", ["buffers.input.banks=1", "buffers.weight.banks=1",
                                         "buffers.output.banks=1"]), vit_tiny, record=False)
    assert single.total_cycles > ping_pong.total_cycles
    # same traffic and work, only the overlap is lost
    assert single.total_macs == ping_pong.total_macs
    assert single.unit_busy_cycles["array"] == ping_pong.unit_busy_cycles["array"]


def test_more_bandwidth_is_never_slower(vit_tiny) -> None:
    cycles = [simulate(load_arch("sole", ["dram.model=bandwidth", f"dram.bandwidth_gbps={bw}"]),
                       vit_tiny, record=False).total_cycles
              for bw in (3.2, 6.4, 12.8, 25.6, 51.2, 102.4)]
    assert all(slow >= fast for slow, fast in zip(cycles, cycles[1:], strict=False))
    assert cycles[0] > cycles[-1]


def test_more_banked_channels_are_never_slower(vit_tiny) -> None:
    cycles = [simulate(load_arch("sole", [f"dram.timing.channels={c}"]), vit_tiny,
                       record=False).total_cycles for c in (1, 2, 4, 8)]
    assert all(slow >= fast for slow, fast in zip(cycles, cycles[1:], strict=False))
    assert cycles[0] > cycles[-1]


def test_runs_are_deterministic(vit_tiny) -> None:
    arch = load_arch("sole")
    first, second = simulate(arch, vit_tiny), simulate(arch, vit_tiny)
    assert result_json(first) == result_json(second)
    assert first.extra["event_log"] == second.extra["event_log"]


# --------------------------------------------------------------------------- failures

def test_a_bank_never_released_is_reported_as_deadlock() -> None:
    # three input tiles but two banks and no step releases one: the DMA waits forever
    arch = tiny_arch()
    op = one_gemm_trace().ops[0]
    step = Step(loads=(Load("input", 16, "g", "a"),), stages=(Work("array", 5, "g", 1),))
    group = Group(0, (op,), ("array",), [step, step, step])
    with pytest.raises(SimulationError, match="deadlock"):
        _Engine(arch, [group], record=True).run()


@pytest.mark.parametrize("name", ["sole", "edge_16x16", "tpu_v1_like"])
@pytest.mark.parametrize("model", ["deit_tiny", "swin_tiny"])
def test_bundled_archs_finish_other_models(name, model) -> None:
    trace = build_trace(model, image_size=224)
    result = simulate(load_arch(name), trace, record=False)
    assert result.total_macs == trace.total_macs
    assert result.total_cycles >= result.unit_busy_cycles["array"] > 0
