"""Shapes of the compute operators (MatMul, Gemm, Conv, pooling, LayerNorm, quantization and the
QOperator / com.microsoft nodes) for the shape interpreter (shapes.py): a mixin, so that each
module keeps one concern."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from accelsim.workload.onnx.graph import FLOAT, INT32, UINT8, Node

if TYPE_CHECKING:
    from accelsim.workload.onnx.shapes import Shape


class NetworkShapes:
    """``_op_<OpType>`` handlers of the compute operators (see ShapeInterpreter)."""

    # provided by ShapeInterpreter
    shapes: dict
    types: dict

    def shape(self, node: Node, name: str) -> Shape: ...  # type: ignore[empty-body]

    def _set(self, *args, **kwargs) -> None: ...

    def _fail(self, node: Node, message: str): ...  # type: ignore[empty-body]

    def _elementwise(self, node: Node) -> None: ...

    def _matmul_shape(self, node: Node, a: Shape, b: Shape) -> Shape:
        a2, b2 = (1, *a) if len(a) == 1 else a, (*b, 1) if len(b) == 1 else b
        if a2[-1] != b2[-2]:
            raise self._fail(node, f"MatMul of {list(a)} and {list(b)}: inner dims differ")
        batch = np.broadcast_shapes(a2[:-2], b2[:-2])
        out = (*batch, *([a2[-2]] if len(a) > 1 else []), *([b2[-1]] if len(b) > 1 else []))
        return tuple(out)

    def _op_MatMul(self, node: Node) -> None:
        a, b = (self.shape(node, n) for n in node.inputs[:2])
        self._set(node, self._matmul_shape(node, a, b))

    def _op_MatMulInteger(self, node: Node) -> None:
        self._op_MatMul(node)
        self.types[node.outputs[0]] = INT32

    def _op_QLinearMatMul(self, node: Node) -> None:
        a, b = self.shape(node, node.inputs[0]), self.shape(node, node.inputs[3])
        self._set(node, self._matmul_shape(node, a, b), elem=self.types.get(node.inputs[7]))

    def _op_MatMulNBits(self, node: Node) -> None:
        a = self.shape(node, node.inputs[0])
        self._set(node, (*a[:-1], int(node.attrs["N"])))

    def _op_QGemm(self, node: Node) -> None:
        self._op_Gemm(node, (node.inputs[0], node.inputs[3]))
        y_zp = node.inputs[8] if len(node.inputs) > 8 else ""
        self.types[node.outputs[0]] = self.types.get(y_zp, UINT8) if len(node.inputs) > 7 \
            and node.inputs[7] else FLOAT

    def _op_QLinearConcat(self, node: Node) -> None:
        data = [n for n in node.inputs[2::3] if n]
        shapes = [self.shape(node, n) for n in data]
        axis = node.attrs["axis"] % len(shapes[0])
        out = list(shapes[0])
        out[axis] = sum(sh[axis] for sh in shapes)
        self._set(node, out, elem=self.types.get(node.inputs[1], UINT8))

    def _op_Gemm(self, node: Node, operands: tuple[str, str] | None = None) -> None:
        a, b = (self.shape(node, n) for n in (operands or node.inputs[:2]))
        m = a[1] if node.attrs.get("transA", 0) else a[0]
        n = b[0] if node.attrs.get("transB", 0) else b[1]
        self._set(node, (m, n))

    def _conv_shape(self, node: Node, x: Shape, w: Shape) -> Shape:
        spatial = len(x) - 2
        kernel = node.attrs.get("kernel_shape", w[2:])
        strides = node.attrs.get("strides", [1] * spatial)
        dil = node.attrs.get("dilations", [1] * spatial)
        pads = node.attrs.get("pads", [0] * 2 * spatial)
        auto = node.attrs.get("auto_pad", "NOTSET")
        out = []
        for i in range(spatial):
            eff = (kernel[i] - 1) * dil[i] + 1
            if auto in ("SAME_UPPER", "SAME_LOWER"):
                out.append(-(-x[2 + i] // strides[i]))
            else:
                out.append((x[2 + i] + pads[i] + pads[i + spatial] - eff) // strides[i] + 1)
        return (x[0], w[0], *out)

    def _op_Conv(self, node: Node) -> None:
        x, w = (self.shape(node, n) for n in node.inputs[:2])
        self._set(node, self._conv_shape(node, x, w))

    def _op_ConvInteger(self, node: Node) -> None:
        self._op_Conv(node)
        self.types[node.outputs[0]] = INT32

    def _op_QLinearConv(self, node: Node) -> None:
        x, w = self.shape(node, node.inputs[0]), self.shape(node, node.inputs[3])
        self._set(node, self._conv_shape(node, x, w), elem=self.types.get(node.inputs[7]))

    def _pool(self, node: Node) -> None:
        x = self.shape(node, node.inputs[0])
        self._set(node, self._conv_shape(node, x, (x[1], x[1])))

    _op_MaxPool = _op_AveragePool = _pool

    def _op_LayerNormalization(self, node: Node) -> None:
        x = self.shape(node, node.inputs[0])
        self._set(node, x)
        for extra in node.outputs[1:]:
            if extra:
                self.shapes[extra] = x[:-1] + (1,)

    def _op_QuantizeLinear(self, node: Node) -> None:
        zp = node.inputs[2] if len(node.inputs) > 2 else ""
        elem = self.types.get(zp) if zp else node.attrs.get("output_dtype") or UINT8
        self._set(node, self.shape(node, node.inputs[0]), elem=elem)

    def _op_DequantizeLinear(self, node: Node) -> None:
        self._set(node, self.shape(node, node.inputs[0]),
                  elem=self.types.get(node.inputs[1], FLOAT))

    def _op_DynamicQuantizeLinear(self, node: Node) -> None:
        self._set(node, self.shape(node, node.inputs[0]), elem=UINT8)
        self._set(node, (), elem=FLOAT, slot=1)
        self._set(node, (), elem=UINT8, slot=2)

    def _op_QLinearAdd(self, node: Node) -> None:
        self._elementwise(node)
        self.types[node.outputs[0]] = self.types.get(node.inputs[7], UINT8)

    _op_QLinearMul = _op_QLinearAdd

    def _op_QLinearSoftmax(self, node: Node) -> None:
        self._elementwise(node)
        self.types[node.outputs[0]] = self.types.get(node.inputs[4], UINT8)
