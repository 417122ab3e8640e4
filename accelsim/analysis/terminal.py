"""``simulate``'s terminal view (rich on a terminal, analysis.plain_table's identical text
layout to a pipe or file): the summary and the run's "why" first, then the
per-block view with its stall causes and "why" lines, then the layers (the top 10 by cycles by
default). Formatting only. Every cell is a ``rich.text.Text``, so names, paths and titles from
the user are never read as rich markup; the console's width is the terminal's (COLUMNS)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accelsim.analysis.plain_table import PlainTable
from accelsim.analysis.records import LayerResult, SimResult
from accelsim.analysis.views import run_title
from accelsim.analysis.why import CAUSES, Why, block_whys, run_why
from accelsim.errors import ConfigError

#: short column heads of the stall causes
CAUSE_HEADS = {"dram": "DRAM", "sram": "SRAM", "dependency": "dep", "bank": "bank",
               "unit": "unit", "writeback": "wb"}
UNITS_NOTE = "kB = 1,000 B, MB = 10^6 B, GB/s = 10^9 B/s throughout"
DEFAULT_LAYERS = "top:10"


def parse_layers(value: str) -> int | None:
    """``--layers all | none | top:N`` -> None (all, in program order), 0 (none) or N (the N
    slowest, by cycles)."""
    text = value.strip().lower()
    if text == "all":
        return None
    if text == "none":
        return 0
    head, sep, count = text.partition(":")
    if head == "top" and sep and count.isdigit() and int(count) > 0:
        return int(count)
    raise ConfigError("bad layer selection", key="--layers", value=value,
                      expected="all | none | top:N (N > 0), e.g. top:10")


def _t(value: object, style: str = "") -> tuple[str, str]:
    return (str(value), style)


def _table(title: str, caption: str = "", **options: Any) -> PlainTable:
    return PlainTable(title=title, caption=caption, **options)


def render_run(result: SimResult, console: Any, layers: int | None = 10,
               group: str | None = None) -> None:
    """Summary (with the run's why), per-block view, then ``layers`` (see parse_layers); a
    group-by table (kind | unit | block) after it on request."""
    from accelsim.analysis.report import summary_lines

    why = run_why(result)
    summary = _table(f"Summary: {run_title(result)}", show_header=False)
    summary.add_column("", style="bold", no_wrap=True)
    summary.add_column("", overflow="fold")
    for label, value in summary_lines(result):
        if label != "run":  # the title says it
            summary.add_row(_t(label), _t(value))
    summary.add_row(_t("why"), _t(why.sentence))
    _print(console, summary)
    whys = block_whys(result)
    _print(console, block_table(result, whys))
    _print(console, why_table(whys))
    if layers != 0:
        _print(console, layer_table(result, layers))
    if group is not None:  # the group-by table (block: with SFU busy and PE utilization)
        from accelsim.analysis.report import render_groups

        render_groups(result, group, console)


def _print(console: Any, table: PlainTable) -> None:
    """A PlainConsole prints the table as text; a rich Console gets it as a rich Table."""
    from accelsim.analysis.plain_table import PlainConsole

    console.print(table if isinstance(console, PlainConsole) else table.to_rich())


def why_table(whys: Sequence[tuple[str, Why]]) -> PlainTable:
    """One "why" sentence per block; a run of blocks telling the same story (block0 ..
    block11 of a ViT) is printed once, as 'block0..block11'."""
    from accelsim.analysis.why import same_story

    table = PlainTable(grid=True, show_header=False)  # rich's Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True, style="bold")
    table.add_column(overflow="fold")
    i = 0
    while i < len(whys):
        j = i
        while j + 1 < len(whys) and same_story(whys[i], whys[j + 1]):
            j += 1
        name = whys[i][0] if j == i else f"{whys[i][0]}..{whys[j][0]}"
        table.add_row(_t(f"why {name}"), _t(whys[i][1].sentence))
        i = j + 1
    return table


def _pct(value: float) -> str:
    return f"{value:.1%}" if value >= 0.0005 else "-"


def block_table(result: SimResult, whys: Sequence[tuple[str, Why]]) -> PlainTable:
    """One row per block slice: latency, array busy, the waiting split by cause, no GEMM."""
    from accelsim.analysis.breakdown import block_slices

    causes = [c for c in CAUSES if any(w.causes.get(c, 0) >= 0.0005 for _, w in whys)]
    slices = {b: (lo, hi) for b, lo, hi in block_slices(result)}
    total = result.total_cycles
    table = _table("Per block (slices of the end-to-end latency)",
                   "Each block owns the cycles from the end of the previous blocks' last layer "
                   "to the end of its own, so latencies sum to the total. array busy + stall "
                   "causes + no GEMM = 100% of the block: the array's waiting time is split "
                   "by its layers' stall cycles (accelsim.analysis.why).")
    for head in ("block", "latency cycles", "% total", "array busy",
                 *(CAUSE_HEADS[c] for c in causes), "no GEMM"):
        table.add_column(head, justify="left" if head == "block" else "right")
    for block, w in whys:
        lo, hi = slices[block]
        table.add_row(_t(block), _t(f"{hi - lo:,}"), _t(_pct((hi - lo) / total if total else 0)),
                      _t(_pct(w.array_busy)), *(_t(_pct(w.causes.get(c, 0))) for c in causes),
                      _t(_pct(w.no_gemm)))
    return table


def layer_rows(result: SimResult, limit: int | None) -> list[tuple[LayerResult, bool]]:
    """(layer, fused) in display order: ``limit`` None = every layer in program order, else the
    ``limit`` slowest host/unfused layers by cycles; each host is followed by the epilogues
    fused into it (flag True)."""
    fused: dict[str, list[LayerResult]] = {}
    hosts = []
    for x in result.layers:
        if x.fused_into:
            fused.setdefault(x.fused_into, []).append(x)
        else:
            hosts.append(x)
    if limit is not None:
        hosts = sorted(hosts, key=lambda x: (-x.cycles, x.start_cycle))[:limit]
    out = []
    for host in hosts:
        out.append((host, False))
        out.extend((x, True) for x in fused.get(host.name, []))
    return out


def layer_table(result: SimResult, limit: int | None) -> PlainTable:
    """The per-layer table: stall causes as columns (% of the layer's cycles); a fused epilogue
    is shown under its host, with no cycles or stalls of its own."""
    from accelsim.analysis.roofline import arch_roofs, place_layer, result_arch

    rows = layer_rows(result, limit)
    roofs = arch_roofs(result_arch(result))
    causes = [c for c in CAUSES if any(x.stalls.get(c, 0) for x, f in rows if not f)]
    n_hosts = sum(1 for _, f in rows if not f)
    title = ("Layers (all, in program order)" if limit is None else
             f"Top {n_hosts} layers by cycles (--layers all | none | top:N)")
    table = _table(title, "stall columns: % of the layer's own cycles (start to end); a fused "
                   "epilogue (└) runs in its host's output path: its cycles overlap the host's "
                   f"and its waits are the host's. % roof: attained / roofline roof. "
                   f"{UNITS_NOTE}.")
    heads = ("layer", "unit", "cycles", "% total", "util", *(CAUSE_HEADS[c] for c in causes),
             "DRAM kB", "% roof", "bound")
    widest = max((len(x.name) for x, f in rows if not f), default=5)
    for head in heads:
        table.add_column(head, justify="left" if head in ("layer", "unit", "bound")
                         else "right", no_wrap=head == "layer",
                         min_width=widest if head == "layer" else None,
                         overflow="ellipsis" if head == "layer" else "fold")
    total = result.total_cycles
    for x, is_fused in rows:
        if is_fused:
            short = x.name.removeprefix(f"{x.block}.") if x.block else x.name
            table.add_row(_t(f" └ {short}", "dim"), _t(x.unit, "dim"), _t("fused", "dim"),
                          *(_t("") for _ in heads[3:]))
            continue
        p = place_layer(x, roofs)
        table.add_row(_t(x.name), _t(x.unit), _t(f"{x.cycles:,}"),
                      _t(_pct(x.cycles / total if total else 0)), _t(f"{x.utilization:.1%}"),
                      *(_t(_pct(x.stalls.get(c, 0) / x.cycles if x.cycles else 0))
                        for c in causes),
                      _t(f"{x.dram_bytes / 1e3:,.1f}"), _t(f"{p.roof_fraction:.1%}"),
                      _t(p.bound))
    return table
