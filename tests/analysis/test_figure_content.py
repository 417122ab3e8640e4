"""What the figures and titles say: run titles, the latency breakdown's bars (they sum to the
latency), the roofline legend (filled per kind, hollow and on-chip entries) and the reference
overlay's labels. Pixel sizes are checked in test_plots.py."""

from __future__ import annotations

import pytest
from matplotlib.colors import to_rgba

from accelsim.analysis.plots import (
    KIND_COLORS,
    result_breakdown_figure,
    result_roofline_figure,
    run_title,
)
from accelsim.analysis.report import result_html
from accelsim.analysis.roofline import reference_placements
from accelsim.analysis.views import describe_arch, describe_run
from accelsim.arch.load import load_arch
from accelsim.engine.simulator import simulate
from accelsim.workload.load import load_trace


@pytest.fixture(scope="module")
def result():
    return simulate(load_arch("sole"), load_trace("vit_tiny", 64, 1, "sole"))


def test_run_titles_name_size_batch_scheme_and_array():
    assert describe_run("vit_base", 224, 1, "sole", load_arch("sole")) == \
        "vit_base 224px batch 1, quant sole on sole (32x32 ws, 1 GHz)"
    assert describe_arch(load_arch("tpu_v1_like")) == "256x256 ws, 700 MHz"
    assert describe_arch(load_arch("rtx4090")) == \
        "reference: fp16 330 TOPS, int8 660 TOPS, 1008 GB/s"


def test_run_title_of_a_result(result):
    assert run_title(result) == "vit_tiny 64px batch 1, quant sole on sole (32x32 ws, 1 GHz)"


def test_breakdown_bars_partition_the_latency(result):
    fig = result_breakdown_figure(result)
    left, right = fig.axes
    blocks = list(dict.fromkeys(x.block for x in result.layers))
    bars = left.patches
    busy, rest = bars[:len(blocks)], bars[len(blocks):2 * len(blocks)]
    total_us = result.total_cycles / result.clock_hz * 1e6
    assert sum(a.get_width() + b.get_width() for a, b in zip(busy, rest, strict=True)) == \
        pytest.approx(total_us, rel=1e-12)
    assert sum(a.get_width() for a in busy) == pytest.approx(
        result.unit_busy_cycles["array"] / result.clock_hz * 1e6, rel=1e-9)
    # right: a dashed latency box per row, then busy bars: each unit, then the DRAM channel
    rows = len(result.unit_busy_cycles) + 1
    boxes, units = right.patches[:rows], right.patches[rows:]
    assert all(b.get_width() == pytest.approx(total_us) for b in boxes)
    assert [u.get_width() for u in units] == pytest.approx(
        [c / result.clock_hz * 1e6 for c in result.unit_busy_cycles.values()]
        + [result.dram_busy_cycles / result.clock_hz * 1e6])
    assert "busy time placed exactly from the event log" in \
        fig.legends[0].get_title().get_text()
    assert "units overlap" in right.get_title()
    assert run_title(result) in fig._suptitle.get_text()


def _legend(ax):
    return {t.get_text(): h for t, h in zip(ax.get_legend().get_texts(),
                                            ax.get_legend().legend_handles, strict=True)}


def test_roofline_legend_has_filled_kinds_and_explains_hollow_and_onchip():
    result = simulate(load_arch("sole"), load_trace("vit_base", 224, 1, "sole"), record=False)
    ax = result_roofline_figure(result).axes[0]
    legend = _legend(ax)
    # the first requant and the first softmax are fused on chip: their entries stay filled
    for kind in ("gemm", "requant", "softmax", "matmul"):
        assert to_rgba(legend[kind].get_markerfacecolor()) == to_rgba(KIND_COLORS[kind])
    hollow = next(h for t, h in legend.items() if t.startswith("hollow"))
    assert hollow.get_markerfacecolor() == "none"
    onchip = next(h for t, h in legend.items() if "on-chip bound" in t)
    assert onchip.get_markeredgecolor() == "black"
    assert "as simulated" in ax.get_xlabel()


def test_reference_overlay_is_named_and_the_axis_says_which_points_are_analytical(result):
    ref = reference_placements(load_arch("rtx4090"), load_trace("vit_tiny", 64, 1, "fp16"))
    ax = result_roofline_figure(result, ref).axes[0]
    assert "vs. rtx4090 (fp16" in ax.get_title()
    assert "sole points (o): as simulated" in ax.get_xlabel()
    assert "rtx4090 points (x): analytical" in ax.get_xlabel()
    assert "rtx4090 layers (analytical)" in _legend(ax)


def test_html_group_tables_have_captions(result):
    html = result_html(result, {})
    # the three group-by tables, the stall causes per block and the layer table
    assert html.count("<caption>") == 5
    assert "so the slices sum to the" in html
