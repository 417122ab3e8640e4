"""Plot commands write non-empty PNGs of the expected pixel size."""

from __future__ import annotations

from PIL import Image
from typer.testing import CliRunner

from accelsim.analysis.plots import DPI, FIGSIZE
from accelsim.cli import app

SIZE = (int(FIGSIZE[0] * DPI), int(FIGSIZE[1] * DPI))


def _check_png(path):
    assert path.stat().st_size > 10_000
    with Image.open(path) as img:
        assert img.size == SIZE


def test_roofline_png_with_reference(tmp_path):
    out = tmp_path / "roofline.png"
    res = CliRunner().invoke(app, ["roofline", "--arch", "sole", "--model", "vit_tiny",
                                   "--image-size", "64", "--reference", "rtx4090", "-o",
                                   str(out)])
    assert res.exit_code == 0, res.output
    _check_png(out)


def test_reference_device_roofline_png(tmp_path):
    out = tmp_path / "ref.png"
    res = CliRunner().invoke(app, ["roofline", "--arch", "rtx4090", "--model", "vit_base",
                                   "-o", str(out)])
    assert res.exit_code == 0, res.output
    _check_png(out)


def test_breakdown_png(tmp_path):
    out = tmp_path / "breakdown.png"
    res = CliRunner().invoke(app, ["simulate", "--arch", "sole", "--model", "vit_tiny",
                                   "--image-size", "64", "--plot", str(out)])
    assert res.exit_code == 0, res.output
    _check_png(out)
