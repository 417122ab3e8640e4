"""Issue 16 guarantee (a): a batch of b never costs more DRAM bytes, cycles or energy per
inference than b batch-1 runs (within 0.1%). The scheduler picks layer-major or image-major
per unit of groups (engine/batch_plan.py), never moving more bytes than image-major, which is
b batch-1 runs (or fewer, when a unit's weights stay on chip across images), and
engine/batch_check.py simulates that plan beside the image-major ones and the batch-1 plan,
keeping one within b batch-1 runs in cycles and bytes."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accelsim import build_trace, load_arch, simulate
from accelsim.analysis.energy import energy_report

TOLERANCE = 1.001


def per_inference(arch, model: str, image_size: int, batch: int, order: str = "auto",
                  objective: str = "latency") -> tuple[float, float, float, str]:
    """(DRAM bytes, cycles, energy in mJ) per inference and the batch order run, checked by
    the engine invariants (bytes and MACs conserved, producers first, banks)."""
    r = simulate(arch, build_trace(model, image_size=image_size, batch=batch), record=False,
                 check=True, batch_order=order, objective=objective)
    assert sum(x.macs for x in r.layers) == r.total_macs
    return ((r.dram_read_bytes + r.dram_write_bytes) / batch, r.total_cycles / batch,
            energy_report(r).energy_per_inference_mj, r.model["batch_order"])


def violations(one: tuple, many: tuple) -> list[str]:
    """The per-inference costs of ``many`` above ``one``'s beyond the tolerance."""
    return [name for name, a, b in zip(("bytes", "cycles", "energy"), one, many, strict=False)
            if b > a * TOLERANCE]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          derandomize=True)  # the known counterexample below is pinned, not drawn at random
@given(batch=st.integers(2, 4), input_kib=st.sampled_from([8, 16, 64, 256]),
       weight_kib=st.sampled_from([16, 64, 256, 1024]), edge=st.sampled_from([8, 16, 32]),
       model=st.sampled_from(["vit_tiny", "deit_tiny"]), image_size=st.sampled_from([64, 96]),
       objective=st.sampled_from(["latency", "energy", "edp"]))
# CI's counterexample: under the energy objective layer-major saved bytes but cost 0.84% more
# cycles per inference (965,199.5 vs 957,123); an order is taken only when neither is worse
@example(batch=4, input_kib=8, weight_kib=16, edge=16, model="vit_tiny", image_size=96,
         objective="energy")
# the composed plan 0.57% slower than batch 1 in simulation though the estimate ranked it no
# slower (test_known_counterexample_latency_batch_2)
@example(batch=2, input_kib=8, weight_kib=1024, edge=8, model="vit_tiny", image_size=96,
         objective="latency")
def test_batch_never_costs_more_per_inference(batch: int, input_kib: int, weight_kib: int,
                                              edge: int, model: str, image_size: int,
                                              objective: str) -> None:
    arch = load_arch("sole", {"buffers.input.size_bytes": f"{input_kib}KiB",
                              "buffers.weight.size_bytes": f"{weight_kib}KiB",
                              "array.rows": edge, "array.cols": edge})
    one = per_inference(arch, model, image_size, 1, objective=objective)
    many = per_inference(arch, model, image_size, batch, objective=objective)
    assert many[3] in ("image-major", "layer-major", "mixed")
    assert violations(one, many) == [], (one, many)
    # the simulated check holds bytes and cycles exactly, not only within the tolerance
    assert many[0] <= one[0] and many[1] <= one[1], (one, many)
    # image-major alone is b batch-1 runs, less any weights kept across images
    image = per_inference(arch, model, image_size, batch, "image-major", objective)
    assert image[0] <= one[0] * TOLERANCE


def test_known_counterexample_latency_batch_2() -> None:
    # found by hypothesis on 2026-12-02: the estimate composed a mixed plan that plays
    # 3,457,479 cycles per inference at batch 2 against batch 1's 3,437,853 (+0.57%; DRAM
    # contention between groups the estimate does not see); engine.batch_check simulates it
    # beside every unit image-major (3,375,698.5) and keeps the latter
    arch = load_arch("sole", {"buffers.input.size_bytes": "8KiB",
                              "buffers.weight.size_bytes": "1024KiB",
                              "array.rows": 8, "array.cols": 8})
    one = per_inference(arch, "vit_tiny", 96, 1)
    many = per_inference(arch, "vit_tiny", 96, 2)
    assert violations(one, many) == [], (one, many)
    assert one[1] == 3_437_853 and many[1] == 3_375_698.5 and many[3] == "image-major"
    r = simulate(arch, build_trace("vit_tiny", image_size=96, batch=2), record=False)
    check = r.model["batch_check"]
    assert check["chosen"] == "image-major"
    assert check["plans"]["composed"] == {"cycles": 6_914_958, "dram_bytes": 11_602_544}
    assert check["batch_1_runs"] == {"cycles": 2 * 3_437_853, "dram_bytes": 2 * 8_150_104}
    assert "composed exceeds 2 batch-1 runs in cycles" in check["reason"]


def test_the_property_can_fail() -> None:
    # layer-major is not always legal under the guarantee: ViT-Ti at 224 with a 64 KiB input
    # buffer keeps one image's LayerNorm output (37.8 KB) on chip, not two, so a batch of 2
    # played layer-major moves 13.5% more bytes per inference (25,126,528 vs 22,140,760) and
    # more energy; auto composes a mixed plan (20,430,976 B, 1,799,953 cycles per inference)
    # and keeps every unit image-major instead, faster (1,781,165) and still fewer bytes than
    # one image (21,477,208: weights kept across the two images)
    arch = load_arch("sole", {"buffers.input.size_bytes": "64KiB"})
    one = per_inference(arch, "vit_tiny", 224, 1)
    layer = per_inference(arch, "vit_tiny", 224, 2, "layer-major")
    auto = per_inference(arch, "vit_tiny", 224, 2)
    assert one[0] == 22_140_760 and layer[0] == 25_126_528
    assert violations(one, layer) == ["bytes", "energy"]
    assert violations(one, auto) == [] and auto[3] == "image-major"
    assert auto[0] == 21_477_208 and auto[1] == 1_781_165
