"""Exploration: search efficiency against the full grid, constraints, Pareto flags, determinism
(also with worker processes), resume after kill -9, and one-line errors."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from accelsim.dse.explore import run_explore
from accelsim.dse.explore_plots import save_plots
from accelsim.dse.pareto import dominates, hypervolume
from accelsim.dse.results import candidates, minimized
from accelsim.dse.sweep import read_records
from accelsim.errors import ConfigError

BUDGET = "area_mm2<=1.5"


def _explore(small_study, **options):
    workload, space = small_study
    return run_explore("sole", str(workload), space, constraints=[BUDGET], jobs=1, **options)


def _check_flags(result):
    """Constraints respected, Pareto flags exactly the non-dominated feasible designs."""
    feasible = candidates(result.rows)
    for row in result.rows:
        if row["feasible"]:
            assert row["status"] == "ok" and row["area_mm2"] <= 1.5
            assert row["constraint:area_mm2<=1.5"] == pytest.approx(row["area_mm2"] - 1.5)
        elif row["status"] == "ok":
            assert row["area_mm2"] > 1.5
        if row["pareto"]:
            assert row in feasible
            assert not any(dominates(minimized(o, result.objectives),
                                     minimized(row, result.objectives)) for o in feasible)
    vectors = [minimized(r, result.objectives) for r in feasible]
    for row, vector in zip(feasible, vectors, strict=True):
        if not row["pareto"]:  # every unflagged feasible design is dominated by one
            assert any(dominates(v, vector) for v in vectors)


def test_search_reaches_the_grid_hypervolume_with_a_fifth_of_the_evaluations(small_study):
    grid = _explore(small_study, sampler="grid", trials=10_000)
    assert len(grid.rows) == grid.evaluations == 180  # the 12 designs over 2048 PEs skipped
    assert {r["status"] for r in grid.rows} == {"ok"}
    assert all(r["array.rows"] * r["array.cols"] <= 2048 for r in grid.rows)
    _check_flags(grid)
    reference = grid.reference
    full = hypervolume([minimized(r, grid.objectives) for r in candidates(grid.rows)],
                       reference)
    assert full == pytest.approx(grid.hypervolume)

    search = _explore(small_study, sampler="tpe", trials=36, seed=0)  # 20 % of 180
    assert search.evaluations <= 36
    _check_flags(search)
    found = hypervolume([minimized(r, search.objectives) for r in candidates(search.rows)],
                        reference)
    assert found >= 0.95 * full, found / full
    # the hypervolume column never falls and ends at the front's hypervolume
    history = [r["hypervolume"] for r in search.rows]
    assert history == sorted(history) and history[-1] == pytest.approx(
        hypervolume([minimized(r, search.objectives) for r in search.pareto],
                    search.reference))


def test_joint_constraints_reject_designs_without_simulating_them(small_study, tmp_path):
    workload, _ = small_study
    space = tmp_path / "space.yaml"
    space.write_text("array.rows: [8, 16, 32, 64]\narray.cols: [8, 16, 32, 64]\n"
                     "constraints: ['array.rows * array.cols <= 128']\n", encoding="utf-8")
    result = run_explore("sole", str(workload), space, trials=12, sampler="random", seed=3,
                         jobs=1)
    rejected = [r for r in result.rows if r["status"] == "rejected"]
    assert rejected and all(r["array.rows"] * r["array.cols"] > 128 for r in rejected)
    assert all(r.get("latency_ms") is None and not r["feasible"] and not r["pareto"]
               for r in rejected)
    assert result.simulated == len({(r["array.rows"], r["array.cols"]) for r in result.rows
                                    if r["status"] == "ok"})


def test_same_seed_gives_identical_files_in_process_and_on_dask_workers(small_study, tmp_path):
    """Two dask workers finish designs out of order; the files are still those of one
    in-process run (trials are told and written in trial order). The local process pool
    (-j 2) takes the same path through accelsim.dse.sweep._execute."""
    distributed = pytest.importorskip("distributed")
    files = []
    workload, space = small_study
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        for name, scheduler in (("local", None), ("dask", client)):
            out = tmp_path / name / "explore.csv"
            result = run_explore("sole", str(workload), space, constraints=[BUDGET], trials=6,
                                 sampler="nsga2", round_size=3, seed=5, jobs=1,
                                 scheduler=scheduler, output=out)
            files.append([p.read_bytes() for p in (out, out.with_name("explore.pareto.csv"))])
    assert files[0] == files[1]
    # plots of the same rows are the same bytes too (no timestamp, no software version)
    plots = save_plots(result.rows, result.objectives, result.reference, tmp_path / "plots")
    assert [p.name for p in plots] == ["explore_fronts.png", "explore_front_3d.png",
                                       "explore_hypervolume.png"]
    again = save_plots(result.rows, result.objectives[:2], result.reference[:2], tmp_path / "2d")
    assert [p.name for p in again] == ["explore_fronts.png", "explore_hypervolume.png"]
    from accelsim.dse.explore_plots import plot_hypervolume

    twice = []
    for _ in range(2):
        buffer = io.BytesIO()
        plot_hypervolume(result.rows, result.reference, result.objectives).savefig(
            buffer, format="png", dpi=110, metadata={"Software": None})
        twice.append(buffer.getvalue())
    assert twice[0] == twice[1] == (tmp_path / "plots" / "explore_hypervolume.png").read_bytes()
    rows = read_records(tmp_path / "local" / "explore.csv")
    assert [r["trial"] for r in rows] == list(range(6))


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "accelsim.cli", "explore", *args]


def _journal_rows(path: Path) -> list[dict]:
    """The rows of the finished trials stored in an explore journal."""
    import optuna
    from optuna.storages.journal import JournalFileBackend

    storage = optuna.storages.JournalStorage(JournalFileBackend(str(path)))
    study = optuna.load_study(study_name="accelsim-explore", storage=storage)
    return [t.user_attrs["accelsim"] for t in study.get_trials() if t.state.is_finished()]


def test_resume_after_kill_9_repeats_no_trial(small_study, tmp_path):
    workload, space = small_study
    trials = 16
    common = ["--arch", "sole", "--model", str(workload), "--space", str(space),
              "--constraint", BUDGET, "--trials", str(trials), "--sampler", "tpe", "--seed",
              "1", "--round-size", "2", "-j", "1"]
    out = tmp_path / "killed" / "explore.csv"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen(_cli(*common, "-o", str(out)), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and len(read_records(out)) >= 4:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the study finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _journal_rows(out.with_name("explore.journal"))
    assert 4 <= len(before) < trials
    simulated_before = sum(1 for r in before if r["status"] == "ok" and
                           r["duplicate_of"] is None)

    resumed = subprocess.run(_cli(*common, "-o", str(out), "--resume"), env=env,
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    after = read_records(out)
    assert [r["trial"] for r in after] == list(range(trials))  # each trial once
    for old in before:  # finished trials kept as they were, not run again
        new = after[old["trial"]]
        assert (new["array.rows"], new["array.cols"], new["latency_ms"]) == \
            (old["array.rows"], old["array.cols"], old.get("latency_ms"))
    total = sum(1 for r in after if r["status"] == "ok" and r["duplicate_of"] is None)
    assert f"({total - simulated_before} in this run)" in " ".join(resumed.stdout.split())

    # the same study without the kill writes the same file, byte for byte
    clean = tmp_path / "clean" / "explore.csv"
    run_explore("sole", str(workload), space, constraints=[BUDGET], trials=trials,
                sampler="tpe", seed=1, round_size=2, jobs=1, output=clean)
    assert clean.read_bytes() == out.read_bytes()


def _journal_cuts(lines: list[bytes], trial: int) -> list[int]:
    """Every journal length from the creation of ``trial`` to the completion of ``trial + 1``
    (one round of two): each is the journal a kill -9 after that append leaves."""
    creates = [i for i, line in enumerate(lines) if json.loads(line)["op_code"] == 4]
    done = [i for i, line in enumerate(lines) if json.loads(line)["op_code"] == 6
            and json.loads(line)["trial_id"] == trial + 1]
    return list(range(creates[trial] + 1, done[0] + 1))


@pytest.mark.parametrize("sampler, trial", [("random", 0), ("tpe", 4), ("nsga2", 2)])
def test_resume_is_identical_wherever_the_kill_lands(small_study, tmp_path, sampler, trial):
    """A kill -9 leaves the journal ending after any append (Optuna fsyncs each), or with a
    torn last line. Cut the journal of a whole run there and resume: the files must be those
    of the run, byte for byte, for kills inside a proposal (the random stream must continue
    where it was cut; no later trial may be asked first), a tell, or between rounds.
    Trial 0 is a random proposal, TPE's trial 4 its first after the 4 startup trials,
    NSGA-II's trial 2 the first of generation 1 (which caches its parents in the study)."""
    options = {"sampler": sampler, "trials": 8, "seed": 1, "round_size": 2}
    clean = tmp_path / "clean" / "explore.csv"
    _explore(small_study, output=clean, **options)
    lines = (tmp_path / "clean" / "explore.journal").read_bytes().splitlines(keepends=True)
    cuts = _journal_cuts(lines, trial)
    assert len(cuts) >= 19  # 2 creations, 10 parameters, 2 tells of 4 appends each, ...
    for cut, torn in [*((n, 0) for n in cuts), (cuts[3], 9)]:
        out = tmp_path / f"cut{cut}_{torn}" / "explore.csv"
        out.parent.mkdir()
        out.with_name("explore.journal").write_bytes(b"".join(lines[:cut]) +
                                                     lines[cut][:torn])
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no "constraint is already set" on a retell
            _explore(small_study, output=out, resume=True, **options)
        assert out.read_bytes() == clean.read_bytes(), (cut, torn, lines[cut - 1][:120])
        assert out.with_name("explore.pareto.csv").read_bytes() == \
            clean.with_name("explore.pareto.csv").read_bytes()


def test_a_study_has_one_run_and_a_dead_runs_journal_lock_is_broken(small_study, tmp_path):
    """The lock a run killed mid-append leaves (Optuna would wait 30 s for it) is removed on
    resume; a study another live run holds is refused in one line."""
    from accelsim.dse.proposals import own_study

    out = tmp_path / "explore.csv"
    _explore(small_study, sampler="random", trials=2, output=out)
    journal = out.with_name("explore.journal")
    lock = Path(f"{journal}.lock")
    lock.symlink_to(journal)  # as JournalFileSymlinkLock holds it
    start = time.monotonic()
    more = _explore(small_study, sampler="random", trials=3, output=out, resume=True)
    assert len(more.rows) == 3 and not lock.exists() and time.monotonic() - start < 25
    holder = own_study(journal)
    try:
        with pytest.raises(ConfigError, match="is in use by another run"):
            _explore(small_study, sampler="random", trials=4, output=out, resume=True)
    finally:
        holder.close()


def test_study_file_is_protected_and_must_match_on_resume(small_study, tmp_path):
    out = tmp_path / "explore.csv"
    _explore(small_study, sampler="random", trials=2, output=out)
    with pytest.raises(ConfigError, match="exists: --resume continues it"):
        _explore(small_study, sampler="random", trials=2, output=out)
    with pytest.raises(ConfigError, match="another sampler"):
        _explore(small_study, sampler="tpe", trials=2, output=out, resume=True)
    more = _explore(small_study, sampler="random", trials=4, output=out, resume=True)
    assert [r["trial"] for r in more.rows] == [0, 1, 2, 3] and more.simulated <= 2


@pytest.mark.parametrize("options, message", [
    ({"sampler": "annealing"}, "--sampler: unknown sampler"),
    ({"trials": 0}, "--trials: not a positive integer"),
    ({"objectives": "latency,speed"}, "--objectives: unknown metric 'speed'"),
    ({"objectives": "latency,latency_ms"}, "objective given twice"),
    ({"constraints": ["power <= 1 W"]}, "--constraint power <= 1 W: not an expression"),
    ({"constraints": ["aera_mm2 <= 1"]}, "did you mean 'area_mm2'"),
    ({"scheduler": "nothost"}, "--scheduler: bad dask scheduler address"),
    ({"output": "explore.txt"}, "unknown file type"),
    ({"resume": True}, "--resume needs the file of a previous run"),
    ({"reference": [1.0]}, "--reference: 1 reference values for 3 objectives"),
])
def test_bad_options_fail_before_anything_runs(small_study, options, message):
    workload, space = small_study
    kwargs = {"trials": 4, "jobs": 1, **options}
    with pytest.raises(ConfigError) as info:
        run_explore("sole", str(workload), space, **kwargs)
    assert message in str(info.value)


def test_cli_bad_space_is_one_line_exit_2(tmp_path):
    space = tmp_path / "space.yaml"
    space.write_text("array.rows: [8, 16]\narray.colz: {low: 8, high: 64}\n", encoding="utf-8")
    proc = subprocess.run(_cli("--model", "vit_tiny", "--space", str(space)),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"accelsim: error: {space}: array.colz: not a field of arch")
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
