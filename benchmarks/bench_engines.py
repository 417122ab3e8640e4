"""simpy vs the fast engine, side by side in one process: ViT-B, ViT-L@384, ViT-B batch 64.

For each case, after one warm-up of each engine (imports, numba's cached kernel): the CPU
time (``time.process_time``, the least of --runs calls: the machine is shared, and CPU time
with the minimum is what another job disturbs least) of ``simulate(arch, trace, record=False,
engine=...)`` (the trace and arch are built outside the timing), and its parts: planning
(Scheduler.plan, the same for both: a group of a shape planned before is a stamp of it,
plan.Stamp), the fast engine's flattening of the plan to arrays, its kernel and the rest of
the fast call (the per-layer result, ``assemble_result``), against simpy's own play of the
same plan (engine/simulator.py's _Engine.run, the stamps' steps built beforehand; simpy's
whole call pays for building them). Both engines must give
the same JSON (checked on each case). The load average is printed beside: the ratios are what
to compare on a loaded machine.

    python benchmarks/bench_engines.py [--runs 5] [--cases vit_b,vit_l384,vit_b_b64]

The fast engine is measured with its compiled kernel loaded (``ACCELSIM_JIT=1`` unless set):
in-process steady state, as a notebook or a sweep worker runs it (engine/jit.py).

Targets (issue 19): ViT-B fast <= 30 ms and >= 10x simpy; ViT-L@384 <= 0.2 s.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from accelsim import build_trace, load_arch
from accelsim.analysis.report import result_json
from accelsim.engine import fast, jit
from accelsim.engine.scheduler import Scheduler
from accelsim.engine.simulator import _Engine, simulate

ROOT = Path(__file__).resolve().parents[1]
CASES = {"vit_b": ("vit_base", 224, 1), "vit_l384": ("vit_large", 384, 1),
         "vit_b_b64": ("vit_base", 224, 64)}


def _least(fn, runs: int) -> float:
    """The least CPU seconds of ``runs`` calls."""
    times = []
    for _ in range(runs):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


def _kernel_seconds(arch, groups, runs: int) -> tuple[float, float, int]:
    """Least CPU seconds of flattening the plan and of the compiled kernel; the plan's steps."""
    flat_s = _least(lambda: fast._Flat(arch, groups), runs)
    flat = fast._Flat(arch, groups)
    jit.kernel(flat.steps)  # loaded before the timing

    def play() -> None:
        fast.play(arch, flat)

    return flat_s, _least(play, runs), flat.steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="calls per case (the least)")
    parser.add_argument("--cases", default=",".join(CASES), help=f"of {', '.join(CASES)}")
    args = parser.parse_args()
    os.environ.setdefault("ACCELSIM_JIT", "1")
    arch = load_arch(ROOT / "arch_configs" / "sole.yaml")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; CPU seconds, least "
          f"of {args.runs}")
    print(f"{'case':<10} {'steps':>6} {'plan s':>8} {'simpy s':>8} {'fast s':>8} "
          f"{'ratio':>6} {'flat s':>7} {'kernel s':>9} {'rest s':>7} {'simpy play s':>12} "
          f"{'play ratio':>10}")
    for name in args.cases.split(","):
        model, size, batch = CASES[name]
        trace = build_trace(model, image_size=size, batch=batch)
        runs = args.runs if batch == 1 and size == 224 else max(1, args.runs // 3)
        want = result_json(simulate(arch, trace, record=False, engine="simpy"))  # warm-up
        assert result_json(simulate(arch, trace, engine="fast")) == want, name
        simpy_s = _least(lambda: simulate(arch, trace, record=False, engine="simpy"),  # noqa: B023
                          runs)
        fast_s = _least(lambda: simulate(arch, trace, engine="fast"), runs)  # noqa: B023
        plan_s = _least(lambda: Scheduler(arch, trace, "model").plan(), runs)  # noqa: B023
        groups = Scheduler(arch, trace, "model").plan()
        flat_s, kernel_s, steps = _kernel_seconds(arch, groups, runs)
        scheduler = Scheduler(arch, trace, "model")
        planned = scheduler.plan()
        on_plan = _least(lambda: fast.simulate_fast(arch, trace, scheduler, planned),  # noqa: B023
                          runs)
        for group in groups:  # a stamped group's steps are built on first read (plan.Stamp)
            assert group.steps is not None
        simpy_play = _least(lambda: _Engine(arch, groups, False).run(), runs)  # noqa: B023
        print(f"{name:<10} {steps:>6} {plan_s:>8.3f} {simpy_s:>8.3f} {fast_s:>8.3f} "
              f"{simpy_s / fast_s:>5.1f}x {flat_s:>7.3f} {kernel_s:>9.4f} "
              f"{max(on_plan - flat_s - kernel_s, 0.0):>7.3f} {simpy_play:>12.3f} "
              f"{simpy_play / kernel_s:>9.0f}x", flush=True)


if __name__ == "__main__":
    main()
