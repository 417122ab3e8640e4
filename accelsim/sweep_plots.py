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
_RESULT_PREFIXES = ("busy_share_", "energy", "area", "power", "stall_")
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


def _numeric(values: Sequence[Any]) -> bool:
    return bool(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                for v in values)


def x_axis(records: Sequence[Record]) -> tuple[str, str, bool]:
    """(column, label, log2) of the x axis of the sweep plots: the PE count when it varies
    (log2 axis), else the first varied numeric parameter (linear axis), else the PE count."""
    if len({r.get("pe_count") for r in records}) > 1:
        return "pe_count", "PE count (rows x cols)", True
    for name in varied_params(records):
        if _numeric([r.get(name) for r in records]):
            return name, name, False
    return "pe_count", "PE count (rows x cols)", True


def _series(records: Sequence[Record], x: str) -> dict[str, list[Record]]:
    """Points grouped by every varied parameter except those that set ``x``."""
    skip = {"pe", "array.rows", "array.cols"} if x == "pe_count" else {x}
    others = [p for p in varied_params(records) if p not in skip]
    groups: dict[str, list[Record]] = {}
    for record in records:
        groups.setdefault(point_label(record, others) if others else "", []).append(record)
    return {label: sorted(rs, key=lambda r: r[x]) for label, rs in groups.items()}


def plot_scaling(records: Sequence[Record]) -> Figure:
    """Latency and mean PE utilization vs PE count (log2 x axis), one line per other setting;
    when the PE count does not vary, vs the first varied numeric parameter (linear x axis)."""
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    ax_lat, ax_util = fig.subplots(1, 2)
    good = ok_records(records)
    x, xlabel, log2 = x_axis(good)
    for label, rs in _series(good, x).items():
        xs = [r[x] for r in rs]
        ax_lat.plot(xs, [r["latency_ms"] for r in rs], marker="o", label=label or None)
        ax_util.plot(xs, [100 * r["pe_utilization"] for r in rs], marker="o", label=label or None)
    for ax, ylabel in ((ax_lat, "latency (ms)"), (ax_util, "mean PE utilization (% of latency)")):
        if log2:
            ax.set_xscale("log", base=2)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
    ax_lat.set_yscale("log")
    ax_util.set_ylim(0, 105)
    if len(ax_lat.get_lines()) > 1:
        ax_lat.legend(fontsize=7)
    fig.suptitle("Latency and PE utilization vs "
                 + ("array size" if x == "pe_count" else x))
    return fig


def plot_breakdown(records: Sequence[Record]) -> Figure:
    """Busy time of each unit per point as a share of that point's latency (stacked bars, %):
    bars of every size read alike. Units overlap in time, so a stack can exceed 100 %; each
    point's latency is written above its bar."""
    good = ok_records(records)
    units: list[str] = []
    for r in good:
        units.extend(k.removeprefix("busy_share_") for k in r
                     if k.startswith("busy_share_") and k.removeprefix("busy_share_") not in units)
    params = varied_params(good)
    fig = Figure(figsize=(max(7.0, 0.45 * len(good) + 3), 4.8), layout="constrained")
    ax = fig.subplots()
    xs = range(len(good))
    bottom = [0.0] * len(good)
    for unit in units:
        heights = [100 * (r.get(f"busy_share_{unit}") or 0.0) for r in good]
        ax.bar(xs, heights, bottom=bottom, label=unit, color=_UNIT_COLORS.get(unit))
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ax.axhline(100, color="black", linestyle="--", linewidth=1, label="latency (100 %)")
    for i, (r, top) in enumerate(zip(good, bottom, strict=True)):
        ax.annotate(f"{r['latency_ms']:.3g} ms", (i, max(top, 100)), xytext=(0, 2),
                    textcoords="offset points", ha="center", va="bottom", fontsize=6)
    ax.set_xticks(list(xs), [point_label(r, params) for r in good], rotation=60, ha="right",
                  fontsize=7)
    ax.set_ylabel("busy time (% of latency)")
    ax.set_ylim(0, 1.15 * max([100.0, *bottom]))
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title("Per-unit busy time as % of each point's latency\n(units overlap in time, so "
                 "a stack can exceed 100 %; latency above each bar)", fontsize=9)
    return fig


def pareto_front(records: Sequence[Record], x: str, y: str = "latency_ms") -> list[Record]:
    """Points not dominated in (x, y), both minimized; sorted by x."""
    pts = sorted(ok_records(records), key=lambda r: (r[x], r[y]))
    front: list[Record] = []
    for r in pts:
        if not front or r[y] < front[-1][y]:
            front.append(r)
    return front


def _has(records: Sequence[Record], column: str) -> bool:
    return bool(records) and _numeric([r.get(column) for r in records])


def _pareto_panel(ax: Any, good: Sequence[Record], x: str, xlabel: str, log2: bool,
                  params: Sequence[str]) -> None:
    front = pareto_front(good, x)
    ax.scatter([r[x] for r in good], [r["latency_ms"] for r in good], color="tab:gray",
               alpha=0.6, label="points")
    ax.plot([r[x] for r in front], [r["latency_ms"] for r in front], color="tab:red",
            marker="o", drawstyle="steps-post", label="Pareto front")
    for r in front:
        ax.annotate(point_label(r, params), (r[x], r["latency_ms"]), fontsize=7,
                    xytext=(4, 4), textcoords="offset points")
    if log2:
        ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("latency (ms)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title(f"latency vs {xlabel}", fontsize=10)


def pareto_axes(records: Sequence[Record]) -> list[tuple[str, str, bool]]:
    """(column, label, log2) of each Pareto panel: latency vs area (``area_mm2``; when the area
    does not vary, vs the sweep's x axis instead) and, with ``energy_mj``, latency vs energy."""
    good = ok_records(records)
    panels = []
    if _has(good, "area_mm2") and len({r["area_mm2"] for r in good}) > 1:
        panels.append(("area_mm2", "area (mm^2)", False))
    else:
        panels.append(x_axis(good))
    if _has(good, "energy_mj"):
        panels.append(("energy_mj", "energy per inference (mJ)", False))
    return panels


def plot_pareto(records: Sequence[Record]) -> Figure:
    """Pareto fronts of latency vs area (or, without an area that varies, vs PE count / the
    swept parameter) and latency vs energy per inference (when the records have it)."""
    good = ok_records(records)
    panels = pareto_axes(good)
    params = varied_params(good)
    fig = Figure(figsize=(6.5 * len(panels), 4.8), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (x, xlabel, log2) in zip(axes, panels, strict=True):
        _pareto_panel(ax, good, x, xlabel, log2, params)
    fig.suptitle("Pareto fronts (lower-left is better; front highlighted in red)")
    return fig


#: stall causes of the sweep rows, in stacking order (sram split by buffer when available)
STALL_CAUSES = ("dram", "sram_input", "sram_weight", "sram_output", "sram", "bank",
                "dependency", "unit", "writeback")


def plot_stalls(records: Sequence[Record]) -> Figure:
    """Stall cycles by cause per point (stacked bars, summed over the layers): why a point is
    slower than its compute. ``sram`` is drawn split by buffer when the rows carry it."""
    good = ok_records(records)
    split = any(r.get(f"stall_sram_{b}") for r in good for b in ("input", "weight", "output"))
    causes = [c for c in STALL_CAUSES if (c != "sram" or not split)
              and (not c.startswith("sram_") or split) and any(r.get(f"stall_{c}") for r in good)]
    params = varied_params(good)
    fig = Figure(figsize=(max(7.0, 0.45 * len(good) + 3), 4.8), layout="constrained")
    ax = fig.subplots()
    xs = range(len(good))
    bottom = [0.0] * len(good)
    for cause in causes:
        heights = [(r.get(f"stall_{cause}") or 0) / 1e6 for r in good]
        ax.bar(xs, heights, bottom=bottom, label=cause)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ax.set_xticks(list(xs), [point_label(r, params) for r in good], rotation=60, ha="right",
                  fontsize=7)
    ax.set_ylabel("stall cycles (millions, summed over layers)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title("Stall cycles by cause per point", fontsize=9)
    return fig


#: the files save_plots writes, in order
PLOT_FILES = ("sweep_scaling.png", "sweep_breakdown.png", "sweep_pareto.png",
              "sweep_stalls.png")


def save_plots(records: Sequence[Record], folder: str | Path) -> list[Path]:
    """Write the three sweep plots (PLOT_FILES) as PNGs into ``folder``; returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    if not ok_records(records):
        return paths
    makers = (plot_scaling, plot_breakdown, plot_pareto, plot_stalls)
    for name, make in zip(PLOT_FILES, makers, strict=True):
        path = folder / name
        make(records).savefig(path, dpi=110)
        paths.append(path)
    return paths


#: summary columns of the sweep table (energy and area when the records carry them)
TABLE_METRICS = ("total_cycles", "latency_ms", "fps", "pe_utilization", "dram_read_bytes",
                 "dram_write_bytes", "energy_mj", "area_mm2")


def render_table(records: Sequence[Record], title: str, console: Any) -> None:
    """One row per point: the varied parameters, the summary metrics, the status (rich)."""
    from rich.markup import escape
    from rich.table import Table

    params = varied_params(records) or ["model"]
    metrics = [m for m in TABLE_METRICS if any(m in r for r in records)]
    table = Table(title=title)
    for col in ("#", *params, *metrics, "status"):
        table.add_column(col, justify="left" if col in params or col == "status" else "right")
    for r in records:
        ok = r["status"] == "ok"
        cells = ([f"{r[m]:,}" if isinstance(r[m], int) else f"{r[m]:.4g}" for m in metrics]
                 if ok else [""] * len(metrics))
        status = ("ok" + (" (resumed)" if r.get("resumed") else "")) if ok else \
            f"[red]{escape(str(r['error_type']))}: {escape(str(r['error']))}[/red]"
        table.add_row(str(r["index"]), *(str(r.get(p)) for p in params), *cells, status)
    console.print(table)
