"""``explore``: multi-objective design-space search under budgets (Optuna), resumable."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from accelsim.cli.app import ArchOpt, OutOpt, app
from accelsim.cli.app import console as make_console


@app.command("explore")
def explore_cmd(
    space: Annotated[Path, typer.Option("--space", "-s", help="design-space YAML file")],
    arch: ArchOpt = "sole",
    model: Annotated[str, typer.Option("--model", "-m",
                                       help="built-in model or trace file")] = "vit_base",
    image_size: Annotated[int, typer.Option("--image-size", help="input resolution")] = 224,
    batch: Annotated[int, typer.Option("--batch", "-b", help="images per inference")] = 1,
    quant: Annotated[str, typer.Option("--quant", "-q", help="quantization scheme")] = "sole",
    objectives: Annotated[str, typer.Option(
        "--objectives", help="metrics to minimize (fps etc. maximized): latency,energy,area"
    )] = "latency,energy,area",
    constraint: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
        "--constraint", "-c", help="budget, e.g. 'area_mm2<=2' (repeatable)")] = None,
    trials: Annotated[int, typer.Option("--trials", "-n", help="trials to run")] = 100,
    sampler: Annotated[str, typer.Option("--sampler",
                                         help="nsga2 | tpe | random | grid")] = "nsga2",
    seed: Annotated[int, typer.Option("--seed", help="sampler seed")] = 0,
    round_size: Annotated[Optional[int], typer.Option(  # noqa: UP045
        "--round-size", help="trials proposed together (NSGA-II: population)")] = None,
    output: OutOpt = None,
    storage: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--storage", help="study file (.journal or .db) [<-o stem>.journal]")] = None,
    plot_dir: Annotated[Optional[Path], typer.Option("--plot-dir", help="write PNGs here")] = None,  # noqa: UP045
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", help="worker processes")] = None,  # noqa: UP045
    scheduler: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--scheduler", help="dask.distributed scheduler, tcp://HOST:PORT")] = None,
    reference: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--reference", help="hypervolume reference point, one value per objective")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="continue the study in -o")] = False,
) -> None:
    """Search a design space for the Pareto front of the objectives under the budgets."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from accelsim.dse.explore import run_explore

    ref = _parse_reference(reference)
    console = make_console(160)
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("explore", total=None)
        result = run_explore(
            arch, model, space, objectives=objectives, constraints=constraint or [],
            trials=trials, sampler=sampler, seed=seed, image_size=image_size, batch=batch,
            quant=quant, round_size=round_size, jobs=jobs, scheduler=scheduler, output=output,
            storage=storage, resume=resume, reference=ref, plot_dir=plot_dir,
            progress=lambda done, total, _r: bar.update(task, completed=done, total=total))
    _render(result, console)
    for path in result.files:
        console.print(f"wrote {path}")
    if plot_dir is not None:
        from accelsim.dse.explore_plots import save_plots

        for path in save_plots(result.rows, result.objectives, result.reference, plot_dir):
            console.print(f"wrote {path}")


def _parse_reference(text: str | None) -> list[float] | None:
    if text is None:
        return None
    from accelsim.errors import ConfigError

    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise ConfigError("not a list of numbers", key="--reference", value=text,
                          expected="one number per objective, e.g. 30,50,2") from None


def _render(result, console) -> None:
    from rich.table import Table

    rows = result.rows
    names = [n for n in result.space.names if len({str(r.get(n)) for r in rows}) > 1] or \
        list(result.space.names)
    table = Table(title=f"Pareto front: {len(result.pareto)} designs")
    for col in ("trial", *names, *(o.column for o in result.objectives)):
        table.add_column(col, justify="right")
    for r in result.pareto:
        table.add_row(str(r["trial"]), *(str(r.get(n)) for n in names),
                      *(f"{r[o.column]:.4g}" for o in result.objectives))
    console.print(table)
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in ("ok", "error", "rejected")}
    feasible = sum(1 for r in rows if r.get("feasible"))
    repeats = sum(1 for r in rows if r.get("duplicate_of") is not None)
    console.print(f"{len(rows)} trials: {result.evaluations} designs simulated "
                  f"({result.simulated} in this run), {repeats} repeats, "
                  f"{counts['rejected']} rejected by the space's constraints, "
                  f"{counts['error']} failed, {feasible} feasible; "
                  f"hypervolume {result.hypervolume:.6g}")
