"""Plots of sweep records: each function returns a matplotlib Figure (PNG via Agg), never shows it.

Records are the plain dicts of accelsim.sweep.run_sweep; failed points (status "error") are
left out of every plot.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure  # pyplot-free: no backend switch, no global state

Record = dict[str, Any]
#: columns that are results, not parameters of a point
_RESULT_PREFIXES = ("busy_share_", "energy", "area", "power")
_NOT_PARAMS = {"index", "arch", "status", "error_type", "error", "resumed", "pe_count",
               "total_cycles", "latency_ms", "fps", "macs", "pe_utilization",
               "pe_utilization_busy", "dram_read_bytes", "dram_write_bytes"}
_UNIT_COLORS = {"array": "tab:blue", "vector": "tab:orange", "e2softmax": "tab:green",
                "ailayernorm": "tab:red", "fp32": "tab:purple", "dram": "tab:gray"}


def ok_records(records: Sequence[Record]) -> list[Record]:
    return [r for r in records if r.get("status") == "ok"]


def varied_params(records: Sequence[Record]) -> list[str]:
    """Parameter columns whose value differs between points, in column order."""
    names: list[str] = []
    for record in records:
        names.extend(k for k in record if k not in names and k not in _NOT_PARAMS
                     and not k.startswith(_RESULT_PREFIXES))
    return [n for n in names if len({str(r.get(n)) for r in records}) > 1]


def point_label(record: Record, params: Sequence[str]) -> str:
    return ", ".join(f"{record.get(p)}" if p in ("pe", "model") else f"{p.split('.')[-1]}="
                     f"{record.get(p)}" for p in params) or str(record.get("index"))


def _series(records: Sequence[Record], x: str) -> dict[str, list[Record]]:
    """Points grouped by every varied parameter except those that set ``x``."""
    skip = {"pe", "array.rows", "array.cols"} if x == "pe_count" else {x}
    others = [p for p in varied_params(records) if p not in skip]
    groups: dict[str, list[Record]] = {}
    for record in records:
        groups.setdefault(point_label(record, others) if others else "", []).append(record)
    return {label: sorted(rs, key=lambda r: r[x]) for label, rs in groups.items()}


def plot_scaling(records: Sequence[Record]) -> Figure:
    """Latency and mean PE utilization vs PE count (log2 x axis), one line per other setting."""
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    ax_lat, ax_util = fig.subplots(1, 2)
    good = ok_records(records)
    for label, rs in _series(good, "pe_count").items():
        xs = [r["pe_count"] for r in rs]
        ax_lat.plot(xs, [r["latency_ms"] for r in rs], marker="o", label=label or None)
        ax_util.plot(xs, [100 * r["pe_utilization"] for r in rs], marker="o", label=label or None)
    for ax, ylabel in ((ax_lat, "latency (ms)"), (ax_util, "mean PE utilization (% of latency)")):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("PE count (rows x cols)")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
    ax_lat.set_yscale("log")
    ax_util.set_ylim(0, 105)
    if len(ax_lat.get_lines()) > 1:
        ax_lat.legend(fontsize=7)
    fig.suptitle("Latency and PE utilization vs array size")
    return fig


def plot_breakdown(records: Sequence[Record]) -> Figure:
    """Busy time of each unit per point (stacked bars, ms); units overlap in time, so a stack
    can exceed the latency, drawn as a black tick."""
    good = ok_records(records)
    units: list[str] = []
    for r in good:
        units.extend(k.removeprefix("busy_share_") for k in r
                     if k.startswith("busy_share_") and k.removeprefix("busy_share_") not in units)
    params = varied_params(good)
    fig = Figure(figsize=(max(6.0, 0.45 * len(good) + 2), 4.5), layout="constrained")
    ax = fig.subplots()
    xs = range(len(good))
    bottom = [0.0] * len(good)
    for unit in units:
        heights = [(r.get(f"busy_share_{unit}") or 0.0) * r["latency_ms"] for r in good]
        ax.bar(xs, heights, bottom=bottom, label=unit, color=_UNIT_COLORS.get(unit))
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ax.scatter(xs, [r["latency_ms"] for r in good], marker="_", s=300, color="black",
               label="latency", zorder=3)
    ax.set_xticks(list(xs), [point_label(r, params) for r in good], rotation=60, ha="right",
                  fontsize=7)
    ax.set_ylabel("busy time (ms)")
    ax.set_yscale("log" if good and max(r["latency_ms"] for r in good) >
                  50 * min(r["latency_ms"] for r in good) else "linear")
    ax.legend(fontsize=7, ncols=2)
    ax.set_title("Per-unit busy time per point")
    return fig


def pareto_front(records: Sequence[Record], x: str, y: str = "latency_ms") -> list[Record]:
    """Points not dominated in (x, y), both minimized; sorted by x."""
    pts = sorted(ok_records(records), key=lambda r: (r[x], r[y]))
    front: list[Record] = []
    for r in pts:
        if not front or r[y] < front[-1][y]:
            front.append(r)
    return front


def plot_pareto(records: Sequence[Record]) -> Figure:
    """Latency vs area (when the records have ``area_mm2``) or vs PE count; front highlighted."""
    good = ok_records(records)
    x = "area_mm2" if good and all(r.get("area_mm2") is not None for r in good) else "pe_count"
    front = pareto_front(good, x)
    params = varied_params(good)
    fig = Figure(figsize=(7, 4.8), layout="constrained")
    ax = fig.subplots()
    ax.scatter([r[x] for r in good], [r["latency_ms"] for r in good], color="tab:gray",
               alpha=0.6, label="points")
    ax.plot([r[x] for r in front], [r["latency_ms"] for r in front], color="tab:red",
            marker="o", drawstyle="steps-post", label="Pareto front")
    for r in front:
        ax.annotate(point_label(r, params), (r[x], r["latency_ms"]), fontsize=7,
                    xytext=(4, 4), textcoords="offset points")
    if x == "pe_count":
        ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("area (mm^2)" if x == "area_mm2" else "PE count (rows x cols)")
    ax.set_ylabel("latency (ms)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title(f"Pareto front: latency vs {'area' if x == 'area_mm2' else 'PE count'}")
    return fig


def save_plots(records: Sequence[Record], folder: str | Path) -> list[Path]:
    """Write the three sweep plots as PNGs into ``folder``; returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    if not ok_records(records):
        return paths
    for name, make in (("sweep_scaling", plot_scaling), ("sweep_breakdown", plot_breakdown),
                       ("sweep_pareto", plot_pareto)):
        path = folder / f"{name}.png"
        make(records).savefig(path, dpi=110)
        paths.append(path)
    return paths
