"""roofline --image-size A,B exports its growth table (-o .csv | .json), the numbers of the
printed table."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from accelsim.analysis import roofline
from accelsim.arch.load import load_arch
from accelsim.cli import app
from accelsim.engine.simulator import simulate
from accelsim.workload.load import load_trace


def test_growth_table_csv_and_json(tmp_path):
    runner = CliRunner()
    out = tmp_path / "growth.csv"
    res = runner.invoke(app, ["roofline", "-m", "vit_tiny", "--image-size", "64,96", "-o",
                              str(out)])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(out.open()))
    tables = []
    for size in (64, 96):
        roofs, placements = roofline.place_result(simulate(
            load_arch("sole"), load_trace("vit_tiny", size, 1, "sole"), record=False))
        tables.append(roofline.operator_table(placements, roofs))
    growth = {g.operator: g for g in roofline.operator_growth(*tables)}
    assert [r["operator"] for r in rows] == list(growth)
    for r in rows:
        assert (r["from_image_size"], r["to_image_size"]) == ("64", "96")
        assert float(r["ops_ratio"]) == pytest.approx(growth[r["operator"]].ops_ratio, rel=1e-5)
    res = runner.invoke(app, ["roofline", "-m", "vit_tiny", "--image-size", "64,96", "-f",
                              "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["schema"] == "accelsim.growth/1" and len(data["rows"]) == len(rows)
