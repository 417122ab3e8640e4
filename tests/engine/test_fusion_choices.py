"""Fusion choices searched (issue 16): a fused attention's row blocks chosen by the objective
under the bank capacities (engine/attention_blocks.py), each LayerNorm's output kept on chip
when it fits; both shown by `accelsim map`, written to its YAML and replayed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from accelsim import build_trace, load_arch, simulate
from accelsim.errors import MappingError
from accelsim.mapping.io import fusion_rows, mapping_document, mapping_rows, read_mapping

FLAT = {"dram.model": "bandwidth", "dram.latency_ns": 0}


def test_attention_row_blocks_are_searched_and_simulate_faster() -> None:
    # ViT-Ti at 224 (197 tokens): a head's scores (197 int32 = 788 B a row) fit 83 rows in a
    # 64 KiB output bank, so the largest blocks are 3 of 66 rows; the search takes 6 of 33
    # (softmax of one block overlaps the array's next) and the run is faster than with the
    # largest blocks, on the whole model and on the block's attention group
    arch = load_arch("sole", FLAT)
    trace = build_trace("vit_tiny", image_size=224)
    planned: list = []
    searched = simulate(arch, trace, record=False, planned=planned, check=True)
    choice = planned[0].fusion["block0.qk"]
    assert (choice["row_blocks"], choice["rows_per_block"], choice["max_rows_per_block"]) == (
        6, 33, 83)
    assert choice["est_cycles"] < choice["est_cycles_fewest_blocks"]
    largest = simulate(arch, trace, record=False,
                       mapping={f"block{i}.qk": ("rows", 83) for i in range(12)})
    assert "3 row blocks of 66 rows" in largest.layer("block0.qk").tiling
    assert searched.total_cycles < largest.total_cycles

    def span(r) -> int:
        return r.layer("block0.sv").end_cycle - r.layer("block0.qk").start_cycle

    assert span(searched) < span(largest)
    # the DRAM bytes do not depend on the blocks (Q once, K and V once per head)
    assert searched.dram_read_bytes == largest.dram_read_bytes


def test_default_vit_b_keeps_the_largest_blocks() -> None:
    # on sole's banked DRAM each block's Q fetch waits the 100-cycle latency: three blocks of
    # 66 rows stay best (18,391,817 cycles)
    planned: list = []
    result = simulate(load_arch("sole"), build_trace("vit_base", image_size=224),
                      record=False, planned=planned)
    assert planned[0].fusion["block0.qk"]["row_blocks"] == 3
    assert result.total_cycles == 18_391_817


def test_layernorm_kept_on_chip_saves_its_write_and_the_reads() -> None:
    # ViT-Ti at 64 px: 17 tokens x 192 int8 = 3,264 B. Kept, the LayerNorm writes nothing and
    # q, k, v read nothing of it; written (the file says keep_on_chip: false), it writes
    # 3,264 B and each of q, k, v loads it: the run moves 3,264 B + their loads more
    arch = load_arch("sole")
    trace = build_trace("vit_tiny", image_size=64)
    planned: list = []
    kept = simulate(arch, trace, record=False, planned=planned, check=True)
    assert planned[0].fusion["block0.ln1"]["keep_on_chip"] is True
    assert kept.layer("block0.ln1").dram_write_bytes == 0
    planned = []
    off = simulate(arch, trace, record=False, mapping={"block0.ln1": ("keep", False)},
                   planned=planned, check=True)
    assert off.layer("block0.ln1").dram_write_bytes == 3264
    loads = sum(ld.dram_bytes for g in planned[0].plan() for s in g.steps for ld in s.loads
                if ld.tensor == "block0.ln1.out")
    assert loads >= 3 * 3264  # q, k and v each read it at least once
    for name in ("q", "k", "v"):
        layer = f"block0.{name}"
        assert off.layer(layer).dram_read_bytes - kept.layer(layer).dram_read_bytes >= 3264
    assert off.total_cycles >= kept.total_cycles


def test_keeping_a_layernorm_that_does_not_fit_is_refused() -> None:
    # ViT-Ti at 224: 197 x 192 = 37,824 B, more than an 8 KiB input buffer
    arch = load_arch("sole", {"buffers.input.size_bytes": "8KiB"})
    with pytest.raises(MappingError, match="cannot stay on chip") as err:
        simulate(arch, build_trace("vit_tiny", image_size=224), record=False,
                 mapping={"block0.ln1": ("keep", True)})
    assert err.value.key == "fusion.block0.ln1.keep_on_chip"


def test_fusion_choices_are_written_and_replayed(tmp_path: Path) -> None:
    arch = load_arch("sole", FLAT)
    trace = build_trace("vit_tiny", image_size=224)
    planned: list = []
    searched = simulate(arch, trace, record=False, planned=planned)
    doc = mapping_document("sole", trace, planned[0].batch_order, "latency",
                           mapping_rows(planned[0], searched), fusion_rows(planned[0]))
    assert doc["fusion"]["block0.qk"]["rows_per_block"] == 33
    assert doc["fusion"]["block0.ln1"]["keep_on_chip"] is True
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    fixed = read_mapping(path)
    assert fixed["block0.qk"] == ("rows", 33) and fixed["block0.ln1"] == ("keep", True)
    assert simulate(arch, trace, record=False, mapping=fixed).total_cycles == \
        searched.total_cycles
    doc["fusion"]["block0.qk"]["rows_per_block"] = 0
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(MappingError) as err:
        read_mapping(path)
    assert err.value.key == "fusion.block0.qk.rows_per_block"
