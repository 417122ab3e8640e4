"""Sweeps that scale (issue 19): chunk sizes, the bounded window of chunks in flight, records
in point order, validation per axis with the points built in the workers (a jointly invalid
point is an error row), the cross-axis duplicate refusal, and the plan memo giving the same
bytes."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import accelsim.dse.sweep as sw
from accelsim.dse import sweep_exec
from accelsim.dse.plan_memo import WORKER_MEMO, PlanMemo, plan_key
from accelsim.errors import ConfigError

BW = "dram.model=bandwidth"


# ------------------------------------------------------------------------------- chunks
@pytest.mark.parametrize("points, workers, size", [
    (10_000, 2, 100),   # capped at 100 points a task
    (400, 2, 50),       # 400 // (4 chunks x 2 workers)
    (7, 2, 1),          # fewer points than 4 chunks per worker: one point a chunk
    (100_000, 64, 100),
    (1000, 3, 83),      # 1000 // 12
])
def test_chunk_size(points, workers, size):
    assert sweep_exec.chunk_size(points, workers) == size


def test_chunks_cover_the_points_in_order_and_give_each_worker_four():
    items = list(range(1003))
    for workers in (1, 2, 5):
        chunks = sweep_exec.make_chunks(items, workers)
        assert [x for c in chunks for x in c] == items
        assert max(len(c) for c in chunks) <= 100
        assert len(chunks) >= 4 * workers
    assert sweep_exec.chunks_for(10_000, 2) == 100 and sweep_exec.chunks_for(0, 2) == 0


class _Watch:
    """Chunks started by workers and chunks the caller has collected: their difference is
    what was in flight (submitted, not yet collected) at a chunk's start, at least."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started = 0
        self.collected = 0
        self.most = 0

    def work(self, chunk: list[int], delay_s: float) -> list[int]:
        with self.lock:
            self.started += 1
            self.most = max(self.most, self.started - self.collected)
        time.sleep(delay_s * (1 + chunk[0] % 3))  # uneven chunks: they finish out of order
        return [x * 10 for x in chunk]


def _collect(runner, watch, chunks, delay_s=0.002):
    got = []
    for result in runner.run(watch.work, chunks, delay_s):
        with watch.lock:
            watch.collected += 1
        got.append(result)
    return got


def test_the_pool_keeps_two_chunks_per_worker_in_flight():
    chunks = sweep_exec.make_chunks(list(range(40)), 2)  # 40 // 8 = 5 points a chunk: 8
    watch = _Watch()
    with ThreadPoolExecutor(max_workers=2) as pool:
        runner = sweep_exec.ChunkRunner(2, pool=pool)
        got = _collect(runner, watch, chunks)
    assert sorted(x for r in got for x in r) == [10 * x for x in range(40)]
    assert all(r == sorted(r) for r in got)  # each chunk's results in point order
    assert runner.peak_in_flight == 4 == sweep_exec.window(2)
    assert watch.most <= 4


def _tenfold(chunk: list[int], delay_s: float) -> list[int]:
    time.sleep(delay_s * (1 + chunk[0] % 3))
    return [x * 10 for x in chunk]


def test_dask_keeps_two_chunks_per_worker_in_flight():
    distributed = pytest.importorskip("distributed")
    chunks = sweep_exec.make_chunks(list(range(60)), 2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        runner = sweep_exec.ChunkRunner(sweep_exec.dask_workers(client), client=client)
        assert runner.workers == 2
        got, held = [], []
        for result in runner.run(_tenfold, chunks, 0.002):
            # tasks of this client not finished yet, as the client's own state says
            held.append(sum(1 for st in client.futures.values() if st.status == "pending"))
            got.append(result)
    assert len(chunks) == 9  # 60 // 8 = 7 points a chunk
    assert sorted(x for r in got for x in r) == [10 * x for x in range(60)]
    assert runner.peak_in_flight == 4 and max(held) <= 4


def test_records_come_back_in_point_order_from_a_pool(tmp_path):
    records = sw.run_sweep("sole", "vit_tiny", pe="8x8,16x16,32x32", quant="sole,w8a8",
                           jobs=2, output=tmp_path / "s.csv")
    assert [r["index"] for r in records] == list(range(6))
    assert [r["index"] for r in sw.read_records(tmp_path / "s.csv")] == list(range(6))


# ------------------------------------------------------------------------------- validation
def test_validation_builds_one_spec_per_axis_value_not_per_point(monkeypatch):
    import accelsim.arch.load as load

    calls = []
    real = load.arch_from_dict
    monkeypatch.setattr(load, "arch_from_dict",
                        lambda *a, **k: calls.append(a[2] if len(a) > 2 else None) or
                        real(*a, **k))
    axes = sw.build_axes("vit_tiny", 224, 1, "sole", "8x8,16x16,32x32",
                         [BW, "dram.bandwidth_gbps=12.8,25.6,51.2,102.4"])
    source, joint = sw.validate_axes("sole", axes)
    # 3 + 1 + 4 values (the single-valued dram.model is checked with each: it is the base),
    # not the 12 points
    assert len(calls) == 8 and source.name == "sole" and joint
    assert {"dram.model": "bandwidth", "dram.bandwidth_gbps": 12.8} in calls


def test_a_jointly_invalid_point_is_an_error_row_and_the_others_run(tmp_path, run_cli,
                                                                     monkeypatch):
    # BL=4 and beats_per_tck=8 are each valid; together a burst is not whole nCK
    sets = ["dram.timing.BL=4,16", "dram.timing.beats_per_tck=2,8"]
    records = sw.run_sweep("sole", "vit_tiny", overrides=sets, pe="16x16", jobs=1,
                           output=tmp_path / "s.csv")
    assert [r["status"] for r in records] == ["ok", "error", "ok", "ok"]
    bad = records[1]
    assert bad["error_type"] == "ConfigError"
    assert "sweep point 1 is invalid" in bad["error"]
    assert "BL must be a multiple of beats_per_tck" in bad["error"]
    assert all(r["total_cycles"] > 0 for r in records if r["status"] == "ok")
    assert [r["status"] for r in sw.read_records(tmp_path / "s.csv")] == \
        ["ok", "error", "ok", "ok"]
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["sweep", "--model", "vit_tiny", "--pe", "16x16", "-j", "1",
                            *(x for s in sets for x in ("--set", s))])
    assert code == 3 and "1 of 4 points failed (point 1: ConfigError" in err


def test_a_value_invalid_alone_is_still_refused_before_running(monkeypatch):
    monkeypatch.setattr(sw, "run_chunk", lambda *a: pytest.fail("ran a point"))
    sets = ["dram.timing.BL=4,16,12", "dram.timing.beats_per_tck=2,8"]
    with pytest.raises(ConfigError, match="sweep point 4 is invalid") as err:
        sw.run_sweep("sole", "vit_tiny", overrides=sets, jobs=1)
    assert err.value.key == "--set dram.timing.BL" and err.value.value == 12
    assert "row_bytes must be a multiple of the burst (24 B)" in str(err.value)


def test_values_of_two_axes_that_normalise_to_one_design_are_refused(monkeypatch):
    # at 16x16 an 'auto' input port is 16 B/cycle: (16x16, auto) and (16x16, 16) are one
    # design, though 'auto' and 16 differ on the base arch (32x32: auto = 32)
    monkeypatch.setattr(sw, "run_chunk", lambda *a: pytest.fail("ran a point"))
    kwargs = {"pe": "16x16,32x32", "overrides": ["buffers.input.read_bytes_per_cycle=auto,16"]}
    with pytest.raises(ConfigError) as err:
        sw.run_sweep("sole", "vit_tiny", jobs=1, **kwargs)
    assert str(err.value).startswith(
        "--set buffers.input.read_bytes_per_cycle: points 0 and 1 are the same design once "
        "values are normalised (buffers.input.read_bytes_per_cycle: 'auto' and 16)")
    # the same refusal as the per-point reference check
    axes = sw.build_axes("vit_tiny", 224, 1, "sole", kwargs["pe"], kwargs["overrides"])
    with pytest.raises(ConfigError) as reference:
        sw.validate_points("sole", sw.grid_points(axes), axes)
    assert str(reference.value) == str(err.value)


@pytest.mark.parametrize("item", ["dram.bandwidth_gbps=25.6,25.60000000001",
                                  "array.rows=16,0x10", "buffers.input.size_bytes=256KiB,262144",
                                  "clock_hz=1GHz,1e9"])
def test_one_axis_duplicates_are_refused_as_before(item):
    sets = [BW, item] if item.startswith("dram") else [item]
    with pytest.raises(ConfigError, match="duplicate value|the same design once values are "
                                          "normalised") as err:
        sw.run_sweep("sole", "vit_tiny", overrides=[*sets, "array.cols=8,16"], jobs=1)
    assert err.value.key == f"--set {item.split('=')[0]}"


# ------------------------------------------------------------------------------- memo
#: two points scaled together: 12.8 GB/s at 0.5 GHz and 25.6 GB/s at 1 GHz are both
#: 25.6 B/cycle, 200 ns and 100 ns both 100 cycles: one plan
SHARED = [BW, "clock_hz=5e8,1e9", "dram.bandwidth_gbps=12.8,25.6", "dram.latency_ns=200,100"]
#: sole's banked DRAM at 3 row-to-column delays x 2 page policies: the same peak bandwidth and
#: latency, so the 6 points share one plan and the DRAM plays each differently
GRID = ["dram.timing.tRCD=10,29,60", "dram.page_policy=open,closed"]


def test_the_plan_key_is_what_the_planner_reads():
    import accelsim

    slow, fast = (accelsim.load_arch("sole", [BW, f"clock_hz={c}", f"dram.bandwidth_gbps={b}",
                                              f"dram.latency_ns={n}"])
                  for c, b, n in (("5e8", 12.8, 200), ("1e9", 25.6, 100)))
    work = ("vit_tiny", 224, 1, "sole")
    assert plan_key(slow, work) == plan_key(fast, work)
    other = accelsim.load_arch("sole", [BW, "clock_hz=1e9", "dram.bandwidth_gbps=25.6",
                                        "dram.latency_ns=101"])
    assert plan_key(other, work) != plan_key(fast, work)  # 101 cycles
    wider = accelsim.load_arch("sole", [BW, "clock_hz=1e9", "dram.bandwidth_gbps=25.6",
                                        "dram.latency_ns=100", "array.rows=16"])
    assert plan_key(wider, work) != plan_key(fast, work)
    # the lone replays (mapper.replay) play on the arch's own DRAM and clock: no sharing
    replayed = [accelsim.load_arch("sole", [BW, "mapper.replay=true", f"clock_hz={c}",
                                            f"dram.bandwidth_gbps={b}", f"dram.latency_ns={n}"])
                for c, b, n in (("5e8", 12.8, 200), ("1e9", 25.6, 100))]
    assert replayed[0].dram_bytes_per_cycle == replayed[1].dram_bytes_per_cycle
    assert replayed[0].dram_latency_cycles == replayed[1].dram_latency_cycles
    assert plan_key(replayed[0], work) != plan_key(replayed[1], work)


@pytest.mark.parametrize("engine", ["fast", "simpy"])
def test_records_are_byte_identical_with_and_without_chunks_and_memo(engine, tmp_path):
    for sets, zipped, shared in ((SHARED, True, 1), (GRID, False, 5)):
        files = []
        for name, jobs, memo in (("memo.csv", 1, True), ("plain.csv", 1, False),
                                 ("pool.csv", 2, True)):
            WORKER_MEMO.clear()
            sw.run_sweep("sole", "vit_tiny", overrides=sets, zip_axes=zipped, jobs=jobs,
                         memo=memo, engine=engine, output=tmp_path / name)
            if jobs == 1:  # in this process: the points that share a plan
                assert WORKER_MEMO.hits == (shared if memo else 0)
            files.append((tmp_path / name).read_bytes())
        assert files[0] == files[1] == files[2]
        rows = sw.read_records(tmp_path / "memo.csv")
        assert len(rows) == (2 if zipped else 6)
        # each point still plays its own DRAM and clock (the plan is all they share)
        assert len({r["latency_ms"] for r in rows}) >= (2 if zipped else 4)


def test_a_memoised_plan_plays_the_same_as_a_fresh_one():
    import accelsim

    trace = accelsim.build_trace("vit_tiny", 224, 1, "sole")
    slow, fast = (accelsim.load_arch("sole", [BW, f"clock_hz={c}", f"dram.bandwidth_gbps={b}",
                                              f"dram.latency_ns={n}"])
                  for c, b, n in (("5e8", 12.8, 200), ("1e9", 25.6, 100)))
    memo = PlanMemo()
    work = ("vit_tiny", 224, 1, "sole")
    memo.plan(slow, work, trace)
    shared = memo.plan(fast, work, trace)
    assert (memo.hits, memo.misses) == (1, 1)
    for engine in ("fast", "simpy"):
        a = accelsim.simulate(fast, trace, record=False, engine=engine, plan=shared)
        b = accelsim.simulate(fast, trace, record=False, engine=engine)
        assert sw.summarize(a, fast) == sw.summarize(b, fast)
        assert a.layers == b.layers and a.unit_busy_cycles == b.unit_busy_cycles


def test_bad_engine_is_refused():
    with pytest.raises(ConfigError) as err:
        sw.run_sweep("sole", "vit_tiny", pe="8x8", engine="warp")
    assert err.value.key == "--engine"


def test_a_batch_plan_is_not_memoised():
    """engine.batch_check picks a batch plan by simulating it on the point's own DRAM."""
    import accelsim

    trace = accelsim.build_trace("vit_tiny", 96, 2, "sole")
    arch = accelsim.load_arch("sole", ["array.rows=8", "array.cols=8"])
    memo = PlanMemo()
    work = ("vit_tiny", 96, 2, "sole")
    scheduler, _ = memo.plan(arch, work, trace)
    memo.plan(arch, work, trace)
    assert scheduler.batch_candidates and (memo.hits, memo.misses) == (0, 2)
