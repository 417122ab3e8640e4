"""``sweep``: a grid of design points on a process pool or a dask cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from accelsim.cli.app import ArchOpt, OutOpt, app


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
    jobs: Annotated[Optional[int], typer.Option(  # noqa: UP045
        "--jobs", "-j", help="worker processes [CPUs; capped at min(points, CPUs)]")] = None,
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
