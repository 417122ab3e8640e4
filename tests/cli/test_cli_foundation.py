"""CLI `list` and `trace`: in-process through typer's CliRunner; exit codes and the one-line
error (no traceback) through a real `python -m accelsim.cli` process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from accelsim.cli import app
from accelsim.workload.models import MODELS, build_trace
from accelsim.workload.trace import load_trace_file

runner = CliRunner()


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "accelsim.cli", *args], capture_output=True,
                          text=True, timeout=60)


def test_list_shows_archs_models_and_schemes() -> None:
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0, result.output
    for name in ("sole", "edge_16x16", "tpu_v1_like", "rtx4090", *MODELS,
                 "fp16", "w8a8", "w4a8", "w4a4"):
        assert name in result.output, name
    assert "reference" in result.output  # rtx4090's kind


def test_trace_writes_a_file_that_loads_back(tmp_path: Path) -> None:
    path = tmp_path / "vit_base.yaml"
    result = runner.invoke(app, ["trace", "--model", "vit_base", "-o", str(path)])
    assert result.exit_code == 0, result.output
    assert load_trace_file(path) == build_trace("vit_base")
    assert "17,563,828,224" in result.output  # total MACs row
    assert "wrote" in result.output


def test_trace_options_reach_the_generator(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    result = runner.invoke(app, ["trace", "-m", "deit_tiny", "--image-size", "384", "-b", "2",
                                 "-q", "w4a4", "--override", "head.*=w8a8", "-o", str(path)])
    assert result.exit_code == 0, result.output
    trace = load_trace_file(path)
    assert trace == build_trace("deit_tiny", 384, 2, "w4a4", {"head.*": "w8a8"})
    assert trace.tensor("head.fc.weight").bits == 8


def test_unknown_model_is_one_line_exit_2() -> None:
    result = run_cli("trace", "--model", "vit_bse")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("accelsim: error: --model: unknown model 'vit_bse'")
    assert "did you mean 'vit_base'?" in lines[0]
    assert "Traceback" not in result.stderr


def test_usage_errors_exit_2_without_traceback() -> None:
    for args in (["trace", "--image-size", "abc"], ["no-such-command"]):
        result = run_cli(*args)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr
        assert "internal error" not in result.stderr


def test_debug_shows_the_traceback() -> None:
    result = run_cli("--debug", "trace", "--model", "vit_bse")
    assert result.returncode != 0
    assert "Traceback" in result.stderr
    assert "TraceError" in result.stderr
