"""Trace: the frozen, validated operator list of a model, and its file formats.

Files are YAML with ``schema: accelsim.trace/1`` (round-trip exact), or SCALE-Sim topology CSVs
(GEMM or convolution layout, read by ``workload.topology`` as independent 8-bit GEMMs).
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from accelsim.errors import TraceError
from accelsim.workload.ops import (
    GEMM_KINDS,
    OP_TYPES,
    TENSOR_DTYPES,
    TENSOR_ROLES,
    KindStats,
    Op,
    Tensor,
    dim_names,
)
from accelsim.yamlio import read_yaml

TRACE_SCHEMA = "accelsim.trace/1"
#: op fields a trace file may leave out (they have meaningful defaults)
_OPTIONAL_DIMS = frozenset({"partial_input", "prefix_rows", "intermediate_bits", "batch"})
#: op fields that are flags, not sizes
_FLAG_DIMS = frozenset({"partial_input"})


@dataclass(frozen=True)
class Trace:
    """A model as ops in dependency order, every tensor with shape and bit width."""

    name: str
    tensors: tuple[Tensor, ...]
    ops: tuple[Op, ...]
    model: str = ""
    image_size: int = 0
    batch: int = 1
    quant: str = ""
    seq_len: int = 0  # tokens of a text model (BERT); 0 for images and topologies
    source: str = field(default="<memory>", compare=False)
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @cached_property
    def tensor_map(self) -> dict[str, Tensor]:
        return {t.name: t for t in self.tensors}

    @cached_property
    def producers(self) -> dict[str, Op]:
        return {out: op for op in self.ops for out in op.outputs}

    @cached_property
    def consumers(self) -> dict[str, tuple[Op, ...]]:
        acc: dict[str, list[Op]] = {}
        for op in self.ops:
            for name in op.inputs:
                acc.setdefault(name, []).append(op)
        return {k: tuple(v) for k, v in acc.items()}

    def tensor(self, name: str) -> Tensor:
        return self.tensor_map[name]

    @property
    def total_macs(self) -> int:
        return sum(op.macs for op in self.ops)

    @property
    def total_ops(self) -> int:
        return sum(op.ops for op in self.ops)

    def stats_by_kind(self) -> list[KindStats]:
        """MACs, ops and bytes summed per op kind, in order of first appearance."""
        acc: dict[str, list[int]] = {}
        for op in self.ops:
            row = acc.setdefault(op.kind, [0, 0, 0, 0, 0])
            row[0] += 1
            row[1] += op.macs
            row[2] += op.ops
            row[3] += sum(self.tensor(t).size_bytes for t in op.inputs
                          if self.tensor(t).is_constant)
            row[4] += sum(self.tensor(t).size_bytes for t in op.outputs)
        return [KindStats(kind, *row) for kind, row in acc.items()]

    def validate(self) -> Trace:
        """Check names, shapes and dependencies; raise TraceError naming the op and field."""
        src = self.source
        if not self.ops:
            raise TraceError("trace has no ops", file=src, key="ops")
        names: set[str] = set()
        for t in self.tensors:
            where = f"tensors.{t.name}"
            if t.name in names:
                raise TraceError("duplicate tensor name", file=src, key=where)
            names.add(t.name)
            if not t.shape or any((not isinstance(d, int)) or d <= 0 for d in t.shape):
                raise TraceError("every dimension must be a positive integer", file=src,
                                 key=f"{where}.shape", value=list(t.shape))
            if not 1 <= t.bits <= 64:
                raise TraceError("bit width out of range", file=src, key=f"{where}.bits",
                                 value=t.bits, expected="1..64")
            if t.dtype not in TENSOR_DTYPES:
                raise TraceError("unknown dtype", file=src, key=f"{where}.dtype", value=t.dtype,
                                 expected=" | ".join(TENSOR_DTYPES))
            if t.role not in TENSOR_ROLES:
                raise TraceError("unknown role", file=src, key=f"{where}.role", value=t.role,
                                 expected=" | ".join(TENSOR_ROLES))
            if t.numel > 2**48:
                raise TraceError("tensor too large", file=src, key=f"{where}.shape",
                                 value=list(t.shape), expected="< 2^48 elements")
            if t.transposed and (t.role != "activation" or len(t.shape) < 2):
                raise TraceError("only an activation of rank >= 2 can be stored transposed",
                                 file=src, key=f"{where}.transposed", value=list(t.shape))
        produced: set[str] = set()
        op_names: set[str] = set()
        for op in self.ops:
            where = f"ops.{op.name}"
            if op.name in op_names:
                raise TraceError("duplicate op name", file=src, key=where)
            op_names.add(op.name)
            for dim, value in op.dims().items():
                if dim in _FLAG_DIMS:
                    if not isinstance(value, bool):
                        raise TraceError("flag must be true or false", file=src,
                                         key=f"{where}.{dim}", value=value)
                    continue
                if (not isinstance(value, int) or isinstance(value, bool) or value < 0
                        or value > 2**40):
                    raise TraceError("dimension must be a non-negative integer", file=src,
                                     key=f"{where}.{dim}", value=value)
                if value == 0 and dim not in ("prefix_rows", "intermediate_bits"):
                    raise TraceError("dimension must be positive", file=src,
                                     key=f"{where}.{dim}", value=value)
            if not op.outputs:
                raise TraceError("op has no outputs", file=src, key=f"{where}.outputs")
            for slot, name in enumerate(op.inputs):
                if name not in names:
                    raise TraceError("input names an unknown tensor", file=src,
                                     key=f"{where}.inputs[{slot}]", value=name)
                tensor = self.tensor_map[name]
                if tensor.role == "activation" and name not in produced:
                    raise TraceError(
                        "input is not produced by an earlier op (dangling tensor or a cycle "
                        "in the dependencies)", file=src, key=f"{where}.inputs[{slot}]", value=name)
            for slot, name in enumerate(op.outputs):
                if name not in names:
                    raise TraceError("output names an unknown tensor", file=src,
                                     key=f"{where}.outputs[{slot}]", value=name)
                if name in produced:
                    raise TraceError("tensor is produced twice", file=src,
                                     key=f"{where}.outputs[{slot}]", value=name)
                if self.tensor_map[name].role != "activation":
                    raise TraceError("an op output must have role 'activation'", file=src,
                                     key=f"{where}.outputs[{slot}]", value=name)
                produced.add(name)
            self._check_sizes(op, where)
        return self

    def _check_sizes(self, op: Op, where: str) -> None:
        expected_in = op.input_numels()
        fewest = max(op.min_inputs, len([e for e in expected_in if e is not None]))
        if len(op.inputs) < fewest:
            raise TraceError(f"{op.kind} needs at least {fewest} inputs", file=self.source,
                             key=f"{where}.inputs", value=list(op.inputs))
        if len(op.inputs) > len(expected_in):
            raise TraceError(f"{op.kind} takes {len(expected_in)} inputs", file=self.source,
                             key=f"{where}.inputs", value=list(op.inputs))
        expected_out = op.output_numels()
        if len(op.outputs) != len(expected_out):
            raise TraceError(f"{op.kind} produces {len(expected_out)} output(s)",
                             file=self.source, key=f"{where}.outputs", value=list(op.outputs))
        for slot, (name, want) in enumerate(zip(op.inputs, expected_in, strict=True)):
            have = self.tensor_map[name].numel
            partial = slot == 0 and getattr(op, "partial_input", False)
            if want is None or have == want or (partial and have >= want):
                continue
            if op.kind == "add" and slot > 0 and have and (op.elements % have == 0):
                continue  # broadcast operand
            raise TraceError(
                f"inconsistent shape: {op.kind} dims {op.dims()} need {want} elements in this "
                f"input, tensor {name!r} has {have}", file=self.source,
                key=f"{where}.inputs[{slot}]")
        for slot, (name, want) in enumerate(zip(op.outputs, expected_out, strict=True)):
            have = self.tensor_map[name].numel
            if have != want:
                raise TraceError(
                    f"inconsistent shape: {op.kind} dims {op.dims()} produce {want} elements, "
                    f"tensor {name!r} has {have}", file=self.source,
                    key=f"{where}.outputs[{slot}]")
        for slot, name in enumerate(op.outputs):
            if self.tensor_map[name].transposed and not self._writes_transposed(op):
                raise TraceError(
                    f"tensor {name!r} is stored transposed, but a {op.kind} cannot write it "
                    "so: only a gemm or matmul (or the requant of its accumulator) writes its "
                    "output tiles transposed; use a copy op", file=self.source,
                    key=f"{where}.outputs[{slot}]")
        for output, names in ((False, op.inputs), (True, op.outputs)):
            for slot, name in enumerate(names):
                tensor = self.tensor_map[name]
                shape = tensor.written_shape if output else tensor.shape
                expected = op.layout_problem(output, slot, shape)
                if expected is not None:
                    stored = f" (stored transposed as {list(tensor.shape)})" \
                        if output and tensor.transposed else ""
                    raise TraceError(
                        f"inconsistent shape: tensor {name!r} is {list(shape)}{stored}, the "
                        f"{op.kind} "
                        f"needs {expected} (shapes are compared, not element counts: "
                        "transposed?)", file=self.source,
                        key=f"{where}.{'outputs' if output else 'inputs'}[{slot}]")

    def _writes_transposed(self, op: Op) -> bool:
        """The array writes a GEMM's output tile in either orientation (it leaves the array
        column by column), and a requant of the accumulator rescales that tile in place; the
        vector unit's row ops write rows only (README, layout-cost policy)."""
        if op.kind in GEMM_KINDS:
            return True
        source = self.producers.get(op.inputs[0]) if op.kind == "requant" else None
        return source is not None and source.kind in GEMM_KINDS


# ----------------------------------------------------------------------------- YAML format

def trace_to_dict(trace: Trace) -> dict[str, Any]:
    """Plain data for YAML/JSON (schema accelsim.trace/1)."""
    return {
        "schema": TRACE_SCHEMA,
        "name": trace.name,
        "model": trace.model,
        "image_size": trace.image_size,
        "batch": trace.batch,
        "quant": trace.quant,
        **({"seq_len": trace.seq_len} if trace.seq_len else {}),
        "tensors": [
            {"name": t.name, "shape": list(t.shape), "bits": t.bits, "dtype": t.dtype,
             "role": t.role, **({"transposed": True} if t.transposed else {})}
            for t in trace.tensors
        ],
        "ops": [
            {"name": op.name, "kind": op.kind, "block": op.block, **op.dims(),
             "inputs": list(op.inputs), "outputs": list(op.outputs)}
            for op in trace.ops
        ],
    }


class _FlowListDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    """Short lists (shapes, inputs) in flow style so trace files stay readable (libyaml's
    emitter when available: same text, about 4x faster)."""


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = all(not isinstance(x, (dict, list)) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_dict(dumper: yaml.SafeDumper, data: dict) -> yaml.Node:
    flow = all(not isinstance(x, dict) for x in data.values()) and "tensors" not in data
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)


_FlowListDumper.add_representer(list, _represent_list)
_FlowListDumper.add_representer(dict, _represent_dict)


def dump_trace(trace: Trace) -> str:
    data = trace_to_dict(trace)
    header = {k: v for k, v in data.items() if k not in ("tensors", "ops")}
    text = yaml.dump(header, Dumper=yaml.SafeDumper, sort_keys=False)
    for section in ("tensors", "ops"):
        text += f"{section}:\n"
        for item in data[section]:
            text += "- " + yaml.dump(item, Dumper=_FlowListDumper, sort_keys=False,
                                     width=1000).strip() + "\n"
    return text


def save_trace(trace: Trace, path: Path) -> None:
    """Write ``trace`` as accelsim.trace/1 YAML, atomically (fileio.write_atomic: on a failure
    the previous file is left untouched)."""
    from accelsim.fileio import write_atomic

    write_atomic(Path(path), dump_trace(trace), TraceError)


def _require(item: Mapping[str, Any], key: str, where: str, src: str) -> Any:
    if key not in item:
        raise TraceError("missing field", file=src, key=f"{where}.{key}")
    return item[key]


def _name(value: Any, key: str, src: str, empty: bool = False) -> str:
    """A name field: a string (or an integer, as YAML types ``name: 12``), never a list, a
    mapping or a boolean silently turned into text."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TraceError("expected a name (a string)", file=src, key=key,
                         value=type(value).__name__)
    text = str(value)
    if not text and not empty:
        raise TraceError("a name may not be empty", file=src, key=key)
    return text


def _header_int(data: Mapping[str, Any], key: str, default: int, src: str) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < default:
        raise TraceError(f"expected an integer >= {default}", file=src, key=key, value=value)
    return value


def _entries(data: dict[str, Any], section: str,
             source: str) -> Iterable[tuple[str, dict[str, Any]]]:
    """(key path, mapping) of each entry of a list section ("tensors", "ops")."""
    raw = data.get(section) or []
    if not isinstance(raw, list):
        raise TraceError("expected a list", file=source, key=section)
    for i, item in enumerate(raw):
        where = f"{section}[{i}]"
        if not isinstance(item, dict):
            raise TraceError("expected a mapping", file=source, key=where)
        yield where, item


@functools.cache
def _op_keys(cls: type[Op]) -> tuple[frozenset[str], frozenset[str]]:
    """Keys an op entry of this class may hold, and the size fields it must hold."""
    allowed = frozenset({f.name for f in fields(cls)} | {"kind"})
    required = frozenset(dim_names(cls)) - _OPTIONAL_DIMS
    return allowed, required


def trace_from_dict(data: Any, source: str) -> Trace:
    """Parse and validate the accelsim.trace/1 mapping."""
    if not isinstance(data, dict):
        raise TraceError("expected a mapping at the top level", file=source)
    schema = data.get("schema")
    if schema != TRACE_SCHEMA:
        raise TraceError("unsupported or missing schema", file=source, key="schema",
                         value=schema, expected=TRACE_SCHEMA)
    known = {"schema", "name", "model", "image_size", "batch", "quant", "seq_len", "tensors",
             "ops"}
    for key in data:
        if key not in known:
            raise TraceError("unknown key", file=source, key=str(key))
    tensors = []
    for where, item in _entries(data, "tensors", source):
        extra = set(item) - {"name", "shape", "bits", "dtype", "role", "transposed"}
        if extra:
            raise TraceError("unknown key", file=source, key=f"{where}.{sorted(extra)[0]}")
        shape = _require(item, "shape", where, source)
        bits = _require(item, "bits", where, source)
        if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool)
                                                  for d in shape):
            raise TraceError("shape must be a list of integers", file=source,
                             key=f"{where}.shape", value=shape)
        if not isinstance(bits, int) or isinstance(bits, bool):
            raise TraceError("bits must be an integer", file=source, key=f"{where}.bits",
                             value=bits)
        transposed = item.get("transposed", False)
        if not isinstance(transposed, bool):
            raise TraceError("flag must be true or false", file=source,
                             key=f"{where}.transposed", value=transposed)
        tensors.append(Tensor(name=_name(_require(item, "name", where, source), f"{where}.name",
                                          source), shape=tuple(shape),
                              bits=bits, dtype=str(item.get("dtype", "int")),
                              role=str(item.get("role", "activation")),
                              transposed=transposed))
    ops: list[Op] = []
    for where, item in _entries(data, "ops", source):
        kind = _require(item, "kind", where, source)
        cls = OP_TYPES.get(kind) if isinstance(kind, str) else None
        if cls is None:
            from accelsim.suggest import did_you_mean

            raise TraceError(f"unknown op kind: {did_you_mean(str(kind), OP_TYPES)}",
                             file=source, key=f"{where}.kind", value=kind)
        allowed, required = _op_keys(cls)
        if not item.keys() <= allowed:
            extra = sorted(str(k) for k in set(item) - allowed)
            raise TraceError(f"unknown key for a {kind} op", file=source,
                             key=f"{where}.{extra[0]}")
        for key in ("name", "inputs", "outputs"):
            _require(item, key, where, source)
        for key in ("inputs", "outputs"):
            if not isinstance(item[key], list):
                raise TraceError("expected a list of tensor names", file=source,
                                 key=f"{where}.{key}", value=item[key])
        if not required <= item.keys():
            missing = sorted(required - item.keys())
            raise TraceError("missing field", file=source, key=f"{where}.{missing[0]}")
        args = {k: v for k, v in item.items() if k != "kind"}
        for key in ("inputs", "outputs"):
            args[key] = tuple(_name(x, f"{where}.{key}[{i}]", source)
                              for i, x in enumerate(args[key]))
        args["name"] = _name(args["name"], f"{where}.name", source)
        ops.append(cls(**args))
    return Trace(name=_name(data.get("name", Path(source).stem), "name", source),
                 tensors=tuple(tensors), ops=tuple(ops),
                 model=_name(data.get("model", ""), "model", source, empty=True),
                 image_size=_header_int(data, "image_size", 0, source),
                 batch=_header_int(data, "batch", 1, source),
                 quant=_name(data.get("quant", ""), "quant", source, empty=True),
                 seq_len=_header_int(data, "seq_len", 0, source), source=source).validate()


def read_trace_yaml(path: Path) -> Trace:
    """Read and validate an accelsim.trace/1 file. The cyclic garbage collector is paused
    meanwhile: a 100k-op trace allocates millions of acyclic objects, and its repeated full
    collections cost a quarter of the load time."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return trace_from_dict(read_yaml(path, TraceError), str(path))
    finally:
        if paused:
            gc.enable()


def load_trace_file(path: Path) -> Trace:
    """A trace file by extension: .yaml/.yml (accelsim.trace/1) or .csv (SCALE-Sim topology)."""
    if path.suffix.lower() == ".csv":
        from accelsim.workload.topology import read_scalesim_topology  # it imports Trace

        return read_scalesim_topology(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        return read_trace_yaml(path)
    raise TraceError("unknown trace file type", file=str(path),
                     expected=".yaml/.yml (accelsim.trace/1) or .csv (SCALE-Sim topology)")
