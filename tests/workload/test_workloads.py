"""The committed traces in workloads/ are exactly what workloads/regenerate.py writes now, and
each one loads cleanly (so they never go stale)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from accelsim.workload.models import MODELS
from accelsim.workload.trace import load_trace_file

WORKLOADS_DIR = Path(__file__).resolve().parents[2] / "workloads"


def _regenerate_module():
    spec = importlib.util.spec_from_file_location("workloads_regenerate",
                                                  WORKLOADS_DIR / "regenerate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REGENERATE = _regenerate_module()


def test_family_is_covered() -> None:
    workloads = set(REGENERATE.WORKLOADS)
    assert {(m, 224, "sole") for m in MODELS if not m.startswith("bert")} <= workloads
    assert {("bert_base", 128, "sole"), ("bert_large", 128, "sole"),
            ("bert_base", 128, "fp16")} <= workloads
    assert ("vit_base", 384, "sole") in workloads
    assert {("vit_base", 224, q) for q in ("w8a8", "w4a8", "w4a4", "fp16")} <= workloads
    assert len(workloads) == 19


def test_committed_files_equal_generator_output(tmp_path: Path) -> None:
    written = REGENERATE.regenerate(tmp_path)
    fresh = {p.name: p.read_text() for p in written}
    committed = {p.name: p.read_text() for p in WORKLOADS_DIR.glob("*.yaml")}
    assert sorted(committed) == sorted(fresh), "run python3 workloads/regenerate.py"
    stale = [name for name in fresh if committed[name] != fresh[name]]
    assert stale == [], "stale traces, run python3 workloads/regenerate.py"


def test_committed_files_load_cleanly() -> None:
    for model, size, quant in REGENERATE.WORKLOADS:
        expected = REGENERATE.build(model, size, quant)
        path = WORKLOADS_DIR / f"{expected.name}.yaml"
        loaded = load_trace_file(path)
        assert loaded == expected, path.name
        assert loaded.total_macs == expected.total_macs


def test_readme_example_op_is_real() -> None:
    readme = (WORKLOADS_DIR / "README.md").read_text()
    base = (WORKLOADS_DIR / "vit_base_224_b1_sole.yaml").read_text().splitlines()
    example = [line for line in readme.splitlines() if line.startswith("- {name: block0.fc1")]
    assert len(example) == 3
    assert all(line in base for line in example)
