"""``list``, ``trace``, ``simulate`` and ``accuracy``: parse -> public API -> render."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from accelsim.cli.app import (
    ArchOpt,
    BatchOpt,
    FormatOpt,
    ImageOpt,
    ModelOpt,
    OutOpt,
    OverrideOpt,
    QuantOpt,
    SeqOpt,
    SetOpt,
    app,
    model_trace,
    output_suffix,
    simulate_for,
    write_output,
)


@app.command("list")
def list_cmd() -> None:
    """List bundled architectures, built-in models and quantization schemes."""
    from rich.console import Console

    from accelsim.analysis.report import render_catalogue
    from accelsim.arch.load import bundled_arch_names, load_arch
    from accelsim.workload.models import MODELS
    from accelsim.workload.quant import SCHEMES

    render_catalogue([(name, load_arch(name)) for name in bundled_arch_names()],
                     MODELS.items(), SCHEMES.values(), Console())


@app.command("trace")
def trace_cmd(
    model: ModelOpt = "vit_base",
    image_size: ImageOpt = None,
    seq_len: SeqOpt = None,
    batch: BatchOpt = None,
    quant: QuantOpt = None,
    override: OverrideOpt = None,
    output: OutOpt = None,
) -> None:
    """Generate a quantized operator trace (accelsim.trace/1 YAML) and print its statistics."""
    from rich.console import Console

    from accelsim.analysis.report import render_trace_stats
    from accelsim.workload.trace import save_trace

    output_suffix(output, (".yaml", ".yml"))
    trace = model_trace(model, image_size, batch, quant, override, seq_len=seq_len)
    if output is not None:
        save_trace(trace, output)
    console = Console()
    render_trace_stats(trace, console)
    if output is not None:
        console.print(f"wrote {output}")


@app.command("simulate")
def simulate_cmd(
    arch: ArchOpt = "sole",
    model: ModelOpt = "vit_base",
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
    plot: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--plot", help="write the latency breakdown chart (PNG)")] = None,
    engine: Annotated[str, typer.Option(
        "--engine", help="simpy (reference, keeps the event log) | fast (same numbers, "
                         "compiled; --plot/--group/HTML run simpy)")] = "simpy",
) -> None:
    """Simulate a model on an accelerator: per-layer table and summary (-o x.html: report)."""
    from rich.console import Console

    from accelsim.analysis import report
    from accelsim.arch.load import load_arch
    from accelsim.errors import ConfigError

    if fmt not in ("table", "json", "csv"):
        raise ConfigError("unknown format", key="--format", value=fmt,
                          expected="table | json | csv")
    suffix = output_suffix(output, (".json", ".csv", ".html", ".htm"))
    if fmt != "table" and suffix is not None and suffix != f".{fmt}":
        raise ConfigError(f"--format {fmt} does not match the output file", key="--output",
                          value=str(output), expected=f"a .{fmt} file, or no --format")
    output_suffix(plot, (".png",), key="--plot")
    spec = load_arch(arch, set_ or [])
    trace = model_trace(model, image_size, batch, quant, override, seq_len=seq_len)
    if group is not None and group not in ("kind", "block", "unit"):
        raise ConfigError("unknown group-by key", key="--group", value=group,
                          expected="kind | block | unit")
    if group is not None and fmt != "table":
        raise ConfigError("--group adds a table view", key="--group", value=group,
                          expected="--format table (the HTML report holds every group-by view)")
    # the event log times unit busy intervals exactly for the breakdown views; JSON/CSV
    # exports leave it out (it would land in the result's extra data)
    exact = plot is not None or group is not None or suffix in (".html", ".htm")
    if engine not in ("simpy", "fast"):
        raise ConfigError("unknown engine", key="--engine", value=engine,
                          expected="simpy | fast")
    result = simulate_for(arch, spec, trace, fidelity=fidelity, check=check, record=exact,
                          engine=engine)
    written = []
    if plot is not None:
        from accelsim.analysis.plots import figure_png, result_breakdown_figure

        write_output(plot, figure_png(result_breakdown_figure(result)), key=None)
        written.append(plot)
    if output is not None:
        write_output(output, _html_report(result) if suffix in (".html", ".htm")
                      else report.result_csv(result) if suffix == ".csv"
                      else report.result_json(result, include_timing=False))
        written.append(output)
    if fmt == "table":
        console = Console(width=max(Console().width, 180))
        report.render_table(result, console)
        if group is not None:
            report.render_groups(result, group, console)
        if check:
            console.print("engine invariants hold (MACs and bytes conserved, every step run "
                          "once per stage, banks within capacity, producers before readers, "
                          "latency above every lower bound)")
    elif output is None:
        text = (report.result_json(result, include_timing=False) if fmt == "json"
                else report.result_csv(result))
        sys.stdout.write(text + ("" if text.endswith("\n") else "\n"))
    for path in written:
        print(f"wrote {path}", file=sys.stderr if fmt != "table" else sys.stdout)


@app.command("accuracy")
def accuracy_cmd(
    seed: Annotated[int, typer.Option("--seed", help="seed of the synthetic inputs")] = 0,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table | markdown | json")] = "table",
) -> None:
    """Operator-level error of E2Softmax / AILayerNorm / I-ViT units vs float references."""
    import json

    from accelsim.errors import ConfigError
    from accelsim.functional.accuracy import accuracy_table, table_markdown

    if fmt not in ("table", "markdown", "json"):
        raise ConfigError("unknown format", key="--format", value=fmt,
                          expected="table | markdown | json")
    rows = accuracy_table(seed=seed)
    if fmt == "markdown":
        print(table_markdown(rows))
        return
    if fmt == "json":
        print(json.dumps(rows, indent=1, sort_keys=True))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Operator accuracy vs float (seed {seed})")
    keys = list(rows[0])
    for key in keys:
        table.add_column(key, justify="left" if key in ("unit", "input") else "right")
    for row in rows:
        table.add_row(*("-" if row[k] is None else f"{row[k]:.5g}" if isinstance(row[k], float)
                        else str(row[k]) for k in keys))
    Console(width=max(Console().width, 140)).print(table)


def _html_report(result) -> str:
    from accelsim.analysis import report
    from accelsim.analysis.plots import (
        figure_png,
        result_breakdown_figure,
        result_roofline_figure,
    )

    return report.result_html(result, {
        "Roofline": figure_png(result_roofline_figure(result)),
        "Latency breakdown": figure_png(result_breakdown_figure(result))})
