"""Command line: parse -> public API -> render. Errors are one line on stderr; ``--debug`` shows
the traceback.

Exit codes: 0 success; 1 internal error (a bug: one line, ``--debug`` for the traceback);
2 bad input or usage (the line names the file, the field or the flag); 3 a sweep that ran but
some of its points failed (their rows say why); 130 interrupted (Ctrl-C). The app and shared
options live in ``app``; each command module registers its commands on it."""

from __future__ import annotations

import sys

from accelsim.cli import (  # noqa: F401 - register the commands
    commands,
    compare,
    explore,
    mapping,
    roofline,
    simulate,
    sweep,
)
from accelsim.cli.app import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_POINTS_FAILED,
    _state,
    app,
    error_line,
)
from accelsim.errors import AccelsimError, ConfigError

__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_POINTS_FAILED", "app",
           "error_line", "main"]

def _fail(text: str, code: int) -> None:
    try:
        print(error_line(text), file=sys.stderr)
    except (OSError, ValueError):  # stderr closed
        pass
    sys.exit(code)


def refuse_repeated_options(typer_app: object, args: list[str]) -> None:
    """A single-valued option given twice (``--arch a --arch b``) is an error, not last-wins
    as click would have it: the user meant one of the two and a run on the other is a silent
    wrong answer. Repeatable options (``--set``, ``--override``) and flags are not concerned;
    a ``--set`` key given twice is refused by the override parser."""
    import typer

    group = typer.main.get_command(typer_app)
    by_name = getattr(group, "commands", {})
    start = next((i for i, a in enumerate(args) if a in by_name), None)
    if start is None:
        return
    command = by_name[args[start]]
    valued = {}
    for param in command.params:
        if getattr(param, "param_type_name", "") != "option" or param.is_flag or param.multiple:
            continue
        for opt in (*param.opts, *param.secondary_opts):
            valued[opt] = param
    seen: dict[str, list[str]] = {}
    i = start + 1
    while i < len(args):
        arg = args[i]
        if arg == "--":
            break
        name, attached = (arg.split("=", 1)[0], "=" in arg) if arg.startswith("--") else (
            (arg[:2], len(arg) > 2) if arg.startswith("-") and len(arg) > 1 else (arg, False))
        param = valued.get(name)
        if param is not None:
            seen.setdefault(param.name, []).append(name)
            if len(seen[param.name]) > 1:
                raise ConfigError("option given more than once; give it once (a repeated "
                                  "option is refused, not last-wins)", key=name)
            if not attached:
                i += 1  # skip its value
        i += 1


def main() -> None:
    """Console-script entry point: one readable line for every failure, no traceback.

    Click (typer ships its own copy of it) runs in non-standalone mode so that its usage
    errors (a bad option value, an unknown option) come here too and print as one line, exit
    code 2, like accelsim's own errors."""
    try:
        refuse_repeated_options(app, sys.argv[1:])
        code = app(standalone_mode=False)
    except AccelsimError as exc:
        if _state["debug"]:
            raise
        _fail(f"accelsim: error: {exc}", EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        _fail("accelsim: aborted", EXIT_INTERRUPTED)
    except BrokenPipeError:  # stdout closed early (``| head``): the reader wanted no more
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # quiet final flush
        sys.exit(0)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):  # click's usage
            if type(exc).__name__ == "NoArgsIsHelpError":  # errors; that one printed help
                sys.exit(exc.exit_code)
            _fail(f"accelsim: error: {exc.format_message()}", exc.exit_code)
        if _state["debug"]:
            raise
        if type(exc).__name__ == "Abort":  # Ctrl-C
            _fail("accelsim: aborted", EXIT_INTERRUPTED)
        _fail(f"accelsim: internal error: {type(exc).__name__}: {exc} (run with --debug for "
              "the traceback)", EXIT_INTERNAL)
    if code == EXIT_INTERRUPTED:  # click turned a Ctrl-C into this code without a word
        _fail("accelsim: aborted", EXIT_INTERRUPTED)
    if isinstance(code, int) and code:
        sys.exit(code)
