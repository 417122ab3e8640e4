"""Command line: parse -> public API -> render. Errors are one line on stderr, exit code 2;
``--debug`` shows the traceback. The app and shared options live in ``app``; each command
module registers its commands on it."""

from __future__ import annotations

import sys

from accelsim.cli import commands, mapping, roofline, sweep  # noqa: F401 - register the commands
from accelsim.cli.app import _state, app
from accelsim.errors import AccelsimError

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point: one readable line for user errors, no traceback.

    Click (typer ships its own copy of it) runs in non-standalone mode so that its usage
    errors (a bad option value, an unknown option) come here too and print as one line, exit
    code 2, like accelsim's own errors."""
    try:
        code = app(standalone_mode=False)
    except AccelsimError as exc:
        if _state["debug"]:
            raise
        print(f"accelsim: error: {exc}".replace("\n", " "), file=sys.stderr)
        sys.exit(2)
    except Exception as exc:
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):  # click's usage
            if type(exc).__name__ != "NoArgsIsHelpError":  # errors; that one printed help
                print(f"accelsim: error: {exc.format_message()}".replace("\n", " "),
                      file=sys.stderr)
            sys.exit(exc.exit_code)
        if _state["debug"]:
            raise
        if type(exc).__name__ == "Abort":  # Ctrl-C
            print("accelsim: aborted", file=sys.stderr)
            sys.exit(130)
        print(f"accelsim: internal error: {type(exc).__name__}: {exc} (run with --debug for "
              "the traceback)", file=sys.stderr)
        sys.exit(1)
    if isinstance(code, int) and code:
        sys.exit(code)
