"""The fast engine (engine/fast.py) against simpy: byte-identical JSON reports.

A deterministic sample of the bundled simulated arch x model matrix (ViT, DeiT, Swin, BERT; each
model once, every arch; the whole matrix: ``benchmarks/fuzz_engine.py --matrix``) as shipped
(banked DRAM on sole and edge_16x16) and with the bandwidth pipe, ViT-B on sole, batch 2,
residual fusion, one-bank and tiny buffers, fixed mappings, objectives, batch orders, the DRAM
request log, and a seeded sample of benchmarks/fuzz_engine.py's random configurations (a third
of them banked). Most cases force the numba-compiled kernel (compiled once per checkout,
``cache=True``; faster than the Python path once compiled); two force the plain-Python path of
the same source (a big plan and a small one), as a machine without numba runs it.
"""

from __future__ import annotations

import importlib.util
import json
import random
from pathlib import Path

import pytest

from accelsim import build_trace, load_arch
from accelsim.analysis.report import result_json
from accelsim.arch.load import arch_from_dict
from accelsim.engine import fast_kernel, jit
from accelsim.engine.scheduler import Scheduler
from accelsim.engine.simulator import simulate
from accelsim.errors import ConfigError, MappingError, SimulationError

ROOT = Path(__file__).resolve().parents[2]
ARCHS = ("sole", "edge_16x16", "tpu_v1_like")
#: sole and edge_16x16 ship banked DRAM; as a bandwidth pipe they exercise the other model
BANDWIDTH = {"dram.model": "bandwidth"}
#: ViT-B/16 on the bundled sole (banked LPDDR4-3200): the README's 18.38 ms
VIT_BASE_SOLE_CYCLES = 18_391_817
_traces: dict[tuple, object] = {}


def trace(model: str, size: int | None = None, batch: int = 1, quant: str = "sole",
          seq_len: int | None = None):
    key = (model, size, batch, quant, seq_len)
    if key not in _traces:
        _traces[key] = build_trace(model, image_size=size, batch=batch, quant=quant,
                                   seq_len=seq_len)
    return _traces[key]


@pytest.fixture(autouse=True)
def _compiled(monkeypatch) -> None:
    if importlib.util.find_spec("numba") is not None:
        monkeypatch.setenv("ACCELSIM_JIT", "1")


def bundled(name: str, overrides: dict | None = None):
    """A bundled arch with the bandwidth DRAM model (banked DRAM swapped for it)."""
    arch = load_arch(name, {**({} if name == "tpu_v1_like" else BANDWIDTH), **(overrides or {})})
    assert arch.dram.model == "bandwidth"
    return arch


def fast_json(arch, tr, **options) -> str:
    """The fast engine's JSON, making sure it never ran simpy's engine (which would compare
    simpy with itself)."""
    from accelsim.engine import simulator

    real = simulator._Engine

    def refuse(*args, **kwargs):
        raise AssertionError("engine='fast' ran simpy's engine")

    simulator._Engine = refuse
    try:
        return result_json(simulate(arch, tr, engine="fast", **options))
    finally:
        simulator._Engine = real


def assert_same(arch, tr, **options) -> str:
    """Both engines' JSON, equal byte for byte; returns it."""
    want = result_json(simulate(arch, tr, record=False, engine="simpy", **options))
    got = fast_json(arch, tr, **options)
    assert got == want
    return got


#: the bundled models of the arch x model matrix (benchmarks/fuzz_engine.py --matrix plays
#: every pair); CI plays each model once, on the archs in turn: every arch and model is
#: covered, banked DRAM (sole, edge_16x16) and the flat pipe (tpu_v1_like) alike
MODELS = (("vit_tiny", 224), ("deit_small", 64), ("swin_tiny", 224), ("bert_base", None))
MATRIX_SAMPLE = [(ARCHS[i % len(ARCHS)], model) for i, model in enumerate(MODELS)]


@pytest.mark.parametrize(("arch", "model"), MATRIX_SAMPLE)
def test_bundled_arch_x_model_as_shipped(arch, model) -> None:
    # sole and edge_16x16 ship banked LPDDR4 (refresh, turnarounds, row buffers)
    name, size = model
    tr = trace(name, size, seq_len=32 if name == "bert_base" else None)
    spec = load_arch(arch)
    text = assert_same(spec, tr)
    data = json.loads(text)
    assert data["summary"]["total_cycles"] > 0
    if spec.dram.model == "banked":
        layers = data["layers"]
        assert sum(layer["dram_activates"] for layer in layers) > 0
        assert 0 < max(layer["dram_row_hit_rate"] for layer in layers) <= 1


@pytest.mark.parametrize("arch", ("sole", "edge_16x16"))
def test_bundled_arch_bandwidth(arch) -> None:
    # the shipped banked DRAM swapped for the flat pipe (tpu_v1_like ships one)
    text = assert_same(bundled(arch), trace("deit_small", 64))
    data = json.loads(text)
    assert data["summary"]["total_cycles"] > 0
    assert data["summary"]["events"] > 0


@pytest.mark.parametrize("overrides", [
    {"fusion.residual": True},
    {"buffers.input.banks": 1, "buffers.weight.banks": 1, "buffers.output.banks": 1},
    {"buffers.input.size_bytes": 8192, "buffers.weight.size_bytes": 8192,
     "buffers.output.size_bytes": 8192},
    {"dram.latency_ns": 0, "dram.bandwidth_gbps": 200},
])
def test_variants(overrides) -> None:
    assert_same(bundled("sole", overrides), trace("vit_tiny", 64, batch=2))


def test_vit_base_compiled_and_python_paths(monkeypatch) -> None:
    # ViT-B/16 on sole as shipped (banked LPDDR4): 3.5k steps, the compiled kernel once its
    # cache exists; the Python path of the same source gives the same bytes
    pytest.importorskip("numba")
    arch, tr = load_arch("sole"), trace("vit_base", 224)
    want = result_json(simulate(arch, tr, record=False, engine="simpy"))
    assert json.loads(want)["summary"]["total_cycles"] == VIT_BASE_SOLE_CYCLES
    assert fast_json(arch, tr) == want  # ACCELSIM_JIT=1: compiled (and cached) here
    monkeypatch.delenv("ACCELSIM_JIT")
    assert jit.kernel(10_000) is not fast_kernel.play
    monkeypatch.setenv("ACCELSIM_JIT", "0")
    assert jit.kernel(10_000) is fast_kernel.play
    assert fast_json(arch, tr) == want


def test_small_plan_python_path(monkeypatch) -> None:
    monkeypatch.setenv("ACCELSIM_JIT", "0")
    assert jit.kernel(1) is fast_kernel.play
    assert_same(bundled("edge_16x16", {"fusion.residual": True}), trace("deit_tiny", 64))
    assert_same(load_arch("sole"), trace("deit_tiny", 32))


def test_cold_cache_runs_python_and_compiles_in_background(monkeypatch) -> None:
    # no compiled kernel in numba's cache: a big plan takes the Python path at once and one
    # background compile is started (never the compiler inside the command)
    pytest.importorskip("numba")
    monkeypatch.delenv("ACCELSIM_JIT")
    monkeypatch.setattr(jit, "_compiled", None)
    monkeypatch.setattr(jit, "_compiling", False)
    monkeypatch.setattr(jit, "_played_steps", 0)
    monkeypatch.setattr(jit, "_cached", lambda dispatcher: False)
    started = []
    monkeypatch.setattr(jit, "_compile_in_background", started.append)
    assert not jit.compiled(jit.JIT_MIN_STEPS // 2)  # a small plan: numba is not even loaded
    assert not started
    assert jit.kernel(jit.JIT_MIN_STEPS) is fast_kernel.play  # the process has played enough
    assert len(started) == 1
    assert jit.kernel(10 * jit.JIT_MIN_STEPS) is fast_kernel.play
    assert len(started) == 1  # one background compile per process


def _fuzz_module():
    spec = importlib.util.spec_from_file_location("fuzz_engine",
                                                  ROOT / "benchmarks" / "fuzz_engine.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_fuzz_sample() -> None:
    # the fuzz campaign's own generator (benchmarks/fuzz_engine.py), seeded; ViT/DeiT only
    # (Swin-T at 224 is covered above), --check on both engines; plans above 1,500 steps are
    # left to the fuzz script (one such 2 KiB-buffer case alone takes 20 s in simpy)
    fuzz = _fuzz_module()
    rng = random.Random(19)
    compared = refused = banked = 0
    while compared < 8:
        key = (rng.choice(["vit_tiny", "deit_tiny"]), rng.choice([32, 64]),
               rng.choice([1, 1, 2]), rng.choice(["sole", "w8a8", "w4a4", "fp16", "w4a8"]))
        arch = arch_from_dict(fuzz.random_arch(rng), "<fuzz>")
        tr = trace(*key)
        try:
            if sum(len(g.steps) for g in Scheduler(arch, tr, "model").plan()) > 1500:
                continue
            want = result_json(simulate(arch, tr, record=False, check=True, engine="simpy"))
        except MappingError as exc:
            with pytest.raises(MappingError) as got:
                simulate(arch, tr, engine="fast")
            assert str(got.value) == str(exc)
            refused += 1
            continue
        assert fast_json(arch, tr, check=True) == want, (key, arch)
        compared += 1
        banked += arch.dram.model == "banked"
    assert compared == 8
    assert banked >= 2  # the kernel's banked DRAM, not only the flat pipe


def test_record_runs_simpy_and_bad_engine() -> None:
    # the event log exists only in simpy: record=True with engine="fast" runs simpy
    arch, tr = bundled("sole"), trace("vit_tiny", 32)
    logged = simulate(arch, tr, engine="fast", record=True)
    assert logged.extra["event_log"] and len(logged.extra["event_log"]) == logged.events
    assert "event_log" not in simulate(arch, tr, engine="fast").extra
    with pytest.raises(SimulationError, match="unknown engine"):
        simulate(arch, tr, engine="simpyy")


@pytest.mark.parametrize("options", [
    {"objective": "energy"}, {"objective": "edp"}, {"batch_order": "layer-major"},
    {"batch_order": "image-major"}, {"dram_requests": True}])
def test_plan_options_banked(options) -> None:
    # the options only change the plan (or log the requests): the kernel plays them all
    arch, tr = load_arch("edge_16x16"), trace("deit_tiny", 32, batch=2)
    text = assert_same(arch, tr, **options)
    if "dram_requests" in options:
        planned: list = []
        got = simulate(arch, tr, engine="fast", dram_requests=True, planned=planned)
        steps = [s for g in planned[0].plan() for s in g.steps]
        # one row per transfer, in the order the channel served them
        assert len(got.extra["dram_requests"]) == sum(
            sum(1 for ld in s.loads if ld.dram_bytes) + (s.write_bytes > 0) for s in steps)
        assert json.loads(text)["extra"]["dram_requests"] == [
            list(row) for row in got.extra["dram_requests"]]


def test_fixed_mapping_and_planned() -> None:
    # a mapping file's tiles replayed by both engines; planned receives the scheduler
    arch, tr = load_arch("sole"), trace("vit_tiny", 64)
    planned: list = []
    simulate(arch, tr, engine="fast", planned=planned)
    mapping = {name: (t.mt // 2 or 1, t.nt, t.kt, t.order)
               for name, t in planned[0].mappings.items()}
    assert_same(arch, tr, mapping=mapping)


def test_banked_refresh_and_turnaround_exercised() -> None:
    # a tiny refresh interval puts refreshes inside transfers, small banks alternate reads
    # and writes: both engines stretch and turn around alike
    arch = load_arch("edge_16x16", {"dram.timing.tREFI": 600,
                                    "dram.timing.channels": 2})
    tr = trace("vit_tiny", 32)
    data = json.loads(assert_same(arch, tr))
    assert data["summary"]["dram_refreshes"] > 100


def test_cli_engine_fast_json_equals_simpy(tmp_path) -> None:
    from typer.testing import CliRunner

    from accelsim.cli.app import app

    runner = CliRunner()
    paths = []
    for engine in ("simpy", "fast"):
        path = tmp_path / f"{engine}.json"
        res = runner.invoke(app, ["simulate", "--model", "deit_tiny", "--image-size", "64",
                                  "--set", "dram.model=bandwidth", "--engine", engine,
                                  "-o", str(path), "--format", "json"])
        assert res.exit_code == 0, res.output
        paths.append(path)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    res = runner.invoke(app, ["simulate", "--model", "deit_tiny", "--engine", "numba"])
    assert isinstance(res.exception, ConfigError)
    assert str(res.exception) == ("--engine: unknown engine (got 'numba'); expected auto | simpy | "
                                  "fast")


def _hand_plan(tmp_path, monkeypatch, releases: tuple) -> tuple:
    """One GEMM played from a hand-written plan of two steps (16 B/cycle DRAM, 100 cycles
    latency): each step loads 160 B of input (10 channel cycles) into a bank, computes 50
    cycles on the array and writes 32 B (2 cycles) back."""
    from accelsim.engine.plan import Group, Load, Step, Work
    from accelsim.workload.topology import read_scalesim_topology

    path = tmp_path / "t.csv"
    path.write_text("Layer, M, N, K,\ng0, 8, 8, 8,\n")
    tr = read_scalesim_topology(path)
    step = Step(loads=(Load("input", 160, "g0", "x"),), stages=(Work("array", 50, "g0", 256),),
                releases=releases, write_bytes=32, write_op="g0")
    groups = [Group(index=0, ops=tuple(tr.ops), stage_units=("array",), steps=[step, step])]
    monkeypatch.setattr(Scheduler, "plan", lambda self: groups)
    banks = {"size_bytes": 4096, "banks": 1 if not releases else 2}
    arch = arch_from_dict({"name": "hand", "clock_hz": 1e9,
                           "array": {"rows": 8, "cols": 8, "dataflow": "ws"},
                           "buffers": {"input": banks, "weight": banks, "output": banks},
                           "dram": {"bandwidth_gbps": 16, "latency_ns": 100}}, "test")
    return arch, tr


def test_hand_computed_plan(tmp_path, monkeypatch) -> None:
    # reads on the channel 0-10 and 10-20 land at 110 and 120; the array computes 110-160 and
    # 160-210 (the stage takes step 1 once step 0 is done); write-backs 160-162 and 210-212 land at
    # 262 and 312, the op's end
    arch, tr = _hand_plan(tmp_path, monkeypatch, (("input", 0),))
    for engine in ("simpy", "fast"):
        result = simulate(arch, tr, record=False, engine=engine)
        layer = result.layers[0]
        assert (layer.start_cycle, layer.end_cycle, layer.compute_cycles) == (0, 312, 100)
        assert result.dram_busy_cycles == 24
        # step 0 is handed to the array at 10 (its transfer done) and its data lands at 110
        assert layer.stalls["dram"] == 100
        # the 10 cycles before it count as waiting in the DMA queue (dependency); step 1 is
        # taken at 160, its data long there; the rest of the 212 idle cycles is write-back
        assert layer.stalls == {"dram": 100, "bank": 0, "dependency": 10, "unit": 0,
                                "sram": 0, "writeback": 102}
        assert result.events == 2 + 4 + 2
    assert_same(arch, tr)


def test_deadlock_reported_alike(tmp_path, monkeypatch) -> None:
    # one input bank that no step frees: the second load waits forever in both engines
    arch, tr = _hand_plan(tmp_path, monkeypatch, ())
    with pytest.raises(SimulationError) as want:
        simulate(arch, tr, record=False, engine="simpy")
    with pytest.raises(SimulationError) as got:
        simulate(arch, tr, engine="fast")
    assert "deadlock: 1 group(s) never finished" in str(want.value)
    assert str(got.value) == str(want.value)


def test_pe_fidelity_same(tmp_path) -> None:
    # --fidelity pe times tiles in the planner, so both engines play the same PE-grid cycles
    from accelsim.workload.topology import read_scalesim_topology

    path = tmp_path / "t.csv"
    path.write_text("Layer, M, N, K,\na, 20, 9, 30,\nb, 33, 17, 65,\n")
    tr = read_scalesim_topology(path)
    buf = {"size_bytes": "1KiB", "banks": 2}
    arch = arch_from_dict({"name": "pe", "clock_hz": 1e9,
                           "array": {"rows": 8, "cols": 8, "dataflow": "os"},
                           "buffers": {"input": buf, "weight": buf, "output": buf},
                           "dram": {"bandwidth_gbps": 16, "latency_ns": 100}}, "test")
    want = simulate(arch, tr, fidelity="pe", record=False, engine="simpy")
    got = simulate(arch, tr, fidelity="pe", engine="fast")
    assert got.fidelity == "pe"
    assert result_json(got) == result_json(want)


@pytest.mark.parametrize("options", [{}, {"dram_requests": True, "check": True}])
def test_a_batch_check_keeps_the_same_plan_on_both_engines(options) -> None:
    # ViT-Ti at 96 px, 8x8 array, 8 KiB input buffer, batch 2: engine.batch_check drops the
    # composed plan (slower than two batch-1 runs in simulation) for every unit image-major;
    # simpy plays the kept plan, fast reuses the check's play (or replays it with the request
    # log): the same JSON
    arch = load_arch("sole", {"buffers.input.size_bytes": "8KiB",
                              "buffers.weight.size_bytes": "1024KiB",
                              "array.rows": 8, "array.cols": 8})
    text = assert_same(arch, trace("vit_tiny", 96, batch=2), **options)
    model = json.loads(text)["model"]
    assert model["batch_order"] == "image-major"
    assert model["batch_check"]["chosen"] == "image-major"


def test_counts_by_op_sums_each_ops_transfer_rows() -> None:
    """Op 0 moves transfers 1, 1 and 2; op 1 moves transfer 2; op 2 none: hand sums, both by
    the histogram and by np.add.at (forced by a table of many distinct transfers)."""
    import numpy as np

    from accelsim.engine.fast import _counts_by_op

    table = np.array([[0, 0], [1, 10], [2, 20]], np.int64)
    t_op, t_cid = np.array([0, 1, 0, 0]), np.array([1, 2, 1, 2])
    assert _counts_by_op(3, t_op, t_cid, table).tolist() == [[4, 40], [2, 20], [0, 0]]
    many = np.arange(200_000, dtype=np.int64).reshape(-1, 2)  # 100,000 distinct rows
    cids = np.arange(1, 100_000)
    ops = cids % 7
    got = _counts_by_op(7, ops, cids, many)
    assert got[3].tolist() == [int(2 * cids[ops == 3].sum()), int((2 * cids[ops == 3] + 1).sum())]
