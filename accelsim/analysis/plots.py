"""Figures: roofline (log-log) and latency breakdown. Functions return matplotlib Figures built
without pyplot, so importing this module never changes the caller's backend (notebooks keep
inline plots); they never call ``show()``. Save with ``fig.savefig(path)`` (FIGSIZE x DPI)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from accelsim.analysis.breakdown import LatencyBreakdown, latency_breakdown
from accelsim.analysis.records import SimResult
from accelsim.analysis.roofline import Placement, Roofs
from accelsim.analysis.views import run_title

FIGSIZE = (12.0, 6.5)  # inches
DPI = 100  # -> 1200 x 650 pixels
KIND_COLORS = {"gemm": "tab:blue", "matmul": "tab:purple", "softmax": "tab:red",
               "layernorm": "tab:green", "gelu": "tab:orange", "add": "tab:brown",
               "requant": "tab:cyan", "pool": "tab:olive"}  # grey is the reference device
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
    layers bound by a buffer read port (``bound == "on-chip"``; that roof is per layer, not a
    line) get a black edge. An optional reference device's roofs and analytical points are
    drawn in grey and named in the title. ``analytical``: the placements come from the
    survey's counting convention, not from a simulation. The legend uses proxy handles, one
    filled marker per kind whatever its first layer looks like."""
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
    _draw_roofs(ax, roofs, (lo, hi), "black", f"{roofs.arch} ")
    if reference:
        _draw_roofs(ax, reference[0], (lo, hi), "darkgray", f"{reference[0].arch} ")
        ax.scatter([p.intensity for p in ref_pts], [p.attained_ops_per_s for p in ref_pts],
                   marker="x", color="darkgray", s=30,
                   label=f"{reference[0].arch} layers (analytical)")
    kinds: dict[str, None] = {}
    for p in placements:
        color = KIND_COLORS.get(p.kind, "black")
        kinds.setdefault(p.kind)
        edge = "black" if p.bound == "on-chip" else "none"
        if math.isfinite(p.intensity) and p.intensity > 0:
            ax.scatter([p.intensity], [p.attained_ops_per_s], color=color, s=28, alpha=0.8,
                       edgecolors=edge, linewidths=1.2)
        elif p.attained_ops_per_s > 0:
            ax.scatter([hi / 1.5], [p.attained_ops_per_s], facecolors="none", edgecolors=color,
                       s=28, linewidths=1.2)
            if p.bound == "on-chip":
                ax.scatter([hi / 1.5], [p.attained_ops_per_s], facecolors="none",
                           edgecolors="black", s=70, linewidths=1.0)
    handles, _ = ax.get_legend_handles_labels()
    handles += [_marker(KIND_COLORS.get(k, "black"), k) for k in kinds]
    if any(not (math.isfinite(p.intensity) and p.intensity > 0) for p in placements):
        handles.append(_marker("none", "hollow, at the right edge: no DRAM traffic "
                                       "(fused on chip)", edge="dimgray"))
    if any(p.bound == "on-chip" for p in placements):
        handles.append(_marker("lightgray", "black edge: on-chip bound (busiest buffer read "
                                            "port;\nits roof is per layer, not drawn)",
                               edge="black"))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ys = [p.attained_ops_per_s for p in [*placements, *ref_pts] if p.attained_ops_per_s > 0]
    ax.set_ylim(10 ** math.floor(math.log10(min(ys + [lo * roofs.dram_bytes_per_s]))),
                10 ** math.ceil(math.log10(max(tops) * 1.5)))
    own = ("analytical: each tensor read or written once" if analytical
           else "as simulated, after tiling and fusion")
    if reference:
        ax.set_xlabel(f"arithmetic intensity (ops per DRAM byte)\n{roofs.arch} points (o): "
                      f"{own}; {reference[0].arch} points (x): analytical, each tensor read or "
                      "written once", fontsize=9)
        precisions = "/".join(sorted({p.precision for p in ref_pts}))
        title = (f"{title}\nvs. {reference[0].arch} ({precisions}; grey: analytical "
                 "reference, survey convention)")
    else:
        ax.set_xlabel(f"arithmetic intensity (ops per DRAM byte, {own})")
    ax.set_ylabel("attained performance (ops/s)")
    ax.set_title(title, fontsize=11)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
              frameon=False)
    fig.subplots_adjust(left=0.08, right=0.64, top=0.9, bottom=0.13)
    return fig


def _marker(face: str, label: str, edge: str = "none") -> Line2D:
    """A legend proxy: one round marker."""
    return Line2D([], [], linestyle="", marker="o", markersize=6, markerfacecolor=face,
                  markeredgecolor=edge, markeredgewidth=1.2, label=label)


def breakdown_figure(breakdown: LatencyBreakdown, title: str) -> Figure:
    """Latency breakdown (accelsim.analysis.breakdown). Left: the blocks' slices of the
    end-to-end latency (they sum to it), each bar split into array busy / array stalled or
    idle, with a thin bar of the time any non-array unit (SFU, vector) computes. Right: each
    unit's and the DRAM channel's busy time against the total latency (they overlap in time,
    so they do not sum). Times in microseconds."""
    b = breakdown
    us = 1e6 / b.clock_hz
    total_us = b.total_cycles * us
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    left = fig.add_subplot(1, 2, 1)
    right = fig.add_subplot(1, 2, 2)
    ys = range(len(b.blocks))
    busy = [x.array_busy_cycles * us for x in b.blocks]
    slices = [x.latency_cycles * us for x in b.blocks]
    left.barh([y - 0.1 for y in ys], busy, height=0.55, color="tab:blue")
    left.barh([y - 0.1 for y in ys], [s - a for s, a in zip(slices, busy, strict=True)],
              left=busy, height=0.55, color="#d4d4d4")
    left.barh([y + 0.3 for y in ys], [x.sfu_busy_cycles * us for x in b.blocks], height=0.16,
              color="tab:orange")
    for y, x, width in zip(ys, b.blocks, slices, strict=True):
        share = x.latency_cycles / b.total_cycles if b.total_cycles else 0.0
        array = x.array_busy_cycles / x.latency_cycles if x.latency_cycles else 0.0
        left.text(width, y, f" {share:.1%} | array {_pct(array)} | PE {_pct(x.pe_utilization)}",
                  va="center", fontsize=7)
    left.set_yticks(list(ys), [x.block for x in b.blocks], fontsize=8)
    left.invert_yaxis()
    left.set_xlim(0, max(slices + [1e-9]) * 1.55)
    left.set_xlabel("latency (us); label: share of latency | array busy | PE utilization")
    left.set_title(f"per block: slices of the end-to-end latency (sum {total_us:,.0f} us)",
                   fontsize=10)
    left.grid(True, axis="x", alpha=0.3)

    rows = [(u.unit, u.busy_cycles, f"{'PE' if u.unit == 'array' else 'lane'} utilization "
                                     f"while busy {_pct(u.utilization_busy)}")
            for u in b.units] + [("DRAM channel", b.dram_busy_cycles, "transferring")]
    yr = range(len(rows))
    right.barh(list(yr), [total_us] * len(rows), height=0.6, color="none",
               edgecolor="#a0a0a0", linestyle="--")
    right.barh(list(yr), [c * us for _, c, _ in rows], height=0.6,
               color=["tab:blue" if name == "array" else "tab:green" if name == "DRAM channel"
                      else "tab:orange" for name, _, _ in rows])
    for y, (_, cycles, note) in zip(yr, rows, strict=True):
        share = cycles / b.total_cycles if b.total_cycles else 0.0
        right.text(max(cycles * us, total_us), y, f" {share:.1%} of latency\n ({note})",
                   va="center", fontsize=7)
    right.axvline(total_us, color="black", lw=1)
    right.set_yticks(list(yr), [name for name, _, _ in rows], fontsize=8)
    right.invert_yaxis()
    right.set_xlim(0, total_us * 1.55)
    right.set_xlabel("busy time (us); dashed box and line: end-to-end latency")
    right.set_title("per unit: busy time vs. latency (units overlap: shares do not sum)",
                    fontsize=10)
    right.grid(True, axis="x", alpha=0.3)

    handles = [Patch(color="tab:blue", label="array busy (computing)"),
               Patch(color="#d4d4d4", label="array stalled or idle (DRAM, dependencies, "
                                           "SRAM ports, non-linear units)"),
               Patch(color="tab:orange", label="SFU / vector unit busy (overlaps the array)"),
               Patch(color="tab:green", label="DRAM channel busy")]
    fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 0.03))
    source = ("busy time placed exactly from the event log" if b.from_event_log else
              "busy time estimated: no event log, each layer's busy cycles spread over its "
              "span")
    fig.text(0.01, 0.005, "block i owns the cycles from the end of the previous blocks' last "
             f"layer to the end of its own; {source}", fontsize=7, color="dimgray")
    fig.suptitle(f"Latency breakdown: {title}\n{b.total_cycles:,} cycles = "
                 f"{total_us / 1e3:.4g} ms, PE utilization {b.pe_utilization:.1%} of latency",
                 fontsize=11)
    fig.subplots_adjust(left=0.08, right=0.98, wspace=0.3, top=0.86, bottom=0.22)
    return fig


def _pct(value: float) -> str:
    """A share with two significant digits below 10% ('4.2%'), none above ('94%')."""
    return f"{value:.0%}" if value >= 0.095 else f"{value:.1%}"


def literal_texts(fig: Figure) -> Figure:
    """Turn mathtext off in every title, axis label, legend entry and annotation of ``fig``:
    they carry user names (a model or op named ``$\\foo{$`` must print as typed, not fail to
    parse). Tick labels keep it (log axes write their powers of ten in mathtext)."""
    texts = [*fig.texts]
    if getattr(fig, "_suptitle", None) is not None:
        texts.append(fig._suptitle)
    for ax in fig.axes:
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label,
                  *ax.texts]
        legend = ax.get_legend()
        if legend is not None:
            texts += legend.get_texts()
    for legend in fig.legends:
        texts += legend.get_texts()
    for text in texts:
        text.set_parse_math(False)
    return fig


def figure_png(fig: Figure, dpi: int = DPI) -> bytes:
    """PNG bytes of a figure (for files and the HTML report); its texts print literally
    (literal_texts); no software version in the metadata, so the bytes depend on the data only."""
    import io

    buf = io.BytesIO()
    literal_texts(fig).savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


# ----------------------------------------------------------------- one call from a SimResult
def result_breakdown_figure(result: SimResult) -> Figure:
    """The latency breakdown of a run (exact busy time when it kept its event log)."""
    return breakdown_figure(latency_breakdown(result), run_title(result))


def result_roofline_figure(result: SimResult,
                           reference: tuple[Roofs, Sequence[Placement]] | None = None) -> Figure:
    """The roofline of a run, optionally with a reference device's roofs and points
    (``accelsim.analysis.roofline.reference_placements``)."""
    from accelsim.analysis.roofline import place_result

    roofs, placements = place_result(result)
    return roofline_figure(roofs, placements, f"Roofline: {run_title(result)}", reference)
