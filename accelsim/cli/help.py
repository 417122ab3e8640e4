"""The command table: which module registers each command, and its one-line summary.

``accelsim --help`` (and ``accelsim`` alone) prints from this table without importing typer,
rich or any command module, so that it answers in tens of milliseconds; the typer group
(``app.LazyCommands``) imports a command's module only when that command runs or its own
``--help`` is asked. tests/cli/test_startup.py checks the table against the registered
commands (names, order, modules, summaries = the docstrings' first paragraphs)."""

from __future__ import annotations

import textwrap

#: (command, module under accelsim.cli, summary), in the order the help lists them
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("list", "commands",
     "List bundled architectures, built-in models and quantization schemes."),
    ("trace", "commands",
     "Generate a quantized operator trace (accelsim.trace/1 YAML) and print its statistics."),
    ("import", "commands",
     "Import an ONNX model (float, QDQ or QOperator) as an editable accelsim.trace/1 file."),
    ("accuracy", "commands",
     "Operator-level error of E2Softmax / AILayerNorm / I-ViT units vs float references."),
    ("simulate", "simulate",
     "Simulate a model on an accelerator: summary, per-block view, slowest layers (-o x.html: "
     "report). Several --arch or --model names compare the runs."),
    ("compare", "compare",
     "Compare saved runs: summary deltas, per-block and per-layer differences (-o .csv | .html "
     "| .json, --plot)."),
    ("explore", "explore",
     "Search a design space for the Pareto front of the objectives under the budgets."),
    ("map", "mapping",
     "Print the chosen mapping per GEMM layer (tile, loop order, resident operand, batch "
     "order, estimated vs simulated cycles and bytes); -o FILE.yaml writes it for --mapping."),
    ("roofline", "roofline",
     "Roofline placement of every layer: simulated on an accelerator, analytical (survey "
     "convention) on a reference device."),
    ("sweep", "sweep",
     "Simulate a grid of design points (cartesian product, or --zip) and tabulate/plot them."),
)
MODULE_OF = {name: module for name, module, _ in COMMANDS}
SUMMARY = "accelsim: cycle-level simulator of quantized-ViT accelerators."
OPTIONS = (("--debug", "show tracebacks"), ("--help", "show this message and exit"))
WIDTH = 80


def help_text(prog: str = "accelsim") -> str:
    """The top-level help: usage, the global options, every command with its summary."""
    name_width = max(len(name) for name, _, _ in COMMANDS) + 2
    option_width = max(len(flag) for flag, _ in OPTIONS) + 2
    lines = [f"Usage: {prog} [OPTIONS] COMMAND [ARGS]...", "", SUMMARY, "", "Options:"]
    lines += [f"  {flag:<{option_width}}{text}" for flag, text in OPTIONS]
    lines += ["", f"Commands (`{prog} COMMAND --help` for a command's options):"]
    indent = " " * (2 + name_width)
    for name, _, summary in COMMANDS:
        lines += textwrap.wrap(summary, WIDTH, initial_indent=f"  {name:<{name_width}}",
                               subsequent_indent=indent)
    return "\n".join(lines) + "\n"
