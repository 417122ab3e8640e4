"""Issue 16 guarantee (a): a batch of b never costs more DRAM bytes or cycles per inference
than b batch-1 runs (within 0.1%): the scheduler plays the batch image-major (the batch-1 plan
once per image) whenever layer-major would move more bytes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accelsim import build_trace, load_arch, simulate


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.integers(2, 4), input_kib=st.sampled_from([8, 16, 64, 256]),
       weight_kib=st.sampled_from([16, 64, 256]), edge=st.sampled_from([8, 16, 32]),
       model=st.sampled_from(["vit_tiny", "deit_tiny"]))
def test_batch_never_costs_more_per_inference(batch: int, input_kib: int, weight_kib: int,
                                              edge: int, model: str) -> None:
    arch = load_arch("sole", {"buffers.input.size_bytes": f"{input_kib}KiB",
                              "buffers.weight.size_bytes": f"{weight_kib}KiB",
                              "array.rows": edge, "array.cols": edge})
    one = simulate(arch, build_trace(model, image_size=64, batch=1), record=False, check=True)
    many = simulate(arch, build_trace(model, image_size=64, batch=batch), record=False,
                    check=True)

    def traffic(r) -> int:
        return r.dram_read_bytes + r.dram_write_bytes

    assert traffic(many) <= batch * traffic(one) * 1.001
    assert many.total_cycles <= batch * one.total_cycles * 1.001
    assert many.model["batch_order"] in ("image-major", "layer-major")
    assert sum(x.macs for x in many.layers) == batch * sum(x.macs for x in one.layers)
