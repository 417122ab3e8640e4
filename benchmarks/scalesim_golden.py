"""Produce golden GEMM compute-cycle numbers from the real SCALE-Sim v3 for accelsim's parity tests.

Writes ``tests/golden/scalesim_compute.csv`` with columns
``case,rows,cols,dataflow,m,n,k,total_cycles,total_cycles_incl_prefetch,stall_cycles,
overall_util_pct,mapping_efficiency_pct,compute_util_pct``: the last six are the exact text of
SCALE-Sim's COMPUTE_REPORT.csv ("Total Cycles", "Total Cycles (incl. prefetch)", "Stall Cycles",
"Overall Util %", "Mapping Efficiency %", "Compute Util %"). Then it checks every row against the
closed forms documented in ``benchmarks/SCALESIM_NOTES.md`` and exits non-zero on any mismatch.

SCALE-Sim: version 3.0.0 from PyPI (``pip install "numpy<2" scalesim``; it crashes on numpy 2).
It is never imported into accelsim: this script must be run with the SCALE-Sim virtualenv's python
and does not import accelsim.

Settings (see ``scalesim_runner.py``): ifmap, filter and ofmap SRAMs of 8192 kB each,
``InterfaceBandwidth: CALC`` (SCALE-Sim estimates the DRAM bandwidth), no custom layout, no
sparsity, ``input_type_gemm=True``, ``save_disk_space=True`` (no trace files). One SCALE-Sim run
per (rows, cols, dataflow) with that group's GEMMs as the layers of one topology file. No case
stalls (stall_cycles is 0 in every row).

Operands: C[M x N] = A[M x K] @ B[K x N], A = ifmap, B = filter (weights). SCALE-Sim's GEMM CSV
``name, M, N, K,`` uses the same letters: it builds an ifmap of M x K, a window of K and N filters
(``topology_utils.load_arrays_gemm``). So the CSV's m, n, k are written unchanged.

Run (from the repository root):

    python3 -m venv /tmp/scalesim-venv
    /tmp/scalesim-venv/bin/pip install "numpy<2" scalesim
    /tmp/scalesim-venv/bin/python benchmarks/scalesim_golden.py

Cases: 384 = 12 arrays x 3 dataflows x 10 small GEMMs (M, N, K in 1..100, partial folds on every
axis) + 8 medium ViT-like GEMMs (197 tokens) x 3 dataflows. Wall time here: 85 s on an idle machine
(206 s on a busy one; 86 s of CPU either way), in 36 SCALE-Sim runs (one per array and dataflow)
of 0.6-5 s each; ``--check-only`` takes well under 1 s.
"""

from __future__ import annotations

import math
import sys
from itertools import product
from pathlib import Path

from scalesim_runner import (
    DATAFLOWS,
    ComputeReport,
    GemmLayer,
    closed_form_problems,
    golden_main,
    run_scalesim,
)

REPO = Path(__file__).resolve().parent.parent
GOLDEN_CSV = REPO / "tests" / "golden" / "scalesim_compute.csv"

# fmt: off
COLUMNS = (
    "case", "rows", "cols", "dataflow", "m", "n", "k",
    "total_cycles", "total_cycles_incl_prefetch", "stall_cycles",
    "overall_util_pct", "mapping_efficiency_pct", "compute_util_pct",
)

# Arrays (rows R x cols C): square, non-square both ways, tiny, single row/column, odd, large.
ARRAYS = (
    (4, 4), (8, 8), (8, 4), (4, 16), (16, 16), (32, 32), (32, 16), (3, 5),
    (2, 2), (1, 8), (8, 1), (128, 128),
)
# GEMMs (m, n, k): degenerate, odd, partial folds on every axis, exact multiples.
SHAPES = (
    (1, 1, 1), (7, 13, 5), (33, 17, 65), (70, 3, 45), (64, 64, 64),
    (1, 100, 1), (100, 1, 7), (5, 1, 100), (17, 31, 9), (48, 32, 16),
)
# Medium ViT-like GEMMs (197 tokens, head dim 64) on a few arrays.
MEDIUM = (
    ((16, 16), (197, 64, 64)),
    ((32, 32), (197, 197, 64)),
    ((32, 32), (197, 64, 197)),
    ((8, 8), (197, 64, 64)),
    ((32, 32), (197, 768, 64)),
    ((32, 16), (197, 96, 384)),
    ((128, 128), (197, 768, 768)),
    ((128, 128), (197, 197, 64)),
)


def golden_cases() -> list[tuple[int, int, str, GemmLayer]]:
    """All (rows, cols, dataflow, layer) cases, grouped by array and dataflow."""
    cases = []
    for (rows, cols), dataflow in product(ARRAYS, DATAFLOWS):
        shapes = list(SHAPES) + [shape for array, shape in MEDIUM if array == (rows, cols)]
        for m, n, k in shapes:
            name = f"{dataflow}_{rows}x{cols}_{m}x{n}x{k}"
            cases.append((rows, cols, dataflow, GemmLayer(name, m, n, k)))
    return cases


def folds_and_fold_cycles(rows: int, cols: int, dataflow: str, m: int, n: int, k: int):
    """(folds, cycles per fold, temporal dim T) of SCALE-Sim 3.0.0; see SCALESIM_NOTES.md."""
    if dataflow == "ws":  # K on rows, N on cols, M streams
        return math.ceil(k / rows) * math.ceil(n / cols), 2 * rows + cols + m - 2, m
    if dataflow == "os":  # M on rows, N on cols, K streams
        return math.ceil(m / rows) * math.ceil(n / cols), rows + cols + k - 2, k
    if dataflow == "is":  # K on rows, M on cols, N streams
        return math.ceil(k / rows) * math.ceil(m / cols), 2 * rows + cols + n - 2, n
    raise ValueError(dataflow)


def closed_form(rows: int, cols: int, dataflow: str, m: int, n: int, k: int) -> dict[str, float]:
    """SCALE-Sim 3.0.0 compute report from the closed forms (no stalls)."""
    folds, fold_cycles, t = folds_and_fold_cycles(rows, cols, dataflow, m, n, k)
    total = folds * fold_cycles - 1
    pes = rows * cols
    # Utilisation "cycles" of a fold: OS uses its fold length, WS and IS add a second C - 1.
    util_cycles = fold_cycles if dataflow == "os" else fold_cycles + cols - 1
    # Sum over folds of mapped PEs = the spatial area of the mapped operand.
    mapped = {"ws": k * n, "os": m * n, "is": k * m}[dataflow]
    return {
        "total_cycles": total,
        "overall_util_pct": m * n * k * 100 / (total * pes),
        "mapping_efficiency_pct": 100 * mapped / (folds * pes),
        "compute_util_pct": 100 * mapped * t / (folds * pes * util_cycles),
    }


def check_row(row: dict[str, str]) -> list[str]:
    """Differences between one golden row and the closed forms; empty if it matches."""
    dims = [int(row[key]) for key in ("rows", "cols")]
    mnk = [int(row[key]) for key in ("m", "n", "k")]
    return closed_form_problems(row, closed_form(dims[0], dims[1], row["dataflow"], *mnk))


def run_cases(python: str, cases) -> tuple[list[dict[str, str]], float]:
    """Run SCALE-Sim once per (rows, cols, dataflow) group; return golden rows and seconds."""
    groups: dict[tuple[int, int, str], list[GemmLayer]] = {}
    for rows, cols, dataflow, layer in cases:
        groups.setdefault((rows, cols, dataflow), []).append(layer)
    golden, seconds = [], 0.0
    for (rows, cols, dataflow), layers in groups.items():
        reports, elapsed = run_scalesim(python, rows, cols, dataflow, layers)
        seconds += elapsed
        print(f"{dataflow} {rows}x{cols}: {len(layers)} GEMMs in {elapsed:.1f} s", file=sys.stderr)
        for layer, report in zip(layers, reports, strict=True):
            golden.append(golden_row(rows, cols, dataflow, layer, report))
    return golden, seconds


def golden_row(rows, cols, dataflow, layer: GemmLayer, report: ComputeReport) -> dict[str, str]:
    """One CSV row: the case, then SCALE-Sim's numbers verbatim."""
    return {
        "case": layer.name, "rows": str(rows), "cols": str(cols), "dataflow": dataflow,
        "m": str(layer.m), "n": str(layer.n), "k": str(layer.k),
        "total_cycles": report.total_cycles,
        "total_cycles_incl_prefetch": report.total_cycles_incl_prefetch,
        "stall_cycles": report.stall_cycles,
        "overall_util_pct": report.overall_util_pct,
        "mapping_efficiency_pct": report.mapping_efficiency_pct,
        "compute_util_pct": report.compute_util_pct,
    }


def main() -> int:
    return golden_main(__doc__.splitlines()[0], GOLDEN_CSV, COLUMNS,
                       lambda python: run_cases(python, golden_cases()), check_row, "cases")


if __name__ == "__main__":
    sys.exit(main())
