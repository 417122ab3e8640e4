"""Bit widths of static operands read off the graph, never off the weight data.

A weight's bits come from the tensor its DequantizeLinear reads (int8/uint8, int16, int4/uint4,
the float8 types), or from the initializer's own type when no DequantizeLinear is in the way
(QOperator weights, MatMulInteger operands, ModelOpt's int8 initializers); the granularity from
the scale's shape: one value per tensor, one per channel along ``axis``, or blocks of
``block_size`` (opset 21 blocked quantization).
"""

from __future__ import annotations

from accelsim.workload.onnx.graph import Graph, Node, elem_bits
from accelsim.workload.onnx.shapes import ShapeInterpreter

#: static nodes a weight passes through without changing what is stored
_PASS = {"Transpose", "Reshape", "Identity", "Squeeze", "Unsqueeze", "Flatten", "Cast"}


def granularity(shapes: ShapeInterpreter, dq: Node) -> str:
    """per-tensor | per-channel(axis=A) | blocked(axis=A, block=B) of a DequantizeLinear."""
    scale = dq.inputs[1]
    dims = shapes.shapes.get(scale, ())
    numel = 1
    for d in dims:
        numel *= d
    axis = dq.attrs.get("axis", 1)
    block = dq.attrs.get("block_size", 0)
    if block:
        return f"blocked(axis={axis}, block={block})"
    return "per-tensor" if numel == 1 else f"per-channel(axis={axis})"


#: QOperator nodes that write a quantized tensor, and the input index of its scale (ONNX's
#: QLinearMatMul / QLinearConv; onnxruntime's com.microsoft contrib-op signatures)
QOUT_SCALE = {"QLinearMatMul": 6, "QLinearConv": 6, "QGemm": 7, "QLinearAdd": 6,
              "QLinearMul": 6, "QLinearSoftmax": 3, "QLinearConcat": 0, "QLinearSigmoid": 3,
              "QLinearLeakyRelu": 3, "QLinearAveragePool": 3, "QLinearGlobalAveragePool": 3}


def qoperator_output_note(shapes: ShapeInterpreter, node: Node | None) -> str:
    """Granularity of the tensor a QOperator node writes (its output scale's size), as a
    QuantizeLinear's is read; "" for any other node. DynamicQuantizeLinear computes one scale
    per tensor (ONNX spec)."""
    if node is None:
        return ""
    if node.op_type == "DynamicQuantizeLinear":
        return "per-tensor"
    idx = QOUT_SCALE.get(node.op_type)
    if idx is None or idx >= len(node.inputs) or not node.inputs[idx]:
        return ""
    numel = 1
    for d in shapes.shapes.get(node.inputs[idx], ()):
        numel *= d
    return "per-tensor" if numel == 1 else "per-channel"


def find_dq(graph: Graph, producers: dict[str, Node], name: str) -> tuple[Node | None, str]:
    """The DequantizeLinear a static tensor comes from (through layout nodes) and the name of
    the stored tensor (the DQ's input or the initializer itself)."""
    cur = name
    for _ in range(16):
        node = producers.get(cur)
        if node is None:
            return None, cur
        if node.op_type == "DequantizeLinear":
            return node, node.inputs[0]
        if node.op_type not in _PASS:
            return None, cur
        cur = node.inputs[0]
    return None, cur


def static_origin(graph: Graph, producers: dict[str, Node], shapes: ShapeInterpreter,
                  name: str) -> tuple[int, str, str, str]:
    """(bits, dtype, granularity note, stored tensor name) of a static operand."""
    dq, stored = find_dq(graph, producers, name)
    bits, dtype = elem_bits(shapes.types.get(stored, 1))
    note = granularity(shapes, dq) if dq is not None else ""
    return bits, dtype, note, stored
