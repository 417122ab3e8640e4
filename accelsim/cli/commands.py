"""``list``, ``trace``, ``import`` and ``accuracy``: parse -> public API -> render
(simulate: simulate.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from accelsim.cli.app import (
    BatchOpt,
    ImageOpt,
    InputShapeOpt,
    ModelOpt,
    OutOpt,
    OverrideOpt,
    QuantOpt,
    SeqOpt,
    UnknownOpsOpt,
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
    seq_len: SeqOpt = None,
    batch: BatchOpt = None,
    quant: QuantOpt = None,
    override: OverrideOpt = None,
    output: OutOpt = None,
    input_shape: InputShapeOpt = None,
    unknown_ops: UnknownOpsOpt = None,
) -> None:
    """Generate a quantized operator trace (accelsim.trace/1 YAML) and print its statistics."""
    from accelsim.analysis.report import render_trace_stats
    from accelsim.workload.trace import save_trace

    output_suffix(output, (".yaml", ".yml"))
    trace = model_trace(model, image_size, batch, quant, override, seq_len=seq_len,
                        input_shape=input_shape, unknown_ops=unknown_ops)
    import_notes(trace)
    if output is not None:
        save_trace(trace, output)
    out = make_console()
    render_trace_stats(trace, out)
    if output is not None:
        out.print(f"wrote {output}")


def import_notes(trace) -> None:
    """stderr notes of an imported ONNX graph: operators run as vector work, and (for a
    quantized graph) the operators that stayed float."""
    if not trace.meta.get("warnings") and trace.quant != "graph":
        return  # no note to print (onnx.report's cases): a built-in model skips the import
    from accelsim.workload.onnx.report import import_notes as notes

    for line in notes(trace):
        print(f"accelsim: note: {line}", file=sys.stderr)


@app.command("import")
def import_cmd(
    model: Annotated[Path, typer.Argument(help="ONNX model (.onnx)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="trace file to write (.yaml)")],
    input_shape: InputShapeOpt = None,
    unknown_ops: UnknownOpsOpt = None,
    quant: QuantOpt = None,
) -> None:
    """Import an ONNX model (float, QDQ or QOperator) as an editable accelsim.trace/1 file."""
    from accelsim.analysis.report import render_trace_stats
    from accelsim.errors import TraceError
    from accelsim.workload.load import is_onnx
    from accelsim.workload.trace import save_trace

    if not is_onnx(model):
        raise TraceError("not an ONNX model", file=str(model), expected="a .onnx file")
    output_suffix(output, (".yaml", ".yml"))
    trace = model_trace(str(model), None, None, quant, input_shape=input_shape,
                        unknown_ops=unknown_ops)
    import_notes(trace)
    save_trace(trace, output)
    out = make_console()
    render_trace_stats(trace, out)
    out.print(f"wrote {output}")


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
