"""`auto` port widths: sized from the array edge and operand bits, scaled by --pe / --set."""

from __future__ import annotations

import pytest

from accelsim import load_arch
from accelsim.arch.spec import auto_port_bytes_per_cycle


@pytest.mark.parametrize("edge", [8, 32, 64, 128])
def test_bundled_sole_ports_scale_with_the_array(edge: int) -> None:
    # WS, R = C = edge, int8 operands, int32 accumulators: the input buffer feeds R elements
    # per cycle, the weight buffer loads a row of C, the output takes C partial sums of 4 B
    arch = load_arch("sole", {"array.rows": edge, "array.cols": edge})
    b = arch.buffers
    assert (b.input.read_bytes_per_cycle, b.weight.read_bytes_per_cycle,
            b.output.read_bytes_per_cycle, b.output.write_bytes_per_cycle) == \
        (edge, edge, 4 * edge, 4 * edge)


def test_auto_follows_the_dataflow_and_fixed_widths_stay() -> None:
    arch = load_arch("sole", {"array.rows": 16, "array.cols": 48, "array.dataflow": "is",
                              "buffers.input.read_bytes_per_cycle": 20})
    assert arch.buffers.input.read_bytes_per_cycle == 20
    assert arch.buffers.weight.read_bytes_per_cycle == 16  # IS: B streams into the R rows
    assert auto_port_bytes_per_cycle(arch.array, "input") == 48  # IS: A loads C per cycle
    assert arch.buffers.output.write_bytes_per_cycle == 48 * 4
