"""Roofline fields in JSON/CSV/table, group-by views and the HTML report."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from accelsim.analysis import report
from accelsim.analysis.breakdown import latency_breakdown
from accelsim.arch.load import load_arch
from accelsim.cli import app
from accelsim.engine.simulator import simulate
from accelsim.workload.load import load_trace


@pytest.fixture(scope="module")
def result():
    return simulate(load_arch("sole"), load_trace("vit_tiny", 64, 1, "sole"), record=False)


def test_json_has_roofline_fields_and_is_deterministic(result):
    text = report.result_json(result)
    data = json.loads(text)
    assert data["schema"] == "accelsim.result/1"
    assert data["roofline"]["compute_ops_per_s"]["int8"] == 2.048e12
    assert data["roofline"]["ridge_ops_per_byte"]["int8"] == pytest.approx(80.0)
    for layer in data["layers"]:
        roof = layer["roofline"]
        assert {"intensity", "attained_ops_per_s", "roof_ops_per_s", "roof_fraction",
                "bound"} <= set(roof)
        assert roof["bound"] in ("compute", "memory", "on-chip")
    again = simulate(load_arch("sole"), load_trace("vit_tiny", 64, 1, "sole"), record=False)
    assert report.result_json(again) == text


def test_csv_has_new_columns(result):
    rows = list(csv.DictReader(io.StringIO(report.result_csv(result))))
    assert len(rows) == len(result.layers)
    assert {"intensity_ops_per_byte", "attained_tops", "roof_fraction", "bound"} <= set(rows[0])


def test_group_views_sum_to_totals(result):
    b = latency_breakdown(result)
    assert sum(x.latency_cycles for x in b.blocks) == result.total_cycles
    assert sum(x.layers for x in b.blocks) == sum(k.layers for k in b.kinds) == len(result.layers)
    assert sum(k.busy_cycles for k in b.kinds) == sum(x.compute_cycles for x in result.layers)
    assert sum(k.share for k in b.kinds) == pytest.approx(1.0)
    assert {u.unit: u.busy_cycles for u in b.units} == result.unit_busy_cycles


def test_html_report_is_self_contained_with_every_layer(tmp_path):
    out = tmp_path / "report.html"
    res = CliRunner().invoke(app, ["simulate", "--arch", "sole", "--model", "vit_tiny",
                                   "--image-size", "64", "--group", "kind", "-o", str(out)])
    assert res.exit_code == 0, res.output
    html = out.read_text()
    assert html.count("data:image/png;base64,") == 2
    assert "<link" not in html and "<script src" not in html
    for by in ("By kind", "By block", "By unit"):
        assert by in html
    for layer in simulate(load_arch("sole"), load_trace("vit_tiny", 64, 1, "sole"),
                          record=False).layers:
        assert f">{layer.name}<" in html


def test_reference_roofline_command_table_and_json(tmp_path):
    res = CliRunner().invoke(app, ["roofline", "--arch", "rtx4090", "--model", "vit_base",
                                   "--format", "table"])
    assert res.exit_code == 0, res.output
    for name in ("q_proj", "qk_matmul", "softmax", "fc1", "gelu", "norm", "add"):
        assert name in res.output
    out = tmp_path / "r.json"
    res = CliRunner().invoke(app, ["roofline", "--arch", "sole", "--model", "vit_tiny",
                                   "--image-size", "64", "-o", str(out), "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert data["schema"] == "accelsim.roofline/1" and data["layers"]


def test_roofline_compares_image_sizes_with_a_growth_table():
    res = CliRunner(env={"COLUMNS": "200"}).invoke(
        app, ["roofline", "--arch", "rtx4090", "--model", "vit_base", "--image-size", "224,384"])
    assert res.exit_code == 0, res.output
    assert "vit_base 224px" in res.output and "vit_base 384px" in res.output
    growth = res.output[res.output.index("Growth per block, 224 -> 384 px"):]
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip()
            for line in growth.splitlines() if line.startswith("│")}
    # ops ratio: attention (577/197)^2 = 8.58, projections and MLP 577/197 = 2.93
    assert rows["qk_matmul"] == rows["sv_matmul"] == rows["softmax"] == "8.58"
    assert rows["q_proj"] == rows["fc1"] == rows["fc2"] == "2.93"
