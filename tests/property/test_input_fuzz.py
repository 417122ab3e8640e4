"""Fuzzing the input side: arch YAML documents and ``--set`` values with numbers in every YAML
spelling, units, wrong types and nesting. Every input gives either one clean error line naming
the file and the field, or a spec holding exactly the number meant (the oracle below), on which a
run's engine invariants hold (``--check``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accelsim.arch.load import arch_from_dict, load_arch
from accelsim.engine.simulator import simulate
from accelsim.errors import AccelsimError, ConfigError
from accelsim.workload.ops import Gemm, Tensor
from accelsim.workload.trace import Trace
from accelsim.yamlio import load_yaml_text

SOLE = Path(__file__).resolve().parents[2] / "arch_configs" / "sole.yaml"
# the flat DRAM pipe, where dram.bandwidth_gbps applies (the bundled sole.yaml is banked and
# refuses a bandwidth_gbps off its preset peak)
_BANKED = load_yaml_text(SOLE.read_text())
RAW = {**_BANKED, "dram": {**{k: v for k, v in _BANKED["dram"].items()
                              if k not in ("preset", "address_mapping", "page_policy")},
                           "model": "bandwidth", "bandwidth_gbps": 25.6, "efficiency": 1.0}}
FLAT_DRAM = ["dram.model=bandwidth"]
TRACE = Trace("fuzz", (Tensor("a", (24, 40), 8, role="input"),
                       Tensor("w", (40, 56), 8, role="weight"), Tensor("c", (24, 56), 32)),
              (Gemm("g", ("a", "w"), ("c",), m=24, n=56, k=40),)).validate()


@dataclass(frozen=True)
class Field:
    path: str
    lo: float
    hi: float
    integer: bool
    unit: str = ""  # base unit a string may carry
    scale: float = 1.0  # base unit -> key unit


FIELDS = (
    Field("clock_hz", 1e3, 1e11, False, "Hz"),
    Field("array.rows", 1, 2**16, True),
    Field("array.cols", 1, 2**16, True),
    Field("buffers.input.size_bytes", 1, 2**40, True, "B"),
    Field("buffers.weight.banks", 1, 8, True),
    Field("dram.bandwidth_gbps", 1e-3, 1e6, False, "B/s", 1e-9),
    Field("dram.latency_ns", 0, 1e6, False, "s", 1e9),
    Field("sfu.vector.lanes", 1, 2**16, True),
)
PREFIXES = {"k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2.0**10, "Mi": 2.0**20, "n": 1e-9, "u": 1e-6}


@dataclass(frozen=True)
class Spelling:
    text: str  # as written in YAML (a scalar, or a flow collection)
    value: float | None  # the number it means in the key's unit, None if not a number


@st.composite
def spellings(draw: st.DrawFn, field: Field) -> Spelling:
    """A value for ``field`` in one of many spellings, with the number it means (if any)."""
    kind = draw(st.sampled_from(["dec", "lead0", "hex", "oct", "sci", "float", "quoted",
                                 "unit", "wrong_unit", "junk"]))
    n = draw(st.integers(0, 2**41) | st.integers(0, 300) | st.integers(-5, 5))
    if kind == "dec":
        return Spelling(str(n), n)
    if kind == "lead0":  # YAML 1.2: decimal, not octal
        return Spelling(f"0{n}" if n >= 0 else str(n), n)
    if kind == "hex":
        return Spelling(hex(abs(n)), abs(n))
    if kind == "oct":
        return Spelling(f"0o{abs(n):o}", abs(n))
    if kind in ("sci", "float", "quoted"):
        x = draw(st.floats(1e-4, 1e12, allow_nan=False) | st.sampled_from([0.5, 1.0, 2.5e9]))
        text = f"{x:e}" if kind == "sci" else repr(x)
        if kind == "quoted":
            text = draw(st.sampled_from([f"'{text}'", f'"{text}"']))
        return Spelling(text, float(text.strip("'\"")))
    if kind == "unit" and field.unit:
        prefix = draw(st.sampled_from(sorted(PREFIXES)))
        x = draw(st.integers(1, 4096))
        return Spelling(f"{x}{prefix}{field.unit}", x * PREFIXES[prefix] * field.scale)
    if kind == "wrong_unit" and field.unit:
        other = {"Hz": "B", "B": "Hz", "B/s": "B", "s": "Hz"}[field.unit]
        return Spelling(f"{n % 100 + 1}G{other}", None)
    junk = draw(st.sampled_from([
        "true", "false", "yes", "no", "on", "off", "null", "~", "1:04", "1_000", ".inf",
        "-.inf", ".nan", "[]", "{}", "[1, 2]", "{a: 1}", "'yes'", "'1:04'", "abc", "1e",
        "0x", "[[[[1]]]]", "1e999", "-1e999", "'.inf'", "1G"]))
    return Spelling(junk, None)


def _set_in(raw: dict, dotted: str, value: object) -> dict:
    import copy

    data = copy.deepcopy(raw)
    node = data
    *parents, leaf = dotted.split(".")
    for part in parents:
        node = node[part]
    node[leaf] = value
    return data


def _get(spec: object, dotted: str) -> float:
    for part in dotted.split("."):
        spec = getattr(spec, part)
    return spec  # type: ignore[return-value]


def _check(field: Field, spelling: Spelling, make: object, source: str) -> None:
    """Either the exact number meant (in bounds), then a checked run, or one clean line."""
    meant = spelling.value
    valid = (meant is not None and math.isfinite(meant) and field.lo <= meant <= field.hi
             and (not field.integer or float(meant).is_integer()))
    try:
        spec = make()  # type: ignore[operator]
    except ConfigError as exc:
        line = str(exc)
        assert not valid, (spelling, line)
        assert "\n" not in line and len(line) <= 1000
        assert line.startswith(source) and field.path in line, line
        return
    assert valid, (spelling, spec)
    assert _get(spec, field.path) == pytest.approx(meant, rel=1e-12)
    try:
        result = simulate(spec, TRACE, record=False, check=True)
    except AccelsimError as exc:  # e.g. a buffer too small for any tile: a clean error
        assert "\n" not in str(exc)
        return
    assert result.total_cycles > 0 and math.isfinite(result.latency_s)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FIELDS).flatmap(lambda f: st.tuples(st.just(f), spellings(f))))
def test_arch_yaml_numbers_in_every_spelling(case: tuple[Field, Spelling]) -> None:
    field, spelling = case
    text = f"v: {spelling.text}\n"
    try:
        value = load_yaml_text(text)["v"]
    except Exception as exc:  # noqa: BLE001 - a malformed scalar: read_yaml's one line
        assert type(exc).__module__.startswith("yaml"), exc
        return
    _check(field, spelling, lambda: arch_from_dict(_set_in(RAW, field.path, value), "f.yaml"),
           "f.yaml")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FIELDS).flatmap(lambda f: st.tuples(st.just(f), spellings(f))))
def test_set_values_in_every_spelling(case: tuple[Field, Spelling]) -> None:
    field, spelling = case
    _check(field, spelling,
           lambda: load_arch("sole", [*FLAT_DRAM, f"{field.path}={spelling.text}"]), str(SOLE))


_LEAF = st.one_of(st.integers(-3, 2**20), st.floats(allow_nan=True), st.booleans(), st.none(),
                  st.text(max_size=8), st.sampled_from(["1GHz", "256KiB", "25.6GB/s", "ws"]))
_TREE = st.recursive(_LEAF, lambda kids: st.lists(kids, max_size=3)
                     | st.dictionaries(st.text(max_size=6), kids, max_size=3), max_leaves=12)
SECTIONS = ("array", "buffers", "dram", "sfu", "fusion", "energy", "roofline", "name", "kind",
            "clock_hz", "technology_nm", "bogus")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SECTIONS), st.text(max_size=12) | st.sampled_from(
    ["rows", "dataflow", "input", "bandwidth_gbps", "e2softmax", "mac_pj_by_precision"]),
    _TREE)
def test_arbitrary_nesting_and_types_give_a_spec_or_one_line(section: str, key: str,
                                                             value: object) -> None:
    data = dict(RAW)
    inner = data.get(section)
    data[section] = {**inner, key: value} if isinstance(inner, dict) else value
    try:
        spec = arch_from_dict(data, "f.yaml")
    except ConfigError as exc:
        line = str(exc)
        assert line.startswith("f.yaml") and "\n" not in line and len(line) <= 1000
        return
    if spec.kind == "accelerator":
        try:
            simulate(spec, TRACE, record=False, check=True)
        except AccelsimError as exc:
            assert "\n" not in str(exc)
