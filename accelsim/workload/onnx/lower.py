"""ONNX nodes -> accelsim operators (an intermediate list that emit.py turns into a Trace).

Every tensor is either *static* (initializers, Constant nodes, Shape results and whatever is
computed from those alone: folded at deployment, never executed) or an *activation*. Layout
nodes do not become ops: their output is an alias of a root activation, with the cost policy of
the README ("Layout operators"): free when the DMA's address generation absorbs them, a ``copy``
op where it cannot. Q/DQ nodes are annotations: they give the tensor's stored type.
A row op reading a transpose that moves the innermost axis gets the element order it needs
replayed from the root (``_view``): the root's own order is free, the transpose of a GEMM's
result is the GEMM writing its output transposed (when every reader wants that layout), and
anything else is a copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from accelsim.errors import TraceError
from accelsim.workload.onnx.graph import Graph, Node, elem_bits
from accelsim.workload.onnx.patterns import Match, PatternFinder
from accelsim.workload.onnx.quantinfo import qoperator_output_note, static_origin
from accelsim.workload.onnx.shapes import ShapeInterpreter

LAYOUT = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout", "Transpose",
          "QuantizeLinear", "DequantizeLinear", "Cast", "CastLike", "Slice", "Gather", "Concat",
          "QLinearConcat", "Split", "Pad", "Expand"}
GEMM_OPS = {"MatMul", "Gemm", "Conv", "QLinearMatMul", "QLinearConv", "MatMulInteger",
            "ConvInteger", "MatMulNBits", "QGemm"}
#: element-wise arithmetic outside the recognised patterns: vector-unit work (1 op/element)
ELTWISE = {"Mul", "Sub", "Div", "Relu", "Sigmoid", "Tanh", "Neg", "Abs", "Clip", "Max", "Min",
           "LeakyRelu", "HardSigmoid", "HardSwish", "Sqrt", "Exp", "Erf", "Pow", "Reciprocal",
           "QLinearMul"}
ROW_OPS = {"Softmax": "softmax", "QLinearSoftmax": "softmax", "LayerNormalization": "layernorm",
           "Gelu": "gelu", "FastGelu": "gelu", "BiasGelu": "gelu"}
POOL_OPS = {"ReduceMean", "GlobalAveragePool"}


@dataclass
class IrTensor:
    name: str
    shape: tuple[int, ...]
    role: str  # activation | input | weight | param
    natural: tuple[int, str]  # (bits, dtype) of the ONNX tensor itself
    quant: tuple[int, str] | None = None  # stored type when a QuantizeLinear follows
    note: str = ""  # quantization granularity
    transposed: bool = False  # stored as the transpose of its producer's result (shape stored)

    @property
    def numel(self) -> int:
        return int(np.prod(self.shape)) if self.shape else 1

    @property
    def type(self) -> tuple[int, str]:
        return self.quant or self.natural


@dataclass
class IrOp:
    kind: str
    name: str  # ONNX node name (naming.py turns it into the op name and block)
    onnx_op: str
    dims: dict[str, int]
    inputs: list[str]
    output: str
    qlinear: bool = False  # the op itself writes a quantized output (QOperator form)
    role: str = ""  # weight gemm / attention matmul / residual add ...
    bias: str = ""  # a GEMM's bias input (kept under a --quant scheme)


@dataclass
class Alias:
    root: str
    partial: bool = False  # a subset of the root's elements (Slice, Gather, Split)
    inner_moved: bool = False  # a transpose that moves the innermost axis
    prefix: int = 0  # elements of static rows concatenated in front (e.g. [CLS])
    prefix_params: tuple[str, ...] = ()
    #: the layout nodes from the root, replayable on indices (None: not, e.g. after a Slice)
    chain: tuple[Node, ...] | None = ()


@dataclass
class Lowered:
    tensors: dict[str, IrTensor] = field(default_factory=dict)
    ops: list[IrOp] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class Lowering:
    def __init__(self, graph: Graph, shapes: ShapeInterpreter, unknown_ops: str) -> None:
        self.g = graph
        self.s = shapes
        self.unknown_ops = unknown_ops
        self.prod = graph.producers()
        self.cons = graph.consumers()
        self.static: set[str] = set(graph.initializers)
        for node in graph.nodes:
            ins = [i for i in node.inputs if i]
            if node.op_type in ("Shape", "Size") or (ins and all(i in self.static for i in ins)):
                self.static.update(o for o in node.outputs if o)
        self.alias: dict[str, Alias] = {}
        self.out = Lowered()
        self.skip: set[int] = set()
        self.copies: dict[str, str] = {}
        self.op_of: dict[str, IrOp] = {}
        self.read_as_stored: set[str] = set()  # roots some op reads in their stored order
        self.read_transposed: dict[str, list[str]] = {}  # GEMM result -> views read transposed
        self.views: dict[tuple[str, str], str] = {}
        self.transposed_shape: dict[tuple[str, str], tuple[int, ...]] = {}

    # ------------------------------------------------------------------ tensors
    def _shape(self, name: str) -> tuple[int, ...]:
        return self.s.shapes[name]

    def _numel(self, name: str) -> int:
        return int(np.prod(self._shape(name))) if self._shape(name) else 1

    def _act(self, name: str, role: str = "activation") -> str:
        if name not in self.out.tensors:
            self.out.tensors[name] = IrTensor(
                name, self._shape(name), role, elem_bits(self.s.types.get(name, 1)),
                note=qoperator_output_note(self.s, self.prod.get(name)))
        return name

    def _param(self, name: str, shape: tuple[int, ...] | None = None,
               role: str = "param") -> str:
        """A static tensor used by an op: its type from its origin (DQ input or initializer)."""
        bits, dtype, note, _ = static_origin(self.g, self.prod, self.s, name)
        if name not in self.out.tensors:
            self.out.tensors[name] = IrTensor(name, shape or self._shape(name) or (1,), role,
                                              (bits, dtype), note=note)
        return name

    def _fail(self, node: Node, message: str) -> TraceError:
        return TraceError(f"node {node.name or node.outputs[0]!r} ({node.op_type}): {message}",
                          file=self.g.path)

    def resolve(self, name: str, kind: str, slot: int, consumer: str) -> str:
        """The IR tensor an op reads for ONNX tensor ``name``: its root, or a copy where the
        DMA cannot absorb the layout change for this consumer."""
        if name in self.static:
            return self._param(name)
        a = self.alias.get(name, Alias(name))
        root_kind = self.op_of[a.root].kind if a.root in self.op_of else ""
        needs_copy = ((a.partial and not (kind == "gemm" and slot == 0))
                      or (a.prefix and not (kind == "add" and slot == 0)))
        if not needs_copy and kind not in ("gemm", "matmul", "pool", "copy") and (
                a.inner_moved or (a.chain and self._unreadable(kind, name, a.root))):
            view = self._view(a, name)
            if view == "transposed" and root_kind in ("gemm", "matmul"):
                self.read_transposed.setdefault(a.root, []).append(name)
                return self._act(name)  # settled by views.settle_transposed
            needs_copy = view != "same"
        self.read_as_stored.add(a.root)
        if not needs_copy:
            return self._act(a.root) if a.root not in self.out.tensors else a.root
        if name not in self.copies:
            inputs = [a.root, *a.prefix_params]
            self._emit("copy", f"{consumer}.copy{slot}", "Copy", self._row_dims(name), inputs,
                       name)
            self.copies[name] = name
        return name

    def _unreadable(self, kind: str, name: str, root: str) -> bool:
        """The rows a ``kind`` op reads in ``name`` are not rows of ``root`` as stored (by the
        op's own layout rule): e.g. only size-1 dims moved, so the axis it reads changed."""
        from accelsim.workload.onnx.views import ROW_KINDS, unreadable

        return kind in ROW_KINDS and unreadable(self, kind, name, root)

    def _view(self, a: Alias, name: str) -> str:
        from accelsim.workload.onnx.views import view_of

        return view_of(self, a, name)

    def _row_dims(self, name: str) -> dict[str, int]:
        shape = self._shape(name) or (1,)
        return {"rows": self._numel(name) // shape[-1], "length": shape[-1]}

    def _emit(self, kind: str, name: str, onnx_op: str, dims: dict[str, int],
              inputs: list[str], output: str, **kw: object) -> IrOp:
        self._act(output)
        op = IrOp(kind, name, onnx_op, dims, inputs, output, **kw)  # type: ignore[arg-type]
        self.out.ops.append(op)
        self.op_of[output] = op
        return op

    # ------------------------------------------------------------------ the walk
    def run(self) -> Lowered:
        for name in self.g.inputs:
            self._act(name, role="input")
        matches = {m.anchor: m for m in PatternFinder(self.g, self.static.__contains__).find()}
        for m in matches.values():
            self.skip |= m.nodes - {m.anchor}
        for node in self.g.nodes:
            if node.index in self.skip or all(o in self.static for o in node.outputs if o):
                continue
            if node.index in matches:
                self._pattern(node, matches[node.index])
            elif node.op_type in LAYOUT:
                self._layout(node)
            elif node.op_type in GEMM_OPS:
                self._gemm(node)
            else:
                self._compute(node)
        from accelsim.workload.onnx.views import copy_unreadable, settle_transposed

        settle_transposed(self)
        copy_unreadable(self)
        return self.out

    def _pattern(self, node: Node, m: Match) -> None:
        x = self.resolve(m.x, m.kind, 0, node.name or m.out)
        params = [self._param(p) for p in m.params]
        self._emit(m.kind, node.name or m.out, "pattern", self._row_dims(m.x), [x, *params],
                   m.out)

    # ------------------------------------------------------------------ layout nodes
    def _set_alias(self, node: Node, src: str, **kw: object) -> None:
        base = self.alias.get(src, Alias(src))
        a = Alias(base.root, partial=base.partial or bool(kw.get("partial")),
                  inner_moved=(base.inner_moved and not kw.get("in_order"))
                  or bool(kw.get("inner_moved")),
                  prefix=base.prefix + int(kw.get("prefix", 0)),
                  prefix_params=base.prefix_params + tuple(kw.get("prefix_params", ())),
                  chain=None if base.chain is None or kw.get("prefix") else
                  (*base.chain, node))
        for out in node.outputs:
            if out:
                self.alias[out] = a

    def _layout(self, node: Node) -> None:
        op = node.op_type
        src = node.inputs[2] if op == "QLinearConcat" else node.inputs[0]
        out = node.outputs[0]
        if op == "QuantizeLinear":
            root = self.alias.get(src, Alias(src)).root
            if root in self.out.tensors:
                t = self.out.tensors[root]
                t.quant = elem_bits(self.s.types[out])
                scale = node.inputs[1]
                t.note = "per-tensor" if self._numel(scale) == 1 else \
                    f"per-channel(axis={node.attrs.get('axis', 1)})"
        if op == "Transpose":
            perm = node.attrs.get("perm", list(reversed(range(len(self._shape(src))))))
            shape = self._shape(src)
            big = [i for i, d in enumerate(shape) if d > 1]
            moved = bool(big) and [p for p in perm if shape[p] > 1][-1] != big[-1]
            self._set_alias(node, src, inner_moved=moved)
        elif op in ("Slice", "Gather", "Split"):
            for o in node.outputs:
                if o:
                    self.alias[o] = Alias(self.alias.get(src, Alias(src)).root,
                                          partial=self._numel(o) < self._numel(src), chain=None)
        elif op in ("Concat", "QLinearConcat"):
            self._concat(node)
        elif op in ("Pad", "Expand") and self._numel(out) != self._numel(src):
            self._emit("copy", node.name or out, op, self._row_dims(out),
                       [self.resolve(src, "copy", 0, node.name or out)], out)
        else:
            self._set_alias(node, src)

    def _concat(self, node: Node) -> None:
        out = node.outputs[0]
        data = node.inputs[2::3] if node.op_type == "QLinearConcat" else node.inputs
        ins = [i for i in data if i]
        acts = [i for i in ins if i not in self.static]
        roots = {self.alias.get(i, Alias(i)).root for i in acts}
        axis = node.attrs.get("axis", 0) % len(self._shape(out))
        if len(acts) == len(ins) and len(roots) == 1 and \
                self._numel(out) == self._numel(next(iter(roots))):
            # a permutation (roll, patch merging)
            self.alias[out] = Alias(next(iter(roots)), chain=None)
            return
        if len(acts) == 1 and axis != len(self._shape(out)) - 1 and ins[-1] == acts[0]:
            consts = [self._param(i) for i in ins[:-1]]
            base = self.alias.get(acts[0], Alias(acts[0]))
            # the rows after the prefix are read in the root's stored order (e.g. a patch
            # embedding's NCHW -> tokens transpose, which the im2col GEMM's layout undoes)
            in_order = base.inner_moved and not base.partial and not base.prefix and \
                self._view(base, acts[0]) == "same"
            self._set_alias(node, acts[0], prefix=sum(self._numel(c) for c in ins[:-1]),
                            prefix_params=consts, in_order=in_order)
            return
        name = node.name or out
        self._emit("copy", name, "Concat", self._row_dims(out),
                   [self.resolve(i, "copy", k, name) for k, i in enumerate(ins)], out)

    # ------------------------------------------------------------------ GEMMs
    def _gemm(self, node: Node) -> None:
        from accelsim.workload.onnx.gemm import lower_gemm

        lower_gemm(self, node)

    # ------------------------------------------------------------------ other compute
    def _live_consumers(self, tensor: str) -> list[Node]:
        return [n for n in self.cons.get(tensor, ()) if n.op_type not in ("Shape", "Size")
                and n.index not in self.skip]

    def _compute(self, node: Node) -> None:
        op, out = node.op_type, node.outputs[0]
        name = node.name or out
        ins = [i for i in node.inputs if i]
        pair = [node.inputs[0], node.inputs[3]] if op == "QLinearMul" else ins
        if op in ("Mul", "Div", "QLinearMul") and len(pair) == 2 and (
                self._numel(pair[1]) == 1 or (op != "Div" and self._numel(pair[0]) == 1)):
            big = pair[0] if self._numel(pair[1]) == 1 else pair[1]
            self._set_alias(node, big)  # a scale: folded into the neighbouring (re)quantizer
            return
        if op in ROW_OPS:
            x = ins[0]
            self._emit(ROW_OPS[op], name, op, self._row_dims(x),
                       [self.resolve(x, ROW_OPS[op], 0, name),
                        *[self._param(p) for p in ins[1:] if p in self.static
                          and op not in ("QLinearSoftmax",)]],
                       out, qlinear=op.startswith("QLinear"))
        elif op in ("Add", "QLinearAdd"):
            self._add(node, name)
        elif op in POOL_OPS:
            self._pool(node, name)
        elif op == "DynamicQuantizeLinear":
            self._emit("requant", name, op, self._row_dims(ins[0]),
                       [self.resolve(ins[0], "requant", 0, name)], out)
        elif op in ELTWISE:
            operands = [ins[0], ins[3]] if op == "QLinearMul" else ins
            self._eltwise(node, name, operands)
        elif self.unknown_ops == "vector":
            self.out.warnings.append(f"{name} ({node.domain + ':' if node.domain else ''}{op})")
            self._eltwise(node, name, ins)
            for extra in node.outputs[1:]:
                if extra:
                    self.alias[extra] = Alias(out, partial=True, chain=None)
        else:
            dom = f"{node.domain}:" if node.domain else ""
            raise self._fail(node, f"operator {dom}{op} has no accelsim mapping (see the "
                                   "README's operator table); run it as element-wise work on "
                                   "the vector unit with --unknown-ops vector")

    def _eltwise(self, node: Node, name: str, operands: list[str]) -> None:
        out = node.outputs[0]
        acts = [i for i in operands if i not in self.static and self._numel(i) > 1]
        acts.sort(key=self._numel, reverse=True)
        params = [self._param(i) for i in operands if i in self.static and self._numel(i) > 1]
        inputs = [self.resolve(a, "eltwise", k, name) for k, a in enumerate(acts)] + params
        if not acts:
            raise self._fail(node, "has no activation input")
        self._emit("eltwise", name, node.op_type, self._row_dims(out), inputs, out,
                   qlinear=node.op_type.startswith("QLinear"))

    def _add(self, node: Node, name: str) -> None:
        out = node.outputs[0]
        ins = [node.inputs[0], node.inputs[3]] if node.op_type == "QLinearAdd" else \
            list(node.inputs[:2])
        ins.sort(key=lambda i: (i in self.static, -self._numel(i)))
        first = self.alias.get(ins[0], Alias(ins[0]))
        prefix_rows = 0
        dims = self._row_dims(out)
        x = self.resolve(ins[0], "add", 0, name)
        if first.prefix and ins[1] in self.static:
            prefix_rows = first.prefix // dims["length"]
        elif first.prefix:
            x = self.resolve(ins[0], "copy", 0, name)
        other = self._param(ins[1]) if ins[1] in self.static else \
            self.resolve(ins[1], "add", 1, name)
        inputs = [x, other] + [self._param(p) for p in first.prefix_params if prefix_rows]
        self._emit("add", name, node.op_type, {**dims, "prefix_rows": prefix_rows}, inputs,
                   out, qlinear=node.op_type == "QLinearAdd",
                   role="residual" if ins[1] not in self.static else "param")

    def _pool(self, node: Node, name: str) -> None:
        x, out = node.inputs[0], node.outputs[0]
        shape = self._shape(x)
        if node.op_type == "GlobalAveragePool":
            axes = list(range(2, len(shape)))
        else:
            axes = self.s.axes(node, 1, len(shape)) or list(range(len(shape)))
        lo, hi = min(axes), max(axes)
        tokens = int(np.prod(shape[lo:hi + 1]))
        channels = int(np.prod(shape[hi + 1:]))
        a = self.alias.get(x, Alias(x))
        if channels == 1 and a.inner_moved:  # reads the producer's [tokens, channels] layout
            channels = self.s.shapes[a.root][-1]
        groups = self._numel(x) // (tokens * channels)
        self._emit("pool", name, node.op_type,
                   {"groups": groups, "tokens": tokens, "channels": channels},
                   [self.resolve(x, "pool", 0, name)], out)
