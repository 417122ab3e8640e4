"""ONNX models on the command line: --model X.onnx for simulate / trace / roofline / sweep,
--input-shape, --unknown-ops, `accelsim import`, and the stderr note of what stayed float."""

from __future__ import annotations

import csv
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

onnx = pytest.importorskip("onnx")

sys.path.insert(0, str(Path(__file__).parent))
from onnx_graphs import HAND_MACS, vit_block  # noqa: E402

from accelsim.workload.trace import read_trace_yaml  # noqa: E402


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(capsys, monkeypatch):
    """accelsim's console entry point in this process (one-line errors, exit codes)."""
    from accelsim.cli import main

    def run(*args: str) -> Run:
        monkeypatch.setattr(sys, "argv", ["accelsim", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return Run(code, out.out, out.err)

    return run


def test_entry_point_in_a_real_process(tmp_path: Path) -> None:
    path = tmp_path / "vit.onnx"
    onnx.save(vit_block(quant="qdq"), str(path))
    r = subprocess.run([sys.executable, "-m", "accelsim.cli", "trace", "--model", str(path),
                        "--batch", "2"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip() == (f"accelsim: error: {path}: --batch: applies to built-in "
                                "models only: an ONNX model fixes its own shapes (use "
                                "--input-shape for dynamic dims)")


@pytest.fixture(scope="module")
def graphs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("onnx")
    out = {}
    for name, kw in {"qdq": dict(quant="qdq", per_channel=True),
                     "modelopt": dict(quant="qdq", float_nonlinear=True),
                     "dyn": dict(dynamic=True), "unknown": dict(unknown=True)}.items():
        out[name] = root / f"vit.{name}.onnx"
        onnx.save(vit_block(**kw), str(out[name]))
    return out


def test_simulate_qdq_reports_int8_gemms_and_what_stayed_float(graphs, run_cli) -> None:
    r = run_cli("simulate", "--arch", "sole", "--model", str(graphs["modelopt"]),
                "--format", "csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.reader(r.stdout.splitlines()))
    header = rows[0]
    col = {k: header.index(k) for k in ("name", "kind", "unit", "precision")}
    layers = {row[col["name"]]: row for row in rows[1:] if len(row) == len(header)}
    fc1 = layers["encoder.layer.0.fc1"]
    assert fc1[col["precision"]] == "int8" and fc1[col["unit"]] == "array"
    assert layers["encoder.layer.0.attention.softmax"][col["unit"]] == "fp32"
    note = [line for line in r.stderr.splitlines() if "stayed float" in line]
    assert len(note) == 1 and note[0].startswith("accelsim: note: 8 operator(s) stayed float")
    assert "encoder.layer.0.layernorm_before" in note[0]
    gemms = [line for line in r.stderr.splitlines() if "GEMMs on the array" in line]
    assert gemms == ["accelsim: note: GEMMs on the array: 8 gemm int8, 2 matmul int8 (operands "
                     "-> output from the graph: 5 x uint8 per-tensor, int8 per-tensor -> fp32; "
                     "3 x uint8 per-tensor, int8 per-tensor -> uint8; 1 x uint8 per-tensor, "
                     "uint8 per-tensor -> fp32; 1 x uint8 per-tensor, uint8 per-tensor -> uint8)"]


def test_import_writes_an_editable_trace(graphs, tmp_path: Path, run_cli) -> None:
    out = tmp_path / "vit.yaml"
    r = run_cli("import", str(graphs["dyn"]), "-o", str(out), "--input-shape", "2x3x32x32")
    assert r.returncode == 0, r.stderr
    assert read_trace_yaml(out).total_macs == 2 * HAND_MACS
    assert f"{2 * HAND_MACS:,}" in r.stdout and "wrote" in r.stdout
    r = run_cli("import", str(graphs["dyn"]), "-o", str(tmp_path / "x.yaml"))
    assert r.returncode == 2 and "--input-shape" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_option_errors_name_the_flag(graphs, run_cli) -> None:
    r = run_cli("simulate", "--model", str(graphs["qdq"]), "--image-size", "384")
    assert r.returncode == 2 and "--image-size: applies to built-in models only" in r.stderr
    r = run_cli("simulate", "--model", "vit_base", "--input-shape", "1x3x224x224")
    assert r.returncode == 2 and "--input-shape: applies to ONNX models (.onnx) only" in r.stderr
    r = run_cli("trace", "--model", str(graphs["unknown"]))
    assert r.returncode == 2 and "Einsum has no accelsim mapping" in r.stderr
    r = run_cli("trace", "--model", str(graphs["unknown"]), "--unknown-ops", "vector")
    assert r.returncode == 0 and "run as element-wise vector work" in r.stderr


def test_roofline_and_sweep_take_onnx_models(graphs, tmp_path: Path, run_cli) -> None:
    r = run_cli("roofline", "--arch", "sole", "--model", str(graphs["qdq"]), "--format", "csv")
    assert r.returncode == 0, r.stderr
    assert "encoder.layer.0.fc1" in r.stdout
    out = tmp_path / "sweep.csv"
    r = run_cli("sweep", "--model", str(graphs["qdq"]), "--pe", "8x8,16x16", "-j", "1",
                "-o", str(out))
    assert r.returncode == 0, r.stderr
    lines = out.read_text().splitlines()
    assert len(lines) == 3 and "graph" in lines[1]
