"""``list``, ``trace`` and ``accuracy``: parse -> public API -> render (simulate: simulate.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from accelsim.cli.app import (
    BatchOpt,
    ImageOpt,
    ModelOpt,
    OutOpt,
    OverrideOpt,
    QuantOpt,
    app,
    model_trace,
    output_suffix,
)
from accelsim.cli.figures import make_console


@app.command("list")
def list_cmd() -> None:
    """List bundled architectures, built-in models and quantization schemes."""
    from accelsim.analysis.report import render_catalogue
    from accelsim.arch.load import bundled_arch_names, load_arch
    from accelsim.workload.models import MODELS
    from accelsim.workload.quant import SCHEMES

    render_catalogue([(name, load_arch(name)) for name in bundled_arch_names()],
                     MODELS.items(), SCHEMES.values(), make_console())


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
    from accelsim.analysis.report import render_trace_stats
    from accelsim.workload.trace import save_trace

    output_suffix(output, (".yaml", ".yml"))
    trace = model_trace(model, image_size, batch, quant, override)
    if output is not None:
        save_trace(trace, output)
    console = make_console()
    render_trace_stats(trace, console)
    if output is not None:
        console.print(f"wrote {output}")


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
    from rich.table import Table

    table = Table(title=f"Operator accuracy vs float (seed {seed})")
    keys = list(rows[0])
    for key in keys:
        table.add_column(key, justify="left" if key in ("unit", "input") else "right")
    for row in rows:
        table.add_row(*("-" if row[k] is None else f"{row[k]:.5g}" if isinstance(row[k], float)
                        else str(row[k]) for k in keys))
    make_console().print(table)
