"""Golden convolution compute cycles from the real SCALE-Sim v3 for accelsim's conv-topology test.

Writes ``tests/golden/scalesim_conv.csv``: one row per layer SCALE-Sim reports, with the conv
geometry of the topology row (``ifmap_h, ifmap_w, filter_h, filter_w, channels, filters,
stride``), SCALE-Sim's reported layer (``Channel_i`` of a depthwise ``DP`` layer) and its
COMPUTE_REPORT.csv numbers verbatim. Then it checks every row against the closed forms of
``benchmarks/SCALESIM_NOTES.md`` applied to SCALE-Sim's im2col GEMM
(M = ofmap pixels, N = filters, K = Fh x Fw x C, ofmap side = ceil((H - Fh + S) / S),
``topology_utils.topo_calc_hyperparams``) and exits non-zero on any mismatch.

Settings: those of ``scalesim_runner.py`` (8192 kB SRAMs, CALC bandwidth, no stalls), conv
topology (``input_type_gemm=False``). SCALE-Sim 3.0.0 from PyPI, in its own virtualenv:

    python3 -m venv /tmp/scalesim-venv
    /tmp/scalesim-venv/bin/pip install "numpy<2" scalesim==3.0.0
    /tmp/scalesim-venv/bin/python benchmarks/scalesim_conv_golden.py

Cases: 13 topology rows (square and non-square ifmaps and filters; strides 1 to 4, with and
without a remainder, where SCALE-Sim's ceil differs from floor((H - Fh) / S) + 1; pointwise;
filter = ifmap; one depthwise ``DP`` row that SCALE-Sim splits per channel) x 3 dataflows x 3
arrays (8x8, 8x4, 4x16).
"""

from __future__ import annotations

import math
import sys
from itertools import product
from pathlib import Path

from scalesim_golden import closed_form
from scalesim_runner import (
    DATAFLOWS,
    ConvLayer,
    closed_form_problems,
    golden_main,
    reported_layers,
    run_scalesim,
)

REPO = Path(__file__).resolve().parent.parent
GOLDEN_CSV = REPO / "tests" / "golden" / "scalesim_conv.csv"

COLUMNS = (
    "case", "rows", "cols", "dataflow", "layer", "reported_layer", "ifmap_h", "ifmap_w",
    "filter_h", "filter_w", "channels", "filters", "stride",
    "total_cycles", "total_cycles_incl_prefetch", "stall_cycles",
    "overall_util_pct", "mapping_efficiency_pct", "compute_util_pct",
)
ARRAYS = ((8, 8), (8, 4), (4, 16))
# fmt: off
LAYERS = (  # name, H, W, Fh, Fw, C, filters, stride
    ConvLayer("small3x3", 8, 8, 3, 3, 2, 4, 1),
    ConvLayer("conv3x3", 16, 16, 3, 3, 8, 16, 1),
    ConvLayer("s2_exact", 15, 15, 3, 3, 4, 8, 2),
    ConvLayer("s2_remainder", 16, 16, 3, 3, 4, 8, 2),
    ConvLayer("rect_filter", 12, 20, 3, 5, 3, 6, 1),
    ConvLayer("rect_s2", 20, 12, 5, 3, 3, 6, 2),
    ConvLayer("pointwise", 9, 9, 1, 1, 16, 32, 1),
    ConvLayer("full_window", 11, 11, 11, 11, 3, 8, 1),
    ConvLayer("s4_7x7", 32, 32, 7, 7, 3, 16, 4),
    ConvLayer("s3_rect", 14, 28, 2, 4, 5, 7, 3),
    ConvLayer("single", 10, 10, 3, 3, 1, 1, 1),
    ConvLayer("lenet5x5", 28, 28, 5, 5, 6, 10, 1),
    ConvLayer("ConvDP1", 12, 12, 3, 3, 4, 4, 1),
)
# fmt: on


def im2col(layer: ConvLayer) -> tuple[int, int, int]:
    """(M, N, K) of SCALE-Sim's im2col GEMM of one (single-channel, if depthwise) layer."""
    channels = 1 if "DP" in layer.name else layer.channels
    out_h = math.ceil((layer.ifmap_height - layer.filter_height + layer.stride) / layer.stride)
    out_w = math.ceil((layer.ifmap_width - layer.filter_width + layer.stride) / layer.stride)
    return out_h * out_w, layer.filters, layer.filter_height * layer.filter_width * channels


def check_row(row: dict[str, str]) -> list[str]:
    """Differences between a golden row and the closed forms on the im2col GEMM."""
    layer = ConvLayer(row["layer"], *(int(row[k]) for k in COLUMNS[6:13]))
    return closed_form_problems(row, closed_form(int(row["rows"]), int(row["cols"]),
                                                 row["dataflow"], *im2col(layer)))


def run_cases(python: str) -> tuple[list[dict[str, str]], float]:
    """One SCALE-Sim run per (array, dataflow) with every layer; golden rows and seconds."""
    golden, seconds = [], 0.0
    for (rows, cols), dataflow in product(ARRAYS, DATAFLOWS):
        reports, elapsed = run_scalesim(python, rows, cols, dataflow, list(LAYERS))
        seconds += elapsed
        print(f"{dataflow} {rows}x{cols}: {len(reports)} layers in {elapsed:.1f} s",
              file=sys.stderr)
        expanded = [(layer, f"{layer.name}Channel_{i}" if reported_layers(layer) > 1
                     else layer.name)
                    for layer in LAYERS for i in range(reported_layers(layer))]
        for (layer, reported), report in zip(expanded, reports, strict=True):
            golden.append({
                "case": f"{dataflow}_{rows}x{cols}_{reported}", "rows": str(rows),
                "cols": str(cols), "dataflow": dataflow, "layer": layer.name,
                "reported_layer": reported, "ifmap_h": str(layer.ifmap_height),
                "ifmap_w": str(layer.ifmap_width), "filter_h": str(layer.filter_height),
                "filter_w": str(layer.filter_width), "channels": str(layer.channels),
                "filters": str(layer.filters), "stride": str(layer.stride),
                "total_cycles": report.total_cycles,
                "total_cycles_incl_prefetch": report.total_cycles_incl_prefetch,
                "stall_cycles": report.stall_cycles,
                "overall_util_pct": report.overall_util_pct,
                "mapping_efficiency_pct": report.mapping_efficiency_pct,
                "compute_util_pct": report.compute_util_pct,
            })
    return golden, seconds


def main() -> int:
    return golden_main(__doc__.splitlines()[0], GOLDEN_CSV, COLUMNS, run_cases, check_row, "rows")


if __name__ == "__main__":
    sys.exit(main())
