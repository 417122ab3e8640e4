"""``roofline``: every layer on the roofline, simulated on an accelerator or analytical on a
reference device; several image sizes compare the per-operator tables."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from accelsim.cli.app import (
    ArchOpt,
    BatchOpt,
    FormatOpt,
    ModelOpt,
    SetOpt,
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
    sizes: list[int | None] = ([None] if image_size is None
                               else list(parse_positive_ints("--image-size", image_size)))
    if len(sizes) > 1 and (is_figure or reference is not None or fmt == "json" and
                           suffix == ".csv" or fmt == "csv" and suffix == ".json"):
        raise ConfigError("several image sizes print the per-operator tables and their growth",
                          key="--image-size", value=image_size,
                          expected="one size with a figure or --reference; -o growth.csv | "
                                   ".json exports the growth table")
    if reference is not None and not is_figure:
        raise ConfigError("--reference overlays the roofline plot", key="--reference",
                          value=reference, expected="-o PATH.png | .svg | .pdf as well")
    spec = load_arch(arch, set_ or [])
    default_quant = "fp16" if spec.kind == "reference" else "sole"
    runs = [_roofline_run(arch, spec, model, size, batch, quant, default_quant)
            for size in sizes]
    trace, roofs, placements, operators, fused = runs[0]
    title = describe_run(trace.model or trace.name, trace.image_size, trace.batch, trace.quant,
                         spec)
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
                             run_trace.batch, run_trace.quant, spec),
                console, per_layer=False)
        for before, size, growth in growths:
            report.render_operator_growth(growth, f"per block, {before} -> {size} px", console)
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
                               per_layer=spec.kind != "reference" or not operators)
        if output is not None:
            console.print(f"wrote {output}", markup=False)
    elif output is None or is_figure:
        sys.stdout.write(text[fmt]())
        sys.stdout.write("\n")
    if output is not None and fmt != "table":
        print(f"wrote {output}", file=sys.stderr)


def _roofline_run(arch_name: str, spec, model: str, size: int | None, batch: int | None,
                  quant: str | None, default_quant: str):
    """(trace, roofs, placements, operator rows, fused epilogue names): analytical on a
    reference device, simulated on an accelerator."""
    from accelsim.analysis import roofline

    trace = model_trace(model, size, batch, quant, default_quant=default_quant)
    fused: list[str] = []
    if spec.kind == "reference":
        roofs, placements = roofline.reference_placements(spec, trace)
    else:
        result = simulate_for(arch_name, spec, trace)
        print_warnings([result])
        roofs, placements = roofline.place_result(result)
        fused = [x.name for x in result.layers if x.fused_into]
    return trace, roofs, placements, roofline.operator_table(placements, roofs), fused
