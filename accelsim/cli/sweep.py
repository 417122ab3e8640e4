"""``sweep``: a grid of design points on a process pool or a dask cluster."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from accelsim.cli.app import EXIT_POINTS_FAILED, ArchOpt, EngineOpt, OutOpt, app, error_line
from accelsim.cli.figures import (
    DpiOpt,
    FigsizeOpt,
    StyleOpt,
    check_figure_options,
    make_console,
    parse_figsize,
)


@app.command("sweep")
def sweep_cmd(
    arch: ArchOpt = "sole",
    model: Annotated[str, typer.Option("--model", "-m",
                                       help="model(s): vit_tiny,vit_base")] = "vit_base",
    image_size: Annotated[str, typer.Option("--image-size", help="size(s): 224,384")] = "224",
    batch: Annotated[str, typer.Option("--batch", "-b", help="batch size(s): 1,4")] = "1",
    quant: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--quant", "-q", help="scheme(s): sole,w8a8 [sole; 'graph' (an ONNX model's own "
                              "widths) when every model is .onnx]")] = None,
    pe: Annotated[Optional[str], typer.Option("--pe", help="array sizes: 8x8,16x16")] = None,  # noqa: UP045
    set_: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
        "--set", help="sweep an arch field: KEY.PATH=V1,V2,...")] = None,
    zip_axes: Annotated[bool, typer.Option("--zip", help="pair the lists, no product")] = False,
    output: OutOpt = None,
    plot_dir: Annotated[Optional[Path], typer.Option("--plot-dir", help="write PNGs here")] = None,  # noqa: UP045
    jobs: Annotated[Optional[int], typer.Option(  # noqa: UP045
        "--jobs", "-j", help="worker processes [CPUs; capped at min(points, CPUs)]")] = None,
    scheduler: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--scheduler", help="dask.distributed scheduler, tcp://HOST:PORT")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="skip points already in -o")] = False,
    plot_format: Annotated[str, typer.Option(
        "--plot-format", help="figure files in --plot-dir: png | svg | pdf")] = "png",
    dpi: DpiOpt = None,
    figsize: FigsizeOpt = None,
    style_name: StyleOpt = "screen",
    engine: EngineOpt = "auto",
) -> None:
    """Simulate a grid of design points (cartesian product, or --zip) and tabulate/plot them."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from accelsim.dse.sweep import run_sweep
    from accelsim.errors import ConfigError

    if plot_format not in ("png", "svg", "pdf"):
        raise ConfigError("unknown figure format", key="--plot-format", value=plot_format,
                          expected="png | svg | pdf")
    check_figure_options(dpi, style_name)
    size = parse_figsize(figsize)
    if resume and output is None:
        raise ConfigError("--resume needs the file of a previous run", key="--resume",
                          expected="-o sweep.csv")
    if quant is None:
        onnx_only = all(m.strip().lower().endswith(".onnx") for m in model.split(","))
        quant = "graph" if onnx_only else "sole"
    _spec_warnings(arch)
    console = make_console()
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("sweep", total=None)
        records = run_sweep(
            arch, model, pe=pe, overrides=set_, image_size=image_size, batch=batch, quant=quant,
            zip_axes=zip_axes, jobs=jobs, scheduler=scheduler, output=output, resume=resume,
            plot_dir=plot_dir, engine=engine,
            progress=lambda done, total, _r: bar.update(task, completed=done, total=total))
    from accelsim.dse.sweep_plots import render_table

    render_table(records, f"sweep: {len(records)} points on {arch}", console)
    if output is not None:
        console.print(f"wrote {output}")
    if plot_dir is not None:
        from accelsim.dse.sweep_plots import save_plots

        for path in save_plots(records, plot_dir, plot_format, dpi, size, style_name):
            console.print(f"wrote {path}")
    failed = [r for r in records if r.get("status") != "ok"]
    if failed:
        first = failed[0]
        where = f"; their rows in {output} have status=error" if output is not None else ""
        message = (f"accelsim: error: sweep: {len(failed)} of {len(records)} points failed "
                   f"(point {first['index']}: {first.get('error_type')}: {first.get('error')})"
                   f"{where}")
        print(error_line(message), file=sys.stderr)
        raise typer.Exit(EXIT_POINTS_FAILED)



def _spec_warnings(arch: str) -> None:
    """The base arch's honest-default warnings (defaulted units, implausible values), once,
    on stderr; the swept overrides are validated by run_sweep."""
    from accelsim.arch.load import load_arch
    from accelsim.engine.warnings import spec_warnings

    for warning in spec_warnings(load_arch(arch)):
        print(f"accelsim: warning: {warning}", file=sys.stderr)
