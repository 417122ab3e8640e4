"""In-process simulate of ViT-B/16 @224 on sole: banked vs bandwidth DRAM model, side by side
with another checkout (issue 17's target: <= 0.5 s with the banked model).

Each tree is timed in its own interpreter (PYTHONPATH set to it): one warm-up simulate, then the
median of --runs calls of accelsim.simulate(arch, trace, record=False), wall and CPU seconds
(and the smallest CPU time, the best estimate of an idle machine's when other jobs share it),
for sole.yaml as bundled (banked LPDDR4-3200) and with dram.model=bandwidth. --rounds alternates
the trees so that a loaded machine slows both alike; ratios between trees measured in one round
mean more than absolute times.

    python3 benchmarks/bench_dram_models.py [--against /path/to/other/checkout] [--runs 7]
        [--rounds 3] [--engine simpy]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_BANKED_S = 0.5
MODELS = ("banked", "bandwidth")

_CHILD = """
import json, statistics, sys, time
from accelsim import build_trace, load_arch, simulate
runs, engine = int(sys.argv[1]), sys.argv[2]
trace = build_trace("vit_base", image_size=224, batch=1)
out = {}
for model in ("banked", "bandwidth"):
    arch = load_arch("sole", [f"dram.model={model}"])
    cycles = simulate(arch, trace, record=False, engine=engine).total_cycles  # warm-up
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        simulate(arch, trace, record=False, engine=engine)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    out[model] = {"cycles": cycles, "wall_s": statistics.median(wall),
                  "cpu_s": statistics.median(cpu), "cpu_min_s": min(cpu)}
print(json.dumps(out))
"""


def measure(tree: Path, runs: int, engine: str) -> dict[str, dict[str, float]]:
    """Medians of one tree, measured in a fresh interpreter with PYTHONPATH=tree."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run([sys.executable, "-c", _CHILD, str(runs), engine], env=env,
                          cwd=tree, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, default=None,
                        help="another checkout to time alongside (e.g. the previous release)")
    parser.add_argument("--runs", type=int, default=7, help="simulations per median")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the trees")
    parser.add_argument("--engine", default="simpy", help="simpy | fast")
    args = parser.parse_args()
    trees = [("this", ROOT)] + ([("against", args.against.resolve())] if args.against else [])
    print(f"ViT-B/16 @224 batch 1 on sole, in-process simulate, engine={args.engine}, "
          f"median of {args.runs} (load average {os.getloadavg()[0]:.1f})")
    print("| round | tree | banked wall / CPU / min CPU s | bandwidth wall / CPU / min CPU s "
          "| banked cycles |")
    print("|---:|---|---:|---:|---:|")
    for r in range(args.rounds):
        for label, tree in trees if r % 2 == 0 else list(reversed(trees)):
            m = measure(tree, args.runs, args.engine)
            b, f = m["banked"], m["bandwidth"]
            print(f"| {r + 1} | {label} ({tree}) | {b['wall_s']:.3f} / {b['cpu_s']:.3f} / "
                  f"{b['cpu_min_s']:.3f} | {f['wall_s']:.3f} / {f['cpu_s']:.3f} / "
                  f"{f['cpu_min_s']:.3f} | {b['cycles']:,} |", flush=True)
    print(f"target: banked <= {TARGET_BANKED_S} s")


if __name__ == "__main__":
    main()
