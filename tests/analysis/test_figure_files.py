"""Figure files by type and size: PNG/SVG/PDF chosen by the suffix, PNG pixels = figsize x dpi,
the paper style's 3.5-inch column with every text >= 8 pt, µs on time axes, names drawn
literally (no mathtext)."""

from __future__ import annotations

import io

import pytest
from matplotlib.text import Text
from PIL import Image
from typer.testing import CliRunner

from accelsim.analysis import plots
from accelsim.arch.load import load_arch
from accelsim.cli import app
from accelsim.engine.simulator import simulate
from accelsim.workload.load import load_trace

MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-", "svg": b"<?xml"}


@pytest.fixture(scope="module")
def result():
    return simulate(load_arch("sole"), load_trace("vit_tiny", 64, 1, "sole"), record=True)


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_simulate_plot_type_by_suffix(tmp_path, fmt):
    out = tmp_path / f"b.{fmt}"
    res = CliRunner().invoke(app, ["simulate", "-m", "vit_tiny", "--image-size", "64",
                                   "--layers", "none", "--plot", str(out)])
    assert res.exit_code == 0, res.output
    data = out.read_bytes()
    assert data.startswith(MAGIC[fmt]) and len(data) > 10_000


def test_dpi_and_figsize_set_the_png_pixels(tmp_path):
    out = tmp_path / "r.png"
    res = CliRunner().invoke(app, ["roofline", "-m", "vit_tiny", "--image-size", "64", "-o",
                                   str(out), "--dpi", "200", "--figsize", "7,4"])
    assert res.exit_code == 0, res.output
    with Image.open(out) as img:
        assert img.size == (1400, 800)
    res = CliRunner().invoke(app, ["roofline", "-o", str(out), "--figsize", "7"])
    assert res.exception is not None and getattr(res.exception, "key", "") == "--figsize"


def _texts(fig):
    return [t for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()]


@pytest.mark.parametrize("make", ["roofline", "breakdown"])
def test_paper_style_is_one_column_with_fonts_of_8_pt_or_more(result, make):
    figure = (plots.result_roofline_figure(result, style_name="paper") if make == "roofline"
              else plots.result_breakdown_figure(result, style_name="paper"))
    assert figure.get_figwidth() == pytest.approx(plots.PAPER_WIDTH_IN)
    sizes = [t.get_fontsize() for t in _texts(figure)]
    assert sizes and min(sizes) >= plots.MIN_FONT_PT
    png = plots.figure_bytes(figure, "png", plots.PAPER_DPI)
    with Image.open(io.BytesIO(png)) as img:
        assert img.size[0] == int(plots.PAPER_WIDTH_IN * plots.PAPER_DPI)


def test_screen_figures_have_no_text_under_8_pt_and_time_in_microseconds(result):
    fig = plots.result_breakdown_figure(result)
    assert min(t.get_fontsize() for t in _texts(fig)) >= plots.MIN_FONT_PT
    assert all("(µs)" in ax.get_xlabel() for ax in fig.axes)
    assert not any(" us" in t.get_text() for t in _texts(fig))


def test_names_are_drawn_literally_not_as_mathtext():
    from accelsim.analysis.breakdown import LatencyBreakdown

    b = LatencyBreakdown(100, 1e9, 4, (), (), (), 0, False)
    fig = plots.breakdown_figure(b, "arch $x^2$ run")
    title = fig._suptitle.get_text()
    assert r"\$x^2\$" in title
    plots.figure_bytes(fig, "svg")  # renders: an unbalanced $ would raise here


def test_figure_bytes_refuses_other_formats(result):
    with pytest.raises(ValueError):
        plots.figure_bytes(plots.result_roofline_figure(result), "gif")


def test_the_cli_knows_every_style_without_importing_matplotlib():
    from accelsim.cli.figures import FIGURE_STYLES

    assert FIGURE_STYLES == tuple(plots.STYLES)
