"""Cross-validate accelsim's closed-form GEMM cycles against the real SCALE-Sim, layer by layer.

Runs SCALE-Sim 3.0.0 (in a subprocess, with the python of its own virtualenv) on a SCALE-Sim GEMM
or conv topology CSV for one array and dataflow, evaluates
``accelsim.cost.systolic.gemm_compute_cycles`` on the GEMMs accelsim reads from the same file
(``accelsim.workload.topology``: conv rows by im2col, depthwise ``DP`` rows split per channel, as
SCALE-Sim does), and prints a per-layer table of SCALE-Sim's "Total Cycles" against accelsim's
cycles. Exit status 1 if any layer differs. The file is re-written for SCALE-Sim in its canonical
column order, so a reordered header means the same layers to both.

Run from the repository root with accelsim's python (accelsim importable), e.g.:

    python benchmarks/validate_scalesim.py topology.csv --rows 32 --cols 32 --dataflow ws
    python benchmarks/validate_scalesim.py topology.csv --rows 16 --cols 16 --dataflow os \\
        --scalesim-python /tmp/scalesim-venv/bin/python

SCALE-Sim settings are those of ``scalesim_runner.py`` (8192 kB SRAMs, CALC bandwidth), so no
layer stalls and "Total Cycles" is pure compute, the quantity accelsim's closed form models.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from scalesim_runner import DATAFLOWS, ConvLayer, GemmLayer, run_scalesim

DEFAULT_SCALESIM_PYTHON = "/tmp/scalesim-venv/bin/python"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "topology",
        type=Path,
        help="SCALE-Sim topology CSV (GEMM 'Layer, M, N, K,' or the 8-column conv layout)",
    )
    parser.add_argument("--rows", type=int, required=True, help="systolic array rows R")
    parser.add_argument("--cols", type=int, required=True, help="systolic array cols C")
    parser.add_argument("--dataflow", choices=DATAFLOWS, required=True)
    parser.add_argument(
        "--scalesim-python",
        default=DEFAULT_SCALESIM_PYTHON,
        help=f"python with scalesim installed (default {DEFAULT_SCALESIM_PYTHON})",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="keep SCALE-Sim's config, topology and reports here (default: temp)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from accelsim.cost.systolic import gemm_compute_cycles
    from accelsim.workload.topology import read_scalesim_topology

    trace = read_scalesim_topology(args.topology)
    source: list = []
    for name, row in trace.meta["topology_rows"]:
        if isinstance(row, tuple):
            source.append(GemmLayer(name, *row))
        else:
            if row.stride_width and row.stride_width != row.stride:
                raise SystemExit(f"{args.topology}: layer {name!r} has two strides; SCALE-Sim's "
                                 "conv input CSV holds one")
            source.append(ConvLayer(name, row.ifmap_height, row.ifmap_width, row.filter_height,
                                    row.filter_width, row.channels, row.filters, row.stride))
    reports, scalesim_seconds = run_scalesim(
        args.scalesim_python, args.rows, args.cols, args.dataflow, source, args.workdir
    )
    layers = list(trace.ops)  # accelsim's GEMMs, one per layer SCALE-Sim reports

    start = time.perf_counter()
    accelsim_cycles = [
        gemm_compute_cycles(args.rows, args.cols, args.dataflow, layer.m, layer.n, layer.k)
        for layer in layers
    ]
    accelsim_seconds = time.perf_counter() - start

    name_width = max([len("layer")] + [len(layer.name) for layer in layers])
    header = (
        f"{'layer':<{name_width}} {'M':>6} {'N':>6} {'K':>6} {'scalesim':>12} "
        f"{'accelsim':>12} {'diff':>8} {'diff %':>8} {'stalls':>7}"
    )
    print(f"SCALE-Sim vs accelsim: {args.rows}x{args.cols} {args.dataflow}, {args.topology}")
    print(header)
    print("-" * len(header))
    mismatches = 0
    for layer, report, ours in zip(layers, reports, accelsim_cycles, strict=True):
        theirs = int(report.total_cycles)
        diff = ours - theirs
        mismatches += diff != 0
        print(
            f"{layer.name:<{name_width}} {layer.m:>6} {layer.n:>6} {layer.k:>6} {theirs:>12} "
            f"{ours:>12} {diff:>+8} {100 * diff / theirs:>+7.2f}% {report.stall_cycles:>7}"
        )
    print("-" * len(header))
    total_theirs = sum(int(report.total_cycles) for report in reports)
    total_ours = sum(accelsim_cycles)
    print(
        f"{'total':<{name_width}} {'':>6} {'':>6} {'':>6} {total_theirs:>12} {total_ours:>12} "
        f"{total_ours - total_theirs:>+8}"
    )
    print(
        f"{len(layers) - mismatches}/{len(layers)} layers match; wall time: SCALE-Sim "
        f"{scalesim_seconds:.2f} s, accelsim {accelsim_seconds * 1e3:.3f} ms"
    )
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
