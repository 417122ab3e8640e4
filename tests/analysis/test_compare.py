"""compare() on two hand-made runs with known numbers, the result JSON read back, and the CLI:
``compare A.json B.json`` and ``simulate --arch a,b`` (table, CSV, HTML, plot)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from accelsim.analysis import compare as cmp
from accelsim.analysis.records import LayerResult, SimResult
from accelsim.arch.load import load_arch
from accelsim.cli import app
from accelsim.errors import ConfigError


def _layer(name: str, block: str, start: int, end: int, fused: str = "") -> LayerResult:
    return LayerResult(
        name=name, kind="gemm", block=block, unit="vector" if fused else "array", group=name,
        precision="int8", macs_per_pe_per_cycle=1, macs=0 if fused else 1000, ops=2000,
        elements=10, dram_read_bytes=100, dram_write_bytes=50, onchip_bytes=0,
        sram_read_bytes={}, sram_write_bytes={}, start_cycle=start, end_cycle=end,
        cycles=end - start, compute_cycles=(end - start) // 2, utilization=0.5,
        stall_cycles=(end - start) // 2, stalls={"dram": (end - start) // 2},
        required_bandwidth_gbps=1.0, fused_into=fused)


SOLE = load_arch("sole").model_dump(mode="json", exclude={"name"})


def _run(arch: str, ends: tuple[int, int, int], clock_hz: float = 1e9) -> SimResult:
    a, b, c = ends
    layers = (_layer("b0.fc", "b0", 0, a), _layer("b0.fc.requant", "b0", 0, a, "b0.fc"),
              _layer("b1.fc", "b1", a, b), _layer("head.fc", "head", b, c))
    return SimResult(arch_name=arch, arch=SOLE,
                     model={"name": "toy", "batch": 1}, clock_hz=clock_hz, total_cycles=c,
                     unit_busy_cycles={"array": c // 2}, dram_busy_cycles=c // 4,
                     peak_bank_use={}, events=0, wall_time_s=0.0, layers=layers)


A = _run("a", (100, 300, 400))
B = _run("b", (50, 350, 500), clock_hz=2e9)


def test_summary_block_and_layer_deltas_by_hand():
    c = cmp.compare([A, B])
    assert c.labels == ("a", "b")
    row = {r.name: r for r in c.level("summary")}
    assert row["total cycles"].values == (400, 500)
    assert row["total cycles"].delta(1) == pytest.approx(0.25)
    # 400 cycles at 1 GHz = 0.4 us; 500 at 2 GHz = 0.25 us: 37.5 % less latency
    assert row["latency (ms)"].values == pytest.approx((4e-4, 2.5e-4))
    assert row["latency (ms)"].delta(1) == pytest.approx(-0.375)
    assert row["DRAM read (MB)"].values == pytest.approx((4e-4, 4e-4))
    blocks = {r.name: r.values for r in c.level("block")}
    assert blocks == {"b0": (100, 50), "b1": (200, 300), "head": (100, 150)}
    layers = {r.name: r for r in c.level("layer")}
    assert set(layers) == {"b0.fc", "b1.fc", "head.fc"}  # the fused requant is its host's
    assert layers["b0.fc"].delta(1) == pytest.approx(-0.5)


def test_a_block_one_run_lacks_is_an_empty_cell_not_a_zero():
    lone = SimResult(**{**A.__dict__, "layers": A.layers[:2], "total_cycles": 100})
    c = cmp.compare([A, lone])
    blocks = {r.name: r for r in c.level("block")}
    assert blocks["b1"].values == (200, None) and blocks["b1"].delta(1) is None
    rows = list(csv.reader(io.StringIO(cmp.comparison_csv(c))))
    b1 = next(r for r in rows if r[1] == "b1")
    assert b1[3:] == ["200", "", ""]


def test_csv_and_json_carry_every_row():
    c = cmp.compare([A, B], ["base", "fast"])
    rows = list(csv.DictReader(io.StringIO(cmp.comparison_csv(c))))
    assert len(rows) == len(cmp.SUMMARY_METRICS) + 3 + 3
    total = next(r for r in rows if r["metric"] == "total_cycles")
    assert (total["base"], total["fast"], total["delta_fast"]) == ("400", "500", "0.25")
    data = json.loads(cmp.comparison_json(c))
    assert data["labels"] == ["base", "fast"] and len(data["rows"]) == len(rows)


def test_result_json_round_trip_and_bad_files(tmp_path):
    from accelsim.analysis.report import result_json
    from accelsim.engine.simulator import simulate
    from accelsim.workload.load import load_trace

    run = simulate(load_arch("sole"), load_trace("vit_tiny", 64, 1, "sole"), record=False)
    path = tmp_path / "a.json"
    path.write_text(result_json(run))
    back = cmp.load_result(path)
    assert back.total_cycles == run.total_cycles and back.layers == run.layers
    assert back.latency_s == run.latency_s
    (tmp_path / "x.json").write_text('{"schema": "other"}')
    with pytest.raises(ConfigError) as info:
        cmp.load_result(tmp_path / "x.json")
    assert "x.json" in str(info.value) and "schema" in str(info.value)
    with pytest.raises(ConfigError):
        cmp.load_result(tmp_path)  # a folder is not a regular file


def test_cli_compare_files_and_simulate_arch_list(tmp_path):
    runner = CliRunner()
    files = []
    for arch in ("sole", "edge_16x16"):
        out = tmp_path / f"{arch}.json"
        res = runner.invoke(app, ["simulate", "-a", arch, "-m", "vit_tiny", "--image-size",
                                  "64", "-o", str(out), "-f", "json"])
        assert res.exit_code == 0, res.output
        files.append(str(out))
    res = runner.invoke(app, ["compare", *files, "-o", str(tmp_path / "c.csv"),
                              "--plot", str(tmp_path / "c.svg")], env={"COLUMNS": "100"})
    assert res.exit_code == 0, res.output
    assert "edge_16x16" in res.output and "delta edge_16x16" in res.output
    sole = json.loads((tmp_path / "sole.json").read_text())["summary"]["total_cycles"]
    rows = list(csv.DictReader((tmp_path / "c.csv").open()))
    assert next(r for r in rows if r["metric"] == "total_cycles")["sole"] == str(sole)
    assert (tmp_path / "c.svg").read_text().lstrip().startswith("<?xml")
    html = tmp_path / "c.html"
    res = runner.invoke(app, ["simulate", "-a", "sole,edge_16x16", "-m", "vit_tiny",
                              "--image-size", "64", "-o", str(html)])
    assert res.exit_code == 0, res.output
    text = html.read_text()
    assert "<svg" in text and "sole" in text and "edge_16x16" in text
    for fetch in ("<link", "<script src", "src='http", 'src="http', "@import"):
        assert fetch not in text  # no external fetches
    res = runner.invoke(app, ["compare", files[0]])
    assert res.exit_code != 0
