"""Sweeps at scale (issue 19): what the parent spends planning a big grid, a real 1,000-point
ViT-B sweep on the local pool, and a 10k-point sweep on a dask LocalCluster.

    python benchmarks/bench_sweep_scale.py plan 10000 [--old]   # parent CPU s, peak RSS MB
    python benchmarks/bench_sweep_scale.py vit 1000 [--jobs 2]  # 25 bandwidths x 40 clocks
    python benchmarks/bench_sweep_scale.py dask 10000 [--model vit_tiny] [--workers 2]
    python benchmarks/bench_sweep_scale.py all                  # each in a fresh process

``plan`` parses the flags, builds the grid, validates it and cuts it into chunks, running no
point (``--old``: one validated spec per point, validate_points, as main did before chunking;
the cross-axis digest pass the workers then do is part of a real sweep, timed by ``vit`` and
``dask``). Grids: N/100 DRAM bandwidths x 100 clocks (bandwidth model). Each mode prints one
JSON line: CPU seconds (time.process_time; for sweeps also the workers' CPU), peak RSS of the
parent (ru_maxrss) and the load average, since the 2 cores are shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path


def _grid(points: int, clocks: int) -> list[str]:
    """--set items of a bandwidth x clock grid of ``points`` points (``clocks`` clocks)."""
    bandwidths = points // clocks
    bw = ",".join(f"{12.8 + 0.4 * i:.1f}" for i in range(bandwidths))
    clock = ",".join(str(500_000_000 + 10_000_000 * i) for i in range(clocks))
    return ["dram.model=bandwidth", f"dram.bandwidth_gbps={bw}", f"clock_hz={clock}"]


def _rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def plan(points: int, old: bool) -> dict:
    import accelsim.dse.sweep as sw

    t0, w0 = time.process_time(), time.perf_counter()
    axes = sw.build_axes("vit_base", 224, 1, "sole", None, _grid(points, 100))
    grid = sw.grid_points(axes)
    if old:
        sw.validate_points("sole", grid, axes)
        chunks = len(grid)
    else:
        from accelsim.dse.sweep_exec import make_chunks

        sw.validate_axes("sole", axes)
        chunks = len(make_chunks(grid, 2))
    return {"mode": "plan-old" if old else "plan", "points": len(grid), "tasks": chunks,
            "parent_cpu_s": round(time.process_time() - t0, 2),
            "wall_s": round(time.perf_counter() - w0, 2), "parent_peak_rss_mb": round(_rss_mb())}


def vit(points: int, jobs: int, clocks: int = 40) -> dict:
    import accelsim.dse.sweep as sw

    t0, w0 = time.process_time(), time.perf_counter()
    records = sw.run_sweep("sole", "vit_base", overrides=_grid(points, clocks), jobs=jobs)
    return {"mode": "vit_base", "points": len(records), "jobs": jobs,
            "failed": sum(r["status"] != "ok" for r in records),
            "wall_s": round(time.perf_counter() - w0, 1),
            "parent_cpu_s": round(time.process_time() - t0, 1),
            "workers_cpu_s": round(_cpu_children(), 1), "parent_peak_rss_mb": round(_rss_mb())}


def dask(points: int, model: str, workers: int) -> dict:
    from distributed import Client, LocalCluster

    import accelsim.dse.sweep as sw

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.run(lambda: __import__("accelsim.engine.simulator"))  # warm the workers
        t0, w0 = time.process_time(), time.perf_counter()
        records = sw.run_sweep("sole", model, overrides=_grid(points, 100), scheduler=client)
        wall, cpu = time.perf_counter() - w0, time.process_time() - t0
        worker_cpu = sum(client.run(lambda: time.process_time()).values())
    return {"mode": f"dask-{model}", "points": len(records), "workers": workers,
            "failed": sum(r["status"] != "ok" for r in records), "wall_s": round(wall, 1),
            "parent_cpu_s": round(cpu, 1), "workers_cpu_s_total": round(worker_cpu, 1),
            "parent_peak_rss_mb": round(_rss_mb())}


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=("plan", "vit", "dask", "all"))
    parser.add_argument("points", type=int, nargs="?", default=10_000)
    parser.add_argument("--old", action="store_true", help="plan: one spec per point")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--model", default="vit_tiny")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.mode == "all":
        me = [sys.executable, str(Path(__file__).resolve())]
        for extra in (["plan", "10000", "--old"], ["plan", "10000"], ["plan", "100000"],
                      ["vit", "1000"], ["dask", "10000"]):
            subprocess.run([*me, *extra], check=True)
        return
    load = _load()
    if args.mode == "plan":
        out = plan(args.points, args.old)
    elif args.mode == "vit":
        out = vit(args.points, args.jobs)
    else:
        out = dask(args.points, args.model, args.workers)
    print(json.dumps({**out, "load_before": load, "load_after": _load()}), flush=True)


if __name__ == "__main__":
    main()
