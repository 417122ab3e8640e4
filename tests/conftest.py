"""Fixtures shared by the whole suite."""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> Callable[[list[str]], tuple[int, str, str]]:
    """``accelsim ARGS`` through ``accelsim.cli.main`` in this process, as the console script
    runs it (one error line, exit codes; ``--debug`` off): (exit code, stdout, stderr). A
    command that returns counts as exit code 0, a non-integer ``SystemExit`` code as 1."""
    from accelsim import cli

    def run(args: list[str]) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["accelsim", *args])
        monkeypatch.setitem(cli._state, "debug", False)
        capsys.readouterr()
        try:
            cli.main()
            code: object = 0
        except SystemExit as exit_info:
            code = exit_info.code
        out, err = capsys.readouterr()
        return (code if isinstance(code, int) else 1), out, err

    return run
