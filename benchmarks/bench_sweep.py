"""Wall time of a 64-point ViT-B/16 sweep (4 PE sizes x 4 DRAM bandwidths x 4 input-buffer
sizes) with the local process pool; ``--baseline`` also times the same grid in one process.

    python benchmarks/bench_sweep.py [--jobs N] [--baseline]
"""

from __future__ import annotations

import argparse
import os
import time

from accelsim.dse.sweep import run_sweep

GRID = {
    "pe": "16x16,32x32,64x64,128x128",
    # sole's DRAM is banked; the grid sweeps the flat pipe of the bandwidth model, as measured
    "overrides": ["dram.model=bandwidth", "dram.bandwidth_gbps=12.8,25.6,51.2,102.4",
                  "buffers.input.size_bytes=64KiB,128KiB,256KiB,512KiB"],
}


def timed(jobs: int) -> tuple[float, list[dict]]:
    t0 = time.perf_counter()
    records = run_sweep("sole", "vit_base", jobs=jobs, **GRID)
    return time.perf_counter() - t0, records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--baseline", action="store_true", help="also run with --jobs 1")
    args = parser.parse_args()
    wall, records = timed(args.jobs)
    failed = sum(r["status"] != "ok" for r in records)
    print(f"{len(records)} points, {failed} failed, jobs={args.jobs} "
          f"(cpu_count={os.cpu_count()}): {wall:.1f} s wall, {len(records) / wall:.2f} points/s")
    if args.baseline:
        wall1, records1 = timed(1)
        same = [r["total_cycles"] for r in records] == [r["total_cycles"] for r in records1]
        print(f"same grid, jobs=1: {wall1:.1f} s wall, {len(records1) / wall1:.2f} points/s; "
              f"speed-up {wall1 / wall:.2f}x; identical cycles: {same}")


if __name__ == "__main__":
    main()
