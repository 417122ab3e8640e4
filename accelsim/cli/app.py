"""The typer app, its shared options and the helpers every command uses: resolving ``--model``
with its options, output files named by the user, simulating with arch-aware errors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from accelsim.cli.help import COMMANDS, MODULE_OF, SUMMARY


class LazyCommands(TyperGroup):
    """The command group, importing a command's module (accelsim.cli.help.COMMANDS) only when
    the command is looked up: a run pays for its own command, not for all ten."""

    def list_commands(self, ctx: object) -> list[str]:
        return [name for name, _, _ in COMMANDS]

    def get_command(self, ctx: object, cmd_name: str):
        if cmd_name not in self.commands and cmd_name in MODULE_OF:
            import importlib

            importlib.import_module(f"accelsim.cli.{MODULE_OF[cmd_name]}")
            for info in app.registered_commands:
                if info.name == cmd_name:
                    self.commands[cmd_name] = typer.main.get_command_from_info(
                        info, pretty_exceptions_short=app.pretty_exceptions_short,
                        rich_markup_mode=app.rich_markup_mode)
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx, args):
        """typer's, with its "Did you mean" drawn from every command, not the loaded ones."""
        try:
            return super().resolve_command(ctx, args)
        except Exception as exc:  # typer's own copy of click's UsageError
            from difflib import get_close_matches

            message = getattr(exc, "message", None)
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if isinstance(message, str) and matches and "Did you mean" not in message:
                suggestions = ", ".join(f"{m!r}" for m in matches)
                exc.message = f"{message.rstrip('.')}. Did you mean {suggestions}?"  # type: ignore[attr-defined]
            raise


app = typer.Typer(
    cls=LazyCommands,
    add_completion=False,
    no_args_is_help=True,
    help=SUMMARY,
    pretty_exceptions_enable=False,
)
_state = {"debug": False}

#: exit codes (README "Reliability"): success is 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
EXIT_POINTS_FAILED = 3  # a sweep that finished with some points status=error
EXIT_INTERRUPTED = 130
#: longest error line printed (a message quoting a huge value is cut, never floods the terminal)
MAX_ERROR_CHARS = 2000


def error_line(text: str) -> str:
    """``text`` as one bounded line: newlines and control characters become spaces."""
    line = "".join(" " if ord(ch) < 32 or ch in "\x7f\x85\u2028\u2029" else ch for ch in text)
    if len(line) > MAX_ERROR_CHARS:
        line = line[:MAX_ERROR_CHARS - 30] + f"... [{len(line):,} characters]"
    return line


ArchOpt = Annotated[str, typer.Option("--arch", "-a", help="bundled config name or YAML path")]
ModelOpt = Annotated[str, typer.Option("--model", "-m", help="built-in model or trace file")]
ImageOpt = Annotated[Optional[int],  # noqa: UP045
                     typer.Option("--image-size", help="input resolution (pixels) [224]")]
SeqOpt = Annotated[Optional[int],  # noqa: UP045
                   typer.Option("--seq-len", help="tokens per sequence, text models (BERT) [128]")]
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
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table | json | csv")]
InputShapeOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--input-shape", help="ONNX models: the input's shape where the graph's is dynamic, "
                          "e.g. 1x3x224x224 (NAME:DIMS for several inputs, ';'-separated)")]
UnknownOpsOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--unknown-ops", help="ONNX models: operators without a mapping: error | vector "
                          "(element-wise work on the vector unit, with a warning)")]

#: the mapping search's options, shared by simulate and map
ObjectiveOpt = Annotated[str, typer.Option(
    "--objective", help="what the mapping search minimises: latency | energy | edp")]
BatchOrderOpt = Annotated[str, typer.Option(
    "--batch-order", help="auto (per unit of groups, by the objective, never more DRAM "
    "bytes than b batch-1 runs) | layer-major | image-major")]
MappingOpt = Annotated[Optional[Path], typer.Option(  # noqa: UP045
    "--mapping", help="replay a mapping file (accelsim map -o FILE.yaml)")]
#: the event core, shared by simulate and sweep (the same numbers either way)
EngineOpt = Annotated[str, typer.Option(
    "--engine", help="auto (fast unless the event log is needed: --plot/--group/--timeline/"
                     "HTML) | simpy (reference, keeps the event log) | fast (same numbers, "
                     "compiled)")]


@app.callback()
def _main(debug: Annotated[bool, typer.Option("--debug", help="show tracebacks")] = False) -> None:
    _state["debug"] = debug


def model_trace(model: str, image_size: int | None, batch: int | None, quant: str | None,
                override: list[str] | None = None, default_quant: str = "sole",
                seq_len: int | None = None, input_shape: str | None = None,
                unknown_ops: str | None = None):
    """``--model`` with its options: a built-in model is generated at the given size
    (``--image-size``, default 224, or ``--seq-len`` for BERT, default 128), batch and scheme
    (defaults 1, ``default_quant``); a trace file carries its own shapes and bit widths, so
    giving those options with one is an error, not silently ignored. An ONNX model carries its
    shapes (``--input-shape`` fixes dynamic ones) and bit widths (``--quant`` replaces them)."""
    from accelsim.errors import TraceError
    from accelsim.workload.load import is_onnx, load_trace
    from accelsim.workload.models import MODELS

    if not is_onnx(model):
        for flag, value in (("--input-shape", input_shape), ("--unknown-ops", unknown_ops)):
            if value is not None:
                raise TraceError("applies to ONNX models (.onnx) only", file=model, key=flag)
    if is_onnx(model):
        given = [flag for flag, value in (("--image-size", image_size), ("--batch", batch),
                                          ("--override", override))
                 if value is not None and value != []]
        if given:
            raise TraceError("applies to built-in models only: an ONNX model fixes its own "
                             "shapes (use --input-shape for dynamic dims)", file=model,
                             key=given[0])
        return load_trace(model, quant=quant, input_shape=input_shape,
                          unknown_ops=unknown_ops or "error")
    if model not in MODELS:
        given = [flag for flag, value in (("--image-size", image_size), ("--seq-len", seq_len),
                                          ("--batch", batch), ("--quant", quant),
                                          ("--override", override))
                 if value is not None and value != []]
        if given:
            raise TraceError("applies to built-in models only: a trace file fixes its own "
                             "shapes and bit widths", file=model, key=given[0])
    try:
        return load_trace(model, image_size, 1 if batch is None else batch,
                          default_quant if quant is None else quant, parse_op_overrides(override),
                          seq_len)
    except TraceError as exc:  # name the flag the user typed, not the parameter
        flag = {"image_size": "--image-size", "batch": "--batch", "quant": "--quant",
                "seq_len": "--seq-len"}
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


def write_output(path: Path, data: str | bytes, key: str = "--output") -> None:
    """Write a file the user named, atomically (accelsim.fileio.write_atomic: a unique temp file
    in the same folder, then ``os.replace``; parent folders are created); text is UTF-8. On a
    failure (full disk, ...) the previous file is left untouched."""
    from accelsim.errors import ConfigError
    from accelsim.fileio import write_atomic

    write_atomic(path, data, ConfigError, flag=key)


def console(width: int | None = None):
    """The one rich Console the CLI prints with. Markup, emoji codes and highlighting are off:
    every string shown (arch and op names, file paths, error messages) is user text and must
    print literally (``[/x]`` is a name, not a closing tag); styles are given as rich Text."""
    from rich.console import Console

    kwargs = {"markup": False, "emoji": False, "highlight": False}
    if width is None:
        return Console(**kwargs)
    return Console(width=max(Console().width, width), **kwargs)


def output_suffix(path: Path | None, allowed: tuple[str, ...],
                   key: str = "--output") -> str | None:
    """The lower-case suffix of an output path the user named; an unsupported type, or a path
    that cannot be replaced by a regular file (FIFO, device, directory, a file as a parent
    folder), is an error before anything runs (the file type decides what is written)."""
    if path is None:
        return None
    from accelsim.errors import ConfigError
    from accelsim.fileio import check_output_path

    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise ConfigError("unsupported output file type", key=key, value=str(path),
                          expected=" | ".join(allowed))
    check_output_path(path, ConfigError, key)  # a FIFO, device or directory: before any work
    return suffix


def simulate_for(arch_name: str, spec, trace, record: bool = False, **options):
    """simulate(), with a mapping error also naming the arch it came from."""
    from accelsim.arch.load import resolve_arch_path
    from accelsim.engine.simulator import simulate
    from accelsim.errors import MappingError

    try:
        return simulate(spec, trace, record=record, **options)
    except MappingError as exc:
        raise MappingError(exc.message, file=str(resolve_arch_path(arch_name)), key=exc.key,
                           value=exc.value, expected=exc.expected) from None
