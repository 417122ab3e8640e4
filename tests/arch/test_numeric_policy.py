"""The one numeric policy of spec files and ``--set`` (README "Reliability: inputs"): YAML 1.2
numbers, a bare or quoted number in the key's unit, unit strings of the field's dimension, no
booleans as numbers, documented bounds, finite values, bounded error lines."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from accelsim.arch.load import load_arch, parse_overrides
from accelsim.errors import ConfigError, short_repr
from accelsim.yamlio import MAX_DEPTH, load_yaml_text, parse_scalar

SOLE = Path(__file__).resolve().parents[2] / "arch_configs" / "sole.yaml"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from flat_sole import flat_sole_text  # noqa: E402  (tests/flat_sole.py)

# these tests exercise dram.bandwidth_gbps, which the bundled banked model refuses unless it
# matches the preset peak: sole.yaml on the flat pipe
SOLE_TEXT = flat_sole_text()
FLAT_DRAM = ["dram.model=bandwidth"]


def _arch(tmp_path: Path, old: str, new: str):
    assert old in SOLE_TEXT, old
    path = tmp_path / "arch.yaml"
    path.write_text(SOLE_TEXT.replace(old, new, 1))
    return load_arch(path), path


def _error(tmp_path: Path, old: str, new: str) -> str:
    with pytest.raises(ConfigError) as info:
        _arch(tmp_path, old, new)
    line = str(info.value)
    assert "\n" not in line
    assert line.startswith(str(tmp_path / "arch.yaml"))
    return line


@pytest.mark.parametrize(("text", "value"), [
    ("1e3", 1000.0), ("1.0e9", 1e9), ("-2", -2), ("010", 10), ("0x10", 16), ("0o17", 15),
    ("true", True), ("False", False), ("yes", "yes"), ("on", "on"), ("y", "y"),
    ("1:04", "1:04"), ("1_000", "1_000"), ("1GHz", "1GHz"), ("'10'", "10"), ("null", None),
])
def test_set_values_are_typed_by_yaml_1_2(text: str, value: object) -> None:
    assert parse_scalar(text) == value
    assert type(parse_scalar(text)) is type(value)


def test_yaml_files_use_the_same_numbers() -> None:
    data = load_yaml_text("a: 1e3\nb: 010\nc: yes\nd: 1:04\ne: 0x1F\nf: .inf\ng: on\n")
    assert data == {"a": 1000.0, "b": 10, "c": "yes", "d": "1:04", "e": 31, "f": float("inf"),
                    "g": "on"}


@pytest.mark.parametrize(("old", "new", "field", "value"), [
    # a bare or quoted number is in the key's unit: 1e3 GB/s, not 1000 B/s (19,743,640 ms)
    ("bandwidth_gbps: 25.6 ", "bandwidth_gbps: 1e3 ", "bandwidth_gbps", 1000.0),
    ("bandwidth_gbps: 25.6 ", 'bandwidth_gbps: "10"', "bandwidth_gbps", 10.0),
    ("bandwidth_gbps: 25.6 ", "bandwidth_gbps: 25.6GB/s", "bandwidth_gbps", 25.6),
    ("bandwidth_gbps: 25.6 ", "bandwidth_gbps: 0.1TB/s", "bandwidth_gbps", 100.0),
    ("clock_hz: 1.0e9", "clock_hz: 1.5GHz", "clock_hz", 1.5e9),
    ("clock_hz: 1.0e9", "clock_hz: '2e9'", "clock_hz", 2e9),
    ("latency_ns: 100", "latency_ns: 0.1us", "latency_ns", 100.0),
    ("technology_nm: 28 ", "technology_nm: 7nm ", "technology_nm", 7.0),
])
def test_numbers_land_in_the_keys_unit(tmp_path: Path, old: str, new: str, field: str,
                                       value: float) -> None:
    spec, _ = _arch(tmp_path, old, new)
    got = spec.dram.bandwidth_gbps if field == "bandwidth_gbps" else (
        spec.dram.latency_ns if field == "latency_ns" else getattr(spec, field))
    assert got == pytest.approx(value)


def test_integer_fields_take_whole_floats(tmp_path: Path) -> None:
    spec, _ = _arch(tmp_path, "size_bytes: 256KiB", "size_bytes: 2.62144e5")
    assert spec.buffers.input.size_bytes == 262144
    assert type(spec.buffers.input.size_bytes) is int


@pytest.mark.parametrize(("old", "new", "needle"), [
    ("rows: 32 ", "rows: true ", "array.rows: expected a number, got a boolean"),
    ("rows: 32 ", "rows: 32.5 ", "array.rows: 32.5 is not a whole number"),
    ("rows: 32 ", "rows: '1:04'", "array.rows: expected a number"),
    ("banks: 2, read_bytes_per_cycle: 32, write_bytes_per_cycle: 32}",
     "banks: yes, read_bytes_per_cycle: 32, write_bytes_per_cycle: 32}",
     "buffers.input.banks: expected a number"),
    ("clock_hz: 1.0e9", "clock_hz: on", "clock_hz: cannot parse 'on'"),
    ("clock_hz: 1.0e9", "clock_hz: 1e308", "clock_hz: 1e+308 is outside the documented range"),
    ("clock_hz: 1.0e9", "clock_hz: 1e-300", "clock_hz: 1e-300 is outside the documented range"),
    ("clock_hz: 1.0e9", "clock_hz: .inf", "clock_hz: expected a finite number"),
    ("clock_hz: 1.0e9", "clock_hz: .nan", "clock_hz: expected a finite number"),
    ("clock_hz: 1.0e9", "clock_hz: 1GB", "clock_hz: unit of '1GB' is 'B', expected 'Hz'"),
    ("bandwidth_gbps: 25.6 ", "bandwidth_gbps: 25.6GB ", "unit of '25.6GB' is 'B', expected 'B/s'"),
    ("bandwidth_gbps: 25.6 ", "bandwidth_gbps: 25.6G ", "'25.6G' has no unit"),
    ("bandwidth_gbps: 25.6 ", "bandwidth_gbps: 1_000 ", "cannot parse '1_000'"),
    ("size_bytes: 256KiB", "size_bytes: 1e999", "buffers.input.size_bytes: expected a finite"),
    ("size_bytes: 256KiB", "size_bytes: 2TiB", "outside the documented range"),
    ("reference_node_nm: 45 ", "reference_node_nm: 1e-300 ", "energy.reference_node_nm"),
    ("- [1024, 12.5]", "- [40, 1.0e6]", "too steep between 32 and 40 KiB"),
    ("- [8, 1.25]", "- [1.0e-300, 1.25]", "energy.sram_read_pj_per_byte_by_kib.0.0"),
    ("macs_per_pe_per_cycle: {int8: 1, int4: 2}", "macs_per_pe_per_cycle: {}",
     "array.macs_per_pe_per_cycle: Dictionary should have at least 1 item"),
    ("macs_per_pe_per_cycle: {int8: 1, int4: 2}", "macs_per_pe_per_cycle: {int8: {}}",
     "array.macs_per_pe_per_cycle.int8: expected a number, got a dict"),
    ("overlap_weight_load: true", "overlap_weight_load: 1", "array.overlap_weight_load"),
    ("epilogue: true", "epilogue: yes", "fusion.epilogue"),
    ("int8: 0.3 ", "int8: .inf ", "energy.mac_pj_by_precision.int8: expected a finite"),
    ("dram_pj_per_byte: 160", "dram_pj_per_byte: -1", "energy.dram_pj_per_byte"),
])
def test_bad_numbers_are_one_line_naming_the_field(tmp_path: Path, old: str, new: str,
                                                   needle: str) -> None:
    assert needle in _error(tmp_path, old, new)


@pytest.mark.parametrize(("item", "needle"), [
    ("array.rows=010", None), ("dram.bandwidth_gbps=1e3", None), ("clock_hz=1GHz", None),
    ("array.rows=1:04", "--set array.rows: expected a number"),
    ("array.rows=yes", "--set array.rows: expected a number"),
    ("array.rows=true", "--set array.rows: expected a number, got a boolean"),
    ("clock_hz=.inf", "--set clock_hz: expected a finite number"),
    ("clock_hz=1e308", "--set clock_hz: 1e+308 is outside the documented range"),
    ("dram.bandwidth_gbps=25.6GB", "--set dram.bandwidth_gbps: unit of '25.6GB' is 'B'"),
    ("array.rows=[1, 2]", "--set array.rows: expected a number"),
])
def test_set_follows_the_same_policy(item: str, needle: str | None) -> None:
    if needle is None:
        spec = load_arch("sole", [*FLAT_DRAM, item])
        key, _, _ = item.partition("=")
        expected = {"array.rows": 10, "dram.bandwidth_gbps": 1000.0, "clock_hz": 1e9}[key]
        got = {"array.rows": spec.array.rows, "dram.bandwidth_gbps": spec.dram.bandwidth_gbps,
               "clock_hz": spec.clock_hz}[key]
        assert got == expected
        return
    with pytest.raises(ConfigError) as info:
        load_arch("sole", [*FLAT_DRAM, item])
    assert needle in str(info.value)


def test_a_set_key_given_twice_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"--set array.rows: the same field is set twice"):
        parse_overrides(["array.rows=16", "array.rows=64"])


def test_reference_device_peaks_are_checked(tmp_path: Path) -> None:
    text = (SOLE.parent / "rtx4090.yaml").read_text()
    for bad, needle in (("{}", "roofline.peak_tops: Dictionary should have at least 1"),
                        ("{fp16: .inf}", "roofline.peak_tops.fp16: expected a finite"),
                        ("{fp16: true}", "roofline.peak_tops.fp16: expected a number")):
        path = tmp_path / "ref.yaml"
        path.write_text(text.replace("{fp16: 330, int8: 660}", bad))
        with pytest.raises(ConfigError) as info:
            load_arch(path)
        assert needle in str(info.value)


def test_merge_keys_are_valid_yaml(tmp_path: Path) -> None:
    merged, _ = _arch(tmp_path, "  input:  {size_bytes: 256KiB, banks: 2, read_bytes_per_cycle: 32",
                      "  input: &buf {size_bytes: 256KiB, banks: 2, read_bytes_per_cycle: 32")
    path = tmp_path / "arch.yaml"
    text = path.read_text().replace(
        "  weight: {size_bytes: 256KiB, banks: 2, read_bytes_per_cycle: 32, "
        "write_bytes_per_cycle: 32}", "  weight:\n    <<: *buf")
    path.write_text(text)
    reference = tmp_path / "reference.yaml"
    reference.write_text(SOLE_TEXT)
    assert load_arch(path) == load_arch(reference).model_copy(update={"name": merged.name})


@pytest.mark.parametrize(("tail", "needle"), [
    ("? [a, b]\n: 1\n", "a mapping key must be a scalar"),
    ("name: 1\n", "duplicate key 'name'"),
    ("x: " + "[" * 990 + "]" * 990 + "\n", f"nested more than {MAX_DEPTH} levels deep"),
])
def test_malformed_documents_are_refused(tmp_path: Path, tail: str, needle: str) -> None:
    path = tmp_path / "arch.yaml"
    path.write_text(SOLE_TEXT + tail)
    with pytest.raises(ConfigError) as info:
        load_arch(path)
    assert needle in str(info.value) and "malformed YAML: line" in str(info.value)


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    path = tmp_path / "arch.yaml"
    path.write_text(SOLE_TEXT.replace("name: sole", "name: sole\n" + "\n".join(lines)))
    start = time.perf_counter()
    with pytest.raises(ConfigError, match="aliases expand the document to more than"):
        load_arch(path)
    assert time.perf_counter() - start < 5


def test_error_lines_are_bounded(tmp_path: Path) -> None:
    line = _error(tmp_path, "name: sole", "name: " + "x" * 200_000)
    assert len(line) <= 1000 and "name" in line
    huge = [[["x"] * 1000] * 1000] * 1000  # a shared structure: its full repr would be 1e10
    start = time.perf_counter()
    assert len(short_repr(huge)) <= 120
    assert time.perf_counter() - start < 1
    error = ConfigError("m" * 100_000, file="f" * 100_000, key="k", value="v" * 100_000)
    assert len(str(error)) <= 1000
