"""Figures: roofline (log-log) and latency breakdown. Functions return matplotlib Figures built
without pyplot, so importing this module never changes the caller's backend (notebooks keep
inline plots); they never call ``show()``. Save with ``fig.savefig(path)`` (FIGSIZE x DPI)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib.figure import Figure

from accelsim.analysis.records import SimResult
from accelsim.analysis.roofline import GroupRow, Placement, Roofs

FIGSIZE = (12.0, 6.5)  # inches
DPI = 100  # -> 1200 x 650 pixels
KIND_COLORS = {"gemm": "tab:blue", "matmul": "tab:purple", "softmax": "tab:red",
               "layernorm": "tab:green", "gelu": "tab:orange", "add": "tab:brown",
               "requant": "tab:gray", "pool": "tab:olive"}
_PRECISION_STYLES = ("-", "--", "-.", ":")


def _si(value: float, unit: str) -> str:
    for factor, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def _draw_roofs(ax, roofs: Roofs, xs: tuple[float, float], color: str, tag: str = "") -> None:
    lo, hi = xs
    for i, (precision, peak) in enumerate(sorted(roofs.compute_ops_per_s.items(),
                                                 key=lambda kv: kv[1])):
        ridge = peak / roofs.dram_bytes_per_s
        style = _PRECISION_STYLES[i % len(_PRECISION_STYLES)]
        ax.plot([max(ridge, lo), hi], [peak, peak], style, color=color, lw=2,
                label=f"{tag}{precision} compute {_si(peak, 'OPS')} (ridge {ridge:.3g} ops/B)")
    top = max(roofs.compute_ops_per_s.values())
    ridge = top / roofs.dram_bytes_per_s
    ax.plot([lo, ridge], [lo * roofs.dram_bytes_per_s, top], "-", color=color, lw=2, alpha=0.6,
            label=f"{tag}DRAM {_si(roofs.dram_bytes_per_s, 'B/s')}")


def roofline_figure(roofs: Roofs, placements: Sequence[Placement], title: str,
                    reference: tuple[Roofs, Sequence[Placement]] | None = None,
                    analytical: bool = False) -> Figure:
    """Log-log roofline: labelled roofs, one marker per layer coloured by op kind; layers
    with no DRAM bytes (fused on chip) are drawn at the right edge with a hollow marker;
    an optional reference device's roofs and analytical points in grey. ``analytical``: the
    placements come from the survey's counting convention, not from a simulation."""
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    ax = fig.add_subplot(1, 1, 1)
    finite = [p.intensity for p in placements if math.isfinite(p.intensity) and p.intensity > 0]
    ref_pts = list(reference[1]) if reference else []
    finite += [p.intensity for p in ref_pts if math.isfinite(p.intensity) and p.intensity > 0]
    tops = [max(roofs.compute_ops_per_s.values())]
    if reference:
        tops.append(max(reference[0].compute_ops_per_s.values()))
        tops.append(max(reference[0].compute_ops_per_s.values()) /
                    reference[0].dram_bytes_per_s)
    ridge = max(roofs.compute_ops_per_s.values()) / roofs.dram_bytes_per_s
    lo = 10 ** math.floor(math.log10(min(finite + [ridge]) / 2))
    hi = 10 ** math.ceil(math.log10(max(finite + [ridge * 10] + tops[2:]) * 2))
    _draw_roofs(ax, roofs, (lo, hi), "black")
    if reference:
        _draw_roofs(ax, reference[0], (lo, hi), "darkgray", f"{reference[0].arch} ")
        ax.scatter([p.intensity for p in ref_pts], [p.attained_ops_per_s for p in ref_pts],
                   marker="x", color="darkgray", s=30,
                   label=f"{reference[0].arch} layers (analytical)")
    seen: set[str] = set()
    for p in placements:
        color = KIND_COLORS.get(p.kind, "black")
        label = p.kind if p.kind not in seen else None
        seen.add(p.kind)
        if math.isfinite(p.intensity) and p.intensity > 0:
            ax.scatter([p.intensity], [p.attained_ops_per_s], color=color, s=28, alpha=0.8,
                       label=label, edgecolors="none")
        elif p.attained_ops_per_s > 0:
            ax.scatter([hi / 1.5], [p.attained_ops_per_s], facecolors="none", edgecolors=color,
                       s=28, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ys = [p.attained_ops_per_s for p in [*placements, *ref_pts] if p.attained_ops_per_s > 0]
    ax.set_ylim(10 ** math.floor(math.log10(min(ys + [lo * roofs.dram_bytes_per_s]))),
                10 ** math.ceil(math.log10(max(tops) * 1.5)))
    ax.set_xlabel("arithmetic intensity (ops per DRAM byte, "
                  + ("analytical: inputs read and outputs written once)" if analytical
                     else "as simulated)"))
    ax.set_ylabel("attained performance (ops/s)")
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    if any(not (math.isfinite(p.intensity) and p.intensity > 0) for p in placements):
        ax.text(0.99, 0.01, "hollow markers at right: no DRAM traffic (fused on chip)",
                transform=ax.transAxes, ha="right", va="bottom", fontsize=8, color="dimgray")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.subplots_adjust(left=0.08, right=0.66, top=0.92, bottom=0.1)
    return fig


def breakdown_figure(by_block: Sequence[GroupRow], by_unit: Sequence[GroupRow], title: str,
                     clock_hz: float) -> Figure:
    """Latency breakdown: compute time per block (left, bars stacked by nothing: one bar per
    block) and per unit (right), in microseconds, with each bar's share."""
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    left = fig.add_subplot(1, 2, 1)
    right = fig.add_subplot(1, 2, 2)
    for ax, rows, what in ((left, by_block, "block"), (right, by_unit, "unit")):
        names = [r.key for r in rows]
        micro = [r.compute_cycles / clock_hz * 1e6 for r in rows]
        bars = ax.barh(range(len(rows)), micro, color="tab:blue" if what == "block" else
                       "tab:orange")
        ax.set_yticks(range(len(rows)), names, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("compute time (us, sum of busy cycles / clock)")
        ax.set_title(f"per {what}")
        for bar, row in zip(bars, rows, strict=True):
            ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {row.share:.1%}",
                    va="center", fontsize=7)
        ax.set_xlim(0, max(micro + [1e-9]) * 1.18)
        ax.grid(True, axis="x", alpha=0.3)
    fig.suptitle(title)
    fig.subplots_adjust(left=0.1, right=0.97, wspace=0.35, top=0.88, bottom=0.1)
    return fig


def figure_png(fig: Figure) -> bytes:
    """PNG bytes of a figure (for files and the HTML report)."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


# ----------------------------------------------------------------- one call from a SimResult
def run_title(result: SimResult) -> str:
    """'vit_base @ 224 (sole) on sole': what a figure's title says about the run."""
    m = result.model
    return (f"{m.get('model') or m.get('name')} @ {m.get('image_size')} ({m.get('quant')}) on "
            f"{result.arch_name}")


def result_breakdown_figure(result: SimResult) -> Figure:
    """The latency breakdown (per block and per unit) of a run."""
    from accelsim.analysis.roofline import group_layers

    return breakdown_figure(group_layers(result, "block"), group_layers(result, "unit"),
                            f"Latency breakdown: {run_title(result)}", result.clock_hz)


def result_roofline_figure(result: SimResult,
                           reference: tuple[Roofs, Sequence[Placement]] | None = None) -> Figure:
    """The roofline of a run, optionally with a reference device's roofs and points
    (``accelsim.analysis.roofline.reference_placements``)."""
    from accelsim.analysis.roofline import place_result

    roofs, placements = place_result(result)
    return roofline_figure(roofs, placements, f"Roofline: {run_title(result)}", reference)
