"""``compare A.json B.json ...``: saved results side by side, deltas against the first."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from accelsim.cli.app import FormatOpt, OutOpt, app, output_suffix
from accelsim.cli.figures import (
    FIGURE_SUFFIXES,
    DpiOpt,
    FigsizeOpt,
    StyleOpt,
    check_figure_options,
    parse_figsize,
)
from accelsim.cli.simulate import LayersOpt, _compared


@app.command("compare")
def compare_cmd(
    results: Annotated[list[Path], typer.Argument(
        help="result files written by simulate -o run.json (the first is the baseline)")],
    fmt: FormatOpt = "table",
    output: OutOpt = None,
    layers: LayersOpt = "top:10",
    plot: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--plot", help="write the per-block latency chart: .png | .svg | .pdf")] = None,
    dpi: DpiOpt = None,
    figsize: FigsizeOpt = None,
    style_name: StyleOpt = "screen",
) -> None:
    """Compare saved runs: summary deltas, per-block and per-layer differences (-o .csv | .html
    | .json, --plot)."""
    from accelsim.analysis.compare import load_result, run_labels
    from accelsim.analysis.terminal import parse_layers
    from accelsim.errors import ConfigError

    if fmt not in ("table", "json", "csv"):
        raise ConfigError("unknown format", key="--format", value=fmt,
                          expected="table | json | csv")
    suffix = output_suffix(output, (".json", ".csv", ".html", ".htm"))
    output_suffix(plot, FIGURE_SUFFIXES, key="--plot")
    check_figure_options(dpi, style_name)
    size = parse_figsize(figsize)
    limit = parse_layers(layers)
    if len(results) < 2:
        raise ConfigError("compare needs two or more result files", key="RESULTS",
                          expected="A.json B.json ...")
    runs = [load_result(path) for path in results]
    labels = list(run_labels(runs))
    if len(set(labels)) != len(labels) or any("#" in label for label in labels):
        labels = list(run_labels(runs, [p.stem for p in results]))
    _compared(runs, labels, fmt, output, suffix, plot, limit, dpi, size, style_name)
