"""Command line: parse -> public API -> render. Errors are one line on stderr, exit code 2;
``--debug`` shows the traceback."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from accelsim.errors import AccelsimError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="accelsim: cycle-level simulator of quantized-ViT accelerators.",
    pretty_exceptions_enable=False,
)
_state = {"debug": False}

ArchOpt = Annotated[str, typer.Option("--arch", "-a", help="bundled config name or YAML path")]
ModelOpt = Annotated[str, typer.Option("--model", "-m", help="built-in model or trace file")]
ImageOpt = Annotated[Optional[int],  # noqa: UP045
                     typer.Option("--image-size", help="input resolution (pixels) [224]")]
BatchOpt = Annotated[Optional[int],  # noqa: UP045
                     typer.Option("--batch", "-b", help="images per inference [1]")]
QuantOpt = Annotated[Optional[str],  # noqa: UP045
                     typer.Option("--quant", "-q", help="quantization scheme [sole]")]
SetOpt = Annotated[Optional[list[str]],  # noqa: UP045 - typer needs Optional
                   typer.Option("--set", help="override an arch field: KEY.PATH=VALUE")]
OverrideOpt = Annotated[Optional[list[str]],  # noqa: UP045
                        typer.Option("--override",
                                     help="per-op scheme: OP_GLOB=SCHEME (e.g. 'head.*=w8a8')")]
OutOpt = Annotated[Optional[Path], typer.Option("--output", "-o", help="write to this file")]  # noqa: UP045


@app.callback()
def _main(debug: Annotated[bool, typer.Option("--debug", help="show tracebacks")] = False) -> None:
    _state["debug"] = debug


def model_trace(model: str, image_size: int | None, batch: int | None, quant: str | None,
                override: list[str] | None = None, default_quant: str = "sole"):
    """``--model`` with its options: a built-in model is generated at the given size, batch
    and scheme (defaults 224, 1, ``default_quant``); a trace file carries its own shapes and
    bit widths, so giving those options with one is an error, not silently ignored."""
    from accelsim.errors import TraceError
    from accelsim.workload.load import load_trace
    from accelsim.workload.models import MODELS

    if model not in MODELS:
        given = [flag for flag, value in (("--image-size", image_size), ("--batch", batch),
                                          ("--quant", quant), ("--override", override))
                 if value is not None and value != []]
        if given:
            raise TraceError("applies to built-in models only: a trace file fixes its own "
                             "shapes and bit widths", file=model, key=given[0])
    try:
        return load_trace(model, 224 if image_size is None else image_size,
                          1 if batch is None else batch,
                          default_quant if quant is None else quant, parse_op_overrides(override))
    except TraceError as exc:  # name the flag the user typed, not the parameter
        flag = {"image_size": "--image-size", "batch": "--batch", "quant": "--quant"}
        if exc.key not in flag:
            raise
        raise TraceError(exc.message, file=exc.file, key=flag[exc.key], value=exc.value,
                         expected=exc.expected) from None


def parse_op_overrides(items: list[str] | None) -> dict[str, str]:
    """``["head.*=w8a8"]`` -> {"head.*": "w8a8"}."""
    from accelsim.errors import TraceError

    out: dict[str, str] = {}
    for item in items or []:
        pattern, sep, scheme = item.partition("=")
        if not sep or not pattern.strip() or not scheme.strip():
            raise TraceError("bad per-op override", key="--override", value=item,
                             expected="OP_GLOB=SCHEME, e.g. 'head.*=w8a8'")
        out[pattern.strip()] = scheme.strip()
    return out


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
    batch: BatchOpt = None,
    quant: QuantOpt = None,
    override: OverrideOpt = None,
    output: OutOpt = None,
) -> None:
    """Generate a quantized operator trace (accelsim.trace/1 YAML) and print its statistics."""
    from rich.console import Console

    from accelsim.analysis.report import render_trace_stats
    from accelsim.workload.trace import save_trace

    _output_suffix(output, (".yaml", ".yml"))
    trace = model_trace(model, image_size, batch, quant, override)
    if output is not None:
        save_trace(trace, output)
    console = Console()
    render_trace_stats(trace, console)
    if output is not None:
        console.print(f"wrote {output}")


FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table | json | csv")]


def _write_output(path: Path, data: str | bytes, key: str | None = "--output") -> None:
    """Write a file the user named (parent folders are created); text is UTF-8."""
    from accelsim.errors import ConfigError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    except OSError as exc:
        raise ConfigError(f"cannot write file: {exc.strerror or exc}", file=str(path),
                          key=key) from None


@app.command("simulate")
def simulate_cmd(
    arch: ArchOpt = "sole",
    model: ModelOpt = "vit_base",
    image_size: ImageOpt = None,
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
) -> None:
    """Simulate a model on an accelerator: per-layer table and summary (-o x.html: report)."""
    from rich.console import Console

    from accelsim.analysis import report
    from accelsim.arch.load import load_arch
    from accelsim.errors import ConfigError

    if fmt not in ("table", "json", "csv"):
        raise ConfigError("unknown format", key="--format", value=fmt,
                          expected="table | json | csv")
    suffix = _output_suffix(output, (".json", ".csv", ".html", ".htm"))
    if fmt != "table" and suffix is not None and suffix != f".{fmt}":
        raise ConfigError(f"--format {fmt} does not match the output file", key="--output",
                          value=str(output), expected=f"a .{fmt} file, or no --format")
    _output_suffix(plot, (".png",), key="--plot")
    spec = load_arch(arch, set_ or [])
    trace = model_trace(model, image_size, batch, quant, override)
    if group is not None and group not in ("kind", "block", "unit"):
        raise ConfigError("unknown group-by key", key="--group", value=group,
                          expected="kind | block | unit")
    if group is not None and fmt != "table":
        raise ConfigError("--group adds a table view", key="--group", value=group,
                          expected="--format table (the HTML report holds every group-by view)")
    # the event log times unit busy intervals exactly for the breakdown views; JSON/CSV
    # exports leave it out (it would land in the result's extra data)
    exact = plot is not None or group is not None or suffix in (".html", ".htm")
    result = _simulate_for(arch, spec, trace, fidelity=fidelity, check=check, record=exact)
    written = []
    if plot is not None:
        from accelsim.analysis.plots import figure_png, result_breakdown_figure

        _write_output(plot, figure_png(result_breakdown_figure(result)), key=None)
        written.append(plot)
    if output is not None:
        _write_output(output, _html_report(result) if suffix in (".html", ".htm")
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


def _output_suffix(path: Path | None, allowed: tuple[str, ...],
                   key: str = "--output") -> str | None:
    """The lower-case suffix of an output path the user named; an unsupported type is an error
    before anything runs (the file type decides what is written)."""
    if path is None:
        return None
    from accelsim.errors import ConfigError

    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise ConfigError("unsupported output file type", key=key, value=str(path),
                          expected=" | ".join(allowed))
    return suffix


def _simulate_for(arch_name: str, spec, trace, record: bool = False, **options):
    """simulate(), with a mapping error also naming the arch it came from."""
    from accelsim.arch.load import resolve_arch_path
    from accelsim.engine.simulator import simulate
    from accelsim.errors import MappingError

    try:
        return simulate(spec, trace, record=record, **options)
    except MappingError as exc:
        raise MappingError(exc.message, file=str(resolve_arch_path(arch_name)), key=exc.key,
                           value=exc.value, expected=exc.expected) from None


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


@app.command("roofline")
def roofline_cmd(
    arch: ArchOpt = "sole",
    model: ModelOpt = "vit_base",
    image_size: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--image-size", help="input resolution (pixels) [224]; 224,384 compares the "
                             "per-operator tables and prints each operator's growth")] = None,
    batch: BatchOpt = None,
    quant: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--quant", "-q", help="quantization scheme (default: sole; fp16 on a reference "
                              "device, as in the survey)")] = None,
    set_: SetOpt = None,
    fmt: FormatOpt = "table",
    output: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--output", "-o", help="write PATH.png (plot), .json or .csv")] = None,
    reference: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--reference", help="overlay a reference device (e.g. rtx4090) on the plot")] = None,
) -> None:
    """Roofline placement of every layer: simulated on an accelerator, analytical (survey
    convention) on a reference device."""
    from rich.console import Console

    from accelsim.analysis import report, roofline
    from accelsim.analysis.views import describe_run
    from accelsim.arch.load import load_arch
    from accelsim.errors import ConfigError

    if fmt not in ("table", "json", "csv"):
        raise ConfigError("unknown format", key="--format", value=fmt,
                          expected="table | json | csv")
    suffix = _output_suffix(output, (".png", ".json", ".csv"))
    if fmt != "table" and suffix in (".json", ".csv") and suffix != f".{fmt}":
        raise ConfigError(f"--format {fmt} does not match the output file", key="--output",
                          value=str(output), expected=f"a .{fmt} or .png file, or no --format")
    sizes: list[int | None] = _parse_sizes(image_size) if image_size is not None else [None]
    if len(sizes) > 1 and (fmt != "table" or output is not None or reference is not None):
        raise ConfigError("several image sizes print the per-operator tables and their growth",
                          key="--image-size", value=image_size,
                          expected="one size with --format json|csv, -o or --reference")
    if reference is not None and suffix != ".png":
        raise ConfigError("--reference overlays the roofline plot", key="--reference",
                          value=reference, expected="-o PATH.png as well")
    spec = load_arch(arch, set_ or [])
    default_quant = "fp16" if spec.kind == "reference" else "sole"
    runs = [_roofline_run(arch, spec, model, size, batch, quant, default_quant)
            for size in sizes]
    trace, roofs, placements, operators = runs[0]
    title = describe_run(trace.model or trace.name, trace.image_size, trace.batch, trace.quant,
                         spec)
    if len(runs) > 1:
        console = Console(width=max(Console().width, 180))
        for run_trace, run_roofs, run_placements, run_operators in runs:
            report.render_roofline(
                run_roofs, run_placements, run_operators,
                describe_run(run_trace.model or run_trace.name, run_trace.image_size,
                             run_trace.batch, run_trace.quant, spec),
                console, per_layer=False)
        for size, (_, _, _, later) in zip(sizes[1:], runs[1:], strict=True):
            report.render_operator_growth(roofline.operator_growth(operators, later),
                                          f"per block, {sizes[0]} -> {size} px", console)
        return
    ref = None
    if reference is not None:
        ref_spec = load_arch(reference)
        if ref_spec.kind != "reference":
            raise ConfigError("not a reference device", key="--reference", value=reference,
                              expected="an arch with kind: reference (e.g. rtx4090)")
        ref_trace = model_trace(model, sizes[0], batch, quant, default_quant="fp16")
        ref = roofline.reference_placements(ref_spec, ref_trace)
    meta = {"arch": spec.name, "model": trace.name, "image_size": trace.image_size,
            "quant": trace.quant}
    text = {"json": lambda: report.roofline_json(roofs, placements, operators, meta),
            "csv": lambda: report.roofline_csv(placements)}
    if output is not None:
        if suffix == ".png":
            from accelsim.analysis.plots import figure_png, roofline_figure

            figure = roofline_figure(roofs, placements, f"Roofline: {title}", ref,
                                     analytical=spec.kind == "reference")
            _write_output(output, figure_png(figure), key=None)
        else:
            _write_output(output, text["csv" if suffix == ".csv" else "json"]())
    if fmt == "table":
        console = Console(width=max(Console().width, 180))
        report.render_roofline(roofs, placements, operators, title, console,
                               per_layer=spec.kind != "reference" or not operators)
        if output is not None:
            console.print(f"wrote {output}")
    elif output is None or suffix == ".png":
        sys.stdout.write(text[fmt]())
        sys.stdout.write("\n")
    if output is not None and fmt != "table":
        print(f"wrote {output}", file=sys.stderr)


def _parse_sizes(text: str) -> list[int]:
    from accelsim.errors import ConfigError

    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        sizes = []
    if not sizes or any(size <= 0 for size in sizes):
        raise ConfigError("bad image size", key="--image-size", value=text,
                          expected="positive integers, e.g. 224 or 224,384")
    return sizes


def _roofline_run(arch_name: str, spec, model: str, size: int | None, batch: int | None,
                  quant: str | None, default_quant: str):
    """(trace, roofs, placements, operator rows): analytical on a reference device, simulated
    on an accelerator."""
    from accelsim.analysis import roofline

    trace = model_trace(model, size, batch, quant, default_quant=default_quant)
    if spec.kind == "reference":
        roofs, placements = roofline.reference_placements(spec, trace)
    else:
        roofs, placements = roofline.place_result(_simulate_for(arch_name, spec, trace))
    return trace, roofs, placements, roofline.operator_table(placements, roofs)


@app.command("sweep")
def sweep_cmd(
    arch: ArchOpt = "sole",
    model: Annotated[str, typer.Option("--model", "-m",
                                       help="model(s): vit_tiny,vit_base")] = "vit_base",
    image_size: Annotated[str, typer.Option("--image-size", help="size(s): 224,384")] = "224",
    batch: Annotated[str, typer.Option("--batch", "-b", help="batch size(s): 1,4")] = "1",
    quant: Annotated[str, typer.Option("--quant", "-q", help="scheme(s): sole,w8a8")] = "sole",
    pe: Annotated[Optional[str], typer.Option("--pe", help="array sizes: 8x8,16x16")] = None,  # noqa: UP045
    set_: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
        "--set", help="sweep an arch field: KEY.PATH=V1,V2,...")] = None,
    zip_axes: Annotated[bool, typer.Option("--zip", help="pair the lists, no product")] = False,
    output: OutOpt = None,
    plot_dir: Annotated[Optional[Path], typer.Option("--plot-dir", help="write PNGs here")] = None,  # noqa: UP045
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", help="worker processes")] = None,  # noqa: UP045
    scheduler: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--scheduler", help="dask.distributed scheduler, tcp://HOST:PORT")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="skip points already in -o")] = False,
) -> None:
    """Simulate a grid of design points (cartesian product, or --zip) and tabulate/plot them."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from accelsim.errors import ConfigError
    from accelsim.sweep import run_sweep

    if resume and output is None:
        raise ConfigError("--resume needs the file of a previous run", key="--resume",
                          expected="-o sweep.csv")
    console = Console(width=max(Console().width, 180))
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("sweep", total=None)
        records = run_sweep(
            arch, model, pe=pe, overrides=set_, image_size=image_size, batch=batch, quant=quant,
            zip_axes=zip_axes, jobs=jobs, scheduler=scheduler, output=output, resume=resume,
            plot_dir=plot_dir,
            progress=lambda done, total, _r: bar.update(task, completed=done, total=total))
    from accelsim.sweep_plots import render_table

    render_table(records, f"sweep: {len(records)} points on {arch}", console)
    if output is not None:
        console.print(f"wrote {output}")
    if plot_dir is not None:
        from accelsim.sweep_plots import save_plots

        for path in save_plots(records, plot_dir):
            console.print(f"wrote {path}")


def main() -> None:
    """Console-script entry point: one readable line for user errors, no traceback.

    Click (typer ships its own copy of it) runs in non-standalone mode so that its usage
    errors (a bad option value, an unknown option) come here too and print as one line, exit
    code 2, like accelsim's own errors."""
    try:
        code = app(standalone_mode=False)
    except AccelsimError as exc:
        if _state["debug"]:
            raise
        print(f"accelsim: error: {exc}".replace("\n", " "), file=sys.stderr)
        sys.exit(2)
    except Exception as exc:
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):  # click's usage
            if type(exc).__name__ != "NoArgsIsHelpError":  # errors; that one printed help
                print(f"accelsim: error: {exc.format_message()}".replace("\n", " "),
                      file=sys.stderr)
            sys.exit(exc.exit_code)
        if _state["debug"]:
            raise
        if type(exc).__name__ == "Abort":  # Ctrl-C
            print("accelsim: aborted", file=sys.stderr)
            sys.exit(130)
        print(f"accelsim: internal error: {type(exc).__name__}: {exc} (run with --debug for "
              "the traceback)", file=sys.stderr)
        sys.exit(1)
    if isinstance(code, int) and code:
        sys.exit(code)


if __name__ == "__main__":
    main()
