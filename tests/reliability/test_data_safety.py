"""Data safety of outputs (issue 14, class 7): a sweep killed with ``kill -9`` at random moments
resumes to a file byte-identical to an uninterrupted run; a full disk (a writer patched to fail
with ENOSPC) leaves the previous output intact; a killed parent leaves no worker alive after 5 s;
a second sweep on the same output is refused while the first runs."""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import accelsim.dse.sweep as sw
from accelsim.dse.sweep_exec import chunk_size
from accelsim.errors import ConfigError
from accelsim.fileio import OutputLock

ROOT = Path(__file__).resolve().parents[2]
SETS = ["array.rows=8,16,32", "array.cols=8,16,32"]  # 9 points of a few ms each


def _trace(gemms: int = 6, size: int = 48) -> str:
    lines = ["schema: accelsim.trace/1", "name: safety", "tensors:"]
    for i in range(gemms):
        lines += [f"- {{name: x{i}, shape: [{size}, {size}], bits: 8, dtype: int, role: input}}",
                  f"- {{name: w{i}, shape: [{size}, {size}], bits: 8, dtype: int, role: weight}}",
                  f"- {{name: y{i}, shape: [{size}, {size}], bits: 32, dtype: int, "
                  "role: activation}"]
    lines.append("ops:")
    lines += [f"- {{name: g{i}, kind: gemm, m: {size}, n: {size}, k: {size}, "
              f"inputs: [x{i}, w{i}], outputs: [y{i}]}}" for i in range(gemms)]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def workload(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes, bytes]:
    """(trace path, reference CSV bytes, reference JSON bytes) of an uninterrupted run."""
    folder = tmp_path_factory.mktemp("safety")
    path = folder / "safety.yaml"
    path.write_text(_trace())
    sw.run_sweep("sole", str(path), overrides=SETS, jobs=1, output=folder / "ref.csv")
    sw.run_sweep("sole", str(path), overrides=SETS, jobs=1, output=folder / "ref.json")
    return path, (folder / "ref.csv").read_bytes(), (folder / "ref.json").read_bytes()


def _sweep_argv(trace: Path, output: Path, jobs: int,
                sets: list[str] | None = None) -> list[str]:
    argv = [sys.executable, "-m", "accelsim.cli", "sweep", "--model", str(trace), "-o",
            str(output), "--jobs", str(jobs)]
    for item in SETS if sets is None else sets:
        argv += ["--set", item]
    return argv


#: 400 points (~2.5 s in one process): the first sweep of the lock test is still running when
#: the second starts, however fast points get
LONG_SETS = [f"array.rows={','.join(map(str, range(4, 24)))}",
             f"array.cols={','.join(map(str, range(4, 24)))}"]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the session this test started (the sweep and anything it spawned)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


# ------------------------------------------------------------------------------ kill -9
def _one_trial(seed: int, trace: Path, folder: Path, ref: bytes,
               longest_s: float) -> tuple[int, float, int]:
    """Kill a sweep at a random moment of its run (up to ``longest_s``), resume it in-process;
    (seed, delay, rows on disk when killed)."""
    rng = random.Random(seed)
    out = folder / f"trial{seed}.csv"
    jobs = 1 + seed % 2
    proc = subprocess.Popen(_sweep_argv(trace, out, jobs), env=_env(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    delay = rng.uniform(0.2, longest_s)
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        pass
    _kill_group(proc)
    rows = out.read_text().count("\n") - 1 if out.exists() else -1
    sw.run_sweep("sole", str(trace), overrides=SETS, jobs=1, output=out, resume=True)
    assert out.read_bytes() == ref, f"seed {seed}: killed after {delay:.2f} s ({rows} rows)"
    return seed, delay, rows


def test_kill_9_at_random_moments_then_resume_is_byte_identical(workload, tmp_path):
    trace, ref, _ = workload
    start = time.perf_counter()  # an uninterrupted run of the command sets the time window
    subprocess.run(_sweep_argv(trace, tmp_path / "whole.csv", 1), env=_env(), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    longest_s = time.perf_counter() - start
    assert (tmp_path / "whole.csv").read_bytes() == ref  # the CLI writes what the API writes
    with ThreadPoolExecutor(max_workers=2) as pool:
        trials = list(pool.map(lambda s: _one_trial(s, trace, tmp_path, ref, longest_s),
                               range(10)))
    assert [seed for seed, _, _ in trials] == list(range(10))


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_a_file_cut_at_any_byte_resumes_to_the_same_bytes(workload, tmp_path, suffix):
    """Every prefix an interrupted append can leave (CSV), and the whole-file states of the
    atomic writer (JSON: all or nothing), resume to the uninterrupted file."""
    trace, ref_csv, ref_json = workload
    ref = ref_csv if suffix == ".csv" else ref_json
    out = tmp_path / f"cut{suffix}"
    cuts = sorted({0, len(ref) - 1, *range(1, len(ref), max(1, len(ref) // 40))})
    if suffix == ".json":
        cuts = [0, len(ref)]  # a JSON file is only ever written whole
    for cut in cuts:
        out.write_bytes(ref[:cut])
        sw.run_sweep("sole", str(trace), overrides=SETS, jobs=1, output=out, resume=True)
        assert out.read_bytes() == ref, f"cut at byte {cut}"


def test_a_resumed_file_has_the_columns_of_a_fresh_run(workload, tmp_path):
    """Resuming with the pool (rows arrive in any order) or with the --set flags swapped (the
    same grid; columns follow the flags given) writes what a fresh run of those flags writes."""
    trace, ref, _ = workload
    out = tmp_path / "order.csv"
    out.write_text("".join(ref.decode().splitlines(keepends=True)[:4]))  # 3 rows done
    sw.run_sweep("sole", str(trace), overrides=SETS, jobs=2, output=out, resume=True)
    assert out.read_bytes() == ref
    fresh = tmp_path / "swapped.csv"
    sw.run_sweep("sole", str(trace), overrides=SETS[::-1], jobs=1, output=fresh)
    assert "array.cols,array.rows,status" in fresh.read_text().splitlines()[0]
    out.write_text("".join(ref.decode().splitlines(keepends=True)[:4]))
    sw.run_sweep("sole", str(trace), overrides=SETS[::-1], jobs=1, output=out, resume=True)
    assert out.read_bytes() == fresh.read_bytes()


# ------------------------------------------------------------------------------ full disk
def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))




@pytest.mark.parametrize("command, name", [
    (("simulate", "-f", "json"), "r.json"), (("simulate",), "r.html"),
    (("trace",), "t2.yaml"), (("roofline",), "r.csv"), (("roofline",), "r.png"),
    (("simulate", "--plot"), "p.png"), (("sweep", "-j", "1"), "s.csv"),
    (("sweep", "-j", "1"), "s.json"),
])
def test_a_full_disk_leaves_the_previous_output_intact(command, name, workload, tmp_path,
                                                       monkeypatch, run_cli):
    trace, _, _ = workload
    previous = tmp_path / name
    previous.write_bytes(b"previous good output\n")
    monkeypatch.setattr(os, "fsync", _no_space)
    monkeypatch.chdir(tmp_path)
    argv = [*command[:1], "--model", str(trace), *command[1:]]
    argv += [name] if argv[-1] == "--plot" else ["-o", name]
    code, _, err = run_cli(argv)
    assert code == 2, err
    (line,) = err.splitlines()
    assert "No space left on device" in line and name in line, line
    assert previous.read_bytes() == b"previous good output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temp or lock file left


def test_a_full_disk_mid_sweep_keeps_whole_rows_and_resumes(workload, tmp_path, monkeypatch):
    trace, ref, _ = workload
    out = tmp_path / "s.csv"
    real_fsync, calls = os.fsync, []

    def fsync_then_full(fd):
        calls.append(fd)
        if len(calls) > 4:  # the first write and 3 appended chunks of rows succeed
            _no_space()
        real_fsync(fd)

    rows = 3 * chunk_size(9, 1)  # a chunk's rows are appended in one write (2 rows here)

    monkeypatch.setattr(os, "fsync", fsync_then_full)
    with pytest.raises(ConfigError, match="No space left on device.*rows written so far"):
        sw.run_sweep("sole", str(trace), overrides=SETS, jobs=1, output=out)
    monkeypatch.setattr(os, "fsync", real_fsync)
    text = out.read_text()
    assert text.endswith("\n") and text.count("\n") == 1 + rows == 7, text  # header + rows
    assert ref.decode().startswith(text)
    sw.run_sweep("sole", str(trace), overrides=SETS, jobs=1, output=out, resume=True)
    assert out.read_bytes() == ref


# ------------------------------------------------------------------------------ workers
def _children(pid: int) -> set[int]:
    """Live descendants of ``pid`` (zombies count as gone)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if state != "Z":
            parents[int(entry)] = int(ppid)
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for p in pids:
        try:
            state = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(p)
    return alive


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killing_the_parent_leaves_no_worker_alive_after_5_s(tmp_path):
    trace = tmp_path / "slow.yaml"
    trace.write_text(_trace(gemms=24, size=96))
    out = tmp_path / "s.csv"
    proc = subprocess.Popen(_sweep_argv(trace, out, 2), env=_env(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while time.monotonic() < deadline and not (
                out.exists() and out.read_text().count("\n") >= 2 and len(workers) >= 2):
            workers = _children(proc.pid)  # the pool is at work once a row is on disk
            time.sleep(0.05)
        assert len(workers) >= 2, "the pool never started"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        gone_by = time.monotonic() + 5
        while _alive(workers) and time.monotonic() < gone_by:
            time.sleep(0.1)
        assert not _alive(workers), f"workers {sorted(_alive(workers))} outlived their parent"
    finally:
        _kill_group(proc)


# ------------------------------------------------------------------------------ locks
def test_a_second_sweep_on_the_same_output_is_refused(workload, tmp_path, monkeypatch, run_cli):
    trace, _, _ = workload
    out = tmp_path / "s.csv"
    proc = subprocess.Popen(_sweep_argv(trace, out, 1, LONG_SETS), env=_env(),
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        lock = tmp_path / ".s.csv.lock"
        deadline = time.monotonic() + 60
        while not lock.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert lock.exists(), "the first sweep never took its lock"
        monkeypatch.chdir(tmp_path)
        code, _, err = run_cli(["sweep", "--model", str(trace), "--set", "array.rows=64", "-j", "1",
                                "-o", "s.csv"])
        first = proc.wait(timeout=120)
    finally:
        _kill_group(proc)
    assert code == 2, err
    (line,) = err.splitlines()
    assert "--output" in line and "another sweep is writing this file" in line
    assert first == 0
    assert not lock.exists()
    sw.run_sweep("sole", str(trace), overrides=LONG_SETS, jobs=1, output=tmp_path / "ref.csv")
    assert out.read_bytes() == (tmp_path / "ref.csv").read_bytes()  # the first sweep's, whole


def test_the_lock_is_exclusive_within_one_process_too(tmp_path):
    path = tmp_path / "s.csv"
    with OutputLock(path, ConfigError, "--output"):
        with pytest.raises(ConfigError, match="is held"):
            with OutputLock(path, ConfigError, "--output"):
                pass
    with OutputLock(path, ConfigError, "--output"):  # released: free again
        pass
    assert list(tmp_path.iterdir()) == []
