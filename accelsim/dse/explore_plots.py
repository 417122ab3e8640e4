"""Plots of an exploration: 2-D fronts per objective pair, the 3-D front, hypervolume per trial.

Each function takes the rows of accelsim.dse.explore (one per trial) and returns a matplotlib
Figure (Agg, pyplot-free), never shows it. Only simulated designs appear; infeasible ones are
drawn faintly so the budgets' effect stays visible.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from accelsim.dse.pareto import pareto_mask
from accelsim.dse.results import Objective, candidates, minimized

Record = dict[str, Any]
#: the files save_plots writes (the 3-D front only with three or more objectives)
PLOT_FILES = ("explore_fronts.png", "explore_front_3d.png", "explore_hypervolume.png")
_UNITS = {"latency_ms": "latency (ms)", "energy_mj": "energy per inference (mJ)",
          "area_mm2": "area (mm^2)", "energy_avg_power_w": "average power (W)",
          "fps": "throughput (frames/s)", "total_cycles": "cycles"}


def _label(objective: Objective) -> str:
    return _UNITS.get(objective.column, objective.column) + \
        (" [max]" if objective.maximize else "")


def _log_scale(values: Sequence[float]) -> bool:
    positive = [v for v in values if v > 0]
    return len(positive) == len(values) and bool(values) and max(values) / min(values) > 20


def _simulated(rows: Sequence[Record]) -> list[Record]:
    return [r for r in rows if r.get("status") == "ok" and r.get("duplicate_of") is None]


def plot_fronts(rows: Sequence[Record], objectives: Sequence[Objective]) -> Figure:
    """One panel per pair of objectives: infeasible designs (x), feasible ones (grey), the
    pair's own 2-D Pareto front (red steps) and the designs on the full front (outlined)."""
    pairs = list(itertools.combinations(objectives, 2)) or [(objectives[0], objectives[0])]
    fig = Figure(figsize=(5.2 * len(pairs), 4.4), layout="constrained")
    axes = fig.subplots(1, len(pairs), squeeze=False)[0]
    feasible = candidates(rows)
    infeasible = [r for r in _simulated(rows) if not r.get("feasible")]
    for ax, (a, b) in zip(axes, pairs, strict=True):
        ax.scatter([r[a.column] for r in infeasible], [r[b.column] for r in infeasible],
                   marker="x", color="tab:red", alpha=0.25, s=18, label="infeasible")
        ax.scatter([r[a.column] for r in feasible], [r[b.column] for r in feasible],
                   color="tab:gray", alpha=0.6, s=18, label="feasible")
        on_front = [r for r in feasible if r.get("pareto")]
        ax.scatter([r[a.column] for r in on_front], [r[b.column] for r in on_front],
                   facecolors="none", edgecolors="black", s=46, label="Pareto (all objectives)")
        vectors = [minimized(r, (a, b)) for r in feasible]
        front = sorted((r for r, keep in zip(feasible, pareto_mask(vectors), strict=True)
                        if keep), key=lambda r: minimized(r, (a, b)))
        ax.plot([r[a.column] for r in front], [r[b.column] for r in front], color="tab:red",
                marker="o", markersize=4, drawstyle="steps-post", label="front of this pair")
        for axis, objective, setter in ((ax.xaxis, a, ax.set_xscale), (ax.yaxis, b,
                                                                        ax.set_yscale)):
            if _log_scale([r[objective.column] for r in _simulated(rows)]):
                setter("log")
            axis.set_label_text(_label(objective))
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="upper right")
    fig.suptitle(f"Pareto fronts by objective pair ({len(feasible)} feasible of "
                 f"{len(_simulated(rows))} simulated designs; lower-left is better)")
    return fig


def plot_front_3d(rows: Sequence[Record], objectives: Sequence[Objective]) -> Figure:
    """The first three objectives in 3-D: feasible designs (grey) and the Pareto front
    (colored by the first objective)."""
    a, b, c = objectives[:3]
    fig = Figure(figsize=(7.5, 6.2), layout="constrained")
    ax = fig.add_subplot(projection="3d")
    feasible = candidates(rows)
    rest = [r for r in feasible if not r.get("pareto")]
    front = [r for r in feasible if r.get("pareto")]
    ax.scatter([r[a.column] for r in rest], [r[b.column] for r in rest],
               [r[c.column] for r in rest], color="tab:gray", alpha=0.35, s=12,
               label="dominated")
    points = ax.scatter([r[a.column] for r in front], [r[b.column] for r in front],
                        [r[c.column] for r in front], c=[r[a.column] for r in front],
                        cmap="viridis", s=40, edgecolors="black", label="Pareto front")
    ax.set_xlabel(_label(a), fontsize=8)
    ax.set_ylabel(_label(b), fontsize=8)
    ax.set_zlabel(_label(c), fontsize=8)
    ax.legend(fontsize=7, loc="upper left")
    if front:
        fig.colorbar(points, ax=ax, shrink=0.6, label=_label(a))
    ax.set_title(f"Pareto front: {len(front)} of {len(feasible)} feasible designs", fontsize=10)
    return fig


def plot_hypervolume(rows: Sequence[Record], reference: Sequence[float],
                     objectives: Sequence[Objective]) -> Figure:
    """Hypervolume of the feasible front after each trial, with the reference point."""
    fig = Figure(figsize=(7.5, 4.0), layout="constrained")
    ax = fig.subplots()
    ax.step([r["trial"] for r in rows], [r["hypervolume"] for r in rows], where="post",
            color="tab:blue")
    new = [r for r in rows if r.get("pareto")]
    ax.scatter([r["trial"] for r in new], [r["hypervolume"] for r in new], s=14,
               color="tab:red", zorder=3, label="trial on the final front")
    ax.set_xlabel("trial")
    ax.set_ylabel("hypervolume (product of objective units)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    ref = ", ".join(f"{o.column}={(-v if o.maximize else v):.4g}"
                    for o, v in zip(objectives, reference, strict=True))
    ax.set_title(f"Hypervolume per trial (reference point {ref})", fontsize=9)
    return fig


def save_plots(rows: Sequence[Record], objectives: Sequence[Objective],
               reference: Sequence[float], folder: str | Path) -> list[Path]:
    """Write the exploration plots (PLOT_FILES) into ``folder``, each atomically
    (accelsim.fileio.write_atomic); returns their paths (none without a simulated design; no
    3-D front with fewer than three objectives)."""
    from accelsim.analysis.plots import figure_png, literal_texts
    from accelsim.errors import ConfigError
    from accelsim.fileio import write_atomic

    folder = Path(folder)
    if not _simulated(rows):
        return []
    made = [(PLOT_FILES[0], plot_fronts(rows, objectives))]
    if len(objectives) >= 3:
        made.append((PLOT_FILES[1], plot_front_3d(rows, objectives)))
    made.append((PLOT_FILES[2], plot_hypervolume(rows, reference, objectives)))
    paths = []
    for name, fig in made:
        write_atomic(folder / name, figure_png(literal_texts(fig), dpi=110), ConfigError,
                     flag="--plot-dir")
        paths.append(folder / name)
    return paths
