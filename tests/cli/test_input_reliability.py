"""Inputs from the command line: files that are not files, repeated options, unit-valued sweep
values, the work limit flag - each an exit code 2 and one line naming the file, field or flag
(or, for valid input, a correct run)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from accelsim.dse.sweep import run_sweep, usable_cpus

SOLE = Path(__file__).resolve().parents[2] / "arch_configs" / "sole.yaml"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from flat_sole import flat_sole_text  # noqa: E402  (tests/flat_sole.py)

TRACE = """\
schema: accelsim.trace/1
name: two_gemms
tensors:
- {name: x, shape: [4, 8], bits: 8, role: input}
- {name: w1, shape: [8, 16], bits: 8, role: weight}
- {name: y1, shape: [4, 16], bits: 8}
ops:
- {name: g1, kind: gemm, m: 4, n: 16, k: 8, inputs: [x, w1], outputs: [y1]}
"""




def one_line(code: int, err: str, *needles: str) -> str:
    lines = err.splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("accelsim: error: "), err
    assert "internal error" not in err and "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "trace.yaml").write_text(TRACE)
    os.symlink(tmp_path / "loop_b.yaml", tmp_path / "loop_a.yaml")
    os.symlink(tmp_path / "loop_a.yaml", tmp_path / "loop_b.yaml")
    os.symlink("/dev/zero", tmp_path / "zero.yaml")
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / "folder.yaml").mkdir()
    return {name: str(tmp_path / name) for name in
            ("trace.yaml", "loop_a.yaml", "zero.yaml", "fifo.yaml", "folder.yaml")}


@pytest.mark.parametrize(("flag", "name", "needle"), [
    ("--arch", "/dev/zero", "/dev/zero: is a character device, expected a YAML file"),
    ("--arch", "loop_a.yaml", "loop_a.yaml: symbolic link loop"),
    ("--arch", "zero.yaml", "zero.yaml: is a character device, expected a YAML file"),
    ("--arch", "fifo.yaml", "fifo.yaml: is a FIFO (named pipe), expected a YAML file"),
    ("--arch", "folder.yaml", "folder.yaml: is a directory, expected a YAML file"),
    ("--model", "/dev/null", "/dev/null: is a character device, expected a trace file"),
    ("--model", "loop_a.yaml", "loop_a.yaml: symbolic link loop"),
    ("--model", "zero.yaml", "zero.yaml: is a character device, expected a trace file"),
    ("--model", "fifo.yaml", "fifo.yaml: is a FIFO (named pipe), expected a trace file"),
    ("--model", "folder.yaml", "folder.yaml: is a directory, expected a trace file"),
])
def test_files_that_are_not_files(flag: str, name: str, needle: str, files: dict[str, str],
                                  run_cli) -> None:
    path = files.get(name, name)
    other = ["--model", files["trace.yaml"]] if flag == "--arch" else []
    code, _, err = run_cli(["simulate", flag, path, *other])
    one_line(code, err, needle)
    assert "file not found" not in err


def test_input_size_cap(files: dict[str, str], monkeypatch: pytest.MonkeyPatch, run_cli) -> None:
    monkeypatch.setenv("ACCELSIM_MAX_INPUT_BYTES", "100")
    code, _, err = run_cli(["trace", "--model", files["trace.yaml"]])
    one_line(code, err, "trace.yaml: file is", "over the 100-byte input limit",
             "ACCELSIM_MAX_INPUT_BYTES")


@pytest.mark.parametrize(("args", "needle"), [
    (["simulate", "--arch", "sole", "--arch", "edge_16x16"], "--arch: option given more than"),
    (["simulate", "-a", "sole", "--arch=edge_16x16"], "--arch: option given more than once"),
    (["simulate", "--model", "vit_tiny", "-m", "vit_tiny"], "-m: option given more than once"),
    (["simulate", "--set", "array.rows=16", "--set", "array.rows=64"],
     "--set array.rows: the same field is set twice"),
    (["sweep", "--jobs", "1", "-j", "2"], "-j: option given more than once"),
    (["sweep", "--set", "array.rows=16", "--set", "array.rows=32"],
     "--set array.rows: parameter swept twice"),
    (["sweep", "--set", "batch=1,2"], "--set: 'batch' is not an arch field"),
    (["simulate", "--set", "array.rows=1:04"], "--set array.rows: expected a number"),
    (["simulate", "--set", "clock_hz=on"], "--set clock_hz: cannot parse 'on'"),
    (["simulate", "--max-events", "10", "--model", "vit_tiny"],
     "--max-events: too much work: at least"),
])
def test_ambiguous_or_bad_flags_are_refused(args: list[str], needle: str, run_cli) -> None:
    code, _, err = run_cli(args)
    one_line(code, err, needle)


def test_numbers_in_yaml_1_2_spelling_run_in_the_keys_unit(
        tmp_path: Path, files: dict[str, str], run_cli) -> None:
    """``bandwidth_gbps: 1e3`` is 1000 GB/s (YAML 1.1 read a string, then 1000 B/s)."""
    arch = tmp_path / "fast.yaml"
    # the flat pipe, where bandwidth_gbps applies (the bundled sole.yaml is banked)
    arch.write_text(flat_sole_text("1e3", spell_ports=False))
    code, out, err = run_cli(["simulate", "--arch", str(arch), "--model", files["trace.yaml"],
                              "-f", "json"])
    assert code == 0, err
    data = json.loads(out)
    assert data["arch"]["dram"]["bandwidth_gbps"] == 1000.0
    code, out, _ = run_cli(["simulate", "--model", files["trace.yaml"], "-f", "json", "--set",
                            "dram.model=bandwidth", "--set", "dram.bandwidth_gbps=1e3"])
    assert json.loads(out)["summary"] == data["summary"]


def test_sweep_takes_unit_values_of_top_level_fields(files: dict[str, str]) -> None:
    records = run_sweep("sole", files["trace.yaml"], overrides=["clock_hz=1GHz,2GHz"], jobs=1)
    assert [r["status"] for r in records] == ["ok", "ok"]
    assert [r["clock_hz"] for r in records] == ["1GHz", "2GHz"]
    assert records[0]["total_cycles"] == records[1]["total_cycles"] or (
        records[0]["latency_ms"] > records[1]["latency_ms"])


def test_jobs_are_capped_at_points_and_cpus(files: dict[str, str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import accelsim.dse.sweep as sweep

    started: list[int] = []

    class Pool:
        def __init__(self, max_workers: int, **_: object) -> None:
            started.append(max_workers)
            raise RuntimeError("stop")

    monkeypatch.setattr(sweep, "ProcessPoolExecutor", Pool)
    monkeypatch.setattr(sweep, "usable_cpus", lambda: 2)
    with pytest.raises(RuntimeError, match="stop"):
        run_sweep("sole", files["trace.yaml"], overrides=["array.rows=8,16,32"], jobs=1_000_000)
    assert started == [2]
    assert usable_cpus() >= 1
