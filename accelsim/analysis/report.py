"""SimResult -> rich table / CSV / JSON text. Formatting only: no physics here."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from accelsim.analysis.records import SimResult

#: columns of the per-layer CSV (one row per layer), in order
CSV_COLUMNS = (
    "name", "kind", "block", "unit", "group", "macs", "ops", "elements", "dram_read_bytes",
    "dram_write_bytes", "onchip_bytes", "start_cycle", "end_cycle", "cycles", "compute_cycles",
    "utilization", "stall_cycles", "stall_dram", "stall_bank", "stall_dependency", "stall_unit",
    "stall_writeback", "required_bandwidth_gbps",
)
OPS_NOTE = ("ops: 1 MAC = 2 ops; per element softmax 5, layernorm 7, gelu 8, add 1, requant 2, "
            "pool 1")


def result_json(result: SimResult, include_timing: bool = False) -> str:
    """Canonical JSON (sorted keys): identical inputs give byte-identical text."""
    return json.dumps(result.to_dict(include_timing=include_timing), indent=1, sort_keys=True)


def layer_rows(result: SimResult) -> list[dict[str, Any]]:
    rows = []
    for layer in result.layers:
        row = {c: getattr(layer, c) for c in CSV_COLUMNS if hasattr(layer, c)}
        for cause, value in layer.stalls.items():
            row[f"stall_{cause}"] = value
        rows.append(row)
    return rows


def result_csv(result: SimResult) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in layer_rows(result):
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    return buf.getvalue()


def summary_lines(result: SimResult) -> list[tuple[str, str]]:
    """(label, value) pairs of the run summary."""
    m = result.model
    arr = result.arch.get("array") or {}
    pe_layers = [x for x in result.layers if x.unit == "array"]
    array_busy = result.unit_busy_cycles.get("array", 0)
    peak = (arr.get("rows", 0) * arr.get("cols", 0))
    mean_util = (result.total_macs / (peak * array_busy) if peak and array_busy else 0.0)
    share = ", ".join(f"{u} {s:.1%}" for u, s in result.unit_share().items())
    nonlinear = sum(result.unit_busy_cycles.get(u, 0) for u in ("e2softmax", "ailayernorm",
                                                                "fp32"))
    lines = [
        ("arch", f"{result.arch_name} ({result.clock_hz / 1e6:g} MHz)"),
        ("model", f"{m.get('name')} ({m.get('ops')} ops in {m.get('groups')} groups)"),
        ("total cycles", f"{result.total_cycles:,}"),
        ("latency", f"{result.latency_s * 1e3:.4f} ms"),
        ("throughput", f"{result.fps:.2f} FPS"),
        ("MACs", f"{result.total_macs:,}"),
        ("PE utilization", f"{result.total_macs / (peak * result.total_cycles):.1%} of latency; "
                           f"{mean_util:.1%} while the array is busy" if peak and
         result.total_cycles else "n/a"),
        ("DRAM traffic", f"{result.dram_read_bytes / 1e6:.3f} MB read, "
                         f"{result.dram_write_bytes / 1e6:.3f} MB written"),
        ("unit busy share", share),
        ("non-linear units", f"{nonlinear / result.total_cycles:.1%} of latency"
         if result.total_cycles else "n/a"),
        ("GEMM layers", str(len(pe_layers))),
        ("simulator", f"{result.wall_time_s:.3f} s wall, {result.events:,} events, "
                      f"{result.events / max(result.wall_time_s, 1e-9):,.0f} events/s"),
    ]
    return lines


def render_table(result: SimResult, console: Any, max_rows: int | None = None) -> None:
    """Print the per-layer table and the summary with rich."""
    from rich.table import Table

    table = Table(title=f"{result.model.get('name')} on {result.arch_name}", show_lines=False,
                  caption=OPS_NOTE)
    cols = ("layer", "kind", "unit", "cycles", "compute", "util", "stall", "DRAM rd KB",
            "DRAM wr KB", "start", "end")
    for col in cols:
        table.add_column(col, justify="left" if col in ("layer", "kind", "unit") else "right")
    layers = result.layers if max_rows is None else result.layers[:max_rows]
    for x in layers:
        table.add_row(x.name, x.kind, x.unit, f"{x.cycles:,}", f"{x.compute_cycles:,}",
                      f"{x.utilization:.1%}", f"{x.stall_cycles:,}",
                      f"{x.dram_read_bytes / 1024:.1f}", f"{x.dram_write_bytes / 1024:.1f}",
                      f"{x.start_cycle:,}", f"{x.end_cycle:,}")
    console.print(table)
    summary = Table(title="Summary", show_header=False)
    summary.add_column("", style="bold")
    summary.add_column("")
    for label, value in summary_lines(result):
        summary.add_row(label, value)
    console.print(summary)
