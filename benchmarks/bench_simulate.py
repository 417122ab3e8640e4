"""Wall time of `accelsim simulate`: ViT-B/16 @224, batch 1, on sole.yaml.

In-process: median of --runs calls of accelsim.simulate(arch, trace, record=False) after one
warm-up (the trace and arch are built once, outside the timing), with sole.yaml's banked DRAM
(target <= 0.5 s) and with ``--set dram.model=bandwidth``; wall and CPU seconds. Command:
median of 3 runs of the whole `accelsim simulate --arch sole.yaml --model vit_base` in a
subprocess (interpreter start, imports, trace build, simulation, table rendering). Targets:
<= 1 s and <= 3 s.

    python3 benchmarks/bench_simulate.py [--runs 5] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from accelsim import build_trace, load_arch, simulate

ROOT = Path(__file__).resolve().parents[1]
TARGET_IN_PROCESS_S = 1.0
TARGET_BANKED_S = 0.5  # issue 17: ViT-B with the banked DRAM model
TARGET_COMMAND_S = 3.0


def time_in_process(runs: int, overrides: tuple[str, ...] = ()) -> tuple[float, float, int]:
    """Median wall and CPU (process) seconds of ``runs`` simulations, and the cycles; CPU time
    is the steadier figure when other jobs share the cores."""
    arch = load_arch(ROOT / "arch_configs" / "sole.yaml", list(overrides))
    trace = build_trace("vit_base", image_size=224, batch=1)
    result = simulate(arch, trace, record=False)  # warm-up (imports, caches)
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        simulate(arch, trace, record=False)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu), result.total_cycles


def time_command(runs: int = 3) -> float:
    exe = shutil.which("accelsim")
    cmd = [exe] if exe else [sys.executable, "-m", "accelsim.cli"]
    cmd += ["simulate", "--arch", str(ROOT / "arch_configs" / "sole.yaml"), "--model", "vit_base"]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def profile(top: int = 15) -> str:
    arch = load_arch(ROOT / "arch_configs" / "sole.yaml")
    trace = build_trace("vit_base")
    simulate(arch, trace, record=False)
    prof = cProfile.Profile()
    prof.enable()
    simulate(arch, trace, record=False)
    prof.disable()
    out = []

    class _Sink:
        def write(self, text: str) -> None:
            out.append(text)

    pstats.Stats(prof, stream=_Sink()).sort_stats("tottime").print_stats(top)  # type: ignore[arg-type]
    return "".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="in-process repetitions (>= 5)")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    args = parser.parse_args()
    for label, overrides, target in (
            ("banked DRAM (sole.yaml)", (), TARGET_BANKED_S),
            ("dram.model=bandwidth", ("dram.model=bandwidth",), TARGET_IN_PROCESS_S)):
        wall, cpu, cycles = time_in_process(max(args.runs, 5), overrides)
        print(f"ViT-B/16 @224 batch 1 on sole, {label}: {cycles} cycles; in-process simulate "
              f"(median of {max(args.runs, 5)}): {wall:.3f} s wall, {cpu:.3f} s CPU "
              f"(target <= {target:g} s)")
    command = time_command()
    print(f"accelsim simulate command (median of 3): {command:.3f} s "
          f"(target <= {TARGET_COMMAND_S:.0f} s)")
    if args.profile:
        print(profile())


if __name__ == "__main__":
    main()
