"""Time of simulate's terminal rendering (rich) and of the whole ``simulate`` command.

Usage: python benchmarks/bench_render.py [--model vit_base] [--repeat 5]
Prints the median render time of the default view (summary, blocks, top 10 layers) and of
``--layers all`` at 100 and 180 columns, then the wall time of the whole command (a fresh
``python -m accelsim.cli simulate`` process, median of --repeat runs). The fast-engine work
wants a renderer of a few ms; this is the number to watch.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import time


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="vit_base")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from rich.console import Console

    import accelsim
    from accelsim.analysis import report

    result = accelsim.simulate(accelsim.load_arch("sole"),
                               accelsim.build_trace(args.model, image_size=224), record=False)
    try:
        from accelsim.analysis.terminal import render_run
    except ImportError:  # before issue 18: every layer, then the summary
        def render_run(res, console, layers=None):
            report.render_table(res, console)
    for width in (100, 180):
        for layers, name in ((10, "default (top 10)"), (None, "all layers")):
            seconds = _median(lambda w=width, n=layers: render_run(
                result, Console(file=io.StringIO(), width=w), layers=n), args.repeat)
            print(f"render {name:17s} {width:3d} cols: {seconds * 1e3:8.1f} ms")
    command = [sys.executable, "-m", "accelsim.cli", "simulate", "-m", args.model]
    seconds = _median(lambda: subprocess.run(command, capture_output=True, check=True,
                                             env={**_env(), "COLUMNS": "100"}), args.repeat)
    print(f"whole command ({' '.join(command[1:])}): {seconds:.2f} s")


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


if __name__ == "__main__":
    main()
