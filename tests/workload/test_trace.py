"""Trace files: exact YAML round trip, packed tensor sizes, SCALE-Sim topology import, and
validation errors that name the file and the key."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from accelsim.errors import TraceError
from accelsim.workload.load import load_trace
from accelsim.workload.models import build_trace
from accelsim.workload.ops import Gemm, Tensor
from accelsim.workload.trace import dump_trace, load_trace_file, save_trace, trace_to_dict

# ----------------------------------------------------------------------------- round trip


@pytest.mark.parametrize(
    ("model", "kwargs"),
    [
        ("vit_tiny", {"quant": "sole"}),
        ("deit_small", {"quant": "w4a4"}),
        ("swin_tiny", {"quant": "fp16", "batch": 2}),
        ("vit_small", {"quant": "w4a4", "overrides": {"head.*": "w8a8"}}),
    ],
)
def test_yaml_round_trip_is_exact(tmp_path: Path, model: str, kwargs: dict) -> None:
    trace = build_trace(model, **kwargs)
    path = tmp_path / "trace.yaml"
    save_trace(trace, path)
    loaded = load_trace_file(path)
    assert loaded == trace
    assert loaded.tensors == trace.tensors and loaded.ops == trace.ops
    assert (loaded.name, loaded.quant, loaded.batch) == (trace.name, trace.quant, trace.batch)
    assert loaded.source == str(path)
    assert dump_trace(loaded) == path.read_text()
    assert loaded.total_macs == trace.total_macs


# ----------------------------------------------------------------------------- tensor sizes


@pytest.mark.parametrize(
    ("shape", "bits", "size"),
    [((7,), 4, 4), ((3,), 1, 1), ((8,), 1, 1), ((9,), 1, 2), ((5, 3), 3, 6), ((2,), 32, 8),
     ((197, 768), 8, 151296), ((768, 3072), 4, 1179648)],
)
def test_size_bytes_rounds_packed_bits_up(shape: tuple, bits: int, size: int) -> None:
    assert Tensor("t", shape, bits).size_bytes == size


# ----------------------------------------------------------------------------- SCALE-Sim CSV


def test_scalesim_topology(tmp_path: Path) -> None:
    path = tmp_path / "vit_layers.csv"
    path.write_text("Layer, M, N, K,\nQKV, 197, 2304, 768,\nFC1, 197, 3072, 768,\n")
    trace = load_trace_file(path)
    assert [(o.name, o.m, o.n, o.k) for o in trace.ops] == [("QKV", 197, 2304, 768),
                                                            ("FC1", 197, 3072, 768)]
    assert all(isinstance(o, Gemm) for o in trace.ops)
    assert trace.total_macs == 197 * 2304 * 768 + 197 * 3072 * 768
    ifmap, weight, ofmap = (trace.tensor(n) for n in trace.ops[0].inputs + trace.ops[0].outputs)
    assert (ifmap.shape, ifmap.bits, ifmap.role) == ((197, 768), 8, "input")
    assert (weight.shape, weight.bits, weight.role) == ((768, 2304), 8, "weight")
    assert ofmap.shape == (197, 2304)
    assert (trace.name, trace.quant) == ("vit_layers", "int8")
    assert load_trace(str(path)) == trace


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Layer, M, N, K,\nQKV, 197, 2304,\n",
         "line 2: 3 fields, the header has 4 (Layer, M, N, K)"),
        ("Layer, M, N, K,\n\nA, 1, x, 3,\n",
         "line 3, column 3 (N): expected a positive integer, got 'x'"),
        ("Layer, M, N, K,\nA, 1, 0, 3,\n", "line 2, column 3 (N): must be in 1..2^40, got 0"),
        ("Layer, M, N, K,\n", "a topology CSV needs a header line and at least one layer"),
    ],
)
def test_scalesim_topology_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "topo.csv"
    path.write_text(text)
    with pytest.raises(TraceError) as info:
        load_trace_file(path)
    assert str(info.value) == f"{path}: {message}"


# ----------------------------------------------------------------------------- validation

#: a small valid trace: x -> fc -> requant -> softmax, and fc2 reading the requant output
BASE = {
    "schema": "accelsim.trace/1",
    "name": "tiny",
    "model": "",
    "image_size": 0,
    "batch": 1,
    "quant": "w8a8",
    "tensors": [
        {"name": "x", "shape": [4, 8], "bits": 8, "dtype": "int", "role": "input"},
        {"name": "fc.weight", "shape": [8, 16], "bits": 8, "dtype": "int", "role": "weight"},
        {"name": "fc.acc", "shape": [4, 16], "bits": 32, "dtype": "int", "role": "activation"},
        {"name": "fc.out", "shape": [4, 16], "bits": 8, "dtype": "int", "role": "activation"},
        {"name": "sm.out", "shape": [4, 16], "bits": 8, "dtype": "uint", "role": "activation"},
        {"name": "fc2.weight", "shape": [16, 2], "bits": 4, "dtype": "int", "role": "weight"},
        {"name": "fc2.acc", "shape": [4, 2], "bits": 32, "dtype": "int", "role": "activation"},
    ],
    "ops": [
        {"name": "fc", "kind": "gemm", "block": "b", "m": 4, "n": 16, "k": 8,
         "inputs": ["x", "fc.weight"], "outputs": ["fc.acc"]},
        {"name": "fc.requant", "kind": "requant", "block": "b", "rows": 4, "length": 16,
         "inputs": ["fc.acc"], "outputs": ["fc.out"]},
        {"name": "sm", "kind": "softmax", "rows": 4, "length": 16,
         "inputs": ["fc.out"], "outputs": ["sm.out"]},
        {"name": "fc2", "kind": "gemm", "m": 4, "n": 2, "k": 16,
         "inputs": ["fc.out", "fc2.weight"], "outputs": ["fc2.acc"]},
    ],
}


def write_trace(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def trace_error(tmp_path: Path, edit) -> tuple[Path, str]:
    data = copy.deepcopy(BASE)
    edit(data)
    path = write_trace(tmp_path, data)
    with pytest.raises(TraceError) as info:
        load_trace_file(path)
    return path, str(info.value)


def test_base_trace_is_valid(tmp_path: Path) -> None:
    trace = load_trace_file(write_trace(tmp_path, BASE))
    assert [o.kind for o in trace.ops] == ["gemm", "requant", "softmax", "gemm"]
    assert trace.ops[2].intermediate_bits == 8  # optional field, default
    assert trace.total_macs == 4 * 16 * 8 + 4 * 2 * 16
    assert trace.tensor("fc2.weight").size_bytes == 16
    assert [o.name for o in trace.consumers["fc.out"]] == ["sm", "fc2"]
    assert trace.producers["fc.out"].name == "fc.requant"


def _op(data: dict, name: str) -> dict:
    return next(o for o in data["ops"] if o["name"] == name)


def _tensor(data: dict, name: str) -> dict:
    return next(t for t in data["tensors"] if t["name"] == name)


def _swap_first_two_ops(data: dict) -> None:
    data["ops"][0], data["ops"][1] = data["ops"][1], data["ops"][0]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        # missing fields
        (lambda d: _op(d, "fc").pop("k"), "ops[0].k: missing field"),
        (lambda d: _op(d, "sm").pop("outputs"), "ops[2].outputs: missing field"),
        (lambda d: _tensor(d, "fc.weight").pop("bits"), "tensors[1].bits: missing field"),
        # unknown keys
        (lambda d: d.update(author="me"), "author: unknown key"),
        (lambda d: _op(d, "fc").update(kk=3), "ops[0].kk: unknown key for a gemm op"),
        (lambda d: _tensor(d, "x").update(colour="red"), "tensors[0].colour: unknown key"),
        # op kinds
        (lambda d: _op(d, "sm").update(kind="softmx"),
         "ops[2].kind: unknown op kind: did you mean 'softmax'? (got 'softmx')"),
        (lambda d: _op(d, "sm").update(kind=["softmax"]),
         "ops[2].kind: unknown op kind: did you mean 'softmax'? (got ['softmax'])"),
        # dependencies
        (lambda d: _op(d, "fc")["inputs"].__setitem__(0, "nope"),
         "ops.fc.inputs[0]: input names an unknown tensor (got 'nope')"),
        (lambda d: d["tensors"].append({"name": "ghost", "shape": [4, 8], "bits": 8})
         or _op(d, "fc")["inputs"].__setitem__(0, "ghost"),
         "ops.fc.inputs[0]: input is not produced by an earlier op (dangling tensor or a cycle "
         "in the dependencies) (got 'ghost')"),
        (lambda d: _op(d, "sm").update(outputs=["fc.out"]),
         "ops.sm.outputs[0]: tensor is produced twice (got 'fc.out')"),
        (_swap_first_two_ops,
         "ops.fc.requant.inputs[0]: input is not produced by an earlier op (dangling tensor or a "
         "cycle in the dependencies) (got 'fc.acc')"),
        (lambda d: _op(d, "fc").update(outputs=["fc.weight"]),
         "ops.fc.outputs[0]: an op output must have role 'activation' (got 'fc.weight')"),
        (lambda d: _op(d, "fc").update(outputs=["fc.acc", "sm.out"]),
         "ops.fc.outputs: gemm produces 1 output(s) (got ['fc.acc', 'sm.out'])"),
        (lambda d: _op(d, "fc").update(inputs=["x"]),
         "ops.fc.inputs: gemm needs at least 2 inputs (got ['x'])"),
        # shapes
        (lambda d: _op(d, "fc2").update(k=15),
         "ops.fc2.inputs[0]: inconsistent shape: gemm dims {'m': 4, 'n': 2, 'k': 15, "
         "'partial_input': False} need 60 elements in this input, tensor 'fc.out' has 64"),
        (lambda d: _tensor(d, "fc.acc").update(shape=[4, 15]),
         "ops.fc.outputs[0]: inconsistent shape: gemm dims {'m': 4, 'n': 16, 'k': 8, "
         "'partial_input': False} produce 64 elements, tensor 'fc.acc' has 60"),
        (lambda d: _op(d, "fc").update(m=-4),
         "ops.fc.m: dimension must be a non-negative integer (got -4)"),
        (lambda d: _op(d, "fc").update(m=True),
         "ops.fc.m: dimension must be a non-negative integer (got True)"),
        (lambda d: _op(d, "fc").update(m=4.0),
         "ops.fc.m: dimension must be a non-negative integer (got 4.0)"),
        (lambda d: _op(d, "sm").update(rows=0), "ops.sm.rows: dimension must be positive (got 0)"),
        (lambda d: _op(d, "fc").update(partial_input="yes"),
         "ops.fc.partial_input: flag must be true or false (got 'yes')"),
        (lambda d: _tensor(d, "x").update(shape=[-4, 8]),
         "tensors.x.shape: every dimension must be a positive integer (got [-4, 8])"),
        (lambda d: _tensor(d, "x").update(shape=[4, "8"]),
         "tensors[0].shape: shape must be a list of integers (got [4, '8'])"),
        (lambda d: _tensor(d, "x").update(bits=0),
         "tensors.x.bits: bit width out of range (got 0); expected 1..64"),
        (lambda d: _tensor(d, "x").update(dtype="float"),
         "tensors.x.dtype: unknown dtype (got 'float'); expected int | uint | fp | log2"),
        # whole-file problems
        (lambda d: d.update(ops=[]), "ops: trace has no ops"),
        (lambda d: d.update(schema="accelsim.trace/2"),
         "schema: unsupported or missing schema (got 'accelsim.trace/2'); expected "
         "accelsim.trace/1"),
        (lambda d: d.pop("schema"), "schema: unsupported or missing schema; expected "
         "accelsim.trace/1"),
        (lambda d: d.update(batch="two"), "batch: expected an integer >= 1 (got 'two')"),
        (lambda d: d.update(image_size=-224), "image_size: expected an integer >= 0 (got -224)"),
        (lambda d: d["tensors"].append(dict(d["tensors"][0])),
         "tensors.x: duplicate tensor name"),
        (lambda d: d["ops"].append(dict(d["ops"][3])), "ops.fc2: duplicate op name"),
    ],
)
def test_validation_error_names_file_and_key(tmp_path: Path, edit, message: str) -> None:
    path, error = trace_error(tmp_path, edit)
    assert error == f"{path}: {message}"


def _transposed_trace() -> dict:
    """fc's [4, 16] result, requantized and stored transposed as [16, 4] for a softmax over
    the 4 rows of each of its 16 columns."""
    data = copy.deepcopy(BASE)
    data["ops"] = data["ops"][:2] + [{"name": "sm", "kind": "softmax", "rows": 16, "length": 4,
                                      "inputs": ["fc.out"], "outputs": ["sm.out"]}]
    _tensor(data, "fc.out").update(shape=[16, 4], transposed=True)
    _tensor(data, "sm.out").update(shape=[16, 4])
    return data


def test_a_tensor_stored_transposed(tmp_path: Path) -> None:
    trace = load_trace_file(write_trace(tmp_path, _transposed_trace()))
    out = trace.tensor("fc.out")
    assert out.transposed and out.shape == (16, 4) and out.written_shape == (4, 16)
    assert not trace.tensor("fc.acc").transposed  # the default, left out of the file


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: _tensor(d, "sm.out").update(transposed=True),
         "ops.sm.outputs[0]: tensor 'sm.out' is stored transposed, but a softmax cannot write "
         "it so: only a gemm or matmul (or the requant of its accumulator) writes its output "
         "tiles transposed; use a copy op"),
        (lambda d: _tensor(d, "fc.weight").update(transposed=True),
         "tensors.fc.weight.transposed: only an activation of rank >= 2 can be stored "
         "transposed (got [8, 16])"),
        (lambda d: _tensor(d, "fc.out").update(transposed="yes"),
         "tensors[3].transposed: flag must be true or false (got 'yes')"),
        (lambda d: _tensor(d, "fc.out").update(shape=[4, 16]),
         "ops.fc.requant.outputs[0]: inconsistent shape: tensor 'fc.out' is [16, 4] (stored "
         "transposed as [4, 16]), the requant needs [..., length] = [..., 16] (shapes are "
         "compared, not element counts: transposed?)"),
        (lambda d: _tensor(d, "fc.out").update(transposed=False),
         "ops.fc.requant.outputs[0]: inconsistent shape: tensor 'fc.out' is [16, 4], the "
         "requant needs [..., length] = [..., 16]"),  # without the flag: written as stored
    ],
)
def test_transposed_tensor_errors(tmp_path: Path, edit, message: str) -> None:
    data = _transposed_trace()
    edit(data)
    path = write_trace(tmp_path, data)
    with pytest.raises(TraceError) as info:
        load_trace_file(path)
    assert str(info.value).startswith(f"{path}: {message}")


def test_malformed_yaml(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("schema: accelsim.trace/1\nops:\n- {name: a, kind: gemm\n")
    with pytest.raises(TraceError, match=r"bad\.yaml: malformed YAML: line 4, column 1: "):
        load_trace_file(path)


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = write_trace(tmp_path, [1, 2])
    with pytest.raises(TraceError) as info:
        load_trace_file(path)
    assert str(info.value) == f"{path}: expected a mapping at the top level"


@pytest.mark.parametrize(("name", "message"), [
    ("missing.yaml", "missing.yaml: file not found"),
    ("vit_bse", "--model: unknown model 'vit_bse': did you mean 'vit_base'?"),
])
def test_load_trace_unknown(name: str, message: str) -> None:
    with pytest.raises(TraceError) as info:
        load_trace(name)
    assert str(info.value).startswith(message)


def test_to_dict_matches_schema_keys() -> None:
    data = trace_to_dict(build_trace("vit_tiny"))
    assert list(data) == ["schema", "name", "model", "image_size", "batch", "quant", "tensors",
                          "ops"]
    assert data["ops"][0] == {"name": "embed.patch", "kind": "gemm", "block": "embed", "m": 196,
                              "n": 192, "k": 768, "partial_input": False,
                              "inputs": ["image", "embed.patch.weight", "embed.patch.bias",
                                         "embed.patch.scale"],
                              "outputs": ["embed.patch.acc"]}


def test_save_creates_missing_folders_and_refuses_a_file_as_folder(tmp_path: Path) -> None:
    """save_trace writes like every output (fileio.write_atomic): missing folders are created;
    a path under a file is one error naming it, and nothing is left behind."""
    path = tmp_path / "no" / "t.yaml"
    save_trace(build_trace("vit_tiny"), path)
    assert "name: vit_tiny_224_b1_sole" in path.read_text()
    with pytest.raises(TraceError, match="is a file, not a folder"):
        save_trace(build_trace("vit_tiny"), path / "x.yaml")
    assert sorted(p.name for p in path.parent.iterdir()) == ["t.yaml"]


def test_matmul_with_extra_input(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["tensors"].append({"name": "mm.out", "shape": [1, 4, 4], "bits": 32})
    data["ops"].append({"name": "mm", "kind": "matmul", "batch": 1, "m": 4, "n": 4, "k": 16,
                        "inputs": ["fc.out", "sm.out", "x"], "outputs": ["mm.out"]})
    path = write_trace(tmp_path, data)
    with pytest.raises(TraceError) as info:
        load_trace_file(path)
    assert str(info.value) == (
        f"{path}: ops.mm.inputs: matmul takes 2 inputs (got ['fc.out', 'sm.out', 'x'])")
    data["ops"][-1]["inputs"] = ["fc.out", "sm.out"]
    assert load_trace_file(write_trace(tmp_path, data)).ops[-1].macs == 4 * 4 * 16
