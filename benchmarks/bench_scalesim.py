"""SCALE-Sim 3.0.0 and accelsim side by side on one GEMM topology: wall, CPU, peak RSS, cycles.

Usage (from the repository root, accelsim importable):

    python benchmarks/bench_scalesim.py [benchmarks/topologies/vit_base_block.csv] \\
        [--scalesim-python /tmp/scalesim-venv/bin/python] [--rows 32 --cols 32 --dataflow ws] \\
        [--repeat 5] [--scalesim-repeat 1]

Both sides run as fresh processes and are measured the same way (``os.wait4``: wall clock, the
child's user+sys CPU seconds and its peak resident set):

* SCALE-Sim: ``scalesim_runner.py`` run by the SCALE-Sim python on the topology (the settings
  of ``scalesim_runner``: 8192 kB SRAMs, CALC bandwidth, ``save_disk_space``, so no layer stalls
  and "Total Cycles" is compute only);
* accelsim: the whole command ``python -m accelsim simulate --arch A.yaml --model TOPOLOGY.csv
  --format json`` on an arch in SCALE-Sim's setting (the array, no weight-load overlap, buffers
  holding a whole layer, an ideal memory: as tests/workload/test_topology.py), median of
  ``--repeat`` runs.

Per layer, SCALE-Sim's "Total Cycles" must equal accelsim's ``compute_cycles``; exit 1 if any
differs. The load average is printed with the times (2 shared cores: quote CPU seconds).
README "Validation and speed" quotes this script's table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from scalesim_runner import DATAFLOWS, read_compute_report, read_topology, scalesim_command

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TOPOLOGY = ROOT / "benchmarks" / "topologies" / "vit_base_block.csv"
DEFAULT_SCALESIM_PYTHON = "/tmp/scalesim-venv/bin/python"  # as validate_scalesim.py

_ARCH = """\
name: scalesim_{rows}x{cols}_{dataflow}
clock_hz: 1.0e9
array: {{rows: {rows}, cols: {cols}, dataflow: {dataflow}, overlap_weight_load: false}}
buffers:
  input: {{size_bytes: 64MiB, banks: 2}}
  weight: {{size_bytes: 64MiB, banks: 2}}
  output: {{size_bytes: 64MiB, banks: 2}}
dram: {{bandwidth_gbps: 1.0e6, latency_ns: 100}}
"""


@dataclass(frozen=True)
class Usage:
    """One child process: wall s, CPU s (user + sys), peak RSS in MiB, its stdout."""

    wall_s: float
    cpu_s: float
    peak_rss_mib: float
    stdout: str


def measured(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Usage:
    """Run ``command`` as a fresh process; its own rusage (``os.wait4``), not the sum of all
    children so far. Raises SystemExit with the child's stderr tail if it fails."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err, cwd=cwd,
                                 env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed ({child.returncode}): "
                             f"{err.read().decode(errors='replace').strip()[-400:]}")
        text = out.read().decode()
    # ru_maxrss is in KiB on Linux
    return Usage(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, text)


def run_scalesim(python: str, topology: Path, rows: int, cols: int, dataflow: str,
                 work: Path) -> tuple[Usage, list[int]]:
    """SCALE-Sim on ``topology`` in ``work``: its usage and "Total Cycles" per layer."""
    command, report = scalesim_command(python, work, rows, cols, dataflow,
                                       read_topology(topology))
    usage = measured(command, cwd=work)
    reports = read_compute_report(report)
    return usage, [int(r.total_cycles) for r in reports]


def run_accelsim(topology: Path, arch: Path) -> tuple[Usage, dict[str, int], int]:
    """The whole ``accelsim simulate`` command on ``topology``: usage, compute cycles per
    layer, the run's total cycles."""
    usage = measured([sys.executable, "-m", "accelsim", "simulate", "--arch", str(arch),
                      "--model", str(topology.resolve()), "--format", "json"], cwd=Path("/"))
    result = json.loads(usage.stdout)
    cycles = {layer["name"]: int(layer["compute_cycles"]) for layer in result["layers"]}
    return usage, cycles, int(result["summary"]["total_cycles"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topology", type=Path, nargs="?", default=DEFAULT_TOPOLOGY,
                        help="SCALE-Sim GEMM topology CSV ('Layer, M, N, K,')")
    parser.add_argument("--rows", type=int, default=32)
    parser.add_argument("--cols", type=int, default=32)
    parser.add_argument("--dataflow", choices=DATAFLOWS, default="ws")
    parser.add_argument("--scalesim-python", default=DEFAULT_SCALESIM_PYTHON,
                        help=f"python with scalesim 3.0.0 installed [{DEFAULT_SCALESIM_PYTHON}]")
    parser.add_argument("--repeat", type=int, default=5, help="accelsim runs (median)")
    parser.add_argument("--scalesim-repeat", type=int, default=1, help="SCALE-Sim runs (median)")
    args = parser.parse_args(argv)
    layers = read_topology(args.topology)
    print(f"{args.topology.name}: {len(layers)} GEMMs on {args.rows}x{args.cols} "
          f"{args.dataflow}; python {sys.version.split()[0]}; load average "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_scalesim_") as tmp:
        work = Path(tmp)
        arch = work / "arch.yaml"
        arch.write_text(_ARCH.format(rows=args.rows, cols=args.cols, dataflow=args.dataflow))
        ours = [run_accelsim(args.topology, arch) for _ in range(args.repeat)]
        theirs = []
        for i in range(args.scalesim_repeat):
            run_dir = work / f"scalesim{i}"
            run_dir.mkdir()
            theirs.append(run_scalesim(args.scalesim_python, args.topology, args.rows,
                                       args.cols, args.dataflow, run_dir))
    accel_cycles, accel_total = ours[0][1], ours[0][2]
    scalesim_cycles = theirs[0][1]
    mismatches = 0
    print(f"{'layer':10s} {'M':>5s} {'N':>5s} {'K':>5s} {'SCALE-Sim':>10s} {'accelsim':>10s}")
    for layer, cycles in zip(layers, scalesim_cycles, strict=True):
        ours_cycles = accel_cycles.get(layer.name, -1)
        mismatches += ours_cycles != cycles
        print(f"{layer.name:10s} {layer.m:5d} {layer.n:5d} {layer.k:5d} {cycles:10d} "
              f"{ours_cycles:10d}{'' if ours_cycles == cycles else '  MISMATCH'}")
    print(f"{'sum':10s} {'':17s} {sum(scalesim_cycles):10d} {sum(accel_cycles.values()):10d}"
          f"  (accelsim's run: {accel_total} cycles end to end, overlap off)")

    def row(name: str, runs: list[Usage]) -> tuple[float, float, float]:
        wall = statistics.median(u.wall_s for u in runs)
        cpu = statistics.median(u.cpu_s for u in runs)
        rss = max(u.peak_rss_mib for u in runs)
        print(f"{name:34s} {wall:9.2f} {cpu:9.2f} {rss:10.0f}")
        return wall, cpu, rss

    print(f"{'fresh process':34s} {'wall s':>9s} {'CPU s':>9s} {'peak MiB':>10s}")
    s_wall, s_cpu, s_rss = row(f"SCALE-Sim 3.0.0 (n={len(theirs)})", [u for u, _ in theirs])
    a_wall, a_cpu, a_rss = row(f"accelsim simulate (median of {len(ours)})",
                               [u for u, _, _ in ours])
    print(f"{'ratio SCALE-Sim / accelsim':34s} {s_wall / a_wall:9.0f} {s_cpu / a_cpu:9.0f} "
          f"{s_rss / a_rss:10.1f}")
    print(f"per layer: {len(layers) - mismatches}/{len(layers)} equal; load average after "
          f"{os.getloadavg()[0]:.2f}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
