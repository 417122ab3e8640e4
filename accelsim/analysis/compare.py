"""Two or more runs side by side: summary deltas, per-block and per-layer differences, against
the first run (the baseline). Data, CSV, HTML text and a rich table; formatting only.

Runs come from ``simulate`` (``simulate --arch a,b`` / ``--model a,b``) or from result JSON files
(``accelsim compare A.json B.json``; schema accelsim.result/1, read back by ``result_from_dict``).
Blocks and layers are matched by name; a name one run lacks shows as empty cells.
Deltas: (run - baseline) / baseline, so -10% is 10% fewer cycles than the baseline.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from accelsim.analysis.breakdown import block_slices
from accelsim.analysis.records import RESULT_SCHEMA, LayerResult, SimResult
from accelsim.errors import ConfigError

#: (label, SimResult attribute or summary key, format) of the compared summary metrics
SUMMARY_METRICS = (
    ("total cycles", "total_cycles", "{:,.0f}"),
    ("latency (ms)", "latency_ms", "{:.4f}"),
    ("throughput (FPS)", "fps", "{:.2f}"),
    ("PE utilization", "pe_utilization", "{:.1%}"),
    ("DRAM read (MB)", "dram_read_mb", "{:.3f}"),
    ("DRAM written (MB)", "dram_write_mb", "{:.3f}"),
    ("DRAM channel busy", "dram_busy_share", "{:.1%}"),
)


def result_from_dict(data: Any, source: str = "") -> SimResult:
    """A SimResult read back from its JSON (``report.result_json``); one ConfigError naming the
    file and the field when it is not one."""
    if not isinstance(data, dict) or data.get("schema") != RESULT_SCHEMA:
        raise ConfigError("not an accelsim result file", file=source, key="schema",
                          value=data.get("schema") if isinstance(data, dict) else None,
                          expected=f"{RESULT_SCHEMA} (simulate -o run.json)")
    names = {f.name for f in fields(LayerResult)}
    try:
        arch = dict(data["arch"])
        summary = data["summary"]
        layers = tuple(LayerResult(**{k: v for k, v in layer.items() if k in names})
                       for layer in data["layers"])
        return SimResult(
            arch_name=arch.pop("name"), arch=arch, model=dict(data["model"]),
            clock_hz=float(data["clock_hz"]), total_cycles=int(summary["total_cycles"]),
            unit_busy_cycles=dict(summary["unit_busy_cycles"]),
            dram_busy_cycles=int(summary["dram_busy_cycles"]),
            peak_bank_use=dict(summary.get("peak_bank_use", {})),
            events=int(summary.get("events", 0)), wall_time_s=0.0, layers=layers,
            fidelity=str(data.get("fidelity", "model")),
            warnings=tuple(data.get("warnings", ())))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"incomplete accelsim result: {type(exc).__name__} {exc}",
                          file=source) from None


def load_result(path: Path) -> SimResult:
    """Read a result JSON file (ConfigError naming the file on any problem)."""
    if not path.is_file():
        raise ConfigError("not a regular file" if path.exists() else "file not found",
                          file=str(path))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"not JSON: {exc}", file=str(path)) from None
    return result_from_dict(data, str(path))


def _metric(result: SimResult, key: str) -> float:
    return {"total_cycles": result.total_cycles, "latency_ms": result.latency_s * 1e3,
            "fps": result.fps, "pe_utilization": result.pe_utilization,
            "dram_read_mb": result.dram_read_bytes / 1e6,
            "dram_write_mb": result.dram_write_bytes / 1e6,
            "dram_busy_share": (result.dram_busy_cycles / result.total_cycles
                                if result.total_cycles else 0.0)}[key]


@dataclass(frozen=True)
class Row:
    """One compared quantity: its value in each run (None: the run has no such block/layer)."""

    level: str  # summary | block | layer
    name: str
    metric: str
    values: tuple[float | None, ...]
    fmt: str = "{:,.0f}"

    def delta(self, i: int) -> float | None:
        """(run i - baseline) / baseline, None when either is missing or the baseline is 0."""
        base, value = self.values[0], self.values[i]
        if base is None or value is None or base == 0:
            return None
        return (value - base) / base


@dataclass(frozen=True)
class Comparison:
    labels: tuple[str, ...]
    titles: tuple[str, ...]
    rows: tuple[Row, ...]

    def level(self, level: str) -> list[Row]:
        return [r for r in self.rows if r.level == level]


def run_labels(results: list[SimResult], names: list[str] | None = None) -> tuple[str, ...]:
    """Short distinct labels: the given names, else 'arch/model', numbered if still equal."""
    if names is None:
        archs = [r.arch_name for r in results]
        models = [str(r.model.get("name", "?")) for r in results]
        names = (archs if len(set(models)) == 1 else models if len(set(archs)) == 1
                 else [f"{a}/{m}" for a, m in zip(archs, models, strict=True)])
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if names.count(name) == 1 else f"{name} #{seen[name]}")
    return tuple(out)


def compare(results: list[SimResult], names: list[str] | None = None) -> Comparison:
    """Summary metrics, block slices (latency cycles) and layers (cycles) of each run."""
    from accelsim.analysis.views import run_title

    if len(results) < 2:
        raise ConfigError("compare needs two or more runs", expected="A.json B.json ...")
    rows = [Row("summary", label, key, tuple(_metric(r, key) for r in results), fmt)
            for label, key, fmt in SUMMARY_METRICS]
    blocks = [{b: hi - lo for b, lo, hi in block_slices(r)} for r in results]
    for block in _ordered(blocks):
        rows.append(Row("block", block, "latency_cycles",
                        tuple(b.get(block) for b in blocks)))
    layers = [{x.name: x.cycles for x in r.layers if not x.fused_into} for r in results]
    for name in _ordered(layers):
        rows.append(Row("layer", name, "cycles", tuple(x.get(name) for x in layers)))
    return Comparison(run_labels(results, names), tuple(run_title(r) for r in results),
                      tuple(rows))


def _ordered(maps: list[dict[str, Any]]) -> list[str]:
    """Keys of every map in first-appearance order (the baseline's first)."""
    return list(dict.fromkeys(k for m in maps for k in m))


def _cell(row: Row, value: float | None) -> str:
    return "" if value is None else row.fmt.format(value)


def _delta_text(value: float | None) -> str:
    return "" if value is None else f"{value:+.1%}"


def header(c: Comparison) -> list[str]:
    return ["level", "name", "metric", *c.labels,
            *(f"delta {label}" for label in c.labels[1:])]


def table_rows(c: Comparison, level: str | None = None) -> list[list[str]]:
    return [[r.level, r.name, r.metric, *(_cell(r, v) for v in r.values),
             *(_delta_text(r.delta(i)) for i in range(1, len(c.labels)))]
            for r in c.rows if level is None or r.level == level]


def comparison_csv(c: Comparison) -> str:
    """Every compared row; values with 6 significant digits, deltas as fractions."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["level", "name", "metric", *c.labels,
                     *(f"delta_{label}" for label in c.labels[1:])])
    for r in c.rows:
        writer.writerow([r.level, r.name, r.metric,
                         *("" if v is None else f"{v:.6g}" for v in r.values),
                         *("" if r.delta(i) is None else f"{r.delta(i):.6g}"
                           for i in range(1, len(c.labels)))])
    return buf.getvalue()


def comparison_json(c: Comparison) -> str:
    data = {"schema": "accelsim.compare/1", "labels": list(c.labels), "titles": list(c.titles),
            "rows": [{"level": r.level, "name": r.name, "metric": r.metric,
                      "values": list(r.values),
                      "deltas": [r.delta(i) for i in range(1, len(c.labels))]} for r in c.rows]}
    return json.dumps(data, indent=1, sort_keys=True)


def render_comparison(c: Comparison, console: Any, layers: int | None = 10) -> None:
    """Summary deltas, every block, and the ``layers`` layers whose cycles differ most (None:
    all) with rich; every cell is Text (no markup)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    runs = Table(title=Text("Compared runs (deltas against the first)"), box=box.SIMPLE_HEAD,
                 show_header=False)
    runs.add_column("")
    runs.add_column("", overflow="fold")
    for label, title in zip(c.labels, c.titles, strict=True):
        runs.add_row(Text(label), Text(title))
    console.print(runs)
    heads = [header(c)[1], *header(c)[3:]]
    for level, title in (("summary", "Summary"), ("block", "Per block: latency cycles"),
                         ("layer", "Per layer: cycles")):
        rows = [[r[1], *r[3:]] for r in table_rows(c, level)]
        if level == "layer":
            chosen = sorted(c.level("layer"), key=lambda r: -max(
                (abs(r.delta(i) or 0) for i in range(1, len(c.labels))), default=0))
            names = [r.name for r in (chosen if layers is None else chosen[:layers])]
            rows = [r for r in rows if r[0] in names]
            title = (f"{title}, the {len(rows)} that differ most" if layers is not None
                     else title)
        if not rows or layers == 0 and level == "layer":
            continue
        table = Table(title=Text(title), box=box.SIMPLE_HEAD, pad_edge=False)
        for i, head in enumerate(heads):
            table.add_column(Text(head), justify="left" if i < 1 else "right",
                             overflow="fold")
        for row in rows:
            table.add_row(*(Text(v) for v in row))
        console.print(table)


def comparison_html(c: Comparison, figure_svg: str = "", command: str = "",
                    version: str = "") -> str:
    """A self-contained page: the runs, summary/block/layer tables (sortable), the figure."""
    from accelsim.analysis.html import page, table

    parts = ["<h2>Runs</h2>", table(["label", "run"], [list(x) for x in
                                                        zip(c.labels, c.titles, strict=True)],
                                    left=2)]
    for level, title in (("summary", "Summary"), ("block", "Per block: latency cycles"),
                         ("layer", "Per layer: cycles")):
        parts.append(f"<h2>{title}</h2>")
        parts.append(table(header(c)[1:], [r[1:] for r in table_rows(c, level)], left=2,
                           sortable=level == "layer",
                           caption="delta: (run - first run) / first run"))
    if figure_svg:
        parts.insert(2, f"<h2>Per block</h2><div class=fig>{figure_svg}</div>")
    return page("accelsim compare: " + " vs ".join(c.labels), "".join(parts), command, version)


def comparison_figure(c: Comparison, figsize: tuple[float, float] | None = None,
                      style_name: str = "screen") -> Any:
    """Grouped bars of each block's latency slice per run (µs), the total latency and its delta
    in the legend."""
    from matplotlib.figure import Figure

    from accelsim.analysis.plots import (
        DPI,
        MIN_FONT_PT,
        default_figsize,
        safe_text,
        series_styles,
        style,
    )

    blocks = c.level("block")
    latency = next(r for r in c.rows if r.metric == "latency_ms")
    with style(style_name):
        size = figsize or default_figsize(style_name, 1.2)
        fig = Figure(figsize=size, dpi=DPI, layout="constrained")
        ax = fig.subplots()
        n = len(c.labels)
        height = 0.8 / n
        clock_us = [1e3 * (lat or 0) / (cyc or 1) for lat, cyc in
                    zip(latency.values, c.rows[0].values, strict=True)]  # µs per cycle
        styles = series_styles(n)
        for i, label in enumerate(c.labels):
            values = [(r.values[i] or 0) * clock_us[i] for r in blocks]
            delta = latency.delta(i) if i else None
            text = f"{safe_text(label)}: {latency.values[i]:.4g} ms" + (
                f" ({delta:+.1%})" if delta is not None else " (baseline)" if not i else "")
            ax.barh([y + (i - (n - 1) / 2) * height for y in range(len(blocks))], values,
                    height=height, color=styles[i]["color"], label=text,
                    hatch=styles[i]["hatch"], edgecolor="white", linewidth=0.3)
        ax.set_yticks(list(range(len(blocks))), [safe_text(r.name) for r in blocks],
                      fontsize=MIN_FONT_PT)
        ax.invert_yaxis()
        ax.set_xlabel("latency slice of the block (µs)")
        ax.set_title("Per-block latency, compared")
        ax.grid(True, axis="x", alpha=0.3)
        fig.legend(loc="outside lower center", frameon=False, ncol=1)
    return fig
