"""Arch specs: bundled configs load with their published values; units, overrides and every kind
of bad config (each error names the file and the key path)."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from accelsim.arch.load import bundled_arch_dir, bundled_arch_names, load_arch, parse_overrides
from accelsim.errors import ConfigError
from accelsim.units import bytes_per_cycle, ceil_div, ns_to_cycles, parse_quantity, tensor_bytes

SOLE_YAML = bundled_arch_dir() / "sole.yaml"


def sole_raw() -> dict:
    return yaml.safe_load(SOLE_YAML.read_text())


def write_config(tmp_path: Path, raw: object, name: str = "cfg.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def load_error(path_or_name: str | Path, overrides=None) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_arch(path_or_name, overrides)
    return info.value


# ----------------------------------------------------------------------------- bundled configs

def test_bundled_names() -> None:
    assert bundled_arch_names() == ["edge_16x16", "rtx4090", "sole", "tpu_v1_like"]


def test_sole() -> None:
    spec = load_arch("sole")
    assert spec.name == "sole"
    assert spec.kind == "accelerator"
    assert spec.clock_hz == 1e9
    assert (spec.array.rows, spec.array.cols, spec.array.dataflow) == (32, 32, "ws")
    assert spec.array.macs_per_pe_per_cycle == {"int8": 1, "int4": 2}
    assert spec.array.accumulator_bits == 32
    assert spec.buffers.input.size_bytes == 256 * 1024
    assert spec.buffers.weight.size_bytes == 256 * 1024
    assert spec.buffers.output.size_bytes == 128 * 1024
    assert spec.buffers.input.bank_bytes == 128 * 1024
    assert spec.sfu.kind == "sole"
    assert (spec.sfu.e2softmax.lanes, spec.sfu.ailayernorm.lanes, spec.sfu.vector.lanes) == (
        16, 16, 32)
    assert spec.sfu.fp32.div_cycles == 8
    assert spec.dram.bandwidth_gbps == pytest.approx(25.6)
    assert spec.dram_bytes_per_cycle == pytest.approx(25.6)  # 25.6e9 B/s at 1 GHz
    assert spec.dram_latency_cycles == 100  # 100 ns at 1 GHz
    # banked LPDDR4-3200: 4 x16 channels, BL16 = 32 B per 8 nCK of 0.625 ns
    assert spec.dram.model == "banked" and spec.dram.preset == "LPDDR4-3200"
    assert spec.dram.timing.channels == 4 and spec.dram.timing.burst_bytes == 32
    assert spec.dram.mapping_fields == ("Ro", "Ba", "Bg", "Ra", "Co", "Ch")
    # peak = rows x cols x MACs/PE/cycle x 2 ops x clock
    assert spec.peak_ops_per_s("int8") == 32 * 32 * 1 * 2 * 1e9
    assert spec.peak_ops_per_s("int4") == 32 * 32 * 2 * 2 * 1e9
    assert spec.fusion.attention is True


def test_edge_16x16() -> None:
    spec = load_arch("edge_16x16")
    assert spec.clock_hz == 500e6
    assert (spec.array.rows, spec.array.cols, spec.array.dataflow) == (16, 16, "os")
    assert spec.buffers.input.size_bytes == 65536
    assert spec.buffers.output.size_bytes == 32768
    assert spec.buffers.input.read_bytes_per_cycle == 16
    assert spec.dram.bandwidth_gbps == pytest.approx(6.4)
    assert spec.dram_bytes_per_cycle == pytest.approx(12.8)  # 6.4e9 / 500e6
    assert spec.dram_latency_cycles == 60  # 120 ns at 500 MHz
    assert spec.dram.model == "banked" and spec.dram.timing.channels == 1
    assert spec.sfu.e2softmax.lanes == 4
    assert spec.peak_ops_per_s("int8") == 16 * 16 * 2 * 500e6


def test_tpu_v1_like() -> None:
    # Jouppi et al., ISCA 2017: 256x256 MACs, weight-stationary, 700 MHz, 24 MiB unified
    # buffer, 4 MiB accumulators, weight FIFO of four 64 KiB tiles, 34 GB/s DDR3, 92 TOPS.
    spec = load_arch("tpu_v1_like")
    assert (spec.array.rows, spec.array.cols, spec.array.dataflow) == (256, 256, "ws")
    assert spec.clock_hz == 700e6
    assert spec.buffers.input.size_bytes == 25165824
    assert spec.buffers.output.size_bytes == 4 * 2**20
    assert spec.buffers.weight.size_bytes == 256 * 1024
    assert spec.buffers.weight.banks == 4
    assert spec.buffers.weight.bank_bytes == 64 * 1024
    assert spec.dram.bandwidth_gbps == 34
    assert spec.dram_bytes_per_cycle == pytest.approx(34e9 / 700e6)
    assert spec.dram_latency_cycles == 70  # 100 ns at 700 MHz
    assert spec.sfu.kind == "fp32"
    assert spec.fusion.attention is False
    assert spec.peak_ops_per_s("int8") == 256 * 256 * 2 * 700e6  # the paper's "92 TOPS"


def test_rtx4090_reference() -> None:
    spec = load_arch("rtx4090")
    assert spec.kind == "reference"
    assert spec.array is None and spec.buffers is None
    assert spec.clock_hz == pytest.approx(2.52e9)
    assert spec.dram.bandwidth_gbps == 1008
    assert spec.roofline.peak_tops == {"fp16": 330, "int8": 660}
    assert spec.peak_ops_per_s("int8") == 660e12
    assert spec.peak_ops_per_s("fp16") == 330e12


def test_load_by_path_and_yaml_name() -> None:
    assert load_arch(SOLE_YAML) == load_arch("sole") == load_arch("sole.yaml")


def test_unified_buffer_is_split_in_three(tmp_path: Path) -> None:
    raw = sole_raw()
    raw["buffers"] = {"unified": {"size_bytes": "3MiB", "banks": 2}}
    spec = load_arch(write_config(tmp_path, raw))
    assert spec.buffers.role("input").size_bytes == 2**20
    assert spec.buffers.role("output").banks == 2


def test_specs_are_frozen() -> None:
    spec = load_arch("sole")
    with pytest.raises(ValidationError):
        spec.clock_hz = 2e9
    with pytest.raises(ValidationError):
        spec.array.rows = 64
    changed = spec.model_copy(update={"clock_hz": 2e9})
    assert (changed.clock_hz, spec.clock_hz) == (2e9, 1e9)


# ----------------------------------------------------------------------------- units

@pytest.mark.parametrize(
    ("text", "unit", "value"),
    [
        ("256KiB", "B", 262144),
        ("24MiB", "B", 25165824),
        ("1GiB", "B", 2**30),
        ("64kB", "B", 64000),
        ("1GHz", "Hz", 1e9),
        ("1.2 GHz", "Hz", 1.2e9),
        ("700MHz", "Hz", 7e8),
        ("25.6GB/s", "B/s", 25.6e9),
        ("512", "B", 512),
        ("1.0e9", "Hz", 1e9),
        (64, "B", 64),
    ],
)
def test_parse_quantity(text: str, unit: str, value: float) -> None:
    assert parse_quantity(text, unit) == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "unit", "message"),
    [
        ("1GB", "Hz", "unit of '1GB' is 'B', expected 'Hz'"),
        ("fast", "Hz", "cannot parse 'fast'"),
        ("-1KiB", "B", "cannot parse '-1KiB'"),
        (True, "B", "got a boolean"),
    ],
)
def test_parse_quantity_rejects(text: object, unit: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_quantity(text, unit)


def test_unit_helpers() -> None:
    assert ceil_div(7, 4) == 2 and ceil_div(8, 4) == 2 and ceil_div(0, 4) == 0
    assert tensor_bytes(7, 4) == 4
    assert bytes_per_cycle(25.6, 1e9) == pytest.approx(25.6)
    assert ns_to_cycles(100, 1e9) == 100
    assert ns_to_cycles(1, 700e6) == 1  # 0.7 cycles rounds up
    assert ns_to_cycles(0, 1e9) == 0


def test_unit_strings_in_config(tmp_path: Path) -> None:
    raw = sole_raw()
    raw["clock_hz"] = "1.5GHz"
    raw["buffers"]["input"]["size_bytes"] = "1.5KiB"
    raw["buffers"]["weight"]["size_bytes"] = 4096
    raw["dram"] = {"model": "bandwidth", "bandwidth_gbps": "12.8GB/s"}
    spec = load_arch(write_config(tmp_path, raw))
    assert spec.clock_hz == 1.5e9
    assert spec.buffers.input.size_bytes == 1536
    assert spec.buffers.weight.size_bytes == 4096
    assert spec.dram.bandwidth_gbps == pytest.approx(12.8)


def test_fractional_bytes_rejected(tmp_path: Path) -> None:
    raw = sole_raw()
    raw["buffers"]["input"]["size_bytes"] = "1.3KiB"  # 1331.2 bytes
    path = write_config(tmp_path, raw)
    error = load_error(path)
    assert str(error).startswith(f"{path}: buffers.input.size_bytes: '1.3KiB' is not a whole")


# ----------------------------------------------------------------------------- overrides

def test_overrides_as_set_strings() -> None:
    spec = load_arch("sole", ["array.rows=64", "dram.bandwidth_gbps=25.6", "sfu.kind=fp32",
                              "clock_hz=2GHz", "fusion.attention=false"])
    assert spec.array.rows == 64 and spec.array.cols == 32
    assert spec.dram.bandwidth_gbps == pytest.approx(25.6)
    assert spec.sfu.kind == "fp32"
    assert spec.clock_hz == 2e9
    assert spec.fusion.attention is False
    assert spec.peak_ops_per_s("int8") == 64 * 32 * 2 * 2e9


def test_overrides_as_mapping_and_units() -> None:
    spec = load_arch("edge_16x16", {"array.cols": 8, "dram.model": "bandwidth",
                                    "dram.bandwidth_gbps": "3.2GB/s",
                                    "buffers.input.size_bytes": "1MiB"})
    assert spec.array.cols == 8
    assert spec.dram.bandwidth_gbps == pytest.approx(3.2)
    assert spec.buffers.input.size_bytes == 2**20


def test_overrides_create_nested_values() -> None:
    # tpu_v1_like.yaml has no e2softmax and no energy section: the overrides create them
    spec = load_arch("tpu_v1_like", ["sfu.e2softmax.lanes=64", "energy.mac_pj=0.25"])
    assert spec.sfu.e2softmax.lanes == 64
    assert spec.sfu.e2softmax.pipeline_depth == 4  # default of the new section
    assert spec.energy.mac_pj == 0.25
    assert load_arch("tpu_v1_like").sfu.e2softmax.lanes == 16  # the file itself is untouched


def test_parse_overrides_types_values() -> None:
    assert parse_overrides(["a.b=64", "c=true", "d=1GHz", "e = 2.5"]) == {
        "a.b": 64, "c": True, "d": "1GHz", "e": 2.5}


# ----------------------------------------------------------------------------- bad configs

@pytest.mark.parametrize(
    ("edit", "key", "message"),
    [
        (lambda r: r.update(bogus=1), "bogus", "unknown key: choose from array, buffers,"),
        (lambda r: r["array"].update(colz=32), "array.colz",
         "unknown key: did you mean 'cols'?"),
        (lambda r: r["sfu"]["e2softmax"].update(lane=3), "sfu.e2softmax.lane",
         "unknown key: did you mean 'lanes'?"),
        (lambda r: r.update(clock=1e9), "clock", "unknown key: did you mean 'clock_hz'?"),
        (lambda r: r["array"].update(rows="many"), "array.rows",
         "expected a number (this field has no unit) (got 'many')"),
        (lambda r: r["array"].update(rows=0), "array.rows",
         "0 is outside the documented range [1, 65536]"),
        (lambda r: r["buffers"]["input"].update(size_bytes=-1), "buffers.input.size_bytes",
         "-1 is outside the documented range [1, 1.09951e+12] bytes (got -1)"),
        (lambda r: r["buffers"]["output"].update(size_bytes=0), "buffers.output.size_bytes",
         "0 is outside the documented range [1, 1.09951e+12] bytes (got 0)"),
        (lambda r: r["array"].update(dataflow="wss"), "array.dataflow",
         "Input should be 'ws', 'os' or 'is' (got 'wss')"),
        (lambda r: r.update(clock_hz="1GB"), "clock_hz", "unit of '1GB' is 'B', expected 'Hz'"),
        (lambda r: r.pop("clock_hz"), "clock_hz", "Field required"),
        (lambda r: r["buffers"].update(unified={"size_bytes": "1MiB"}), "buffers",
         "give either 'unified' or 'input'/'weight'/'output', not both"),
        (lambda r: r["buffers"].pop("weight"), "buffers",
         "give 'unified' or all three of 'input', 'weight', 'output'"),
        (lambda r: r.pop("array"), "(top level)", "an accelerator needs section(s) array"),
        (lambda r: r.update(kind="reference"), "(top level)",
         "a reference device needs a 'roofline' section"),
    ],
)
def test_bad_config(tmp_path: Path, edit, key: str, message: str) -> None:
    raw = sole_raw()
    edit(raw)
    path = write_config(tmp_path, raw)
    error = load_error(path)
    assert str(error).startswith(f"{path}: {key}: {message}")
    assert (error.file, error.key) == (str(path), key)
    assert "Value error" not in str(error)


def test_several_problems_are_counted(tmp_path: Path) -> None:
    raw = sole_raw()
    raw["array"]["rows"] = 0
    raw["array"]["cols"] = 0
    path = write_config(tmp_path, raw)
    assert str(load_error(path)) == (
        f"{path}: array.rows: 0 is outside the documented range [1, 65536] (+1 more problem) "
        "(got 0)")


def test_malformed_yaml_names_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nclock_hz: 1GHz\narray:\n  rows: [32\n  cols: 32\n")
    message = str(load_error(path))
    assert message.startswith(f"{path}: malformed YAML: line 5, column ")


def test_duplicate_key(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("name: x\narray:\n  rows: 4\n  rows: 8\n")
    assert str(load_error(path)) == (
        f"{path}: malformed YAML: line 4, column 3: duplicate key 'rows'")


@pytest.mark.parametrize(("text", "got"), [("- a\n- b\n", "list"), ("", "NoneType"),
                                           ("42\n", "int")])
def test_top_level_not_a_mapping(tmp_path: Path, text: str, got: str) -> None:
    path = tmp_path / "list.yaml"
    path.write_text(text)
    assert str(load_error(path)) == (
        f"{path}: expected a mapping of sections at the top level (got '{got}')")


@pytest.mark.parametrize("item", ["array.rows", "=64", "array..rows=64", ".rows=1"])
def test_bad_override_syntax(item: str) -> None:
    error = load_error("sole", [item])
    assert str(error) == (
        f"--set: bad override (got {item!r}); expected KEY.PATH=VALUE, e.g. array.rows=64")


def test_override_of_unknown_path() -> None:
    error = load_error("sole", ["array.rowz=3"])
    assert str(error) == f"{SOLE_YAML}: --set array.rowz: unknown key: did you mean 'rows'?"
    error = load_error("sole", {"sfu.e2softmax.lanez": 3})
    assert str(error).startswith(f"{SOLE_YAML}: --set sfu.e2softmax.lanez: unknown key")


def test_override_with_bad_value() -> None:
    error = load_error("sole", ["array.rows=-3"])
    assert str(error) == (f"{SOLE_YAML}: --set array.rows: -3 is outside the documented "
                          "range [1, 65536] (got -3)")
    error = load_error("sole", ["dram.bandwidth_gbps=fast"])
    assert str(error) == (f"{SOLE_YAML}: --set dram.bandwidth_gbps: cannot parse 'fast' as a "
                          "quantity in B/s (got 'fast')")


def test_override_inside_a_value() -> None:
    error = load_error("sole", ["clock_hz.ghz=1"])
    assert str(error) == (
        f"{SOLE_YAML}: clock_hz.ghz: cannot set a field inside 'clock_hz', which is a value")


@pytest.mark.parametrize(("name", "hint"), [("sol", "did you mean 'sole'?"),
                                            ("tpu_v1", "did you mean 'tpu_v1_like'?"),
                                            ("edge16x16", "did you mean 'edge_16x16'?")])
def test_unknown_bundled_name(name: str, hint: str) -> None:
    assert str(load_error(name)) == f"unknown architecture {name!r}: {hint}"


def test_unknown_name_far_from_all_lists_choices() -> None:
    assert str(load_error("zzzzzz")) == (
        "unknown architecture 'zzzzzz': choose from edge_16x16, rtx4090, sole, tpu_v1_like")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "x.yaml"
    assert str(load_error(path)) == f"{path}: file not found"


def test_raw_dict_is_not_mutated_by_overrides() -> None:
    from accelsim.arch.load import arch_from_dict

    raw = sole_raw()
    before = copy.deepcopy(raw)
    arch_from_dict(raw, "sole.yaml", {"array.rows": 8, "energy.mac_pj": 1.0})
    assert raw == before


def test_spec_tables_are_frozen_too() -> None:
    # pydantic freezes attributes; the dict-valued tables are frozen as well, and survive
    # pickling (sweep workers) and copying
    import copy
    import pickle

    arch = load_arch("sole")
    with pytest.raises(TypeError, match="frozen"):
        arch.array.macs_per_pe_per_cycle["int8"] = 5
    with pytest.raises(TypeError, match="frozen"):
        arch.energy.mac_pj_by_precision.update({"int8": 0.0})
    assert arch.array.macs_per_pe_per_cycle == {"int8": 1, "int4": 2}
    assert pickle.loads(pickle.dumps(arch)) == arch
    assert copy.deepcopy(arch) == arch
