"""An ONNX file as plain Python: nodes, initializer dims and types, graph inputs.

Loaded with ``onnx.load(..., load_external_data=False)``: weight data is never read, so a
340 MB model, or one whose external weight file is missing, loads in well under a second. Only
small integer constants stored inline (shape targets, axes, pads) are read as values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from accelsim.errors import TraceError

#: values of inline constants are read up to this many elements (shape vectors, axes, pads)
MAX_VALUE_ELEMENTS = 4096

INSTALL_HINT = "ONNX import needs the onnx package: pip install 'accelsim[onnx]'"


def require_onnx() -> Any:
    """The ``onnx`` module, or one TraceError line saying how to install it."""
    try:
        import onnx
    except ImportError:
        raise TraceError(INSTALL_HINT) from None
    return onnx


@dataclass(frozen=True)
class Node:
    name: str
    op_type: str
    domain: str
    inputs: tuple[str, ...]  # "" marks an omitted optional input
    outputs: tuple[str, ...]
    attrs: dict[str, Any]
    index: int


@dataclass
class Graph:
    """What the importer needs of a model: structure, dims and element types, no weights."""

    path: str
    nodes: list[Node]
    #: initializer name -> (dims, ONNX element type)
    initializers: dict[str, tuple[tuple[int, ...], int]]
    #: graph input name -> (dims with None for symbolic ones, element type, dim names)
    inputs: dict[str, tuple[tuple[int | None, ...], int]]
    outputs: tuple[str, ...]
    #: element type of every tensor the file declares (value_info, inputs, outputs)
    elem_types: dict[str, int] = field(default_factory=dict)
    #: values of small inline integer initializers and Constant nodes
    values: dict[str, np.ndarray] = field(default_factory=dict)
    opset: int = 0

    def producers(self) -> dict[str, Node]:
        return {out: n for n in self.nodes for out in n.outputs if out}

    def consumers(self) -> dict[str, list[Node]]:
        acc: dict[str, list[Node]] = {}
        for n in self.nodes:
            for name in n.inputs:
                if name:
                    acc.setdefault(name, []).append(n)
        return acc


def _tensor_value(onnx: Any, tensor: Any) -> np.ndarray | None:
    """The value of an inline tensor proto if it is small (never external data)."""
    numel = int(np.prod(tensor.dims)) if len(tensor.dims) else 1
    if numel > MAX_VALUE_ELEMENTS or tensor.data_location == onnx.TensorProto.EXTERNAL:
        return None
    try:
        return onnx.numpy_helper.to_array(tensor)
    except Exception:  # a type numpy cannot hold (int4, float8 ...) stays a shape only
        return None


def _attrs(onnx: Any, node: Any, graph: Graph) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for a in node.attribute:
        if a.type == onnx.AttributeProto.TENSOR:
            out[a.name] = a.t
        elif a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
            raise TraceError(f"node {node.name or node.op_type!r} ({node.op_type}) has a "
                             "subgraph (control flow); accelsim imports straight-line graphs",
                             file=graph.path)
        else:
            out[a.name] = onnx.helper.get_attribute_value(a)
    return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in out.items()}


def _dims(type_proto: Any) -> tuple[tuple[int | None, ...], int]:
    t = type_proto.tensor_type
    dims = tuple(d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None
                 for d in t.shape.dim)
    return dims, t.elem_type


def _load_structure(onnx: Any, path: Path) -> Any:
    """The ModelProto without weight data: the wire-format reader skips inline weights; the
    external data is never loaded (``load_external_data=False``)."""
    from accelsim.workload.onnx.wire import WireError, model_bytes_without_weights

    try:
        data = model_bytes_without_weights(path)
    except WireError:  # let onnx report what is wrong with the file
        return onnx.load(str(path), load_external_data=False)
    return onnx.load_model_from_string(data)


def load_graph(path: Path) -> Graph:
    """Read ``path`` (structure, dims and types only); one-line errors name the file."""
    onnx = require_onnx()
    src = str(path)
    if not path.exists():
        raise TraceError("file not found", file=src)
    if not path.is_file():
        raise TraceError("not a regular file", file=src)
    try:
        model = _load_structure(onnx, path)
    except Exception as exc:  # protobuf's DecodeError, truncated files ...
        raise TraceError(f"not a readable ONNX model ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else 'parse error'})",
                         file=src) from None
    g = model.graph
    if not g.node:
        raise TraceError("ONNX graph has no nodes", file=src)
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
                default=0)
    graph = Graph(path=src, nodes=[], initializers={}, inputs={}, outputs=(), opset=opset)
    for init in g.initializer:
        graph.initializers[init.name] = (tuple(int(d) for d in init.dims), init.data_type)
        if init.data_type in (INT64, INT32):  # shape vectors, axes, pads (not zero points)
            value = _tensor_value(onnx, init)
            if value is not None:
                graph.values[init.name] = value
    for vi in (*g.value_info, *g.input, *g.output):
        if vi.type.HasField("tensor_type"):
            graph.elem_types[vi.name] = vi.type.tensor_type.elem_type
    for vi in g.input:
        if vi.name not in graph.initializers:
            graph.inputs[vi.name] = _dims(vi.type)
    graph.outputs = tuple(o.name for o in g.output)
    for i, n in enumerate(g.node):
        node = Node(n.name, n.op_type, n.domain, tuple(n.input), tuple(n.output),
                    _attrs(onnx, n, graph), i)
        graph.nodes.append(node)
        if n.op_type == "Constant" and n.output:
            _constant(onnx, node, graph)
    if not graph.inputs:
        raise TraceError("ONNX graph has no (non-initializer) input", file=src)
    return graph


def _constant(onnx: Any, node: Node, graph: Graph) -> None:
    """Record a Constant node's dims, type and (small) value."""
    out = node.outputs[0]
    if "value" in node.attrs:
        t = node.attrs["value"]
        graph.initializers[out] = (tuple(int(d) for d in t.dims), t.data_type)
        value = _tensor_value(onnx, t)
    else:
        key = next(iter(node.attrs), "")
        value = np.asarray(node.attrs[key]) if key else None
        if value is None:
            raise TraceError(f"node {node.name or out!r} (Constant) has no value",
                             file=graph.path)
        if value.dtype.kind == "i":
            value = value.astype(np.int64)
        elif value.dtype.kind == "f":
            value = value.astype(np.float32)
        graph.initializers[out] = (tuple(value.shape), _NP_TO_ONNX.get(value.dtype.str, 1))
    if value is not None:
        graph.values[out] = value


# ONNX TensorProto element types (onnx.proto)
FLOAT, UINT8, INT8, UINT16, INT16, INT32, INT64 = 1, 2, 3, 4, 5, 6, 7
BOOL, FLOAT16, DOUBLE, UINT32, UINT64, BFLOAT16 = 9, 10, 11, 12, 13, 16
FLOAT8 = (17, 18, 19, 20)  # E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ
UINT4, INT4, FLOAT4E2M1 = 21, 22, 23
_INT_TYPES = frozenset({UINT8, INT8, UINT16, INT16, INT32, INT64, UINT32, UINT64, BOOL})
_NP_TO_ONNX = {"<i8": INT64, "<f4": FLOAT, "<i4": INT32}

#: element type -> (bits, accelsim dtype)
ELEM_TYPES: dict[int, tuple[int, str]] = {
    FLOAT: (32, "fp"), FLOAT16: (16, "fp"), BFLOAT16: (16, "fp"), DOUBLE: (64, "fp"),
    INT8: (8, "int"), UINT8: (8, "uint"), INT16: (16, "int"), UINT16: (16, "uint"),
    INT32: (32, "int"), UINT32: (32, "uint"), INT64: (64, "int"), UINT64: (64, "uint"),
    BOOL: (8, "uint"), INT4: (4, "int"), UINT4: (4, "uint"), FLOAT4E2M1: (4, "fp"),
    **{t: (8, "fp") for t in FLOAT8},
}


def elem_bits(elem_type: int) -> tuple[int, str]:
    """(bits, dtype) of an ONNX element type (unknown/undefined types count as fp32)."""
    return ELEM_TYPES.get(elem_type, (32, "fp"))
