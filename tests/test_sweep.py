"""Sweeps: spec parsing, determinism, equivalence with single runs, failures, resume, dask."""

from __future__ import annotations

import pytest

import accelsim
import accelsim.sweep as sw
from accelsim.errors import AccelsimError, ConfigError
from accelsim.sweep_plots import pareto_front, plot_breakdown, plot_pareto, plot_scaling, save_plots

SMALL = {"pe": "16x16,32x32"}  # vit_tiny at 224: ~0.15 s per point


def run(tmp_path=None, name="s.csv", **kwargs):
    args = {"arch": "sole", "model": "vit_tiny", "jobs": 1, **SMALL, **kwargs}
    if tmp_path is not None:
        args["output"] = tmp_path / name
    return sw.run_sweep(**args)


# ------------------------------------------------------------------------------- parsing
def test_parse_pe_and_set():
    assert sw.parse_pe("8x8, 16x16,32X32").values == ("8x8", "16x16", "32x32")
    axis = sw.parse_set("array.rows=16,32,64")
    assert (axis.flag, axis.name, axis.values) == ("--set array.rows", "array.rows", (16, 32, 64))
    assert sw.parse_set("dram.bandwidth_gbps=12.8,25.6").values == (12.8, 25.6)
    assert sw.parse_set("buffers.input.size_bytes=64KiB").values == ("64KiB",)


def test_grid_product_and_zip():
    axes = [sw.parse_set("array.rows=16,32,64"), sw.parse_set("dram.bandwidth_gbps=12.8,25.6,51.2")]
    product = sw.grid_points(axes)
    assert len(product) == 9
    assert [p.index for p in product] == list(range(9))
    assert product[1].values == {"array.rows": 16, "dram.bandwidth_gbps": 25.6}
    zipped = sw.grid_points(axes, zip_axes=True)
    assert [tuple(p.values.values()) for p in zipped] == [(16, 12.8), (32, 25.6), (64, 51.2)]
    broadcast = sw.grid_points([*axes, sw.parse_set("array.cols=8")], zip_axes=True)
    assert all(p.values["array.cols"] == 8 for p in broadcast) and len(broadcast) == 3


def test_pe_point_sets_rows_and_cols():
    (point,) = sw.grid_points([sw.parse_pe("8x16")])
    assert point.arch_overrides() == {"array.rows": 8, "array.cols": 16}


@pytest.mark.parametrize("spec", ["8x", "x8", "8x8x8", "0x8", "8by8", "", "8x8,,16x16",
                                  "8x8,8x8", "-4x4"])
def test_bad_pe_rejected(spec):
    with pytest.raises(ConfigError) as err:
        sw.parse_pe(spec)
    assert "--pe" in str(err.value)


@pytest.mark.parametrize("item", ["array.rows=", "array.rows", "=16", "rows=16",
                                  "array.rows=16,,32", "array..rows=16"])
def test_bad_set_rejected(item):
    with pytest.raises(ConfigError) as err:
        sw.parse_set(item)
    assert "--set" in str(err.value)


def test_zip_lengths_must_match():
    with pytest.raises(ConfigError, match="--zip.*equal length"):
        run(overrides=["array.rows=16,32,64", "dram.bandwidth_gbps=12.8,25.6"], pe=None,
            zip_axes=True)


@pytest.mark.parametrize("kwargs, flag, value", [
    ({"overrides": ["array.rowz=16,32"], "pe": None}, "--set array.rowz", "16"),
    ({"overrides": ["array.rows=16,0"], "pe": None}, "--set array.rows", "0"),
    ({"overrides": ["dram.bandwidth_gbps=fast"]}, "--set dram.bandwidth_gbps", "'fast'"),
    ({"image_size": "224,abc"}, "--image-size", "'abc'"),
    ({"overrides": ["array.rows=16"]}, "--set array.rows", "array.rows=16"),
])
def test_bad_points_rejected_before_running(kwargs, flag, value, monkeypatch):
    monkeypatch.setattr(sw, "run_point", lambda *a: pytest.fail("ran a point"))
    with pytest.raises(ConfigError) as err:
        run(**kwargs)
    text = str(err.value)
    assert flag in text and value in text, text


def test_unknown_model_rejected():
    with pytest.raises(AccelsimError, match="vit_tinyy"):
        run(model="vit_tiny,vit_tinyy")


# ------------------------------------------------------------------------------- running
def test_records_match_single_runs():
    records = run(overrides=["dram.bandwidth_gbps=12.8,51.2"])
    assert len(records) == 4 and all(r["status"] == "ok" for r in records)
    trace = accelsim.build_trace("vit_tiny", 224, 1, "sole")
    for r in records:
        rows, cols = r["pe"].split("x")
        arch = accelsim.load_arch("sole", [f"array.rows={rows}", f"array.cols={cols}",
                                           f"dram.bandwidth_gbps={r['dram.bandwidth_gbps']}"])
        single = accelsim.simulate(arch, trace, record=False)
        assert r["total_cycles"] == single.total_cycles
        assert r["dram_read_bytes"] == single.dram_read_bytes
        assert r["latency_ms"] == pytest.approx(single.latency_s * 1e3, rel=1e-9)
        assert r["busy_share_array"] == pytest.approx(single.unit_share()["array"], rel=1e-9)


def test_same_sweep_twice_gives_identical_csv(tmp_path):
    run(tmp_path, "a.csv", jobs=2, model="vit_tiny", quant="sole,w4a4")
    run(tmp_path, "b.csv", jobs=1, model="vit_tiny", quant="sole,w4a4")
    a, b = (tmp_path / "a.csv").read_text(), (tmp_path / "b.csv").read_text()
    assert a == b
    assert [r["index"] for r in sw.read_records(tmp_path / "a.csv")] == [0, 1, 2, 3]


def test_failing_point_is_recorded_and_others_complete(tmp_path):
    records = run(tmp_path, overrides=["buffers.input.size_bytes=64,256KiB"], pe="16x16")
    bad, good = records
    assert bad["status"] == "error" and bad["error_type"] == "MappingError"
    assert "too small" in bad["error"] and bad["buffers.input.size_bytes"] == 64
    assert good["status"] == "ok" and good["total_cycles"] > 0
    on_disk = sw.read_records(tmp_path / "s.csv")
    assert [r["status"] for r in on_disk] == ["error", "ok"]


def test_results_stream_to_file_as_points_finish(tmp_path):
    seen = []

    def progress(done, total, record):
        rows = sw.read_records(tmp_path / "s.csv")
        seen.append((done, total, sorted(r["index"] for r in rows)))

    run(tmp_path, progress=progress)
    assert seen == [(1, 2, [0]), (2, 2, [0, 1])]


def test_resume_skips_points_already_done(tmp_path, monkeypatch):
    run(tmp_path, "full.csv")
    run(tmp_path, pe="16x16")  # a partial run: first point only
    calls = []
    real = sw.run_point
    monkeypatch.setattr(sw, "run_point", lambda *a: calls.append(a[0].index) or real(*a))
    records = run(tmp_path, resume=True)
    assert calls == [1]
    assert [r["resumed"] for r in records] == [True, False]
    assert (tmp_path / "s.csv").read_text() == (tmp_path / "full.csv").read_text()
    again = run(tmp_path, resume=True)
    assert calls == [1] and all(r["resumed"] for r in again)
    assert again == [{**r, "resumed": True} for r in records]


def test_resume_from_json(tmp_path):
    first = run(tmp_path, "s.json")
    again = run(tmp_path, "s.json", resume=True)
    assert [r["total_cycles"] for r in again] == [r["total_cycles"] for r in first]
    assert all(r["resumed"] for r in again)


def test_dask_local_cluster_gives_same_records():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  protocol="tcp", host="127.0.0.1",
                                  dashboard_address=":0") as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        remote = run(scheduler=cluster.scheduler_address)
    local = run()
    assert remote == local


def test_package_level_sweep_is_run_sweep():
    assert callable(accelsim.sweep)
    records = accelsim.sweep("sole", "vit_tiny", pe="16x16", jobs=1)
    assert records[0]["pe"] == "16x16" and records[0]["status"] == "ok"


def test_to_dataframe():
    pd = pytest.importorskip("pandas")
    frame = sw.to_dataframe(run(pe="16x16"))
    assert isinstance(frame, pd.DataFrame)
    assert frame.loc[0, "pe"] == "16x16" and frame.loc[0, "total_cycles"] > 0


def test_energy_and_area_columns_equal_energy_summary():
    from accelsim.analysis.energy import energy_summary

    records = run()
    trace = accelsim.build_trace("vit_tiny", 224, 1, "sole")
    for r in records:
        rows, cols = r["pe"].split("x")
        arch = accelsim.load_arch("sole", [f"array.rows={rows}", f"array.cols={cols}"])
        summary = energy_summary(accelsim.simulate(arch, trace, record=False), arch)
        for key, column in sw.ENERGY_COLUMNS.items():
            assert r[column] == pytest.approx(summary[key], rel=1e-9), column
        assert r["energy_mj"] > 0 and r["area_mm2"] > 0
    assert set(sw.ENERGY_COLUMNS.values()) >= {
        "energy_mj", "energy_avg_power_w", "energy_tops_per_w", "energy_inferences_per_j",
        "area_mm2", "area_tops_per_mm2"}
    small, big = records
    assert big["area_mm2"] > small["area_mm2"]  # a 32x32 array is bigger than a 16x16 one


def test_csv_floats_are_short_and_round_trip(tmp_path):
    records = run(tmp_path, overrides=["dram.bandwidth_gbps=12.8,25.6"])
    text = (tmp_path / "s.csv").read_text()
    header, *rows = text.splitlines()
    for row in rows:
        for cell in row.split(","):
            if "." in cell and cell.replace(".", "").replace("-", "").replace("e", "").isdigit():
                assert len(cell.replace("-", "").replace(".", "").split("e")[0]) <= 12, cell
    assert "12.8" in text and "25.6" in text
    # the records returned equal what the file holds (floats rounded the same way)
    assert sw.read_records(tmp_path / "s.csv") == [
        {k: v for k, v in r.items() if k != "resumed"} for r in records]
    assert sw.round_float(275.72215300000005) == 275.722153
    assert sw._cell(275.72215300000005) == "275.722153"
    assert sw._cell(sw.round_float(1 / 3)) == sw._cell(1 / 3)  # idempotent


def test_resume_matches_float_parameters_after_rounding(tmp_path, monkeypatch):
    overrides = ["dram.bandwidth_gbps=12.8,25.600000000000001,0.1234567890123"]
    first = run(tmp_path, overrides=overrides, pe="16x16")
    calls = []
    monkeypatch.setattr(sw, "run_point", lambda *a: calls.append(a[0].index))
    again = run(tmp_path, overrides=overrides, pe="16x16", resume=True)
    assert calls == [] and all(r["resumed"] for r in again)
    assert [r["total_cycles"] for r in again] == [r["total_cycles"] for r in first]


# ------------------------------------------------------------------------------- plots
def _synthetic():
    rows = []
    for i, (pe, lat, area) in enumerate([(64, 9.0, 1.0), (256, 4.0, 2.0), (1024, 5.0, 4.0),
                                         (4096, 1.0, 8.0)]):
        rows.append({"index": i, "status": "ok", "pe": f"{int(pe ** 0.5)}x{int(pe ** 0.5)}",
                     "pe_count": pe, "latency_ms": lat, "pe_utilization": 0.5,
                     "busy_share_array": 0.8, "busy_share_dram": 0.3, "area_mm2": area})
    rows.append({"index": 4, "status": "error", "pe": "1x1"})
    return rows


def test_pareto_front():
    front = pareto_front(_synthetic(), "area_mm2")
    assert [r["index"] for r in front] == [0, 1, 3]


def test_plots_return_figures_and_save(tmp_path):
    from matplotlib.figure import Figure

    records = _synthetic()
    for make in (plot_scaling, plot_breakdown, plot_pareto):
        assert isinstance(make(records), Figure)
    assert "area" in plot_pareto(records).axes[0].get_xlabel()
    assert len(plot_pareto(records).axes) == 1  # no energy column: one panel
    paths = save_plots(records, tmp_path)
    assert [p.name for p in paths] == ["sweep_scaling.png", "sweep_breakdown.png",
                                       "sweep_pareto.png"]
    assert all(p.stat().st_size > 1000 for p in paths)


@pytest.mark.parametrize("kwargs, key", [
    ({"jobs": 0}, "--jobs"),
    ({"jobs": -1}, "--jobs"),
    ({"scheduler": "nothost"}, "--scheduler"),
    ({"scheduler": "tcp://host-without-port"}, "--scheduler"),
])
def test_bad_execution_options_are_rejected_before_running(kwargs, key) -> None:
    # checked up front: nothing is simulated, one ConfigError names the flag
    with pytest.raises(ConfigError) as info:
        sw.run_sweep("sole", "vit_tiny", pe="8x8,16x16", **kwargs)
    assert info.value.key == key


def test_pareto_uses_area_and_energy_of_a_real_sweep():
    records = run()
    fig = plot_pareto(records)
    assert [ax.get_xlabel() for ax in fig.axes] == ["area (mm²)", "energy per inference (mJ)"]
    ax_area = fig.axes[0]
    xs = sorted(x for x, _ in ax_area.collections[0].get_offsets())
    assert xs == pytest.approx(sorted(r["area_mm2"] for r in records))


def test_constant_pe_sweep_plots_use_the_varied_parameter():
    from accelsim.sweep_plots import x_axis

    records = run(pe=None, overrides=["dram.bandwidth_gbps=12.8,25.6,51.2"])
    assert len({r["pe_count"] for r in records}) == 1
    assert x_axis(records) == ("dram.bandwidth_gbps", "dram.bandwidth_gbps", False)
    scaling = plot_scaling(records)
    for ax in scaling.axes:
        assert ax.get_xlabel() == "dram.bandwidth_gbps" and ax.get_xscale() == "linear"
        (line,) = ax.get_lines()
        assert list(line.get_xdata()) == [12.8, 25.6, 51.2]
    # the area does not vary and a swept bandwidth is no objective: latency vs energy only
    pareto = plot_pareto(records)
    assert [ax.get_xlabel() for ax in pareto.axes] == ["energy per inference (mJ)"]
    labels = [t.get_text() for t in plot_breakdown(records).axes[0].get_yticklabels()]
    assert labels == ["bandwidth_gbps=12.8", "bandwidth_gbps=25.6", "bandwidth_gbps=51.2"]


def test_breakdown_shows_share_of_latency():
    records = _synthetic()
    ax = plot_breakdown(records).axes[0]
    assert "% of the point's latency" in ax.get_xlabel() and "at most 100%" in ax.get_title()
    # bars side by side, one per unit: 80 % array and 30 % dram (not stacked to 110 %)
    widths = sorted({round(p.get_width(), 9) for p in ax.patches})
    assert widths == [30.0, 80.0]
    assert max(p.get_width() for p in ax.patches) <= 100.0
