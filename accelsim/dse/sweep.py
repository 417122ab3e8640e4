"""Design-space sweeps: a grid of (arch overrides x workload) points, each simulated once.

Specs are parsed and every swept value validated alone before anything runs (sweep_spec.py);
points run in chunks (sweep_exec.py) in a local process pool (default) or on a dask.distributed
cluster, each worker building its points' specs; each point becomes one plain record (its
parameters + summary metrics, or the error it raised). Records stream to ``output`` as
points finish and the file is rewritten in point order at the end. Library code never prints:
pass ``progress(done, total, record)`` to follow a run.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from accelsim.dse.sweep_exec import ChunkRunner, dask_workers, make_chunks
from accelsim.dse.sweep_files import (  # noqa: F401 - the file API is re-exported here
    OUTPUT_SUFFIXES,
    ROW_CHECK,
    RecordSink,
    _record_key,
    _uncell,
    check_suffix,
    columns,
    read_records,
    resumable_records,
    row_check,
    write_records,
)
from accelsim.dse.sweep_spec import (  # noqa: F401 - the spec API is re-exported here
    FLOAT_DIGITS,
    STATUS_COLUMNS,
    WORKLOAD_AXES,
    ArchSource,
    Axis,
    SweepPoint,
    _cached_trace,
    _cell,
    _workload,
    build_axes,
    grid_points,
    joint_duplicate,
    parse_pe,
    parse_set,
    round_float,
    spec_digest,
    validate_axes,
    validate_points,
)
from accelsim.errors import AccelsimError, ConfigError
from accelsim.fileio import OutputLock, check_output_path

Record = dict[str, Any]
Progress = Callable[[int, int, Record], None]


# ---------------------------------------------------------------------------------- one point
def _worker_init(parent_pid: int | None = None) -> None:
    """Pool initializer: tie the worker's life to its parent's (a sweep killed by ``kill -9``
    leaves no worker behind), then import the engine once per worker, not once per point."""
    if parent_pid is not None:
        _die_with_parent(parent_pid)
    import accelsim.engine.simulator  # noqa: F401


#: how often a pool worker checks that its parent is alive (seconds)
PARENT_POLL_S = 0.5


def _die_with_parent(parent_pid: int) -> None:
    """On Linux, ask the kernel to SIGKILL this worker when its parent dies (PR_SET_PDEATHSIG;
    the pool starts its workers from the thread running the sweep, which outlives them); on
    every POSIX system, a daemon thread also exits the worker once it is re-parented."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the parent died before we got here
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True,
                     name="accelsim-parent-watchdog").start()


def _watch_parent(parent_pid: int) -> None:
    """Exit this worker as soon as its parent is gone (it is re-parented: getppid changes)."""
    import time

    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_S)
    os._exit(1)


def run_point(point: SweepPoint, spec: Any, arch_name: str, engine: str = "auto",
              memo: Any = None) -> Record:
    """Simulate one point (in a worker); failures become a record with the error message.
    Float results are rounded to ``FLOAT_DIGITS`` significant digits, as the CSV holds them.
    ``memo``: a plan_memo.PlanMemo shared by the points of this worker."""
    from accelsim.engine.simulator import simulate

    record: Record = {"index": point.index, "arch": arch_name, **point.values}
    try:
        workload = _workload(point)
        trace = _cached_trace(*workload)
        plan = memo.plan(spec, workload, trace) if memo is not None else None
        result = simulate(spec, trace, record=False, engine=engine, plan=plan)
        metrics = summarize(result, spec)
    except Exception as exc:  # noqa: BLE001 - a failing point must not lose the others
        return _error_record(record, exc)
    record.update(status="ok", error_type=None, error=None)
    record.update({k: round_float(v) for k, v in metrics.items()})
    return record


def _error_record(record: Record, exc: BaseException) -> Record:
    kind = "" if isinstance(exc, AccelsimError) else " (internal)"
    message = " ".join(str(exc).split())  # one line: a CSV row is one line
    record.update(status="error", error_type=type(exc).__name__ + kind, error=message)
    return record


def run_chunk(points: Sequence[SweepPoint], source: ArchSource, engine: str = "auto",
              memo: bool = True) -> list[Record]:
    """A worker's task: build each point's spec (a point invalid only in combination becomes
    a ConfigError row, the others run) and simulate it; records in point order."""
    from accelsim.dse.plan_memo import WORKER_MEMO

    this = sys.modules[__name__]  # run_point looked up here: tests replace it
    records = []
    for point in points:
        try:
            spec = source.spec(point)
        except ConfigError as exc:
            records.append(_error_record({"index": point.index, "arch": source.name,
                                          **point.values}, exc))
            continue
        records.append(this.run_point(point, spec, source.name, engine,
                                      WORKER_MEMO if memo else None))
    return records


def digest_chunk(points: Sequence[SweepPoint], source: ArchSource) -> list[tuple[int, Any]]:
    """A worker's task before a sweep whose points may coincide across axes: (index,
    spec_digest or None for an invalid point) per point."""
    out: list[tuple[int, Any]] = []
    for point in points:
        try:
            out.append((point.index, spec_digest(point, source.spec(point))))
        except ConfigError:
            out.append((point.index, None))
    return out


def run_pairs(pairs: Sequence[tuple[SweepPoint, Any]], arch_name: str,
              engine: str = "auto") -> list[Record]:
    """A worker's task of points whose specs are built already (explore)."""
    this = sys.modules[__name__]
    return [this.run_point(point, spec, arch_name, engine) for point, spec in pairs]


def summarize(result: Any, spec: Any = None) -> Record:
    """Summary metrics of a SimResult as flat, CSV-ready values, energy and area included
    (``spec``: the ArchSpec simulated; default: the one stored in the result)."""
    cycles = result.total_cycles
    out: Record = {
        "pe_count": result.pe_count, "total_cycles": cycles,
        "latency_ms": result.latency_s * 1e3, "fps": result.fps, "macs": result.total_macs,
        "pe_utilization": result.pe_utilization,
        "pe_utilization_busy": result.pe_utilization_busy,
        "dram_read_bytes": result.dram_read_bytes, "dram_write_bytes": result.dram_write_bytes,
        "busy_share_dram": result.dram_busy_cycles / cycles if cycles else 0.0,
    }
    out.update({f"busy_share_{unit}": share for unit, share in result.unit_share().items()})
    # stall cycles by cause, summed over the layers (a layer's span not spent computing), and
    # the sram ones split by the buffer whose port held the unit
    causes: dict[str, int] = {}
    for layer in result.layers:
        for cause, cycles in layer.stalls.items():
            causes[cause] = causes.get(cause, 0) + cycles
    out.update({f"stall_{cause}": cycles for cause, cycles in sorted(causes.items())})
    by_buffer = result.extra.get("sram_stall_cycles_by_buffer", {})
    out.update({f"stall_sram_{b}": by_buffer.get(b, 0) for b in ("input", "weight", "output")})
    out.update(energy_fields(result, spec))
    return out


#: energy_summary key -> sweep column (energy/power figures "energy_*", area figures "area_*")
ENERGY_COLUMNS = {"energy_mj": "energy_mj", "dynamic_mj": "energy_dynamic_mj",
                  "static_mj": "energy_static_mj", "avg_power_w": "energy_avg_power_w",
                  "tops_per_w": "energy_tops_per_w", "inferences_per_j": "energy_inferences_per_j",
                  "area_mm2": "area_mm2", "tops_per_mm2": "area_tops_per_mm2"}


def energy_fields(result: Any, spec: Any = None) -> Record:
    """``accelsim.analysis.energy.energy_summary(result, spec)`` as sweep columns."""
    from accelsim.analysis.energy import energy_summary

    summary = energy_summary(result, spec)
    return {column: summary[key] for key, column in ENERGY_COLUMNS.items() if key in summary}


# ---------------------------------------------------------------------------------- files
_columns = columns  # the canonical column order (kept under its old name)


# ---------------------------------------------------------------------------------- running
_SCHEDULER_ADDRESS = re.compile(r"^[a-z][a-z0-9+]*://[^/:\s]+:\d{1,5}$")

#: event cores a sweep's points may run on (simulate's ``engine``)
ENGINES = ("auto", "simpy", "fast")


def run_sweep(arch: str | Path = "sole", model: Any = "vit_base", *, pe: Any = None,
              overrides: Mapping[str, Any] | Iterable[str] | None = None,
              image_size: Any = 224, batch: Any = 1, quant: Any = "sole", zip_axes: bool = False,
              jobs: int | None = None, scheduler: Any = None, output: str | Path | None = None,
              resume: bool = False, plot_dir: str | Path | None = None,
              progress: Progress | None = None, engine: str = "auto",
              memo: bool = True) -> list[Record]:
    """Simulate every point of the grid; returns one record per point, sorted by index.

    ``model``, ``image_size``, ``batch``, ``quant`` take a value, a list or a comma-separated
    string; ``pe`` "8x8,16x16"; ``overrides`` {"array.rows": [16, 32]} or ["array.rows=16,32"];
    ``zip_axes`` pairs the lists instead of taking their cartesian product.
    ``jobs`` worker processes (default and cap: the CPUs usable, and never more than the points
    to run; 1 runs in this process); ``scheduler`` a
    dask.distributed address "tcp://host:port" or Client. ``output`` gets each record as it
    finishes, then all in index order; ``resume`` skips points already in it (flagged
    ``resumed: True`` in the returned records). ``plot_dir``, the folder the caller will save
    the plots in, is only checked here. Bad outputs are refused before anything runs
    (check_outputs). ``engine``: the event core every point runs on (auto | simpy | fast;
    the same numbers). ``memo``: share plans between points that plan identically
    (plan_memo; the same numbers, off only to check that).
    Points run in chunks (sweep_exec); each point's arch is built and checked in the worker
    (validate_axes checked every value alone): a point invalid only in combination is an
    error row.
    """
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ConfigError("need at least one job", key="--jobs", value=jobs,
                          expected="a positive integer")
    if isinstance(scheduler, str) and not _SCHEDULER_ADDRESS.match(scheduler):
        raise ConfigError("bad dask scheduler address", key="--scheduler", value=scheduler,
                          expected="PROTOCOL://HOST:PORT, e.g. tcp://127.0.0.1:8786")
    if engine not in ENGINES:
        raise ConfigError("unknown engine", key="--engine", value=engine,
                          expected=" | ".join(ENGINES))
    axes = build_axes(model, image_size, batch, quant, pe, overrides)
    points = grid_points(axes, zip_axes)
    source, joint = validate_axes(arch, axes, zip_axes)
    arch_name = source.name
    output = Path(output) if output is not None else None
    check_outputs(output, plot_dir, False, points, arch_name)
    if resume and output is None:
        check_outputs(output, plot_dir, resume, points, arch_name)  # raises: needs a file
    with _Workers(jobs, scheduler) as workers:
        if joint:  # values of different axes may normalise to one design together
            digests: dict[int, Any] = {}
            runner = workers.runner(len(points))
            for chunk in runner.run(digest_chunk, make_chunks(points, runner.workers), source):
                digests.update(chunk)
            joint_duplicate(points, digests, dict(source.flags))
        lock = (OutputLock(output, ConfigError, "--output",
                           busy="another sweep is writing this file") if output is not None
                else contextlib.nullcontext())
        with lock:  # held from reading the previous run to the final rewrite
            previous = resumable_records(output, points, arch_name) if resume and output else []
            return _run_grid(points, source, previous, output, workers, progress, engine,
                             memo)


class _Workers:
    """The sweep's workers, started when first needed and shared by its passes: this
    process (one job), a local process pool, or a dask client (closed at the end unless the
    caller passed it)."""

    def __init__(self, jobs: int | None, scheduler: Any) -> None:
        self.jobs, self.scheduler = jobs, scheduler
        self.pool: ProcessPoolExecutor | None = None
        self.client: Any = None
        self.last: ChunkRunner | None = None

    def runner(self, points: int) -> ChunkRunner:
        if self.scheduler is not None:
            if self.client is None:
                self.client = dask_client(self.scheduler)
            self.last = ChunkRunner(dask_workers(self.client), client=self.client)
            return self.last
        # never more workers than points or than CPUs this process may use (--jobs 1000000
        # on 2 cores starts 2): more would only add start-up time and memory
        jobs = min(self.jobs or usable_cpus(), usable_cpus(), max(1, points))
        if self.pool is None and jobs > 1:
            self.pool = process_pool(jobs)
            self.pool_jobs = jobs
        if self.pool is not None:
            self.last = ChunkRunner(self.pool_jobs, pool=self.pool)
        else:
            self.last = ChunkRunner(1)
        return self.last

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
        if self.client is not None and self.client is not self.scheduler:
            self.client.close()


def _run_grid(points: Sequence[SweepPoint], source: ArchSource, previous: Sequence[Record],
              output: Path | None, workers: _Workers, progress: Progress | None,
              engine: str = "auto", memo: bool = True) -> list[Record]:
    """Run the points not in ``previous``, streaming records to ``output``."""
    params = ["index", "arch", *(name for name, _ in points[0].params)] if points else None
    by_key = {_record_key(r, points[0]): r for r in previous if r.get("status") == "ok"}
    done: dict[int, Record] = {}
    todo = []
    for point in points:
        old = by_key.get(point.key()) if by_key else None
        if old is not None:
            done[point.index] = {**old, "index": point.index, "resumed": True}
        else:
            todo.append(point)
    sink = RecordSink(output, [done[i] for i in sorted(done)], params) if output else None
    total = len(points)
    for record in sorted(done.values(), key=lambda r: r["index"]):
        if progress is not None:
            progress(len(done), total, record)
    if todo:
        runner = workers.runner(len(todo))
        for chunk in runner.run(run_chunk, make_chunks(todo, runner.workers), source, engine,
                                memo):
            before = len(done)
            for record in chunk:
                record["resumed"] = False
                done[record["index"]] = record
            if sink is not None:
                sink.add_many(chunk)  # one append (and fsync) per chunk
            if progress is not None:
                for finished, record in enumerate(chunk, start=before + 1):
                    progress(finished, total, record)
    records = [done[i] for i in sorted(done)]
    if output is not None:
        write_records(records, output, params)
    return records


# ---------------------------------------------------------------------------------- checks
def check_outputs(output: str | Path | None, plot_dir: str | Path | None, resume: bool,
                  points: Sequence[SweepPoint], arch_name: str) -> list[Record]:
    """Refuse, before anything is simulated, outputs the sweep could not write or would
    destroy; returns the records of the previous run that ``resume`` keeps.

    ``output`` must be a .csv or .json file path, ``plot_dir`` a folder (missing parent folders
    of either are created when written); with ``resume`` every row already in ``output`` must be
    a point of this grid on this arch."""
    output = Path(output) if output is not None else None
    if output is not None:
        _check_creatable(output, "--output", folder=False)
        check_suffix(output)
        check_output_path(output, ConfigError, "--output")  # a FIFO or device: refused
    if plot_dir is not None:
        plot_dir = Path(plot_dir)
        _check_creatable(plot_dir, "--plot-dir", folder=True)
        if output is not None and plot_dir.resolve() == output.resolve():
            raise ConfigError(f"{plot_dir} is also the -o file", key="--plot-dir",
                              expected="a folder other than -o")
        from accelsim.dse.sweep_plots import PLOT_FILES

        for name in PLOT_FILES:
            if (plot_dir / name).is_dir():
                raise ConfigError(f"cannot write {plot_dir / name}: it is a directory",
                                  key="--plot-dir")
            check_output_path(plot_dir / name, ConfigError, "--plot-dir")
    if not resume:
        return []
    if output is None:
        raise ConfigError("--resume needs the file of a previous run", key="--resume",
                          expected="-o sweep.csv")
    return resumable_records(output, points, arch_name)


def _check_creatable(path: Path, key: str, *, folder: bool) -> None:
    """``path`` is (or can be created as) a file / a folder this process may write into."""
    expected = "a folder" if folder else "a path ending in .csv or .json"
    if path.exists() and path.is_dir() != folder:
        raise ConfigError(f"{path} is {'a file' if folder else 'a directory'}", key=key,
                          expected=expected)
    ancestor = path if path.is_dir() else path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ConfigError(f"cannot create {path}: {ancestor} is a file, not a folder", key=key)
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot write into {ancestor}: permission denied", key=key)


def process_pool(jobs: int) -> ProcessPoolExecutor:
    """The sweeps' local worker pool: ``jobs`` spawned processes (no fork of a threaded
    parent), each importing the engine once; explore keeps one open across its rounds."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_worker_init,
                               initargs=(os.getpid(),))


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _execute(todo: list[tuple[SweepPoint, Any]], arch_name: str, jobs: int | None,
             scheduler: Any, pool: ProcessPoolExecutor | None = None) -> Iterable[Record]:
    """Yield records of (point, spec) pairs as their chunks finish (explore's rounds);
    ``pool`` an open process_pool to use."""
    if not todo:
        return
    if pool is not None:
        runner = ChunkRunner(pool._max_workers, pool=pool)  # noqa: SLF001 - its size
        for chunk in runner.run(run_pairs, make_chunks(todo, runner.workers), arch_name):
            yield from chunk
        return
    with _Workers(jobs, scheduler) as workers:
        runner = workers.runner(len(todo))
        for chunk in runner.run(run_pairs, make_chunks(todo, runner.workers), arch_name):
            yield from chunk


def dask_client(scheduler: Any) -> Any:
    """A dask.distributed Client for ``scheduler`` (an address or a Client, returned as is);
    a missing dask or an unreachable scheduler is a ConfigError naming --scheduler."""
    try:
        from distributed import Client
    except ImportError as exc:
        raise ConfigError("dask.distributed is not installed", key="--scheduler",
                          value=str(scheduler),
                          expected="pip install 'accelsim[distributed]'") from exc
    if isinstance(scheduler, Client):
        return scheduler
    try:
        return Client(scheduler, timeout="10s")
    except (OSError, ValueError) as exc:  # refused / timed out, or an address dask rejects
        raise ConfigError(f"cannot reach the dask scheduler: {exc}", key="--scheduler",
                          value=str(scheduler)) from None


def to_dataframe(records: Sequence[Record]):
    """Records as a pandas DataFrame (pandas is optional: imported here only)."""
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError("to_dataframe needs pandas: pip install pandas") from exc
    return pd.DataFrame.from_records(list(records), columns=_columns(records) or None)


class _CallableModule(types.ModuleType):
    """Importing this module replaces the ``accelsim.dse.sweep`` function of the package with the
    module itself; making the module callable keeps ``accelsim.sweep(...)`` == run_sweep."""

    def __call__(self, *args: Any, **kwargs: Any) -> list[Record]:
        return run_sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
