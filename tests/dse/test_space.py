"""Space files: validated against the arch like an arch file, one error naming file and key."""

from __future__ import annotations

import pytest

from accelsim.arch.load import resolve_arch_path
from accelsim.dse.space import load_space
from accelsim.errors import ConfigError
from accelsim.yamlio import read_yaml

ARCH = resolve_arch_path("sole")
RAW = read_yaml(ARCH, ConfigError)


def _space(tmp_path, text):
    path = tmp_path / "space.yaml"
    path.write_text(text, encoding="utf-8")
    return load_space(path, RAW, str(ARCH))


def test_parameters_kinds_grid_and_constraints(tmp_path):
    space = _space(tmp_path, """
array.rows: [16, 32, 64]
array.cols: {low: 8, high: 64, step: 8}
clock_hz: {low: 5.0e8, high: 1.5e9, log: true}
dram.latency_ns: {low: 50.0, high: 200.0, step: 50.0}
model: [vit_tiny, vit_base]
constraints: ["array.rows * array.cols <= 2048"]
""")
    kinds = {p.name: p.kind for p in space.parameters}
    assert kinds == {"array.rows": "categorical", "array.cols": "int", "clock_hz": "float",
                     "dram.latency_ns": "float", "model": "categorical"}
    assert space.parameter("array.cols").grid_values() == (8, 16, 24, 32, 40, 48, 56, 64)
    assert space.parameter("dram.latency_ns").grid_values() == (50.0, 100.0, 150.0, 200.0)
    assert space.grid_size() is None  # clock_hz is continuous
    assert space.constraints[0].names == ("array.rows", "array.cols")


@pytest.mark.parametrize("text, where, why", [
    ("array.rowz: [8, 16]", "array.rowz", "did you mean 'rows'"),
    ("array.rows: []", "array.rows", "empty list"),
    ("array.rows: [8, 8]", "array.rows[1]", "duplicate choice"),
    ("array.rows: [8, 0]", "array.rows[1]", "not a valid value of arch field array.rows"),
    ("array.rows: {low: 64, high: 8}", "array.rows.high", "must be below high"),
    ("array.rows: {low: 8, high: 64, step: 5}", "array.rows.step", "not a multiple of step"),
    ("array.rows: {low: 8, high: 64, lgo: true}", "array.rows.lgo", "unknown range key"),
    ("array.rows: {low: 8}", "array.rows.high", "missing"),
    ("array.rows: {low: 0, high: 8, log: true}", "array.rows.low", "log range needs low > 0"),
    ("array.rows: {low: 8.0, high: 64.0}", "array.rows", "whole number"),
    ("array.rows: 16", "array.rows", "expected a list of choices or a range"),
    ("array.dataflow: [ws, diagonal]", "array.dataflow[1]", "not a valid value"),
    ("model: vit_base", "model", "expected a list"),
    ("batch: [1, 0]", "batch[1]", "not a positive integer"),
    ("array.rows: [8]\nconstraints: ['array.rows * array.colz <= 64']", "constraints[0]",
     "unknown name 'array.colz'"),
    ("array.rows: [8]\nconstraints: ['open(1) <= 64']", "constraints[0]", "call"),
    ("constraints: []", None, "no parameter to explore"),
    ("[1, 2]", None, "expected a mapping of parameters"),
])
def test_bad_space_is_one_error_naming_file_and_key(tmp_path, text, where, why):
    with pytest.raises(ConfigError) as info:
        _space(tmp_path, text)
    message = str(info.value)
    assert message.startswith(str(tmp_path / "space.yaml") + (f": {where}:" if where else ":"))
    assert why in message and "\n" not in message


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_space(tmp_path / "nope.yaml", RAW, str(ARCH))
    with pytest.raises(ConfigError, match="malformed YAML"):
        _space(tmp_path, "array.rows: [8, 16\n")
    with pytest.raises(ConfigError, match="is a directory"):
        load_space(tmp_path, RAW, str(ARCH))
