"""Dependencies point one way (DESIGN.md): arch, workload <- cost, mapping <- engine <- analysis
<- sweep, dse <- cli (dse, design-space exploration, uses the sweep machinery). functional/
(bit-accurate numerics) is a leaf that cost tests and the engine's PE fidelity use. The engine
returns analysis.records' SimResult, the one analysis module it may import. Only the engine
imports simpy; cost/ never does."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "accelsim"
#: helpers every layer may use
BASE = {"errors", "units", "yamlio", "suggest", "fileio"}
#: layer -> the accelsim layers it may import (besides BASE)
ALLOWED = {
    "arch": set(),
    "workload": set(),
    "functional": set(),
    "cost": {"arch", "workload"},
    "mapping": {"arch", "workload", "cost"},
    "engine": {"arch", "workload", "cost", "mapping", "functional", "analysis.records"},
    "analysis": {"arch", "workload", "cost", "analysis"},
    "sweep": {"arch", "workload", "engine", "analysis", "sweep_plots", "sweep_spec",
              "sweep_files"},
    "sweep_files": {"sweep_spec"},
    "sweep_spec": {"arch", "workload"},
    "sweep_plots": {"analysis"},
    "dse": {"arch", "workload", "engine", "analysis", "sweep", "sweep_plots", "sweep_spec", "dse"},
    "cli": {"arch", "workload", "cost", "mapping", "engine", "functional", "analysis", "sweep",
            "sweep_plots", "sweep_spec", "sweep_files", "dse"},
}


def _layer(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0][:-3] if len(parts) == 1 else parts[0]


def _imports(path: Path) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
    return out


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if _layer(p) in ALLOWED)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_one_way(path: Path) -> None:
    layer = _layer(path)
    for line, module in _imports(path):
        parts = module.split(".")
        if parts[0] == "simpy":
            assert layer == "engine", f"{path.name}:{line} imports simpy outside the engine"
        if parts[0] != "accelsim" or len(parts) < 2 or parts[1] == layer:
            continue
        target = parts[1]
        allowed = ALLOWED[layer] | BASE
        ok = target in allowed or ".".join(parts[1:3]) in allowed
        assert ok, f"{path.relative_to(PACKAGE)}:{line}: {layer} must not import {module}"


def test_every_layer_is_checked() -> None:
    layers = {_layer(p) for p in PACKAGE.rglob("*.py")} - BASE - {"__init__", "__main__"}
    assert layers <= set(ALLOWED), layers - set(ALLOWED)
