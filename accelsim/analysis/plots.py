"""Figures: roofline (log-log) and latency breakdown. Functions return matplotlib Figures built
without pyplot, so importing this module never changes the caller's backend (notebooks keep
inline plots); they never call ``show()``. Save with ``save_figure`` / ``figure_bytes``: PNG,
SVG or PDF by the file's suffix, at FIGSIZE x DPI unless told otherwise.

Styles: ``screen`` (FIGSIZE, DPI) and ``paper`` (a 3.5-inch single column, 300 dpi); in both
every text is at least 8 pt at the figure's size (MIN_FONT_PT; tests check each text artist).
Times in microseconds (µs). Names from the user (arch, model, trace names) are drawn
verbatim: ``$`` is escaped so matplotlib never reads them as mathtext (``safe_text``)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from accelsim.analysis.breakdown import LatencyBreakdown, latency_breakdown
from accelsim.analysis.records import SimResult
from accelsim.analysis.roofline import Placement, Roofs
from accelsim.analysis.views import run_title

FIGSIZE = (12.0, 6.5)  # inches
DPI = 150  # -> 1800 x 975 pixels
PAPER_WIDTH_IN = 3.5  # one column of a two-column paper (IEEE, ACM)
PAPER_DPI = 300
MIN_FONT_PT = 8.0
FORMATS = ("png", "svg", "pdf")
#: rcParams of each style: base font sizes chosen so that "small" (x0.833) stays >= 8 pt
STYLES = {
    "screen": {"font.size": 10.0, "axes.titlesize": 10.0, "axes.labelsize": 10.0,
               "xtick.labelsize": 9.0, "ytick.labelsize": 9.0, "legend.fontsize": 9.0,
               "figure.titlesize": 11.0},
    "paper": {"font.size": 9.6, "axes.titlesize": 9.0, "axes.labelsize": 9.0,
              "xtick.labelsize": 8.0, "ytick.labelsize": 8.0, "legend.fontsize": 8.0,
              "figure.titlesize": 9.0, "lines.linewidth": 1.0, "lines.markersize": 4.0,
              "font.family": "serif", "pdf.fonttype": 42, "svg.fonttype": "none"},
}
#: annotations in a figure: the smallest size allowed
SMALL = MIN_FONT_PT
KIND_COLORS = {"gemm": "tab:blue", "matmul": "tab:purple", "softmax": "tab:red",
               "layernorm": "tab:green", "gelu": "tab:orange", "add": "tab:brown",
               "requant": "tab:cyan", "pool": "tab:olive"}  # grey is the reference device
_PRECISION_STYLES = ("-", "--", "-.", ":")


#: colours (colour-blind safe, Okabe-Ito), markers and line styles of a figure's series:
#: each series differs from the others in at least colour and marker
SERIES_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
                 "#000000", "#F0E442")
SERIES_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p")
SERIES_LINES = ("-", "--", "-.", ":")
SERIES_HATCHES = ("", "//", "..", "xx", "\\\\", "++", "oo", "--")


def series_styles(n: int) -> list[dict[str, str]]:
    """``n`` distinct styles (colour, marker, line style, hatch): colours, markers and line
    styles cycle with periods 8, 12 and 4, so no two of the first 24 series look alike, and
    series drawn on top of each other stay distinguishable (dashes, hollow markers)."""
    return [{"color": SERIES_COLORS[i % len(SERIES_COLORS)],
             "marker": SERIES_MARKERS[i % len(SERIES_MARKERS)],
             "linestyle": SERIES_LINES[i % len(SERIES_LINES)],
             "hatch": SERIES_HATCHES[(i // len(SERIES_COLORS)) % len(SERIES_HATCHES)]}
            for i in range(n)]


def safe_text(text: str) -> str:
    """A user-supplied name as literal figure text: ``$`` would start mathtext."""
    return text.replace("$", r"\$")


def style(name: str = "screen"):
    """Context manager of a figure style's rcParams (build the figure inside it)."""
    import matplotlib

    if name not in STYLES:
        from accelsim.errors import ConfigError

        raise ConfigError("unknown figure style", key="--style", value=name,
                          expected=" | ".join(STYLES))
    return matplotlib.rc_context(STYLES[name])


def default_figsize(name: str, aspect: float = 0.8) -> tuple[float, float]:
    """FIGSIZE on screen; a 3.5-inch column x (3.5 x aspect) on paper."""
    return FIGSIZE if name == "screen" else (PAPER_WIDTH_IN, round(PAPER_WIDTH_IN * aspect, 2))


def _wrap(text: str, width_in: float, font_pt: float) -> str:
    """Wrap a title to the figure's width (about 0.55 em per character)."""
    import textwrap

    chars = max(20, int(width_in * 72 / (font_pt * 0.55)))
    return "\n".join(textwrap.fill(line, chars) for line in text.split("\n"))


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
                    analytical: bool = False, fused: Iterable[str] = (),
                    figsize: tuple[float, float] | None = None,
                    style_name: str = "screen") -> Figure:
    """Log-log roofline: labelled roofs, one marker per layer coloured by op kind; layers
    with no DRAM bytes (fused on chip) are drawn at the right edge with a hollow marker;
    layers bound by a buffer read port (``bound == "on-chip"``; that roof is per layer, not a
    line) get a black edge. ``fused``: names of epilogues run in a host GEMM's output path
    (LayerResult.fused_into); they are not drawn, since their time is the host's (a fused
    requant would sit orders of magnitude under its roof). An optional reference device's
    roofs and analytical points are drawn in grey and named in the title. ``analytical``: the
    placements come from the survey's counting convention, not from a simulation. The legend
    (outside the axes) uses proxy handles, one filled marker per kind."""
    with style(style_name):
        return _roofline(roofs, placements, title, reference, analytical, set(fused),
                         figsize or default_figsize(style_name, 1.45), style_name == "paper")


def _roofline(roofs: Roofs, placements: Sequence[Placement], title: str,
              reference: tuple[Roofs, Sequence[Placement]] | None, analytical: bool,
              fused: set[str], figsize: tuple[float, float], paper: bool) -> Figure:
    fig = Figure(figsize=figsize, dpi=DPI, layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    hidden = [p for p in placements if p.name in fused]
    placements = [p for p in placements if p.name not in fused]
    finite = [p.intensity for p in placements if math.isfinite(p.intensity) and p.intensity > 0]
    ref_pts = list(reference[1]) if reference else []
    finite += [p.intensity for p in ref_pts if math.isfinite(p.intensity) and p.intensity > 0]
    tops = [max(roofs.compute_ops_per_s.values())]
    if reference:
        tops.append(max(reference[0].compute_ops_per_s.values()))
        tops.append(max(reference[0].compute_ops_per_s.values()) /
                    reference[0].dram_bytes_per_s)
    ridge = max(roofs.compute_ops_per_s.values()) / roofs.dram_bytes_per_s
    ridges = [ridge] + ([max(reference[0].compute_ops_per_s.values()) /
                         reference[0].dram_bytes_per_s] if reference else [])
    lo = 10 ** math.floor(math.log10(min(finite + ridges) / 2))
    # right edge: a decade past the largest intensity or ridge, plus room for hollow markers
    hi = 10 ** math.ceil(math.log10(max(finite + ridges) * 3))
    hollow_x = hi / 1.8
    _draw_roofs(ax, roofs, (lo, hi), "black", f"{safe_text(roofs.arch)} ")
    if reference:
        _draw_roofs(ax, reference[0], (lo, hi), "darkgray", f"{safe_text(reference[0].arch)} ")
        ax.scatter([p.intensity for p in ref_pts], [p.attained_ops_per_s for p in ref_pts],
                   marker="x", color="darkgray", s=30,
                   label=f"{safe_text(reference[0].arch)} layers (analytical)")
    kinds: dict[str, None] = {}
    size = 14 if paper else 28
    for p in placements:
        color = KIND_COLORS.get(p.kind, "black")
        kinds.setdefault(p.kind)
        edge = "black" if p.bound == "on-chip" else "none"
        if math.isfinite(p.intensity) and p.intensity > 0:
            ax.scatter([p.intensity], [p.attained_ops_per_s], color=color, s=size, alpha=0.8,
                       edgecolors=edge, linewidths=1.0)
        elif p.attained_ops_per_s > 0:
            ax.scatter([hollow_x], [p.attained_ops_per_s], facecolors="none", edgecolors=color,
                       s=size, linewidths=1.0)
            if p.bound == "on-chip":
                ax.scatter([hollow_x], [p.attained_ops_per_s], facecolors="none",
                           edgecolors="black", s=size * 2.5, linewidths=0.8)
    handles, _ = ax.get_legend_handles_labels()
    handles += [_marker(KIND_COLORS.get(k, "black"), k) for k in kinds]
    if any(not (math.isfinite(p.intensity) and p.intensity > 0) for p in placements):
        handles.append(_marker("none", "hollow, right edge: no DRAM traffic" if paper else
                               "hollow, at the right edge: no DRAM traffic (fused on chip)",
                               edge="dimgray"))
    if any(p.bound == "on-chip" for p in placements):
        handles.append(_marker("lightgray", "black edge: on-chip bound" if paper else
                               "black edge: on-chip bound (busiest buffer read port;\nits roof "
                               "is per layer, not drawn)", edge="black"))
    if hidden:
        handles.append(Line2D([], [], linestyle="", label=f"{len(hidden)} fused epilogues not "
                              "drawn" + ("" if paper else ":\ntheir time is their host GEMM's")))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ys = [p.attained_ops_per_s for p in [*placements, *ref_pts] if p.attained_ops_per_s > 0]
    ax.set_ylim(10 ** math.floor(math.log10(min(ys + [lo * roofs.dram_bytes_per_s]))),
                10 ** math.ceil(math.log10(max(tops) * 1.5)))
    own = ("analytical: each tensor read or written once" if analytical
           else "as simulated, after tiling and fusion")
    if reference:
        ax.set_xlabel(f"arithmetic intensity (ops per DRAM byte)\n{safe_text(roofs.arch)} "
                      f"points (o): {own};\n{safe_text(reference[0].arch)} points (x): "
                      "analytical, each tensor read or written once")
        precisions = "/".join(sorted({p.precision for p in ref_pts}))
        title = (f"{title}\nvs. {reference[0].arch} ({precisions}; grey: analytical "
                 "reference, survey convention)")
    else:
        ax.set_xlabel(f"arithmetic intensity (ops per DRAM byte,\n{own})")
    ax.set_ylabel("attained performance (ops/s)")
    width = figsize[0] if paper else figsize[0] * 0.62
    ax.set_title(_wrap(safe_text(title), width, STYLES["paper" if paper else "screen"]
                       ["axes.titlesize"]))
    ax.grid(True, which="major", alpha=0.3)
    if paper:
        fig.legend(handles=handles, loc="outside lower center", frameon=False, ncol=1,
                   handletextpad=0.3, borderaxespad=0.2)
    else:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  frameon=False)
    return fig


def _marker(face: str, label: str, edge: str = "none") -> Line2D:
    """A legend proxy: one round marker."""
    return Line2D([], [], linestyle="", marker="o", markersize=6, markerfacecolor=face,
                  markeredgecolor=edge, markeredgewidth=1.2, label=label)


def breakdown_figure(breakdown: LatencyBreakdown, title: str,
                     figsize: tuple[float, float] | None = None,
                     style_name: str = "screen") -> Figure:
    """Latency breakdown (accelsim.analysis.breakdown). Left (top on paper): the blocks' slices
    of the end-to-end latency (they sum to it), each bar split into array busy / array stalled
    or idle, with a thin bar of the time any non-array unit (SFU, vector) computes. Right
    (bottom): each unit's and the DRAM channel's busy time against the total latency (they
    overlap in time, so they do not sum). Times in microseconds (µs)."""
    with style(style_name):
        paper = style_name == "paper"
        return _breakdown(breakdown, title, figsize or default_figsize(style_name, 1.9),
                          paper)


def _breakdown(b: LatencyBreakdown, title: str, figsize: tuple[float, float],
               paper: bool) -> Figure:
    us = 1e6 / b.clock_hz
    total_us = b.total_cycles * us
    fig = Figure(figsize=figsize, dpi=DPI, layout="constrained")
    left, right = fig.subplots(2, 1, height_ratios=[max(len(b.blocks), 1), len(b.units) + 1]) \
        if paper else fig.subplots(1, 2)
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
        label = (f" {share:.0%}|{_pct(array)}" if paper else
                 f" {share:.1%} | array {_pct(array)} | PE {_pct(x.pe_utilization)}")
        left.text(width, y, label, va="center", fontsize=SMALL)
    left.set_yticks(list(ys), [safe_text(x.block) for x in b.blocks], fontsize=SMALL)
    left.invert_yaxis()
    left.set_xlim(0, max(slices + [1e-9]) * (1.45 if paper else 1.6))
    left.set_xlabel("latency (µs)\nlabel: % of latency | array busy" if paper else
                    "latency (µs); label: share of latency | array busy | PE utilization")
    left.set_title(f"per block (sum {total_us:,.0f} µs)" if paper else
                   f"per block: slices of the end-to-end latency (sum {total_us:,.0f} µs)")
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
        right.text(max(cycles * us, total_us), y, f" {share:.1%}" if paper else
                   f" {share:.1%} of latency\n ({note})", va="center", fontsize=SMALL)
    right.axvline(total_us, color="black", lw=1)
    right.set_yticks(list(yr), [name for name, _, _ in rows], fontsize=SMALL)
    right.invert_yaxis()
    right.set_xlim(0, total_us * (1.3 if paper else 1.6))
    right.set_xlabel("busy time (µs); dashed: latency" if paper else
                     "busy time (µs); dashed box and line: end-to-end latency")
    right.set_title("per unit (units overlap)" if paper else
                    "per unit: busy time vs. latency (units overlap: shares do not sum)")
    right.grid(True, axis="x", alpha=0.3)

    handles = [Patch(color="tab:blue", label="array busy (computing)"),
               Patch(color="#d4d4d4", label="array stalled or idle" + ("" if paper else
                     " (DRAM, dependencies, SRAM ports, non-linear units)")),
               Patch(color="tab:orange", label="SFU / vector unit busy"
                     + ("" if paper else " (overlaps the array)")),
               Patch(color="tab:green", label="DRAM channel busy")]
    source = ("busy time placed exactly from the event log" if b.from_event_log else
              "busy time estimated: no event log, each layer's busy cycles spread over its "
              "span")
    note = ("block i owns the cycles from the end of the previous blocks' last layer to the "
            f"end of its own; {source}")
    # the note is the legend's title, so the layout makes room for both
    fig.legend(handles=handles, loc="outside lower center", ncol=1 if paper else 2,
               frameon=False, title=_wrap(note, figsize[0], SMALL), title_fontsize=SMALL)
    head = (f"Latency breakdown: {safe_text(title)}\n{b.total_cycles:,} cycles = "
            f"{total_us / 1e3:.4g} ms, PE utilization {b.pe_utilization:.1%} of latency")
    fig.suptitle(_wrap(head, figsize[0], STYLES["paper" if paper else "screen"]
                       ["figure.titlesize"]))
    return fig


def _pct(value: float) -> str:
    """A share with two significant digits below 10% ('4.2%'), none above ('94%')."""
    return f"{value:.0%}" if value >= 0.095 else f"{value:.1%}"


def literal_texts(fig: Figure) -> Figure:
    """Turn mathtext off in every title, axis label, legend entry and annotation of ``fig``,
    for figures whose texts carry user names that were not passed through ``safe_text`` (the
    explore plots' parameter and objective names). Tick labels keep it."""
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


def figure_bytes(fig: Figure, fmt: str = "png", dpi: float | None = None) -> bytes:
    """The figure as PNG, SVG or PDF bytes (``dpi``: PNG resolution; default DPI)."""
    import io

    if fmt not in FORMATS:
        raise ValueError(f"unknown figure format {fmt!r}: {' | '.join(FORMATS)}")
    buf = io.BytesIO()
    # fixed metadata: the same figure gives the same bytes (no creation date)
    metadata = {"png": {"Software": None}, "svg": {"Date": None},
                "pdf": {"CreationDate": None}}[fmt]
    fig.savefig(buf, format=fmt, dpi=dpi or fig.dpi, metadata=metadata)
    return buf.getvalue()


def figure_png(fig: Figure, dpi: float | None = None) -> bytes:
    """PNG bytes of a figure (for files and the HTML report)."""
    return figure_bytes(fig, "png", dpi)


def figure_format(path: str) -> str:
    """The figure format a file name asks for (its suffix)."""
    suffix = str(path).rsplit(".", 1)[-1].lower() if "." in str(path) else ""
    if suffix not in FORMATS:
        raise ValueError(f"a figure file ends in .png, .svg or .pdf, not {path!r}")
    return suffix


# ----------------------------------------------------------------- one call from a SimResult
def result_breakdown_figure(result: SimResult, figsize: tuple[float, float] | None = None,
                            style_name: str = "screen") -> Figure:
    """The latency breakdown of a run (exact busy time when it kept its event log)."""
    return breakdown_figure(latency_breakdown(result), run_title(result), figsize, style_name)


def result_roofline_figure(result: SimResult,
                           reference: tuple[Roofs, Sequence[Placement]] | None = None,
                           figsize: tuple[float, float] | None = None,
                           style_name: str = "screen") -> Figure:
    """The roofline of a run, optionally with a reference device's roofs and points
    (``accelsim.analysis.roofline.reference_placements``)."""
    from accelsim.analysis.roofline import place_result

    roofs, placements = place_result(result)
    return roofline_figure(roofs, placements, f"Roofline: {run_title(result)}", reference,
                           fused=[x.name for x in result.layers if x.fused_into],
                           figsize=figsize, style_name=style_name)
