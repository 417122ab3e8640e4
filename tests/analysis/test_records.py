"""LayerResult.of: the frozen record without its per-field __init__, field for field."""

from dataclasses import FrozenInstanceError, fields

import pytest

from accelsim.analysis.records import LayerResult

VALUES = dict(
    name="fc1", kind="gemm", block="b0", unit="array", group="fc1+gelu", precision="int8",
    macs_per_pe_per_cycle=2, macs=1000, ops=2000, elements=0, dram_read_bytes=64,
    dram_write_bytes=32, onchip_bytes=16, sram_read_bytes={"input": 8},
    sram_write_bytes={"output": 4}, start_cycle=10, end_cycle=30, cycles=20,
    compute_cycles=15, utilization=0.75, stall_cycles=5, stalls={"dram": 5},
    required_bandwidth_gbps=1.5, tiling="64x64x64", fused_into="", dram_busy_cycles=3,
    dram_achieved_gbps=2.5, dram_row_hit_rate=0.5, dram_activates=1, dram_read_bursts=2,
    dram_write_bursts=1)


def test_of_equals_the_constructor() -> None:
    assert len(VALUES) == len(fields(LayerResult))
    layer = LayerResult.of(**VALUES)
    assert layer == LayerResult(**VALUES)
    assert layer.dram_bytes == 96
    with pytest.raises(FrozenInstanceError):
        layer.cycles = 1  # type: ignore[misc]


def test_of_refuses_a_missing_or_unknown_field() -> None:
    short = {k: v for k, v in VALUES.items() if k != "tiling"}
    with pytest.raises(TypeError, match="tiling"):
        LayerResult.of(**short)
    with pytest.raises(TypeError, match="bogus"):
        LayerResult.of(**VALUES, bogus=1)
