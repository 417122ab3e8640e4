"""``simulate``: one run (summary, blocks, top layers; JSON/CSV/HTML, a figure, a timeline), or,
with ``--arch a,b`` / ``--model a,b``, several runs compared against the first."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from accelsim.cli.app import (
    BatchOpt,
    BatchOrderOpt,
    EngineOpt,
    FormatOpt,
    ImageOpt,
    InputShapeOpt,
    MappingOpt,
    ObjectiveOpt,
    OutOpt,
    OverrideOpt,
    QuantOpt,
    SeqOpt,
    SetOpt,
    UnknownOpsOpt,
    app,
    model_trace,
    output_suffix,
    simulate_for,
    write_output,
)
from accelsim.cli.commands import import_notes
from accelsim.cli.figures import (
    FIGURE_SUFFIXES,
    DpiOpt,
    FigsizeOpt,
    StyleOpt,
    check_figure_options,
    command_line,
    figure_file,
    make_console,
    parse_figsize,
    print_warnings,
)

LayersOpt = Annotated[str, typer.Option(
    "--layers", help="layer rows: all | none | top:N (the N slowest) [top:10]")]


def _names(value: str, key: str) -> list[str]:
    from accelsim.errors import ConfigError

    names = [v.strip() for v in value.split(",")]
    if any(not n for n in names) or len(set(names)) != len(names):
        raise ConfigError("bad list (empty or repeated name)", key=key, value=value,
                          expected="NAME or NAME,NAME,...")
    return names


@app.command("simulate")
def simulate_cmd(
    arch: Annotated[str, typer.Option(
        "--arch", "-a", help="bundled config name or YAML path; a,b compares them")] = "sole",
    model: Annotated[str, typer.Option(
        "--model", "-m", help="built-in model or trace file; a,b compares them")] = "vit_base",
    image_size: ImageOpt = None,
    seq_len: SeqOpt = None,
    batch: BatchOpt = None,
    quant: QuantOpt = None,
    set_: SetOpt = None,
    override: OverrideOpt = None,
    fmt: FormatOpt = "table",
    output: OutOpt = None,
    fidelity: Annotated[str, typer.Option(
        "--fidelity", help="model (closed form) | pe (PE-grid oracle)")] = "model",
    check: Annotated[bool, typer.Option("--check",
                                        help="verify the engine invariants after the run")] = False,
    group: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--group", help="also show a group-by view: kind | block | unit")] = None,
    layers: LayersOpt = "top:10",
    plot: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--plot", help="write the latency breakdown (or, comparing, the per-block latency) "
                       "chart: .png | .svg | .pdf")] = None,
    timeline: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--timeline", help="write the run's timeline (Chrome trace / Perfetto JSON)")] = None,
    dpi: DpiOpt = None,
    figsize: FigsizeOpt = None,
    style_name: StyleOpt = "screen",
    input_shape: InputShapeOpt = None,
    unknown_ops: UnknownOpsOpt = None,
    max_events: Annotated[Optional[int], typer.Option(  # noqa: UP045
        "--max-events", help="refuse runs estimated above N engine events "
                             "[ACCELSIM_MAX_EVENTS or 2000000]")] = None,
    dram_trace: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--dram-trace", help="write the DRAM request stream in Ramulator 2's LoadStoreTrace "
        "format (LD/ST 0xaddr per burst)")] = None,
    objective: ObjectiveOpt = "latency",
    batch_order: BatchOrderOpt = "auto",
    mapping: MappingOpt = None,
    engine: EngineOpt = "auto",
) -> None:
    """Simulate a model on an accelerator: summary, per-block view, slowest layers (-o x.html:
    report). Several --arch or --model names compare the runs."""
    from accelsim.analysis.terminal import parse_layers
    from accelsim.arch.load import load_arch
    from accelsim.errors import ConfigError, MappingError

    if fmt not in ("table", "json", "csv"):
        raise ConfigError("unknown format", key="--format", value=fmt,
                          expected="table | json | csv")
    suffix = output_suffix(output, (".json", ".csv", ".html", ".htm"))
    if fmt != "table" and suffix is not None and suffix not in (f".{fmt}", ".html", ".htm"):
        raise ConfigError(f"--format {fmt} does not match the output file", key="--output",
                          value=str(output), expected=f"a .{fmt} file, or no --format")
    output_suffix(plot, FIGURE_SUFFIXES, key="--plot")
    output_suffix(timeline, (".json",), key="--timeline")
    output_suffix(dram_trace, (".trace", ".txt"), key="--dram-trace")
    check_figure_options(dpi, style_name)
    size = parse_figsize(figsize)
    limit = parse_layers(layers)
    if engine not in ("auto", "simpy", "fast"):
        raise ConfigError("unknown engine", key="--engine", value=engine,
                          expected="auto | simpy | fast")
    if group is not None and group not in ("kind", "block", "unit"):
        raise ConfigError("unknown group-by key", key="--group", value=group,
                          expected="kind | block | unit")
    if group is not None and fmt != "table":
        raise ConfigError("--group adds a table view", key="--group", value=group,
                          expected="--format table (the HTML report holds every group-by view)")
    archs, models = _names(arch, "--arch"), _names(model, "--model")
    if len(archs) > 1 or len(models) > 1:
        one_run = [(k, v) for k, v in (("--timeline", timeline), ("--group", group),
                                       ("--dram-trace", dram_trace), ("--mapping", mapping))
                   if v is not None]
        if one_run:
            raise ConfigError("--timeline, --group, --dram-trace and --mapping apply to one run",
                              key=one_run[0][0], expected="one --arch and one --model")
        runs = []
        for a in archs:
            spec = load_arch(a, set_ or [])
            for m in models:
                trace = model_trace(m, image_size, batch, quant, override, seq_len=seq_len,
                                    input_shape=input_shape, unknown_ops=unknown_ops)
                import_notes(trace)
                runs.append(simulate_for(a, spec, trace, fidelity=fidelity, check=check,
                                         record=False, max_events=max_events,
                                         objective=objective, batch_order=batch_order,
                                         engine=engine))
        labels = ([f"{a}/{m}" for a in archs for m in models] if len(archs) > 1 < len(models)
                  else archs if len(archs) > 1 else models)
        _compared(runs, labels, fmt, output, suffix, plot, limit, dpi, size, style_name)
        return
    spec = load_arch(arch, set_ or [])
    trace = model_trace(model, image_size, batch, quant, override, seq_len=seq_len,
                        input_shape=input_shape, unknown_ops=unknown_ops)
    import_notes(trace)
    # the event log times unit busy intervals exactly for the breakdown views and draws the
    # timeline; JSON/CSV exports leave it out (it would land in the result's extra data)
    exact = (plot is not None or group is not None or timeline is not None
             or suffix in (".html", ".htm"))
    fixed = None
    if mapping is not None:
        from accelsim.mapping.io import read_mapping, whole_batch_order

        fixed = read_mapping(mapping)
        if batch_order == "auto" and trace.batch > 1:  # the file's order for every unit
            batch_order = whole_batch_order(mapping) or batch_order
        unknown = sorted(set(fixed) - {op.name for op in trace.ops})
        if unknown:
            section = "layers" if isinstance(fixed[unknown[0]][0], int) else "fusion"
            raise ConfigError("no such layer in the model", file=str(mapping),
                              key=f"{section}.{unknown[0]}")
    try:
        result = simulate_for(arch, spec, trace, fidelity=fidelity, check=check, record=exact,
                              max_events=max_events, dram_requests=dram_trace is not None,
                              objective=objective, batch_order=batch_order, mapping=fixed,
                              engine=engine)
    except MappingError as exc:
        if mapping is None or not (exc.key or "").startswith(("layers.", "fusion.")):
            raise
        raise MappingError(exc.message, file=str(mapping), key=exc.key) from None
    if dram_trace is not None:
        import dataclasses

        from accelsim.analysis.dram_trace import ramulator_trace

        write_output(dram_trace, ramulator_trace(result), key="--dram-trace")
        print(f"wrote {dram_trace}", file=sys.stderr)
        result = dataclasses.replace(result, extra={k: v for k, v in result.extra.items()
                                                    if k != "dram_requests"})
    print_warnings([result])
    _single(result, fmt, output, suffix, plot, timeline, limit, group, check, dpi, size,
            style_name)


def _single(result, fmt, output, suffix, plot, timeline, limit, group, check, dpi, size,
            style_name) -> None:
    from accelsim.analysis import report

    written = []
    if plot is not None:
        from accelsim.analysis.plots import result_breakdown_figure

        figure_file(plot, result_breakdown_figure(result, size, style_name), dpi, style_name)
        written.append(plot)
    if timeline is not None:
        from accelsim.analysis.timeline import timeline_json

        write_output(timeline, timeline_json(result, command_line()), key="--timeline")
        written.append(timeline)
    if output is not None:
        clean = result if suffix in (".html", ".htm") else _without_log(result)
        write_output(output, _html_report(result) if suffix in (".html", ".htm")
                     else report.result_csv(clean) if suffix == ".csv"
                     else report.result_json(clean, include_timing=False))
        written.append(output)
    if fmt == "table":
        from accelsim.analysis.terminal import render_run

        console = make_console(plain=group is None and not check)  # rich's text, sans rich
        render_run(result, console, layers=limit, group=group)
        if check:
            console.print("engine invariants hold (MACs and bytes conserved, every step run "
                          "once per stage, banks within capacity, producers before readers, "
                          "latency above every lower bound)", markup=False)
    elif output is None:
        text = (report.result_json(_without_log(result), include_timing=False) if fmt == "json"
                else report.result_csv(result))
        sys.stdout.write(text + ("" if text.endswith("\n") else "\n"))
    for path in written:
        print(f"wrote {path}", file=sys.stderr if fmt != "table" else sys.stdout)


def _without_log(result):
    """The result without its event log and spans (exports stay small and comparable)."""
    from dataclasses import replace

    extra = {k: v for k, v in result.extra.items() if k not in ("event_log", "spans")}
    return replace(result, extra=extra)


def _compared(runs, labels, fmt, output, suffix, plot, limit, dpi, size, style_name) -> None:
    from accelsim.analysis import compare

    print_warnings(runs)
    c = compare.compare(runs, list(labels))
    written = []
    if plot is not None:
        figure_file(plot, compare.comparison_figure(c, size, style_name), dpi, style_name)
        written.append(plot)
    if output is not None:
        write_output(output, _comparison_html(c) if suffix in (".html", ".htm")
                     else compare.comparison_csv(c) if suffix == ".csv"
                     else compare.comparison_json(c))
        written.append(output)
    if fmt == "table":
        compare.render_comparison(c, make_console(), layers=limit)
    elif output is None:
        text = compare.comparison_json(c) if fmt == "json" else compare.comparison_csv(c)
        sys.stdout.write(text + ("" if text.endswith("\n") else "\n"))
    for path in written:
        print(f"wrote {path}", file=sys.stderr if fmt != "table" else sys.stdout)


def _comparison_html(c) -> str:
    from accelsim import __version__
    from accelsim.analysis import compare
    from accelsim.analysis.plots import figure_bytes

    svg = figure_bytes(compare.comparison_figure(c), "svg").decode("utf-8")
    svg = svg[svg.index("<svg"):]
    return compare.comparison_html(c, svg, command_line(), __version__)


def _html_report(result) -> str:
    from accelsim import __version__
    from accelsim.analysis import report
    from accelsim.analysis.plots import (
        figure_png,
        result_breakdown_figure,
        result_roofline_figure,
    )

    return report.result_html(result, {
        "Roofline": figure_png(result_roofline_figure(result)),
        "Latency breakdown": figure_png(result_breakdown_figure(result))},
        command_line(), __version__)
