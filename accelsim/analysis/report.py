"""SimResult -> rich table / CSV / JSON text. Formatting only: no physics here."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from accelsim.analysis.records import SimResult
from accelsim.analysis.views import TextTable, group_table, run_title

#: columns of the per-layer CSV (one row per layer), in order
CSV_COLUMNS = (
    "name", "kind", "block", "unit", "group", "precision", "macs_per_pe_per_cycle", "macs",
    "ops", "elements", "dram_read_bytes",
    "dram_write_bytes", "onchip_bytes", "start_cycle", "end_cycle", "cycles", "compute_cycles",
    "utilization", "stall_cycles", "stall_dram", "stall_bank", "stall_dependency", "stall_unit",
    "stall_sram", "stall_writeback", "required_bandwidth_gbps",
    "intensity_ops_per_byte", "attained_tops", "roof_tops", "roof_fraction", "bound",
    "energy_pj", "tiling", "fused_into",
)
OPS_NOTE = ("ops: 1 MAC = 2 ops; per element softmax 5, layernorm 7, gelu 8, add 1, requant 2, "
            "pool 1")


def result_json(result: SimResult, include_timing: bool = False) -> str:
    """Canonical JSON (sorted keys): identical inputs give byte-identical text. Each layer gains
    a ``roofline`` object and the top level the device's ``roofline`` roofs."""
    from accelsim.analysis.roofline import place_result

    data = result.to_dict(include_timing=include_timing)
    roofs, placements = place_result(result)
    data["roofline"] = roofs.to_dict()
    for layer, placement in zip(data["layers"], placements, strict=True):
        layer["roofline"] = placement.to_dict()
    energy = _energy(result)
    data["energy"] = energy.to_dict()
    for layer, layer_energy in zip(data["layers"], energy.layers, strict=True):
        layer["energy_pj"] = layer_energy.energy_pj
    return json.dumps(data, indent=1, sort_keys=True)


def _energy(result: SimResult) -> Any:
    """Energy and area of a run (accelsim.analysis.energy), from the arch stored in it."""
    from accelsim.analysis.energy import energy_report

    return energy_report(result)


def layer_rows(result: SimResult) -> list[dict[str, Any]]:
    from accelsim.analysis.roofline import place_result

    _, placements = place_result(result)
    energy = _energy(result).layer_energy_pj()
    rows = []
    for layer, p in zip(result.layers, placements, strict=True):
        row = {c: getattr(layer, c) for c in CSV_COLUMNS if hasattr(layer, c)}
        for cause, value in layer.stalls.items():
            row[f"stall_{cause}"] = value
        row.update(intensity_ops_per_byte=_finite(p.intensity),
                   attained_tops=p.attained_ops_per_s / 1e12, roof_tops=p.roof_ops_per_s / 1e12,
                   roof_fraction=p.roof_fraction, bound=p.bound)
        row["energy_pj"] = energy[layer.name]
        rows.append(row)
    return rows


def _finite(value: float) -> float | str:
    """CSV/table cell of an intensity: ``inf`` for layers with no DRAM bytes."""
    return value if value != float("inf") else "inf"


def _csv(columns: Any, rows: list[dict[str, Any]]) -> str:
    """CSV text, one row per dict; floats with 6 significant digits (deterministic)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    return buf.getvalue()


def result_csv(result: SimResult) -> str:
    return _csv(CSV_COLUMNS, layer_rows(result))


def summary_lines(result: SimResult) -> list[tuple[str, str]]:
    """(label, value) pairs of the run summary."""
    m = result.model
    pe_layers = [x for x in result.layers if x.unit == "array"]
    share = ", ".join(f"{u} {s:.1%}" for u, s in result.unit_share().items())
    dram = result.dram_busy_cycles / result.total_cycles if result.total_cycles else 0.0
    nonlinear = sum(result.unit_busy_cycles.get(u, 0) for u in ("e2softmax", "ailayernorm",
                                                                "fp32"))
    lines = [
        ("run", run_title(result)),
        ("model", f"{m.get('name')} ({m.get('ops')} ops in {m.get('groups')} groups)"),
        ("total cycles", f"{result.total_cycles:,}"),
        ("latency", f"{result.latency_s * 1e3:.4f} ms"),
        ("throughput", f"{result.fps:.2f} FPS"),
        ("MACs", f"{result.total_macs:,}"),
        ("PE utilization", f"{result.pe_utilization:.1%} of latency; "
                           f"{result.pe_utilization_busy:.1%} while the array is busy"
         if result.pe_count and result.total_cycles else "n/a"),
        ("DRAM traffic", f"{result.dram_read_bytes / 1e6:.3f} MB read, "
                         f"{result.dram_write_bytes / 1e6:.3f} MB written"),
        ("unit busy / latency", f"{share} (busy cycles / total cycles; units overlap, "
                                "so these do not sum to 100%)"),
        ("DRAM channel busy", f"{dram:.1%} of latency"),
        ("non-linear units", f"{nonlinear / result.total_cycles:.1%} of latency (busy cycles "
                             "of e2softmax + ailayernorm + fp32)"
         if result.total_cycles else "n/a"),
        ("GEMM layers", str(len(pe_layers))),
        *energy_lines(result),
        ("simulator", f"{result.wall_time_s:.3f} s wall, {result.events:,} events, "
                      f"{result.events / max(result.wall_time_s, 1e-9):,.0f} events/s"),
    ]
    return lines


def energy_lines(result: SimResult) -> list[tuple[str, str]]:
    """(label, value) pairs of the energy/area summary (accelsim.analysis.energy)."""
    e = _energy(result)
    return [
        ("energy / inference", f"{e.energy_per_inference_mj:.4g} mJ (dynamic "
                               f"{e.dynamic_pj * 1e-9:.4g} mJ, static {e.static_pj * 1e-9:.4g} "
                               f"mJ, DRAM {e.dynamic_pj_by_component.get('dram', 0) * 1e-9:.4g} "
                               f"mJ) at {e.technology_nm:g} nm"),
        ("average power", f"{e.avg_power_w:.4g} W"),
        ("efficiency", f"{e.tops_per_w:.4g} TOPS/W, {e.inferences_per_j:.4g} inferences/J"),
        ("area", f"{e.area_mm2:.4g} mm^2 ({e.tops_per_mm2:.4g} TOPS/mm^2 attained)"),
    ]


def render_table(result: SimResult, console: Any, max_rows: int | None = 10) -> None:
    """Print the summary, the per-block view and the ``max_rows`` slowest layers (None: all)
    with rich (accelsim.analysis.terminal)."""
    from accelsim.analysis.terminal import render_run

    render_run(result, console, layers=max_rows)


# ------------------------------------------------------------------ roofline and group-by views
def _text(value: object) -> Any:
    """A rich Text: user names, paths and titles are never read as markup."""
    from rich.text import Text

    return Text(str(value))


def _add_row(table: Any, *cells: Any, **options: Any) -> None:
    table.add_row(*(_text(c) if isinstance(c, str) else c for c in cells), **options)


def _intensity_text(value: float) -> str:
    return "inf" if value == float("inf") else f"{value:.3g}"


def render_groups(result: SimResult, by: str, console: Any) -> None:
    """Print a group-by view (``kind`` | ``block`` | ``unit``) of a run."""
    _print_text_table(group_table(result, by), console)


def _print_text_table(t: TextTable, console: Any) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(t.title), caption=Text(t.caption), caption_justify="left")
    for i, col in enumerate(t.header):
        table.add_column(Text(col), justify="left" if i < t.left else "right")
    for i, row in enumerate(t.rows):
        _add_row(table, *(Text(c) for c in row), style="bold" if row[0] == "total" and
                      i == len(t.rows) - 1 else None)
    console.print(table)


def roofs_lines(roofs: Any) -> list[tuple[str, str]]:
    """(label, value) pairs describing a device's roofs."""
    lines = [(f"{p} compute", f"{v / 1e12:.4g} TOPS (ridge {roofs.ridge(p):.4g} ops/B)")
             for p, v in sorted(roofs.compute_ops_per_s.items())]
    lines.append(("DRAM", f"{roofs.dram_bytes_per_s / 1e9:.4g} GB/s"))
    if roofs.sram_read_bytes_per_s:
        lines.append(("SRAM read ports", ", ".join(
            f"{role} {bw / 1e9:.4g} GB/s" for role, bw in roofs.sram_read_bytes_per_s.items())))
    return lines


PLACEMENT_COLUMNS = ("name", "kind", "block", "unit", "precision", "ops", "dram_bytes",
                     "intensity_ops_per_byte", "seconds", "attained_tops", "roof_tops",
                     "roof_fraction", "bound")


def placement_rows(placements: Any) -> list[dict[str, Any]]:
    return [{"name": p.name, "kind": p.kind, "block": p.block, "unit": p.unit,
             "precision": p.precision, "ops": p.ops, "dram_bytes": p.dram_bytes,
             "intensity_ops_per_byte": _finite(p.intensity), "seconds": p.seconds,
             "attained_tops": p.attained_ops_per_s / 1e12, "roof_tops": p.roof_ops_per_s / 1e12,
             "roof_fraction": p.roof_fraction, "bound": p.bound} for p in placements]


def roofline_csv(placements: Any) -> str:
    return _csv(PLACEMENT_COLUMNS, placement_rows(placements))


def roofline_json(roofs: Any, placements: Any, operators: Any, meta: dict[str, Any],
                  categories: Any = ()) -> str:
    """Canonical JSON of a roofline analysis (schema accelsim.roofline/1)."""
    from dataclasses import asdict

    def finite(o: Any) -> dict[str, Any]:
        return {k: (None if v == float("inf") else v) for k, v in asdict(o).items()}

    data = {"schema": "accelsim.roofline/1", **meta, "roofs": roofs.to_dict(),
            "layers": [p.to_dict() for p in placements],
            "operators": [finite(o) for o in operators],
            **({"categories": [finite(c) for c in categories]} if categories else {})}
    return json.dumps(data, indent=1, sort_keys=True)


def render_roofline(roofs: Any, placements: Any, operators: Any, title: str, console: Any,
                    per_layer: bool = True, categories: Any = ()) -> None:
    """Print the roofs, the per-operator table (per block), the survey's category table (all
    blocks) and optionally every layer."""
    from rich.table import Table

    info = Table(title=_text(f"Roofs: {roofs.arch} ({roofs.kind})"), show_header=False)
    info.add_column("", style="bold")
    info.add_column("")
    for label, value in roofs_lines(roofs):
        _add_row(info, label, value)
    console.print(info)
    if operators:
        ops_table = Table(title=_text(f"{title}: per operator, per transformer block"),
                          caption=("memory operations: bytes read + written (each input "
                                   "read once, each output written once)"
                                   if roofs.kind == "reference" else
                                   "memory operations: DRAM bytes read + written as simulated; "
                                   "attained: ops / the layers' own spans (embed, head and "
                                   "patch merging excluded)") + "; " + OPS_NOTE)
        for col in ("operator", "per block", "ops (M)", "memory ops (MB)", "intensity ops/B",
                    "attained TOPS", "roof TOPS", "bound"):
            ops_table.add_column(col, justify="left" if col in ("operator", "bound")
                                 else "right", no_wrap=col in ("operator", "bound"))
        for o in operators:
            _add_row(ops_table, o.operator, str(o.per_block), f"{o.ops / 1e6:.2f}",
                              f"{o.bytes / 1e6:.3f}", _intensity_text(o.intensity),
                              f"{o.attained_ops_per_s / 1e12:.3f}",
                              f"{o.roof_ops_per_s / 1e12:.3f}", o.bound)
        console.print(ops_table)
    if categories:
        cat_table = Table(title=f"{title}: per operator group, all transformer blocks "
                                "(Kim et al. 2023, Table 3)",
                          caption="other: every non-matmul op of a block (softmax, LayerNorm, "
                                  "GELU, residual adds, requants); intensity per byte (the "
                                  "survey counts elements: x2 at fp16)")
        for col in ("group", "layers", "GOPs", "memory ops (MB)", "intensity ops/B"):
            cat_table.add_column(col, justify="left" if col == "group" else "right")
        for c in categories:
            cat_table.add_row(c.category, str(c.layers), f"{c.ops / 1e9:.3f}",
                              f"{c.bytes / 1e6:.3f}", _intensity_text(c.intensity))
        console.print(cat_table)
    if per_layer:
        from rich import box

        table = Table(title=_text(f"{title}: per layer"), box=box.SIMPLE_HEAD, pad_edge=False)
        widest = max((len(p.name) for p in placements), default=5)
        for col in ("layer", "kind", "unit", "prec", "GOPs", "DRAM kB", "ops/B", "TOPS",
                    "roof TOPS", "% roof", "bound"):
            table.add_column(col, justify="left" if col in ("layer", "kind", "unit", "prec",
                                                            "bound") else "right",
                             no_wrap=col in ("layer", "bound"),
                             min_width=widest if col == "layer" else None)
        for p in placements:
            _add_row(table, p.name, p.kind, p.unit, p.precision, f"{p.ops / 1e9:.4f}",
                          f"{p.dram_bytes / 1e3:.1f}", _intensity_text(p.intensity),
                          f"{p.attained_ops_per_s / 1e12:.3f}", f"{p.roof_ops_per_s / 1e12:.3f}",
                          f"{p.roof_fraction:.1%}", p.bound)
        console.print(table)


GROWTH_COLUMNS = ("from_image_size", "to_image_size", "operator", "ops_ratio", "bytes_ratio",
                  "intensity_before", "intensity_after")


def _growth_rows(growths: Any) -> list[dict[str, Any]]:
    return [{"from_image_size": a, "to_image_size": b, "operator": g.operator,
             "ops_ratio": g.ops_ratio, "bytes_ratio": g.bytes_ratio,
             "intensity_before": _finite(g.intensity_before),
             "intensity_after": _finite(g.intensity_after)}
            for a, b, rows in growths for g in rows]


def growth_csv(growths: Any) -> str:
    """The growth tables of ``roofline --image-size A,B,...``: (from, to, rows) triples."""
    return _csv(GROWTH_COLUMNS, _growth_rows(growths))


def growth_json(growths: Any, arch: str, model: str) -> str:
    rows = [{k: (None if v == "inf" else v) for k, v in r.items()} for r in _growth_rows(growths)]
    return json.dumps({"schema": "accelsim.growth/1", "arch": arch, "model": model,
                       "rows": rows}, indent=1, sort_keys=True)


def render_operator_growth(growth: Any, title: str, console: Any) -> None:
    """Print how each operator type's ops and memory operations grow between two runs."""
    from rich.table import Table

    table = Table(title=_text(f"Growth {title}"),
                  caption="ops and memory operations of the larger input over the smaller, "
                          "per block; attention (qk, softmax, sv) grows with tokens^2")
    for col in ("operator", "ops x", "memory ops x", "intensity before", "intensity after"):
        table.add_column(col, justify="left" if col == "operator" else "right")
    for g in growth:
        _add_row(table, g.operator, f"{g.ops_ratio:.2f}", f"{g.bytes_ratio:.2f}",
                      _intensity_text(g.intensity_before), _intensity_text(g.intensity_after))
    console.print(table)


def result_html(result: SimResult, figures: dict[str, bytes], command: str = "",
                version: str = "") -> str:
    """The self-contained HTML report of a run (accelsim.analysis.html)."""
    from accelsim.analysis.html import result_html as html

    return html(result, figures, command, version)


# ----------------------------------------------------------------------------- trace and catalogue
def render_trace_stats(trace: Any, console: Any) -> None:
    """Per-kind static statistics of a trace (``accelsim trace``)."""
    from rich.table import Table

    table = Table(title=_text(f"{trace.name}: {len(trace.ops)} ops"), caption=OPS_NOTE)
    for col in ("kind", "ops", "MACs", "GOPs", "weight MB", "activation out MB"):
        table.add_column(col, justify="right" if col != "kind" else "left")
    for k in trace.stats_by_kind():
        _add_row(table, k.kind, str(k.count), f"{k.macs:,}", f"{k.ops / 1e9:.3f}",
                      f"{k.constant_bytes / 1e6:.2f}", f"{k.output_bytes / 1e6:.2f}")
    _add_row(table, "total", str(len(trace.ops)), f"{trace.total_macs:,}",
                  f"{trace.total_ops / 1e9:.3f}", "", "", style="bold")
    console.print(table)


def render_catalogue(archs: Any, models: Any, schemes: Any, console: Any) -> None:
    """Bundled architectures (name, ArchSpec), models (name, config) and schemes."""
    from rich.table import Table

    for title, cols, rows in (
        ("Architectures (--arch)", ("name", "kind", "description"),
         [(name, spec.kind, spec.description) for name, spec in archs]),
        ("Models (--model)", ("name", "family", "config"),
         [(name, name.split("_")[0], repr(cfg)) for name, cfg in models]),
        ("Quantization schemes (--quant)", ("name", "description"),
         [(s.name, s.description) for s in schemes]),
    ):
        table = Table(title=_text(title))
        for col in cols:
            table.add_column(col)
        for row in rows:
            _add_row(table, *row)
        console.print(table)
