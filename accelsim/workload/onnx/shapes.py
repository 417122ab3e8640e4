"""Concrete shape interpreter: every tensor's shape (and element type) from the input shape.

ONNX shape inference leaves batch and head dims symbolic when Reshape targets come from
Shape -> Gather -> Concat subgraphs; this evaluates those subgraphs on concrete integers instead
(numpy on shape-sized vectors), op by op in graph order. Weight data is never needed: shapes of
initializers come from their dims, values only from small inline integer constants.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from accelsim.errors import TraceError
from accelsim.workload.onnx.graph import BOOL, FLOAT, INT64, Graph, Node
from accelsim.workload.onnx.shapes_nn import NetworkShapes

Shape = tuple[int, ...]

_ELEMENTWISE_VALUE: dict[str, Callable[..., np.ndarray]] = {
    "Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Max": np.maximum,
    "Min": np.minimum, "Equal": np.equal, "Less": np.less, "Greater": np.greater,
    "LessOrEqual": np.less_equal, "GreaterOrEqual": np.greater_equal, "And": np.logical_and,
    "Or": np.logical_or, "Where": np.where, "Pow": np.power, "Mod": np.fmod,
}
_UNARY_VALUE: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "Neg": np.negative, "Abs": np.abs, "Not": np.logical_not, "Floor": np.floor,
    "Ceil": np.ceil, "Sqrt": np.sqrt, "Identity": lambda a: a, "Reciprocal": np.reciprocal,
}
#: element-wise ops (numpy broadcasting) whose values are never needed
_ELEMENTWISE = {
    "Erf", "Tanh", "Relu", "Sigmoid", "Exp", "Log", "Softmax", "Gelu", "FastGelu", "Dropout",
    "LeakyRelu", "HardSigmoid", "HardSwish", "Clip", "Elu", "Selu", "Softplus", "Sin", "Cos",
    "Sign", "Round", "IsNaN", "QuantizeLinear", "DequantizeLinear", "BiasGelu", "QLinearAdd",
    "QLinearMul", "QLinearSoftmax", "LogSoftmax",
}
_BOOL_OUT = {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Not",
             "IsNaN"}


class ShapeInterpreter(NetworkShapes):
    """Runs the graph on shapes: ``shapes``, ``types`` and (small int) ``values`` per tensor."""

    def __init__(self, graph: Graph, input_shapes: dict[str, Shape]) -> None:
        self.g = graph
        self.shapes: dict[str, Shape] = {k: dims for k, (dims, _t) in graph.initializers.items()}
        self.types: dict[str, int] = {k: t for k, (_d, t) in graph.initializers.items()}
        self.values: dict[str, np.ndarray] = dict(graph.values)
        for name, shape in input_shapes.items():
            self.shapes[name] = shape
            self.types[name] = graph.inputs[name][1]
        self.unknown: set[str] = set()  # outputs of ops the interpreter treats as element-wise

    # ------------------------------------------------------------------ helpers
    def _fail(self, node: Node, message: str) -> TraceError:
        return TraceError(f"node {node.name or node.outputs[0]!r} ({node.op_type}): {message}",
                          file=self.g.path)

    def shape(self, node: Node, name: str) -> Shape:
        if name not in self.shapes:
            raise self._fail(node, f"shape of input tensor {name!r} is unknown")
        return self.shapes[name]

    def value(self, node: Node, slot: int, what: str) -> np.ndarray:
        name = node.inputs[slot] if slot < len(node.inputs) else ""
        if not name:
            raise self._fail(node, f"missing {what} input")
        if name not in self.values:
            raise self._fail(node, f"{what} (tensor {name!r}) is not computable from shapes "
                                   "and inline constants (it depends on data)")
        return self.values[name]

    def opt_value(self, node: Node, slot: int) -> np.ndarray | None:
        name = node.inputs[slot] if slot < len(node.inputs) else ""
        return self.values.get(name) if name else None

    def axes(self, node: Node, slot: int, rank: int, default: Sequence[int] | None = None
             ) -> list[int] | None:
        raw = node.attrs.get("axes")
        if raw is None:
            v = self.opt_value(node, slot)
            if v is None and slot < len(node.inputs) and node.inputs[slot]:
                self.value(node, slot, "axes")
            raw = None if v is None else v.tolist()
        if raw is None:
            return None if default is None else list(default)
        return [int(a) + rank if int(a) < 0 else int(a) for a in np.atleast_1d(raw)]

    # ------------------------------------------------------------------ the run
    def run(self) -> None:
        for node in self.g.nodes:
            if node.op_type == "Constant":
                continue
            handler = getattr(self, f"_op_{node.op_type}", None)
            try:
                if handler is not None:
                    handler(node)
                elif node.op_type in _ELEMENTWISE:
                    self._elementwise(node)
                else:  # unknown op: assumed shape-preserving (only --unknown-ops vector uses it)
                    self.unknown.update(node.outputs)
                    self._elementwise(node)
            except TraceError:
                raise
            except (ValueError, IndexError, TypeError, KeyError) as exc:
                raise self._fail(node, f"cannot compute its output shape ({exc})") from None
            for out in node.outputs:
                if out and out not in self.shapes:
                    self.shapes[out] = ()
                if out and out not in self.types:
                    self.types[out] = self.types.get(node.inputs[0], FLOAT) if node.inputs \
                        else FLOAT
                if out and any(d < 0 for d in self.shapes[out]):
                    raise self._fail(node, f"tensor {out!r} gets a negative dim "
                                           f"{list(self.shapes[out])}")

    def _set(self, node: Node, shape: Sequence[int], value: np.ndarray | None = None,
             elem: int | None = None, slot: int = 0) -> None:
        out = node.outputs[slot]
        self.shapes[out] = tuple(int(d) for d in shape)
        if elem is not None:
            self.types[out] = elem
        if value is not None and value.size <= 4096:
            self.values[out] = value

    def _in_values(self, node: Node) -> list[np.ndarray] | None:
        vals = [self.values.get(n) for n in node.inputs if n]
        return None if any(v is None for v in vals) else vals  # type: ignore[return-value]

    def _elementwise(self, node: Node) -> None:
        ins = list(node.inputs)
        if node.op_type in ("QuantizeLinear", "DequantizeLinear", "QLinearSoftmax"):
            ins = ins[:1]
        elif node.op_type in ("QLinearAdd", "QLinearMul"):
            ins = [ins[0], ins[3]]
        shapes = [self.shape(node, n) for n in ins if n]
        if node.op_type in ("Clip", "Dropout", "Gelu", "FastGelu"):
            shapes = shapes[:1] if node.op_type != "FastGelu" else shapes
        out = np.broadcast_shapes(*shapes) if shapes else ()
        value = None
        vals = self._in_values(node)
        op = node.op_type
        if vals is not None and op in _ELEMENTWISE_VALUE:
            value = _ELEMENTWISE_VALUE[op](*vals)
        elif vals is not None and op in _UNARY_VALUE:
            value = _UNARY_VALUE[op](vals[0])
        elem = BOOL if op in _BOOL_OUT else None
        if op == "Where" and node.inputs[1] in self.types:
            elem = self.types[node.inputs[1]]
        self._set(node, out, value, elem)
        for extra in node.outputs[1:]:  # Dropout's mask, LayerNorm's statistics ...
            if extra:
                self.shapes[extra] = out

    _op_Add = _op_Sub = _op_Mul = _op_Max = _op_Min = _op_Equal = _op_Less = _elementwise
    _op_Greater = _op_LessOrEqual = _op_GreaterOrEqual = _op_And = _op_Or = _elementwise
    _op_Where = _op_Pow = _op_Mod = _op_Neg = _op_Abs = _op_Not = _op_Floor = _elementwise
    _op_Ceil = _op_Sqrt = _op_Identity = _op_Reciprocal = _elementwise

    def _op_Div(self, node: Node) -> None:
        self._elementwise(node)
        vals = self._in_values(node)
        if vals is not None and all(v.dtype.kind in "iu" for v in vals):
            self.values[node.outputs[0]] = np.trunc(vals[0] / vals[1]).astype(vals[0].dtype)
        elif vals is not None:
            self.values[node.outputs[0]] = vals[0] / vals[1]

    def _op_Cast(self, node: Node) -> None:
        from onnx import helper

        to = int(node.attrs["to"])
        v = self.opt_value(node, 0)
        if v is not None:
            try:
                v = v.astype(helper.tensor_dtype_to_np_dtype(to))
            except (TypeError, KeyError):
                v = None
        self._set(node, self.shape(node, node.inputs[0]), v, to)

    def _op_CastLike(self, node: Node) -> None:
        self._set(node, self.shape(node, node.inputs[0]), self.opt_value(node, 0),
                  self.types.get(node.inputs[1]))

    def _op_Shape(self, node: Node) -> None:
        s = self.shape(node, node.inputs[0])
        start, end = node.attrs.get("start", 0), node.attrs.get("end", len(s))
        self._set(node, (len(s[start:end]),), np.array(s[start:end], dtype=np.int64), INT64)

    def _op_Size(self, node: Node) -> None:
        self._set(node, (), np.array(int(np.prod(self.shape(node, node.inputs[0]))),
                                     dtype=np.int64), INT64)

    def _op_Gather(self, node: Node) -> None:
        data = self.shape(node, node.inputs[0])
        idx_shape = self.shape(node, node.inputs[1])
        axis = node.attrs.get("axis", 0) % max(len(data), 1)
        out = data[:axis] + idx_shape + data[axis + 1:]
        vals = self._in_values(node)
        value = np.take(vals[0], vals[1], axis=axis) if vals is not None else None
        self._set(node, out, value)

    def _op_Slice(self, node: Node) -> None:
        data = self.shape(node, node.inputs[0])
        if "starts" in node.attrs:  # opset < 10
            starts, ends = node.attrs["starts"], node.attrs["ends"]
            axes = node.attrs.get("axes", list(range(len(starts))))
            steps = [1] * len(starts)
        else:
            starts = self.value(node, 1, "starts").tolist()
            ends = self.value(node, 2, "ends").tolist()
            axes_v = self.opt_value(node, 3)
            if axes_v is None and len(node.inputs) > 3 and node.inputs[3]:
                self.value(node, 3, "axes")
            axes = list(range(len(starts))) if axes_v is None else axes_v.tolist()
            steps_v = self.opt_value(node, 4)
            if steps_v is None and len(node.inputs) > 4 and node.inputs[4]:
                self.value(node, 4, "steps")
            steps = [1] * len(starts) if steps_v is None else steps_v.tolist()
        index = [slice(None)] * len(data)
        for s, e, a, st in zip(starts, ends, axes, steps, strict=True):
            index[int(a) % len(data)] = slice(int(s), int(e), int(st))
        out = tuple(len(range(*sl.indices(d))) for sl, d in zip(index, data, strict=True))
        v = self.opt_value(node, 0)
        self._set(node, out, v[tuple(index)] if v is not None else None)

    def _op_Concat(self, node: Node) -> None:
        shapes = [self.shape(node, n) for n in node.inputs if n]
        axis = node.attrs["axis"] % len(shapes[0])
        out = list(shapes[0])
        out[axis] = sum(s[axis] for s in shapes)
        vals = self._in_values(node)
        self._set(node, out, np.concatenate(vals, axis=axis) if vals is not None else None)

    def _op_Unsqueeze(self, node: Node) -> None:
        data = list(self.shape(node, node.inputs[0]))
        raw = node.attrs.get("axes")
        if raw is None:
            raw = self.value(node, 1, "axes").tolist()
        rank = len(data) + len(np.atleast_1d(raw))
        for a in sorted(int(a) % rank for a in np.atleast_1d(raw)):
            data.insert(a, 1)
        v = self.opt_value(node, 0)
        self._set(node, data, v.reshape(data) if v is not None else None)

    def _op_Squeeze(self, node: Node) -> None:
        data = self.shape(node, node.inputs[0])
        axes = self.axes(node, 1, len(data))
        out = [d for i, d in enumerate(data) if not (d == 1 and (axes is None or i in axes))]
        v = self.opt_value(node, 0)
        self._set(node, out, v.reshape(out) if v is not None else None)

    def _op_Reshape(self, node: Node) -> None:
        data = self.shape(node, node.inputs[0])
        target = [int(t) for t in self.value(node, 1, "reshape target").tolist()]
        if not node.attrs.get("allowzero", 0):
            target = [data[i] if t == 0 else t for i, t in enumerate(target)]
        total = int(np.prod(data))
        if target.count(-1) == 1:
            known = int(np.prod([t for t in target if t != -1]))
            if known == 0 or total % known:
                raise self._fail(node, f"cannot reshape {list(data)} to {target}")
            target[target.index(-1)] = total // known
        if int(np.prod(target)) != total:
            raise self._fail(node, f"cannot reshape {list(data)} to {target}")
        v = self.opt_value(node, 0)
        self._set(node, target, v.reshape(target) if v is not None else None)

    def _op_Flatten(self, node: Node) -> None:
        data = self.shape(node, node.inputs[0])
        axis = node.attrs.get("axis", 1) % (len(data) + 1) if data else 0
        self._set(node, (int(np.prod(data[:axis])), int(np.prod(data[axis:]))))

    def _op_Transpose(self, node: Node) -> None:
        data = self.shape(node, node.inputs[0])
        perm = node.attrs.get("perm", list(reversed(range(len(data)))))
        v = self.opt_value(node, 0)
        self._set(node, [data[p] for p in perm], v.transpose(perm) if v is not None else None)

    def _op_Expand(self, node: Node) -> None:
        target = tuple(int(t) for t in self.value(node, 1, "expand shape").tolist())
        out = np.broadcast_shapes(self.shape(node, node.inputs[0]), target)
        v = self.opt_value(node, 0)
        self._set(node, out, np.broadcast_to(v, out).copy() if v is not None else None)

    def _op_Tile(self, node: Node) -> None:
        reps = self.value(node, 1, "repeats").tolist()
        data = self.shape(node, node.inputs[0])
        self._set(node, [d * int(r) for d, r in zip(data, reps, strict=True)])

    def _op_ConstantOfShape(self, node: Node) -> None:
        shape = [int(t) for t in self.value(node, 0, "shape").tolist()]
        t = node.attrs.get("value")
        elem = t.data_type if t is not None else FLOAT
        fill = 0
        if t is not None:
            from onnx import numpy_helper

            fill = numpy_helper.to_array(t).reshape(-1)[0]
        value = np.full(shape, fill) if int(np.prod(shape)) <= 4096 else None
        self._set(node, shape, value, elem)

    def _op_Range(self, node: Node) -> None:
        start, limit, delta = (self.value(node, i, w).item()
                               for i, w in enumerate(("start", "limit", "delta")))
        value = np.arange(start, limit, delta)
        self._set(node, value.shape, value)

    def _op_Split(self, node: Node) -> None:
        data = self.shape(node, node.inputs[0])
        axis = node.attrs.get("axis", 0) % len(data)
        split = node.attrs.get("split")
        if split is None and len(node.inputs) > 1 and node.inputs[1]:
            split = self.value(node, 1, "split").tolist()
        n = len(node.outputs)
        if split is None:
            size = -(-data[axis] // n)
            split = [min(size, data[axis] - i * size) for i in range(n)]
        for slot, s in enumerate(split):
            out = list(data)
            out[axis] = int(s)
            self._set(node, out, slot=slot)

    def _op_Pad(self, node: Node) -> None:
        data = self.shape(node, node.inputs[0])
        pads = node.attrs.get("pads")
        if pads is None:
            pads = self.value(node, 1, "pads").tolist()
        axes = self.axes(node, 3, len(data), range(len(data)))
        assert axes is not None
        out = list(data)
        half = len(pads) // 2
        for i, a in enumerate(axes):
            out[a] += int(pads[i]) + int(pads[i + half])
        self._set(node, out)
        self.values[node.outputs[0] + "#pads"] = np.array(pads, dtype=np.int64)

    def _reduce(self, node: Node) -> None:
        data = self.shape(node, node.inputs[0])
        axes = self.axes(node, 1, len(data))
        if axes is None:
            axes = [] if node.attrs.get("noop_with_empty_axes", 0) else list(range(len(data)))
        keep = node.attrs.get("keepdims", 1)
        out = [1 if i in axes else d for i, d in enumerate(data) if keep or i not in axes]
        self._set(node, out)

    _op_ReduceMean = _op_ReduceSum = _op_ReduceMax = _op_ReduceMin = _op_ReduceProd = _reduce
    _op_ReduceL2 = _op_ReduceSumSquare = _reduce

    def _op_GlobalAveragePool(self, node: Node) -> None:
        data = self.shape(node, node.inputs[0])
        self._set(node, data[:2] + (1,) * (len(data) - 2))

    _op_GlobalMaxPool = _op_GlobalAveragePool


def run_shapes(graph: Graph, input_shapes: dict[str, Shape]) -> ShapeInterpreter:
    interp = ShapeInterpreter(graph, input_shapes)
    interp.run()
    return interp
