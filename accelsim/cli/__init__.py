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
from accelsim.errors import AccelsimError

__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_POINTS_FAILED", "app",
           "error_line", "main"]

def _fail(text: str, code: int) -> None:
    try:
        print(error_line(text), file=sys.stderr)
    except (OSError, ValueError):  # stderr closed
        pass
    sys.exit(code)


def main() -> None:
    """Console-script entry point: one readable line for every failure, no traceback.

    Click (typer ships its own copy of it) runs in non-standalone mode so that its usage
    errors (a bad option value, an unknown option) come here too and print as one line, exit
    code 2, like accelsim's own errors."""
    try:
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
