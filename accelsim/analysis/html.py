"""Self-contained HTML pages: the ``simulate -o run.html`` report and the frame other pages
(compare) share. No external fetches: styles, the table-sorting script and figures are inline
(figures as base64 PNG). Every text is escaped. Formatting only."""

from __future__ import annotations

import base64
from html import escape
from typing import Any

from accelsim.analysis.records import SimResult

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em;color:#222;
max-width:1400px}
table{border-collapse:collapse;margin:.6em 0 1.4em;font-size:12px}
th,td{border:1px solid #ccc;padding:2px 6px;text-align:right;vertical-align:top}
th{background:#eee}td.l,th.l{text-align:left}
th.sort{cursor:pointer;user-select:none}th.sort:after{content:' \\2195';color:#999}
th.asc:after{content:' \\2191';color:#222}th.desc:after{content:' \\2193';color:#222}
tr.fused td{color:#777}
img{max-width:100%;border:1px solid #ddd}
caption{caption-side:bottom;text-align:left;color:#555;padding-top:4px;max-width:1100px}
p.why{margin:.2em 0}p.warn{color:#a33;margin:.2em 0}
footer{color:#666;font-size:12px;margin-top:2em;border-top:1px solid #ddd;padding-top:.5em}
code{background:#f4f4f4;padding:1px 3px}
"""
#: click a header to sort its table by that column (numbers by value, text alphabetically);
#: the fused rows move with the sort like any other
SORT_JS = r"""
document.querySelectorAll('table.sortable').forEach(function(t){
 t.querySelectorAll('th').forEach(function(th,col){
  th.classList.add('sort');
  th.addEventListener('click',function(){
   var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
   var asc=!th.classList.contains('asc');
   t.querySelectorAll('th').forEach(function(h){h.classList.remove('asc','desc');});
   th.classList.add(asc?'asc':'desc');
   function key(r){var s=r.cells[col].textContent.trim().replace(/[,%]/g,'');
    var n=parseFloat(s);return isNaN(n)?s.toLowerCase():n;}
   rows.sort(function(a,b){var x=key(a),y=key(b);
    if(typeof x!==typeof y){x=String(x);y=String(y);}
    return (x<y?-1:x>y?1:0)*(asc?1:-1);});
   rows.forEach(function(r){body.appendChild(r);});
  });
 });
});
// '#sort=N' or '#sort=N-desc' sorts the last sortable table by column N on load (links, tests)
(function(){var m=/sort=(\d+)(-desc)?/.exec(location.hash);
 var ts=document.querySelectorAll('table.sortable');if(!m||!ts.length)return;
 var th=ts[ts.length-1].querySelectorAll('th')[+m[1]];if(!th)return;
 th.click();if(m[2])th.click();})();
"""


def table(header: list[str], rows: list[list[Any]], left: int = 1, caption: str = "",
          sortable: bool = False, row_classes: list[str] | None = None,
          text_last: bool = False) -> str:
    """An escaped HTML table; ``left`` leading columns (and the last one with ``text_last``)
    are text (left-aligned)."""
    last = len(header) - 1 if text_last else -1

    def cell(i: int, v: Any, tag: str) -> str:
        return f"<{tag}{' class=l' if i < left or i == last else ''}>{escape(str(v))}</{tag}>"

    head = "".join(cell(i, h, "th") for i, h in enumerate(header))
    classes = row_classes or [""] * len(rows)
    body = "".join(f"<tr{f' class={c}' if c else ''}>" +
                   "".join(cell(i, v, "td") for i, v in enumerate(r)) + "</tr>"
                   for r, c in zip(rows, classes, strict=True))
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    kind = " class=sortable" if sortable else ""
    return f"<table{kind}>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def page(title: str, body: str, command: str = "", version: str = "") -> str:
    """A whole page around ``body`` with a footer naming the accelsim version and command."""
    foot = []
    if version:
        foot.append(f"accelsim {escape(version)}")
    if command:
        foot.append(f"command: <code>{escape(command)}</code>")
    return (f"<!DOCTYPE html><html lang=en><head><meta charset='utf-8'>"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{escape(title)}</h1>{body}<footer>{' &middot; '.join(foot)}</footer>"
            f"<script>{SORT_JS}</script></body></html>\n")


def arch_rows(arch: dict[str, Any], prefix: str = "") -> list[list[str]]:
    """Every architecture parameter as (dotted key, value) rows, sorted by key; byte sizes
    also in kB (10^3 B), the one unit convention of accelsim's tables."""
    out: list[list[str]] = []
    for key in sorted(arch):
        value = arch[key]
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and not path.endswith("_by_precision"):
            out.extend(arch_rows(value, f"{path}."))
            continue
        text = str(value)
        if key.endswith("size_bytes") and isinstance(value, int):
            text = f"{value:,} B ({value / 1e3:,.1f} kB)"
        out.append([path, text])
    return out


def result_html(result: SimResult, figures: dict[str, bytes], command: str = "",
                version: str = "") -> str:
    """The report of one run: summary and why, warnings, arch parameters, stall causes per
    block with the why lines, figures, group-by tables and a sortable layer table."""
    from accelsim.analysis.breakdown import latency_breakdown
    from accelsim.analysis.report import OPS_NOTE, roofs_lines, summary_lines
    from accelsim.analysis.roofline import place_result
    from accelsim.analysis.terminal import CAUSE_HEADS, UNITS_NOTE, layer_rows
    from accelsim.analysis.views import GROUP_VIEWS, group_table, run_title
    from accelsim.analysis.why import CAUSES, block_whys, run_why

    roofs, placements = place_result(result)
    place = {p.name: p for p in placements}
    why = run_why(result)
    parts = ["<h2>Summary</h2>", f"<p class=why><b>Why:</b> {escape(why.sentence)}</p>"]
    parts += [f"<p class=warn>warning: {escape(w)}</p>" for w in result.warnings]
    parts.append(table(["", ""], [list(x) for x in summary_lines(result)
                                  if x[0] != "simulator"] + [list(x) for x in
                                                             roofs_lines(roofs)], left=2))
    whys = block_whys(result)
    causes = [c for c in CAUSES if any(w.causes.get(c, 0) for _, w in whys)]
    parts.append("<h2>Stall causes per block</h2>")
    parts.append(table(
        ["block", "latency cycles", "array busy", *(CAUSE_HEADS[c] for c in causes), "no GEMM",
         "why"],
        [[b, f"{w.span_cycles:,}", f"{w.array_busy:.1%}",
          *(f"{w.causes.get(c, 0):.1%}" for c in causes), f"{w.no_gemm:.1%}", w.sentence]
         for b, w in whys], left=1, text_last=True,
        caption="array busy + stall causes + no GEMM in flight = 100% of the block's slice; "
                "the array's waiting time is split by its layers' stall cycles "
                "(accelsim.analysis.why)"))
    for name, png in figures.items():
        data = base64.b64encode(png).decode("ascii")
        parts.append(f"<h2>{escape(name)}</h2><img alt='{escape(name)}' "
                     f"src='data:image/png;base64,{data}'>")
    breakdown = latency_breakdown(result)
    for by in GROUP_VIEWS:
        t = group_table(result, by, breakdown)
        parts.append(f"<h2>By {by}</h2>" + table(list(t.header), t.rows, t.left, t.caption))
    rows, classes = [], []
    for x, fused in layer_rows(result, None):
        p = place[x.name]
        stall = ["" for _ in CAUSES] if fused else [f"{x.stalls.get(c, 0):,}" for c in CAUSES]
        rows.append([x.name, x.kind, x.unit, x.fused_into, f"{x.cycles:,}",
                     f"{x.compute_cycles:,}", f"{x.utilization:.1%}", *stall,
                     f"{x.dram_bytes / 1e3:.1f}", _intensity(p.intensity),
                     f"{p.attained_ops_per_s / 1e12:.3f}", f"{p.roof_fraction:.1%}", p.bound])
        classes.append("fused" if fused else "")
    parts.append("<h2>Layers</h2>" + table(
        ["layer", "kind", "unit", "fused into", "cycles", "compute", "util",
         *(f"stall {CAUSE_HEADS[c]}" for c in CAUSES), "DRAM kB", "ops/B", "TOPS", "% roof",
         "bound"], rows, left=4, sortable=True, row_classes=classes,
        caption="click a column to sort; stall columns in cycles; a fused epilogue runs in its "
                "host's output path (its cycles overlap the host's, its waits are the host's). "
                + UNITS_NOTE))
    parts.append("<h2>Architecture parameters</h2>" + table(
        ["parameter", "value"], arch_rows({"name": result.arch_name, **result.arch}), left=2))
    parts.append(f"<p>{escape(OPS_NOTE)}</p>")
    return page(run_title(result), "".join(parts), command, version)


def _intensity(value: float) -> str:
    return "inf" if value == float("inf") else f"{value:.3g}"
