"""GEMM-like ONNX nodes -> ``gemm`` (one operand static) or ``matmul`` (both activations).

MatMul / Gemm / QLinearMatMul / MatMulInteger with a static operand, MatMulNBits (weights
packed ``bits`` wide in blocks of ``block_size``), and Conv / QLinearConv / ConvInteger by
im2col (SCALE-Sim's convention: M = N x OH x OW output pixels, K = C/groups x kh x kw, N =
filters). The epilogue a deployment fuses into the GEMM is absorbed: a Cast, a scalar Mul/Div
(dequantization scale, 1/sqrt(d)), a bias Add, and Q -> DQ pairs between them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from accelsim.workload.onnx.graph import Node
from accelsim.workload.onnx.quantinfo import find_dq, static_origin

if TYPE_CHECKING:
    from accelsim.workload.onnx.lower import Lowering


def _operands(node: Node) -> tuple[str, str, str]:
    """(activation-side input, weight-side input, bias) of a GEMM-like node."""
    ins = list(node.inputs) + [""] * 9
    op = node.op_type
    if op in ("QLinearMatMul", "QLinearConv"):
        return ins[0], ins[3], ins[8] if op == "QLinearConv" else ""
    if op == "QGemm":
        return ins[0], ins[3], ins[6]
    if op == "MatMulNBits":
        return ins[0], ins[1], ins[5]
    if op in ("Gemm", "Conv"):
        return ins[0], ins[1], ins[2]
    return ins[0], ins[1], ""


def _weight(L: Lowering, node: Node, w: str, k: int, n: int) -> list[str]:
    """The weight tensor (k x n, bits from its stored type) and its scale / zero-point params."""
    from accelsim.workload.onnx.lower import IrTensor

    if node.op_type == "MatMulNBits":
        bits, block = int(node.attrs.get("bits", 4)), int(node.attrs.get("block_size", 32))
        t = IrTensor(w, (k, n), "weight", (bits, "int"), note=f"blocked(block={block})")
        L.out.tensors.setdefault(w, t)
        params = [p for p in node.inputs[2:4] if p]
        return [w, *(L._param(p) for p in params)]
    dq, stored = find_dq(L.g, L.prod, w)
    name = stored if stored in L.g.initializers else w
    bits, dtype, note, _ = static_origin(L.g, L.prod, L.s, w)
    t = L.out.tensors.setdefault(name, IrTensor(name, (k, n), "weight", (bits, dtype),
                                                note=note))
    extra: list[str] = []
    if dq is not None:
        extra = [L._param(p) for p in dq.inputs[1:3] if p]
    elif node.op_type in ("QLinearMatMul", "QLinearConv", "QGemm"):
        t.note = "per-tensor" if L._numel(node.inputs[4]) == 1 else "per-channel"
        extra = [L._param(p) for p in node.inputs[4:6] if p and L._numel(p) > 1]
    w = name
    return [w, *extra]


def _epilogue(L: Lowering, t: str, n: int, has_bias: bool) -> tuple[str, str, tuple[int, str]
                                                                    | None]:
    """(output tensor after the fused chain, bias tensor or "", type of an absorbed Q)."""
    from accelsim.workload.onnx.graph import elem_bits

    bias, quant, cur = "", None, t

    def absorbable(u: Node, cur: str) -> str:
        other = [i for i in u.inputs if i and i != cur]
        if u.op_type in ("Cast", "Identity"):
            return "pass"
        if u.op_type in ("Mul", "Div") and len(other) == 1 and L._numel(other[0]) == 1 and \
                (u.op_type == "Mul" or u.inputs[0] == cur):
            return "pass"
        if u.op_type == "Add" and not has_bias and not bias and len(other) == 1 and \
                other[0] in L.static and L._numel(other[0]) == n:
            return "bias"
        return ""

    while True:
        users = L._live_consumers(cur)
        if len(users) != 1:
            break
        u = users[0]
        what = absorbable(u, cur)
        if not what and u.op_type == "QuantizeLinear":
            dq = L._live_consumers(u.outputs[0])
            nxt = L._live_consumers(dq[0].outputs[0]) if len(dq) == 1 and \
                dq[0].op_type == "DequantizeLinear" else []
            if len(nxt) == 1 and absorbable(nxt[0], dq[0].outputs[0]):
                quant = elem_bits(L.s.types[u.outputs[0]])
                L.skip |= {u.index, dq[0].index}
                cur = dq[0].outputs[0]
                continue
            break
        if not what:
            break
        if what == "bias":
            bias = next(i for i in u.inputs if i and i != cur)
        L.skip.add(u.index)
        cur = u.outputs[0]
    return cur, bias, quant


def lower_gemm(L: Lowering, node: Node) -> None:
    a, w, bias = _operands(node)
    name = node.name or node.outputs[0]
    op = node.op_type
    out = node.outputs[0]
    if op == "MatMul" and a in L.static and w not in L.static:  # Y = W @ X: X^T W^T
        sb = L._shape(w)
        k, n = sb[-2], L._shape(a)[-2]
        m = L._numel(w) // k
        x, w = w, a
    elif w in L.static:
        sa, sw = L._shape(a), L._shape(w)
        if op in ("Conv", "ConvInteger", "QLinearConv"):
            so = L._shape(out)
            m, k, n = so[0] * int(np.prod(so[2:])), int(np.prod(sw[1:])), sw[0]
        elif op == "MatMulNBits":
            k, n = int(node.attrs["K"]), int(node.attrs["N"])
            m = L._numel(a) // k
        elif op in ("Gemm", "QGemm"):
            k = sa[0] if node.attrs.get("transA", 0) else sa[-1]
            n = sw[0] if node.attrs.get("transB", 0) else sw[1]
            m = L._numel(a) // k
        else:
            if len(sw) > 2 and int(np.prod(sw[:-2])) != 1:
                raise L._fail(node, f"batched static operand {list(sw)} (expected a 2-D "
                                    "weight)")
            k, n = sw[-2], sw[-1]
            m = L._numel(a) // k
        x = a
    else:
        _matmul(L, node, a, w, name)
        return
    inputs = [_gemm_input(L, node, x, m, k, name), *_weight(L, node, w, k, n)]
    tail, fused_bias, quant = _epilogue(L, out, n, bool(bias))
    bias = bias or fused_bias
    if bias:
        inputs.append(L._param(bias))
    qlinear = op.startswith("QLinear") or (op == "QGemm" and len(node.inputs) > 7
                                           and bool(node.inputs[7]))
    ir = L._emit("gemm", name, op, {"m": m, "n": n, "k": k}, inputs, tail,
                 qlinear=qlinear, role="weight", bias=bias)
    if op in ("Conv", "ConvInteger", "QLinearConv"):
        # the im2col GEMM writes its [m, n] result matrix (m = N x OH x OW pixels, n output
        # channels), pixel-major; the NCHW view of the graph is a layout the DMA absorbs
        L.out.tensors[tail].shape = (m, n)
    if quant is not None:
        L.out.tensors[tail].quant = quant
    if L.alias.get(x) is not None and L.alias[x].partial and L._numel(inputs[0]) > m * k:
        ir.dims["partial_input"] = 1


def _gemm_input(L: Lowering, node: Node, x: str, m: int, k: int, name: str) -> str:
    """The GEMM's activation operand; an overlapping convolution reads its im2col matrix
    (a graph input is read as that matrix from DRAM; an activation is expanded by a copy)."""
    if L._numel(x) == m * k or node.op_type not in ("Conv", "ConvInteger", "QLinearConv"):
        return L.resolve(x, "gemm", 0, name)
    if x in L.g.inputs:
        L.out.tensors[x].shape = (m, k)
        return x
    col = f"{name}.im2col"
    L.s.shapes[col] = (m, k)
    L.s.types[col] = L.s.types.get(x, 1)
    L._emit("copy", col, "im2col", {"rows": m, "length": k},
            [L.resolve(x, "copy", 0, name)], col)
    return col


def _matmul(L: Lowering, node: Node, a: str, b: str, name: str) -> None:
    sa, sb = L._shape(a), L._shape(b)
    if len(sa) < 2 or len(sb) < 2:
        raise L._fail(node, f"activation x activation MatMul of {list(sa)} and {list(sb)} "
                            "(expected batched matrices)")
    batch = int(np.prod(np.broadcast_shapes(sa[:-2], sb[:-2])))
    m, k, n = sa[-2], sa[-1], sb[-1]
    if L._numel(a) != batch * m * k or L._numel(b) != batch * k * n:
        raise L._fail(node, f"broadcast batch dims {list(sa)} x {list(sb)} are not supported")
    inputs = [L.resolve(a, "matmul", 0, name), L.resolve(b, "matmul", 1, name)]
    tail, _bias, quant = _epilogue(L, node.outputs[0], -1, True)
    L._emit("matmul", name, node.op_type, {"batch": batch, "m": m, "n": n, "k": k}, inputs,
            tail, qlinear=node.op_type.startswith("QLinear"), role="attention")
    if quant is not None:
        L.out.tensors[tail].quant = quant
