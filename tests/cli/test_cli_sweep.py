"""`accelsim sweep`: table, CSV, plots, resume and clear errors for bad specs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from accelsim.cli import app
from accelsim.dse.sweep import read_records

runner = CliRunner()


def test_sweep_writes_table_csv_and_plots(tmp_path):
    out, plots = tmp_path / "sweep.csv", tmp_path / "plots"
    args = ["sweep", "--arch", "sole.yaml", "--model", "vit_tiny", "--pe", "16x16,32x32",
            "-o", str(out), "--plot-dir", str(plots), "--jobs", "1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "16x16" in result.output and "32x32" in result.output
    records = read_records(out)
    assert [r["pe"] for r in records] == ["16x16", "32x32"]
    assert sorted(p.name for p in plots.glob("*.png")) == [
        "sweep_breakdown.png", "sweep_pareto.png", "sweep_scaling.png", "sweep_stalls.png"]
    again = runner.invoke(app, [*args, "--resume"])
    assert again.exit_code == 0 and again.output.count("(resumed)") == 2


def test_sweep_point_equals_simulate(tmp_path):
    out = tmp_path / "s.csv"
    result = runner.invoke(app, ["sweep", "--model", "vit_tiny", "--set", "array.rows=16",
                                 "--set", "array.cols=8", "-o", str(out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    single = runner.invoke(app, ["simulate", "--model", "vit_tiny", "--set", "array.rows=16",
                                 "--set", "array.cols=8", "--format", "json"])
    summary = json.loads(single.output)["summary"]
    (record,) = read_records(out)
    for key in ("total_cycles", "dram_read_bytes", "dram_write_bytes"):
        assert record[key] == summary[key], key  # integers: exact
    for key in ("latency_ms", "fps"):  # floats: the CSV holds 10 significant digits
        assert record[key] == pytest.approx(summary[key], rel=1e-9), key


def test_bad_spec_is_one_clear_line():
    proc = subprocess.run([sys.executable, "-c", "from accelsim.cli import main; main()",
                           "sweep", "--model", "vit_tiny", "--pe", "8x8,8x"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith("accelsim: error: --pe: bad PE array size (got '8x')")
    assert "Traceback" not in proc.stderr


def test_zip_mismatch_is_rejected():
    result = runner.invoke(app, ["sweep", "--model", "vit_tiny", "--zip", "--set",
                                 "array.rows=16,32", "--set", "array.cols=16,32,64"])
    assert result.exit_code != 0
    assert "--zip" in str(result.exception)
