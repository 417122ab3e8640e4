"""Run SCALE-Sim v3 on GEMM or conv layers in a subprocess; read back its COMPUTE_REPORT.csv.

Shared by ``scalesim_golden.py`` and ``scalesim_conv_golden.py`` (golden numbers: the run, the
check of each row against the closed forms and the script's command line, ``golden_main``) and
``validate_scalesim.py`` (cross-validation).
Importing this module needs neither SCALE-Sim nor accelsim: the caller names the python of a
virtualenv where ``scalesim`` (3.0.0, with ``numpy<2``) is installed, and this same file is run
there as a script (``python scalesim_runner.py CONFIG TOPOLOGY LAYOUT OUTDIR``) to do the run.

SCALE-Sim's GEMM topology CSV is a header line, then ``name, M, N, K,`` per layer. SCALE-Sim
turns a row into a convolution with ifmap M x K, one filter window of K, N filters
(``topology_utils.load_arrays_gemm``), so its M, N, K are accelsim's m, n, k:
C[M x N] = A[M x K] @ B[K x N], A = ifmap, B = filter (weights). No conversion is needed.
Conv layers (``ConvLayer``) are written in SCALE-Sim's 8-column conv layout and run with
``input_type_gemm=False`` (``scalesim_conv_golden.py``).
"""

from __future__ import annotations

import argparse
import csv
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DATAFLOWS = ("ws", "os", "is")

# Generous SRAMs (kB, one word = one byte in SCALE-Sim) so that no run stalls; CALC bandwidth mode
# lets SCALE-Sim size the DRAM interface itself.
SRAM_KB = 8192
INTERFACE_BANDWIDTH = "CALC"

_CONFIG_TEMPLATE = """\
[general]
run_name = {run_name}

[architecture_presets]
ArrayHeight: {rows}
ArrayWidth: {cols}
IfmapSramSzkB: {sram_kb}
FilterSramSzkB: {sram_kb}
OfmapSramSzkB: {sram_kb}
IfmapOffset: 0
FilterOffset: 10000000
OfmapOffset: 20000000
Bandwidth: 10
Dataflow: {dataflow}
MemoryBanks: 1
ReadRequestBuffer: 512
WriteRequestBuffer: 512

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 10
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 10
FilterSRAMBankPort: 2

[run_presets]
InterfaceBandwidth: {bandwidth_mode}
UseRamulatorTrace: False

[sparsity]
SparsitySupport: false
SparseRep: ellpack_block
OptimizedMapping: false
BlockSize: 8
RandomNumberGeneratorSeed: 40
"""

# COMPUTE_REPORT.csv header (SCALE-Sim 3.0.0, simulator.generate_reports) -> our column names.
REPORT_COLUMNS = {
    "Total Cycles (incl. prefetch)": "total_cycles_incl_prefetch",
    "Total Cycles": "total_cycles",
    "Stall Cycles": "stall_cycles",
    "Overall Util %": "overall_util_pct",
    "Mapping Efficiency %": "mapping_efficiency_pct",
    "Compute Util %": "compute_util_pct",
}


@dataclass(frozen=True)
class GemmLayer:
    """One GEMM C[m x n] = A[m x k] @ B[k x n] (A = ifmap, B = weights/filter)."""

    name: str
    m: int
    n: int
    k: int


@dataclass(frozen=True)
class ConvLayer:
    """One convolution row of SCALE-Sim's conv topology CSV (one stride for both axes)."""

    name: str
    ifmap_height: int
    ifmap_width: int
    filter_height: int
    filter_width: int
    channels: int
    filters: int
    stride: int


CONV_HEADER = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
               "Num Filter, Strides,")


@dataclass(frozen=True)
class ComputeReport:
    """One COMPUTE_REPORT.csv row; numbers kept as the exact text SCALE-Sim printed."""

    total_cycles: str
    total_cycles_incl_prefetch: str
    stall_cycles: str
    overall_util_pct: str
    mapping_efficiency_pct: str
    compute_util_pct: str


def reported_layers(layer: GemmLayer | ConvLayer) -> int:
    """Rows SCALE-Sim reports for a layer: a conv whose name contains ``DP`` is a depthwise
    convolution, split into one single-channel layer per channel (``load_arrays_conv``)."""
    return layer.channels if isinstance(layer, ConvLayer) and "DP" in layer.name else 1


def write_config(path: Path, run_name: str, rows: int, cols: int, dataflow: str) -> None:
    """Write a SCALE-Sim 3.0.0 .cfg for an R x C array with the given dataflow."""
    if dataflow not in DATAFLOWS:
        raise ValueError(f"dataflow {dataflow!r}: expected one of {DATAFLOWS}")
    path.write_text(
        _CONFIG_TEMPLATE.format(
            run_name=run_name,
            rows=rows,
            cols=cols,
            dataflow=dataflow,
            sram_kb=SRAM_KB,
            bandwidth_mode=INTERFACE_BANDWIDTH,
        )
    )


def write_topology(path: Path, layers: list[GemmLayer] | list[ConvLayer]) -> None:
    """Write a SCALE-Sim topology CSV: header, then ``name, M, N, K,`` rows (GEMM layers) or
    ``name, H, W, Fh, Fw, C, filters, stride,`` rows (conv layers)."""
    if layers and isinstance(layers[0], ConvLayer):
        lines = [CONV_HEADER]
        lines += [f"{c.name}, {c.ifmap_height}, {c.ifmap_width}, {c.filter_height}, "
                  f"{c.filter_width}, {c.channels}, {c.filters}, {c.stride}," for c in layers]
    else:
        lines = ["Layer, M, N, K,"]
        lines += [f"{layer.name}, {layer.m}, {layer.n}, {layer.k}," for layer in layers]
    path.write_text("\n".join(lines) + "\n")


def write_layout(path: Path) -> None:
    """Write the layout file SCALE-Sim requires even for GEMMs (a header line is enough)."""
    path.write_text("Layer,\n")


def read_topology(path: Path) -> list[GemmLayer]:
    """Read a SCALE-Sim GEMM topology CSV (header line, then ``name, M, N, K,`` rows)."""
    layers = []
    with path.open() as handle:
        rows = [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]
    for line_number, row in enumerate(rows[1:], start=2):
        cells = [cell.strip() for cell in row]
        try:
            name, m, n, k = cells[0], int(cells[1]), int(cells[2]), int(cells[3])
        except (IndexError, ValueError) as exc:
            raise ValueError(f"{path}:{line_number}: expected 'name, M, N, K,', got {row}") from exc
        layers.append(GemmLayer(name, m, n, k))
    return layers


def read_compute_report(path: Path) -> list[ComputeReport]:
    """Parse SCALE-Sim's COMPUTE_REPORT.csv, one entry per layer in topology order."""
    with path.open() as handle:
        rows = [[cell.strip() for cell in row] for row in csv.reader(handle)]
    header = rows[0]
    reports = []
    for row in rows[1:]:
        if not any(row):
            continue
        cells = zip(header, row, strict=True)
        fields = {REPORT_COLUMNS[h]: v for h, v in cells if h in REPORT_COLUMNS}
        reports.append(ComputeReport(**fields))
    return reports


def scalesim_command(python: str, base: Path, rows: int, cols: int, dataflow: str,
                     layers: list[GemmLayer] | list[ConvLayer]) -> tuple[list[str], Path]:
    """Write SCALE-Sim's config, topology and layout files for ``layers`` into ``base``; return
    the command that runs this script on them and the COMPUTE_REPORT.csv it will write."""
    run_name = f"{dataflow}_{rows}x{cols}"
    config, topology, layout = base / "run.cfg", base / "topology.csv", base / "layout.csv"
    write_config(config, run_name, rows, cols, dataflow)
    write_topology(topology, layers)
    write_layout(layout)
    outdir = base / "out"
    kind = "conv" if layers and isinstance(layers[0], ConvLayer) else "gemm"
    command = [python, str(Path(__file__).resolve()), str(config), str(topology), str(layout),
               str(outdir), kind]
    return command, outdir / run_name / "COMPUTE_REPORT.csv"


def run_scalesim(
    python: str,
    rows: int,
    cols: int,
    dataflow: str,
    layers: list[GemmLayer] | list[ConvLayer],
    workdir: Path | None = None,
) -> tuple[list[ComputeReport], float]:
    """Run SCALE-Sim (with interpreter ``python``) on ``layers``; return reports and wall seconds.

    All layers go through one SCALE-Sim run, as SCALE-Sim runs a topology file.
    """
    with tempfile.TemporaryDirectory(prefix="scalesim_") as tmp:
        base = Path(workdir) if workdir is not None else Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        command, report = scalesim_command(python, base, rows, cols, dataflow, layers)
        start = time.perf_counter()
        completed = subprocess.run(command, capture_output=True, text=True, cwd=base)
        seconds = time.perf_counter() - start
        if completed.returncode != 0:
            raise RuntimeError(
                f"SCALE-Sim failed ({' '.join(command)}):\n{completed.stdout}\n{completed.stderr}"
            )
        reports = read_compute_report(report)
    expected = sum(reported_layers(layer) for layer in layers)
    if len(reports) != expected:
        raise RuntimeError(f"SCALE-Sim reported {len(reports)} layers, expected {expected}")
    return reports, seconds


def closed_form_problems(row: dict[str, str], expected: dict[str, float]) -> list[str]:
    """Differences between a golden row (SCALE-Sim's text) and the closed-form numbers: no
    stall, the exact Total Cycles, the three utilisations to 1e-12; empty if it matches."""
    problems = []
    if int(row["stall_cycles"]) != 0:
        problems.append(f"stall_cycles={row['stall_cycles']}")
    if int(row["total_cycles"]) != expected["total_cycles"]:
        problems.append(f"total_cycles {row['total_cycles']} != {expected['total_cycles']}")
    for key in ("overall_util_pct", "mapping_efficiency_pct", "compute_util_pct"):
        if not math.isclose(float(row[key]), expected[key], rel_tol=1e-12):
            problems.append(f"{key} {row[key]} != {expected[key]!r}")
    return problems


def write_golden(path: Path, columns: tuple[str, ...], golden: list[dict[str, str]]) -> None:
    """The golden CSV: a header of ``columns``, one row per case, ``\\n`` line ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(golden)


def golden_main(description: str, golden_csv: Path, columns: tuple[str, ...],
                run: Callable[[str], tuple[list[dict[str, str]], float]],
                check_row: Callable[[dict[str, str]], list[str]], noun: str) -> int:
    """A golden script's command line: run SCALE-Sim (``run(python)`` -> rows, seconds) and
    write ``golden_csv``, or ``--check-only`` read it; then check every row against the closed
    forms; 1 on any mismatch."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--scalesim-python", default=sys.executable,
                        help="python with scalesim installed (default: this one)")
    parser.add_argument("--out", type=Path, default=golden_csv, help="golden CSV to write")
    parser.add_argument("--check-only", action="store_true",
                        help="do not run SCALE-Sim; check an existing CSV against the closed forms")
    args = parser.parse_args()
    if args.check_only:
        with args.out.open() as handle:
            golden = list(csv.DictReader(handle))
    else:
        start = time.perf_counter()
        golden, scalesim_seconds = run(args.scalesim_python)
        write_golden(args.out, columns, golden)
        print(f"wrote {len(golden)} {noun} to {args.out} in {time.perf_counter() - start:.1f} s "
              f"({scalesim_seconds:.1f} s in SCALE-Sim)", file=sys.stderr)
    mismatches = 0
    for row in golden:
        problems = check_row(row)
        if problems:
            mismatches += 1
            print(f"MISMATCH {row['case']}: {'; '.join(problems)}", file=sys.stderr)
    print(f"closed form: {len(golden) - mismatches}/{len(golden)} {noun} match exactly",
          file=sys.stderr)
    return 1 if mismatches else 0


def _main(argv: list[str]) -> None:
    """Script mode, run under the SCALE-Sim python: CONFIG TOPOLOGY LAYOUT OUTDIR [gemm|conv]."""
    from scalesim.scale_sim import scalesim

    config, topology, layout, outdir = argv[:4]
    kind = argv[4] if len(argv) > 4 else "gemm"
    sim = scalesim(
        save_disk_space=True,  # no SRAM/DRAM trace files: reports only
        verbose=False,
        config=config,
        topology=topology,
        layout=layout,
        input_type_gemm=kind == "gemm",
    )
    sim.run_scale(top_path=outdir)


if __name__ == "__main__":
    _main(sys.argv[1:])
