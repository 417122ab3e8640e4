"""Start-up cost of short commands: each one a fresh process, wall and CPU time.

Usage: python benchmarks/bench_startup.py [--repeat 7] [--only NAME[,NAME]]
Runs each command --repeat times in a fresh ``python`` process (the one running this script;
set PYTHONPATH to time a worktree; the children run in ``/`` so that the current folder
does not shadow it) and prints the median wall time and the median CPU time
(user + sys of the child, from getrusage) with the load average, so that numbers taken on a
busy machine can be read (CPU time moves less with load than wall time). Rows:

* ``python -c pass``: the interpreter's own start-up, the floor under every row;
* ``import accelsim.cli``: what every command pays before parsing;
* ``--help``, ``simulate --help``;
* ``simulate vit_base``: the whole default command (sole.yaml, ViT-B/16, the rendered table
  to a pipe), with the default engine choice, with ``ACCELSIM_JIT=0`` (numba never touched)
  and with ``ACCELSIM_JIT=1`` (the compiled kernel; its cache is warmed by one run first).

The issue's targets (2 cores, quiet machine): ``--help`` <= 0.15 s, ``simulate vit_base``
<= 0.4 s. README "Validation and speed" quotes these rows.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIMULATE = ["-m", "accelsim", "simulate", "--arch", str(ROOT / "arch_configs" / "sole.yaml"),
            "--model", "vit_base"]
ROWS: dict[str, tuple[list[str], dict[str, str]]] = {
    "python -c pass": (["-c", "pass"], {}),
    "import accelsim.cli": (["-c", "import accelsim.cli"], {}),
    "--help": (["-m", "accelsim", "--help"], {}),
    "simulate --help": (["-m", "accelsim", "simulate", "--help"], {}),
    "simulate vit_base": (SIMULATE, {}),
    "simulate vit_base JIT=0": (SIMULATE, {"ACCELSIM_JIT": "0"}),
    "simulate vit_base JIT=1 warm": (SIMULATE, {"ACCELSIM_JIT": "1"}),
}


def run_once(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall s, CPU s) of one fresh process; its output goes to a pipe and is dropped."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, *args], capture_output=True,
                          env={**os.environ, **env}, check=False,
                          cwd="/")  # not a checkout: PYTHONPATH alone picks the tree timed
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): "
                         f"{done.stderr.decode(errors='replace').strip()[-300:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only", default="", help="comma-separated row names")
    args = parser.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(ROWS)
    unknown = [n for n in names if n not in ROWS]
    if unknown:
        raise SystemExit(f"unknown row {unknown[0]!r}; rows: {', '.join(ROWS)}")
    print(f"python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}, "
          f"median of {args.repeat} fresh processes")
    print(f"{'command':30s} {'wall s':>8s} {'CPU s':>8s}")
    for name in names:
        cmd, env = ROWS[name]
        if "JIT=1" in name:
            run_once(cmd, env)  # compile numba's cache if it is cold: this row times it warm
        runs = [run_once(cmd, env) for _ in range(args.repeat)]
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"{name:30s} {wall:8.3f} {cpu:8.3f}", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
