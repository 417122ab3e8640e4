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


def _numeric(values: Sequence[Any]) -> bool:
    return bool(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                for v in values)


#: sweep columns that describe the workload, not the design: a Pareto front compares designs
#: running one workload, so fronts are drawn per (model, image size, batch)
WORKLOAD_PARAMS = ("model", "image_size", "batch")
#: base units a unit-valued sweep field ("64KiB", "1GHz", "25.6GB/s") may carry
_QUANTITY_UNITS = (("B", "bytes"), ("Hz", "Hz"), ("B/s", "B/s"))


def quantity_unit(values: Sequence[Any]) -> str | None:
    """The base unit all ``values`` parse in when they are quantity strings, else None."""
    from accelsim.units import parse_quantity

    if not values or not all(isinstance(v, str) for v in values):
        return None
    for unit, _ in _QUANTITY_UNITS:
        try:
            for v in values:
                parse_quantity(v, unit)
        except ValueError:
            continue
        return unit
    return None


def x_value(record: Record, column: str) -> float:
    """A point's x coordinate: the number, or a quantity string ("64KiB") in its base unit."""
    from accelsim.units import parse_quantity

    value = record[column]
    if isinstance(value, str):
        unit = quantity_unit([value]) or "B"
        return parse_quantity(value, unit)
    return float(value)


def x_axis(records: Sequence[Record]) -> tuple[str, str, bool]:
    """(column, label, log2) of the x axis of the sweep plots: the PE count when it varies
    (log2 axis), else the first varied numeric parameter (linear axis), else the first varied
    quantity-valued one ("64KiB", ...: log2 axis in its base unit), else the PE count."""
    if len({r.get("pe_count") for r in records}) > 1:
        return "pe_count", "PE count (rows x cols)", True
    for name in varied_params(records):
        if _numeric([r.get(name) for r in records]):
            return name, name, False
    for name in varied_params(records):
        unit = quantity_unit([r.get(name) for r in records])
        if unit is not None:
            return name, f"{name} ({dict(_QUANTITY_UNITS)[unit]})", True
    return "pe_count", "PE count (rows x cols)", True


def _series(records: Sequence[Record], x: str) -> dict[str, list[Record]]:
    """Points grouped by every combination of the varied parameters except those that set
    ``x``: one line each."""
    skip = {"pe", "array.rows", "array.cols"} if x == "pe_count" else {x}
    others = [p for p in varied_params(records) if p not in skip]
    groups: dict[str, list[Record]] = {}
    for record in records:
        groups.setdefault(point_label(record, others) if others else "", []).append(record)
    return {label: sorted(rs, key=lambda r: x_value(r, x)) for label, rs in groups.items()}


def _plain_log(ax: Any, axis: str = "y") -> None:
    """Log-axis tick labels as plain numbers ('20', '0.5'), never '1.845x10^1'."""
    from matplotlib.ticker import FuncFormatter, LogLocator

    fmt = FuncFormatter(lambda v, _: f"{v:,.4g}")
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(fmt)
    target.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
    target.set_minor_formatter(fmt)


def _x_ticks(ax: Any, records: Sequence[Record], x: str) -> None:
    """Ticks at the swept values, labelled as the user wrote them (16x16, 64KiB)."""
    from matplotlib.ticker import NullLocator

    ticks = sorted({x_value(r, x): r for r in records}.items())
    if x == "pe_count":
        labels = [str(r.get("pe") or int(v)) for v, r in ticks]
    else:
        labels = [str(r[x]) for _, r in ticks]
    ax.set_xticks([v for v, _ in ticks], labels, rotation=30 if len(ticks) > 4 else 0)
    ax.xaxis.set_minor_locator(NullLocator())


def _figure(style_name: str, figsize: tuple[float, float] | None, aspect: float,
            screen: tuple[float, float]) -> Any:
    from accelsim.analysis.plots import DPI, default_figsize

    size = figsize or (screen if style_name == "screen" else default_figsize(style_name,
                                                                              aspect))
    return Figure(figsize=size, dpi=DPI, layout="constrained")


def plot_scaling(records: Sequence[Record], figsize: tuple[float, float] | None = None,
                 style_name: str = "screen") -> Figure:
    """Latency and mean PE utilization vs PE count (log2 x axis), one line per combination of
    the other varied parameters (distinct colour and marker each; the legend outside the axes);
    when the PE count does not vary, vs the first varied numeric or quantity parameter."""
    from accelsim.analysis.plots import safe_text, series_styles, style

    good = ok_records(records)
    x, xlabel, log2 = x_axis(good)
    with style(style_name):
        fig = _figure(style_name, figsize, 1.5, (11.0, 4.6))
        paper = style_name == "paper"
        ax_lat, ax_util = fig.subplots(2, 1) if paper else fig.subplots(1, 2)
        series = _series(good, x)
        drawn: dict[tuple, str] = {}
        for i, ((label, rs), st) in enumerate(zip(series.items(), series_styles(len(series)),
                                                  strict=True)):
            xs = [x_value(r, x) for r in rs]
            key = (tuple(xs), tuple(r["latency_ms"] for r in rs))
            # a series hidden under an earlier one says so in the legend
            same = f" (= {drawn[key]})" if key in drawn else ""
            drawn.setdefault(key, label)
            kw = {"color": st["color"], "marker": st["marker"], "linestyle": st["linestyle"],
                  "markerfacecolor": "none", "markersize": 9 - 2 * (i % 3),
                  "label": safe_text(label + same) or None}
            ax_lat.plot(xs, [r["latency_ms"] for r in rs], **kw)
            ax_util.plot(xs, [100 * r["pe_utilization"] for r in rs], **kw)
        for ax, ylabel in ((ax_lat, "latency (ms)"),
                           (ax_util, "mean PE utilization (% of latency)")):
            if log2:
                ax.set_xscale("log", base=2)
            _x_ticks(ax, good, x)
            ax.set_xlabel(safe_text(xlabel))
            ax.set_ylabel(ylabel)
            ax.grid(True, which="both", alpha=0.3)
        ax_lat.set_yscale("log")
        _plain_log(ax_lat)
        ax_util.set_ylim(0, 105)
        if len(series) > 1:
            fig.legend(*ax_lat.get_legend_handles_labels(),
                       loc="outside lower center" if paper else "outside right upper",
                       frameon=False, title=", ".join(
                           p.split(".")[-1] for p in varied_params(good)
                           if p not in ({"pe", "array.rows", "array.cols"} if x == "pe_count"
                                        else {x})))
        fig.suptitle("Latency and PE utilization vs "
                     + ("array size" if x == "pe_count" else safe_text(x)))
    return fig


def plot_breakdown(records: Sequence[Record], figsize: tuple[float, float] | None = None,
                   style_name: str = "screen") -> Figure:
    """Busy time of each unit per point as a share of that point's latency: bars side by side,
    one per unit (each at most 100%, since a unit is busy at most the whole run; units overlap
    in time, so the bars of one point do not add up). Each point's latency is written above."""
    from accelsim.analysis.plots import SERIES_HATCHES, safe_text, style

    good = ok_records(records)
    units: list[str] = []
    for r in good:
        units.extend(k.removeprefix("busy_share_") for k in r
                     if k.startswith("busy_share_") and k.removeprefix("busy_share_") not in units)
    params = varied_params(good)
    with style(style_name):
        bars = len(good) * max(len(units), 1)
        fig = _figure(style_name, figsize, 0.4 + 0.035 * bars,
                      (10.0, max(3.5, 1.6 + 0.09 * bars)))
        ax = fig.subplots()
        height = 0.8 / max(len(units), 1)
        for j, unit in enumerate(units):
            widths = [100 * (r.get(f"busy_share_{unit}") or 0.0) for r in good]
            ax.barh([i + (j - (len(units) - 1) / 2) * height for i in range(len(good))],
                    widths, height=height, label=safe_text(unit),
                    color=_UNIT_COLORS.get(unit), hatch=SERIES_HATCHES[j % len(SERIES_HATCHES)],
                    edgecolor="white", linewidth=0.3)
        ax.axvline(100, color="black", linestyle="--", linewidth=1, label="latency (100%)")
        for i, r in enumerate(good):
            ax.annotate(f"{r['latency_ms']:.3g} ms", (100, i), xytext=(3, 0),
                        textcoords="offset points", ha="left", va="center", fontsize=8)
        ax.set_yticks(list(range(len(good))), [safe_text(point_label(r, params)) for r in good])
        ax.invert_yaxis()
        ax.set_xlabel("busy time (% of the point's latency)")
        ax.set_xlim(0, 118)
        fig.legend(*ax.get_legend_handles_labels(), frameon=False,
                   loc="outside lower center" if style_name == "paper" else
                   "outside right upper")
        ax.set_title("Per-unit busy time, % of each point's latency\n(units overlap in time; "
                     "each bar is at most 100%; latency at the right)")
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


def workloads(records: Sequence[Record]) -> dict[str, list[Record]]:
    """Points grouped by the workload they run (model, image size, batch: WORKLOAD_PARAMS)."""
    varying = [p for p in WORKLOAD_PARAMS if len({str(r.get(p)) for r in records}) > 1]
    groups: dict[str, list[Record]] = {}
    for r in records:
        groups.setdefault(", ".join(f"{p}={r.get(p)}" for p in varying), []).append(r)
    return groups


def _pareto_panel(ax: Any, good: Sequence[Record], x: str, xlabel: str,
                  params: Sequence[str]) -> None:
    from accelsim.analysis.plots import safe_text, series_styles

    groups = workloads(good)
    design = [p for p in params if p not in WORKLOAD_PARAMS]
    for (label, rs), st in zip(groups.items(), series_styles(len(groups)), strict=True):
        front = pareto_front(rs, x)
        tag = f" ({safe_text(label)})" if label else ""
        ax.scatter([r[x] for r in rs], [r["latency_ms"] for r in rs], color=st["color"],
                   marker=st["marker"], alpha=0.35, label=f"points{tag}")
        ax.plot([r[x] for r in front], [r["latency_ms"] for r in front], color=st["color"],
                marker=st["marker"], drawstyle="steps-post", label=f"Pareto front{tag}")
        for r in front:
            ax.annotate(safe_text(point_label(r, design)), (r[x], r["latency_ms"]),
                        fontsize=8, xytext=(4, 4), textcoords="offset points")
    ax.set_yscale("log")
    _plain_log(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("latency (ms)")
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title(f"latency vs {xlabel}")


def pareto_axes(records: Sequence[Record]) -> list[tuple[str, str, bool]]:
    """(column, label, log2) of each Pareto panel, objectives only: latency vs area
    (``area_mm2``) and latency vs energy per inference (``energy_mj``), each when it varies.
    A swept parameter (an image size, a bandwidth) is not an objective and gets no panel."""
    good = ok_records(records)
    panels = []
    for column, label in (("area_mm2", "area (mm²)"), ("energy_mj", "energy per inference (mJ)")):
        if _has(good, column) and len({r[column] for r in good}) > 1:
            panels.append((column, label, False))
    return panels


def plot_pareto(records: Sequence[Record], figsize: tuple[float, float] | None = None,
                style_name: str = "screen") -> Figure:
    """Pareto fronts of latency vs area and vs energy per inference, one front per workload
    (model, image size, batch) so that designs are only compared running the same thing.
    Without a second objective that varies, the figure says so instead of drawing a front."""
    from accelsim.analysis.plots import style

    good = ok_records(records)
    panels = pareto_axes(good)
    params = varied_params(good)
    with style(style_name):
        fig = _figure(style_name, figsize, 1.6 if len(panels) > 1 else 0.9,
                      (5.0 * max(len(panels), 1) + 1.5, 4.6))
        paper = style_name == "paper"
        if not panels:
            ax = fig.subplots()
            ax.axis("off")
            ax.text(0.5, 0.5, "no Pareto front: neither area nor energy varies between the "
                    "points\n(a swept parameter is not an objective)", ha="center",
                    va="center")
            return fig
        axes = fig.subplots(len(panels), 1, squeeze=False)[:, 0] if paper else \
            fig.subplots(1, len(panels), squeeze=False)[0]
        for ax, (x, xlabel, _) in zip(axes, panels, strict=True):
            _pareto_panel(ax, good, x, xlabel, params)
        fig.legend(*axes[0].get_legend_handles_labels(), frameon=False,
                   loc="outside lower center" if paper else "outside right upper")
        fig.suptitle("Pareto fronts (lower-left is better), per workload")
    return fig


#: the files save_plots writes, in order (with fmt "png")
PLOT_FILES = ("sweep_scaling.png", "sweep_breakdown.png", "sweep_pareto.png")


def save_plots(records: Sequence[Record], folder: str | Path, fmt: str = "png",
               dpi: float | None = None, figsize: tuple[float, float] | None = None,
               style_name: str = "screen") -> list[Path]:
    """Write the three sweep plots (PLOT_FILES, with the ``fmt`` suffix: png | svg | pdf)
    into ``folder``, each atomically (accelsim.fileio.write_atomic); returns their paths."""
    from accelsim.analysis.plots import figure_bytes
    from accelsim.errors import ConfigError
    from accelsim.fileio import write_atomic

    folder = Path(folder)
    paths: list[Path] = []
    if not ok_records(records):
        return paths
    for name, make in zip(PLOT_FILES, (plot_scaling, plot_breakdown, plot_pareto), strict=True):
        path = folder / name.replace(".png", f".{fmt}")
        write_atomic(path, figure_bytes(make(records, figsize, style_name), fmt, dpi),
                     ConfigError, flag="--plot-dir")
        paths.append(path)
    return paths


#: summary columns of the sweep table (energy and area when the records carry them)
TABLE_METRICS = ("total_cycles", "latency_ms", "fps", "pe_utilization", "dram_read_bytes",
                 "dram_write_bytes", "energy_mj", "area_mm2")


def render_table(records: Sequence[Record], title: str, console: Any) -> None:
    """One row per point: the varied parameters, the summary metrics, the status (rich).
    Every cell is a rich Text, so names and error messages print literally whatever the
    console's markup setting."""
    from rich.table import Table
    from rich.text import Text

    params = varied_params(records) or ["model"]
    metrics = [m for m in TABLE_METRICS if any(m in r for r in records)]
    table = Table(title=Text(title))
    for col in ("#", *params, *metrics, "status"):
        table.add_column(Text(col), justify="left" if col in params or col == "status" else "right")
    for r in records:
        ok = r["status"] == "ok"
        cells = ([f"{r[m]:,}" if isinstance(r[m], int) else f"{r[m]:.4g}" for m in metrics]
                 if ok else [""] * len(metrics))
        status = (Text("ok" + (" (resumed)" if r.get("resumed") else "")) if ok else
                  Text(f"{r['error_type']}: {r['error']}", style="red"))
        table.add_row(Text(str(r["index"])), *(Text(str(r.get(p))) for p in params),
                      *map(Text, cells), status)
    console.print(table)
