"""``roofline``: every layer on the roofline, simulated on an accelerator or analytical on a
reference device; several image sizes (or sequence lengths) compare the per-operator tables."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from accelsim.cli.app import (
    ArchOpt,
    BatchOpt,
    FormatOpt,
    InputShapeOpt,
    ModelOpt,
    SetOpt,
    UnknownOpsOpt,
    app,
    model_trace,
    output_suffix,
    simulate_for,
    write_output,
)
from accelsim.cli.figures import (
    FIGURE_SUFFIXES,
    DpiOpt,
    FigsizeOpt,
    StyleOpt,
    check_figure_options,
    figure_file,
    make_console,
    parse_figsize,
    print_warnings,
)


@app.command("roofline")
def roofline_cmd(
    arch: ArchOpt = "sole",
    model: ModelOpt = "vit_base",
    image_size: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--image-size", help="input resolution (pixels) [224]; 224,384 compares the "
                             "per-operator tables and prints each operator's growth")] = None,
    seq_len: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--seq-len", help="tokens per sequence, text models (BERT) [128]; 128,512 compares "
                          "the per-operator tables like --image-size")] = None,
    batch: BatchOpt = None,
    quant: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--quant", "-q", help="quantization scheme (default: sole; fp16 on a reference "
                              "device, as in the survey)")] = None,
    set_: SetOpt = None,
    fmt: FormatOpt = "table",
    output: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--output", "-o", help="write PATH.png/.svg/.pdf (plot), .json or .csv (several "
                               "sizes: the growth table)")] = None,
    reference: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--reference", help="overlay a reference device (e.g. rtx4090) on the plot")] = None,
    input_shape: InputShapeOpt = None,
    unknown_ops: UnknownOpsOpt = None,
    dpi: DpiOpt = None,
    figsize: FigsizeOpt = None,
    style_name: StyleOpt = "screen",
) -> None:
    """Roofline placement of every layer: simulated on an accelerator, analytical (survey
    convention) on a reference device."""
    from accelsim.analysis import report, roofline
    from accelsim.analysis.views import describe_run
    from accelsim.arch.load import load_arch
    from accelsim.errors import ConfigError
    from accelsim.sweep_spec import parse_positive_ints

    if fmt not in ("table", "json", "csv"):
        raise ConfigError("unknown format", key="--format", value=fmt,
                          expected="table | json | csv")
    suffix = output_suffix(output, (*FIGURE_SUFFIXES, ".json", ".csv"))
    check_figure_options(dpi, style_name)
    size = parse_figsize(figsize)
    is_figure = suffix in FIGURE_SUFFIXES
    if fmt != "table" and suffix in (".json", ".csv") and suffix != f".{fmt}":
        raise ConfigError(f"--format {fmt} does not match the output file", key="--output",
                          value=str(output), expected=f"a .{fmt} or .png file, or no --format")
    images: list[int | None] = ([None] if image_size is None
                                else list(parse_positive_ints("--image-size", image_size)))
    tokens: list[int | None] = ([None] if seq_len is None
                                else list(parse_positive_ints("--seq-len", seq_len)))
    if len(images) > 1 and len(tokens) > 1:
        raise ConfigError("give several sizes to one of --image-size and --seq-len",
                          key="--seq-len", value=seq_len)
    size_flag, size_text, unit = (("--seq-len", seq_len, "tokens") if len(tokens) > 1
                                  else ("--image-size", image_size, "px"))
    points = [(i, t) for i in images for t in tokens]
    sizes = tokens if len(tokens) > 1 else images
    if len(points) > 1 and (is_figure or reference is not None or fmt == "json" and
                            suffix == ".csv" or fmt == "csv" and suffix == ".json"):
        raise ConfigError("several sizes print the per-operator tables and their growth",
                          key=size_flag, value=size_text,
                          expected="one size with a figure or --reference; -o growth.csv | "
                                   ".json exports the growth table")
    if reference is not None and not is_figure:
        raise ConfigError("--reference overlays the roofline plot", key="--reference",
                          value=reference, expected="-o PATH.png | .svg | .pdf as well")
    spec = load_arch(arch, set_ or [])
    default_quant = "fp16" if spec.kind == "reference" else "sole"
    onnx_opts = {"input_shape": input_shape, "unknown_ops": unknown_ops}
    runs = [_roofline_run(arch, spec, model, size, batch, quant, default_quant, onnx_opts,
                          tokens_)
            for size, tokens_ in points]
    trace, roofs, placements, operators, fused = runs[0]
    title = describe_run(trace.model or trace.name, trace.image_size, trace.batch, trace.quant,
                         spec, trace.seq_len)
    if len(runs) > 1:
        growths = [(sizes[0], size, roofline.operator_growth(operators, later))
                   for size, (_, _, _, later, _) in zip(sizes[1:], runs[1:], strict=True)]
        if output is not None or fmt != "table":
            text = (report.growth_csv(growths) if (suffix or f".{fmt}") == ".csv"
                    else report.growth_json(growths, spec.name, trace.name))
            if output is not None:
                write_output(output, text)
                print(f"wrote {output}", file=sys.stderr)
            else:
                sys.stdout.write(text + ("" if text.endswith("\n") else "\n"))
            if fmt != "table":
                return
        console = make_console()
        for run_trace, run_roofs, run_placements, run_operators, _ in runs:
            report.render_roofline(
                run_roofs, run_placements, run_operators,
                describe_run(run_trace.model or run_trace.name, run_trace.image_size,
                             run_trace.batch, run_trace.quant, spec, run_trace.seq_len),
                console, per_layer=False, categories=roofline.category_table(run_placements))
        for before, size, growth in growths:
            report.render_operator_growth(growth, f"per block, {before} -> {size} {unit}",
                                          console)
        return
    ref = None
    if reference is not None:
        ref_spec = load_arch(reference)
        if ref_spec.kind != "reference":
            raise ConfigError("not a reference device", key="--reference", value=reference,
                              expected="an arch with kind: reference (e.g. rtx4090)")
        ref_trace = model_trace(model, images[0], batch, quant, default_quant="fp16",
                                seq_len=tokens[0], **onnx_opts)
        ref = roofline.reference_placements(ref_spec, ref_trace)
    meta = {"arch": spec.name, "model": trace.name, "image_size": trace.image_size,
            "quant": trace.quant, **({"seq_len": trace.seq_len} if trace.seq_len else {})}
    categories = roofline.category_table(placements)
    text = {"json": lambda: report.roofline_json(roofs, placements, operators, meta, categories),
            "csv": lambda: report.roofline_csv(placements)}
    if output is not None:
        if is_figure:
            from accelsim.analysis.plots import roofline_figure

            figure = roofline_figure(roofs, placements, f"Roofline: {title}", ref,
                                     analytical=spec.kind == "reference", fused=fused,
                                     figsize=size, style_name=style_name)
            figure_file(output, figure, dpi, style_name)
        else:
            write_output(output, text["csv" if suffix == ".csv" else "json"]())
    if fmt == "table":
        console = make_console()
        report.render_roofline(roofs, placements, operators, title, console,
                               per_layer=spec.kind != "reference" or not operators,
                               categories=categories)
        if output is not None:
            console.print(f"wrote {output}", markup=False)
    elif output is None or is_figure:
        sys.stdout.write(text[fmt]())
        sys.stdout.write("\n")
    if output is not None and fmt != "table":
        print(f"wrote {output}", file=sys.stderr)


def _roofline_run(arch_name: str, spec, model: str, size: int | None, batch: int | None,
                  quant: str | None, default_quant: str, onnx_opts: dict,
                  seq_len: int | None = None):
    """(trace, roofs, placements, operator rows, fused epilogue names): analytical on a
    reference device, simulated on an accelerator."""
    from accelsim.analysis import roofline

    trace = model_trace(model, size, batch, quant, default_quant=default_quant, seq_len=seq_len,
                        **onnx_opts)
    fused: list[str] = []
    if spec.kind == "reference":
        roofs, placements = roofline.reference_placements(spec, trace)
    else:
        result = simulate_for(arch_name, spec, trace)
        print_warnings([result])
        roofs, placements = roofline.place_result(result)
        fused = [x.name for x in result.layers if x.fused_into]
    return trace, roofs, placements, roofline.operator_table(placements, roofs), fused
