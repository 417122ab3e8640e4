"""Small ViT graphs built with onnx.helper for the importer's tests (no torch).

One ViT block at 32x32 pixels, patch 16 (4 patches + [CLS] = 5 tokens), dim 32, 2 heads of 16,
MLP 64, 10 classes, in the forms exporters and quantizers write: float; QDQ (weights int8 or
int4, per-tensor or per-channel, or DQ-only int8 initializers); QOperator (QLinearConv,
QLinearMatMul, QLinearAdd, QLinearSoftmax); MatMulNBits weights; decomposed LayerNorm and GELU
(Erf or tanh form); dynamic batch with Shape -> Gather -> Concat reshape targets.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

D, HEADS, HD, MLP, CLASSES, PATCH, IMG = 32, 2, 16, 64, 10, 16, 32
TOKENS = (IMG // PATCH) ** 2 + 1

#: MACs of the block by hand (batch 1): patch 4x768x32; q, k, v, proj 4 x 5x32x32;
#: QK^T and SV 2 heads x 5x5x16 each; fc1, fc2 5x32x64 each; head 1x32x10
HAND_MACS = 4 * 768 * 32 + 4 * 5 * 32 * 32 + 2 * (2 * 5 * 5 * 16) + 2 * 5 * 32 * 64 + 32 * 10


class VitBuilder:
    """``quant``: none | qdq | dq_only | qop | nbits. ``wbits``: 8 or 4 (QDQ weights)."""

    def __init__(self, quant: str = "none", wbits: int = 8, per_channel: bool = False,
                 ln: str = "op", gelu: str = "op", dynamic: bool = False,
                 unknown: bool = False, float_nonlinear: bool = False) -> None:
        self.quant, self.wbits, self.per_channel = quant, wbits, per_channel
        self.ln, self.gelu, self.dynamic, self.unknown = ln, gelu, dynamic, unknown
        self.float_nonlinear = float_nonlinear  # ModelOpt style: LN/softmax/GELU stay float
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.rng = np.random.default_rng(0)
        self.count = 0

    # ------------------------------------------------------------------ helpers
    def name(self, base: str) -> str:
        self.count += 1
        return f"{base}_{self.count}"

    def node(self, op: str, ins: list[str], name: str, n_out: int = 1, domain: str = "",
             **attrs) -> str:
        outs = [f"{name}_out"] + [f"{name}_out{i}" for i in range(1, n_out)]
        self.nodes.append(helper.make_node(op, ins, outs, name=name, domain=domain, **attrs))
        return outs[0]

    def init(self, name: str, array: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def const(self, values, dtype=np.int64) -> str:
        return self.init(self.name("c"), np.array(values, dtype=dtype))

    def scalar(self, value: float) -> str:
        return self.init(self.name("s"), np.array(value, dtype=np.float32))

    def q(self, x: str) -> str:
        """Q -> DQ of an activation (uint8, per-tensor), unless the graph is float/QOperator."""
        if self.quant not in ("qdq", "dq_only"):
            return x
        s, zp = self.scalar(0.05), self.init(self.name("zp"), np.array(128, np.uint8))
        qn = self.node("QuantizeLinear", [x, s, zp], self.name(f"{x}_q"))
        return self.node("DequantizeLinear", [qn, s, zp], self.name(f"{x}_dq"))

    def weight(self, name: str, shape: tuple[int, ...], axis: int) -> str:
        """A float initializer, or a quantized one behind a DequantizeLinear."""
        w = self.rng.standard_normal(shape).astype(np.float32)
        if self.quant in ("none", "nbits"):
            return self.init(name, w)
        if self.quant == "dq_only":  # ModelOpt: int8 initializer + per-channel DQ, no Q
            n = shape[axis]
            self.init(name, w.astype(np.int8))
            s = self.init(f"{name}_scale", np.full((n,), 0.01, np.float32))
            return self.node("DequantizeLinear", [name, s], f"{name}_DQ", axis=axis)
        tp = TensorProto.INT4 if self.wbits == 4 else TensorProto.INT8
        self.inits.append(helper.make_tensor(name, tp, shape,
                                             np.zeros(int(np.prod(shape)), np.int64).tolist()))
        n = shape[axis] if self.per_channel else 1
        s = self.init(f"{name}_scale", np.full((n,) if self.per_channel else (), 0.01,
                                               np.float32))
        zp_shape = [n] if self.per_channel else []
        zp = f"{name}_zp"
        self.inits.append(helper.make_tensor(zp, tp, zp_shape, [0] * (n if self.per_channel
                                                                     else 1)))
        return self.node("DequantizeLinear", [name, s, zp], f"{name}_DQ",
                         **({"axis": axis} if self.per_channel else {}))

    # ------------------------------------------------------------------ layers
    def linear(self, x: str, scope: str, k: int, n: int) -> str:
        if self.quant == "nbits":
            blob = 32 // 2 * 4 // 4  # 32-element blocks of 4-bit values
            b = self.init(f"{scope}.weight", np.zeros((n, k // 32, blob), np.uint8))
            s = self.init(f"{scope}.scales", np.ones((n * (k // 32),), np.float32))
            mm = self.node("MatMulNBits", [x, b, s], f"/{scope}/MatMulNBits",
                           domain="com.microsoft", K=k, N=n, bits=4, block_size=32)
        elif self.quant == "qop":
            return self.qlinear_matmul(x, scope, k, n)
        else:
            w = self.weight(f"{scope}.weight", (k, n), axis=1)
            mm = self.node("MatMul", [self.q(x), w], f"/{scope}/MatMul")
        bias = self.init(f"{scope}.bias", np.zeros((n,), np.float32))
        return self.node("Add", [mm, bias], f"/{scope}/Add")

    def qlinear_matmul(self, x: str, scope: str, k: int, n: int) -> str:
        w = self.init(f"{scope}.weight", np.zeros((k, n), np.int8))
        s, zp = self.scalar(0.05), self.init(self.name("zp"), np.array(128, np.uint8))
        ws = self.init(f"{scope}.wscale", np.full((n,), 0.01, np.float32))
        wzp = self.init(f"{scope}.wzp", np.zeros((n,), np.int8))
        mm = self.node("QLinearMatMul", [x, s, zp, w, ws, wzp, s, zp], f"/{scope}/MatMul")
        bias = self.init(f"{scope}.bias_q", np.zeros((n,), np.uint8))
        return self.node("QLinearAdd", [mm, s, zp, bias, s, zp, s, zp], f"/{scope}/Add",
                         domain="com.microsoft")

    def to_float(self, x: str) -> str:
        if self.quant != "qop":
            return x
        s, zp = self.scalar(0.05), self.init(self.name("zp"), np.array(128, np.uint8))
        return self.node("DequantizeLinear", [x, s, zp], self.name(f"{x}_deq"))

    def to_int(self, x: str) -> str:
        if self.quant != "qop":
            return x
        s, zp = self.scalar(0.05), self.init(self.name("zp"), np.array(128, np.uint8))
        return self.node("QuantizeLinear", [x, s, zp], self.name(f"{x}_quant"))

    def layernorm(self, x: str, scope: str) -> str:
        g = self.init(f"{scope}.weight", np.ones((D,), np.float32))
        b = self.init(f"{scope}.bias", np.zeros((D,), np.float32))
        x = self.to_float(x)
        if self.ln == "op":
            y = self.node("LayerNormalization", [x if self.float_nonlinear else self.q(x), g, b],
                          f"/{scope}/LayerNormalization", axis=-1, epsilon=1e-6)
        else:
            ax = self.const([-1])
            m = self.node("ReduceMean", [x, ax], f"/{scope}/ReduceMean")
            d = self.node("Sub", [x, m], f"/{scope}/Sub")
            p = self.node("Pow", [d, self.scalar(2.0)], f"/{scope}/Pow")
            v = self.node("ReduceMean", [p, ax], f"/{scope}/ReduceMean_1")
            e = self.node("Add", [v, self.scalar(1e-6)], f"/{scope}/Add")
            r = self.node("Sqrt", [e], f"/{scope}/Sqrt")
            n = self.node("Div", [d, r], f"/{scope}/Div")
            y = self.node("Mul", [n, g], f"/{scope}/Mul")
            y = self.node("Add", [y, b], f"/{scope}/Add_1")
        return self.to_int(y)

    def gelu_fn(self, x: str, scope: str) -> str:
        x = self.to_float(x)
        xin = x if self.float_nonlinear else self.q(x)
        if self.gelu == "op":
            y = self.node("Gelu", [xin], f"/{scope}/Gelu")
        elif self.gelu == "erf":
            d = self.node("Div", [xin, self.scalar(1.4142135)], f"/{scope}/Div")
            e = self.node("Erf", [self.q(d)], f"/{scope}/Erf")  # ORT's QDQ quantizes inside
            a = self.node("Add", [self.q(e), self.scalar(1.0)], f"/{scope}/Add")
            m = self.node("Mul", [xin, a], f"/{scope}/Mul")
            y = self.node("Mul", [m, self.scalar(0.5)], f"/{scope}/Mul_1")
        else:  # tanh approximation
            c = self.node("Pow", [xin, self.scalar(3.0)], f"/{scope}/Pow")
            c = self.node("Mul", [c, self.scalar(0.044715)], f"/{scope}/Mul")
            a = self.node("Add", [xin, c], f"/{scope}/Add")
            s = self.node("Mul", [a, self.scalar(0.7978846)], f"/{scope}/Mul_1")
            t = self.node("Tanh", [s], f"/{scope}/Tanh")
            a1 = self.node("Add", [t, self.scalar(1.0)], f"/{scope}/Add_1")
            h = self.node("Mul", [xin, self.scalar(0.5)], f"/{scope}/Mul_2")
            y = self.node("Mul", [h, a1], f"/{scope}/Mul_3")
        return self.to_int(y)

    def reshape(self, x: str, dims: list[int], scope: str, batch_src: str) -> str:
        """Reshape to [B, *dims[1:]]; the dynamic form computes B with Shape -> Gather."""
        if not self.dynamic:
            return self.node("Reshape", [x, self.const(dims)], f"/{scope}/Reshape")
        shp = self.node("Shape", [batch_src], f"/{scope}/Shape")
        b = self.node("Gather", [shp, self.const(0)], f"/{scope}/Gather", axis=0)
        bu = self.node("Unsqueeze", [b, self.const([0])], f"/{scope}/Unsqueeze")
        target = self.node("Concat", [bu, self.const(dims[1:])], f"/{scope}/Concat", axis=0)
        return self.node("Reshape", [x, target], f"/{scope}/Reshape")

    def attention(self, x: str, scope: str) -> str:
        q, k, v = (self.linear(x, f"{scope}/{p}", D, D) for p in ("query", "key", "value"))
        heads = []
        for t, perm in ((q, [0, 2, 1, 3]), (k, [0, 2, 3, 1]), (v, [0, 2, 1, 3])):
            r = self.reshape(self.to_float(t) if self.quant == "qop" and False else t,
                             [1, TOKENS, HEADS, HD], self.name(f"{scope}/split"), x)
            heads.append(self.node("Transpose", [r], self.name(f"/{scope}/Transpose"),
                                   perm=perm))
        if self.quant == "qop":
            s, zp = self.scalar(0.05), self.init(self.name("zp"), np.array(128, np.uint8))
            sc = self.node("QLinearMatMul", [heads[0], s, zp, heads[1], s, zp, s, zp],
                           f"/{scope}/MatMul")
            p = self.node("QLinearSoftmax", [sc, s, zp, s, zp], f"/{scope}/Softmax",
                          domain="com.microsoft", axis=-1, opset=13)
            ctx = self.node("QLinearMatMul", [p, s, zp, heads[2], s, zp, s, zp],
                            f"/{scope}/MatMul_1")
        else:
            sc = self.node("MatMul", [self.q(heads[0]), self.q(heads[1])], f"/{scope}/MatMul")
            sc = self.node("Div", [sc, self.scalar(4.0)], f"/{scope}/Div")
            p = self.node("Softmax", [sc if self.float_nonlinear else self.q(sc)],
                          f"/{scope}/Softmax", axis=-1)
            ctx = self.node("MatMul", [self.q(p), self.q(heads[2])], f"/{scope}/MatMul_1")
        t = self.node("Transpose", [ctx], f"/{scope}/Transpose_out", perm=[0, 2, 1, 3])
        r = self.reshape(t, [1, TOKENS, D], f"{scope}/merge", x)
        return self.linear(r, f"{scope}/output", D, D)

    def add(self, a: str, b: str, name: str) -> str:
        if self.quant == "qop":
            s, zp = self.scalar(0.05), self.init(self.name("zp"), np.array(128, np.uint8))
            return self.node("QLinearAdd", [a, s, zp, b, s, zp, s, zp], name,
                             domain="com.microsoft")
        if self.float_nonlinear:
            return self.node("Add", [a, b], name)
        return self.node("Add", [self.q(a), self.q(b)], name)

    # ------------------------------------------------------------------ the model
    def build(self) -> onnx.ModelProto:
        batch = "batch" if self.dynamic else 1
        x = "pixel_values"
        xin = self.to_int(x) if self.quant == "qop" else self.q(x)
        if self.quant == "qop":
            w = self.init("embed.weight", np.zeros((D, 3, PATCH, PATCH), np.int8))
            s, zp = self.scalar(0.05), self.init(self.name("zp"), np.array(128, np.uint8))
            ws = self.init("embed.wscale", np.full((D,), 0.01, np.float32))
            wzp = self.init("embed.wzp", np.zeros((D,), np.int8))
            b = self.init("embed.bias", np.zeros((D,), np.int32))
            conv = self.node("QLinearConv", [xin, s, zp, w, ws, wzp, s, zp, b],
                             "/embeddings/patch/Conv", kernel_shape=[PATCH, PATCH],
                             strides=[PATCH, PATCH])
            conv = self.to_float(conv)
        else:
            w = self.weight("embed.weight", (D, 3, PATCH, PATCH), axis=0)
            b = self.init("embed.bias", np.zeros((D,), np.float32))
            conv = self.node("Conv", [xin, w, b], "/embeddings/patch/Conv",
                             kernel_shape=[PATCH, PATCH], strides=[PATCH, PATCH])
        flat = self.reshape(conv, [1, D, TOKENS - 1], "embeddings/flat", x)
        seq = self.node("Transpose", [flat], "/embeddings/Transpose", perm=[0, 2, 1])
        cls = self.init("cls_token", np.zeros((1, 1, D), np.float32))
        if self.dynamic:
            shp = self.node("Shape", [x], "/embeddings/Shape")
            bdim = self.node("Slice", [shp, self.const([0]), self.const([1])],
                             "/embeddings/Slice")
            tgt = self.node("Concat", [bdim, self.const([1, 1])], "/embeddings/Concat_shape",
                            axis=0)
            cls = self.node("Expand", [cls, tgt], "/embeddings/Expand")
        tok = self.node("Concat", [cls, seq], "/embeddings/Concat", axis=1)
        pos = self.init("pos_embed", np.zeros((1, TOKENS, D), np.float32))
        h = self.node("Add", [tok, pos], "/embeddings/Add")
        h = self.to_int(h)
        scope = "encoder/layer.0"
        a = self.attention(self.layernorm(h, f"{scope}/layernorm_before"), f"{scope}/attention")
        h = self.add(h, a, f"/{scope}/Add")
        f = self.linear(self.layernorm(h, f"{scope}/layernorm_after"), f"{scope}/fc1", D, MLP)
        f = self.to_int(self.gelu_fn(f, f"{scope}/gelu"))
        if self.unknown:
            f = self.node("Einsum", [f], f"/{scope}/mystery/Einsum", equation="ij->ij")
        f = self.linear(f, f"{scope}/fc2", MLP, D)
        h = self.add(h, f, f"/{scope}/Add_1")
        h = self.to_float(self.layernorm(h, "layernorm"))
        cls_out = self.node("Gather", [h, self.const(0)], "/Gather", axis=1)
        wh = self.weight("classifier.weight", (CLASSES, D), axis=0)
        bh = self.init("classifier.bias", np.zeros((CLASSES,), np.float32))
        logits = self.node("Gemm", [self.q(cls_out), wh, bh], "/classifier/Gemm", transB=1)
        graph = helper.make_graph(
            self.nodes, "vit_block",
            [helper.make_tensor_value_info(x, TensorProto.FLOAT, [batch, 3, IMG, IMG])],
            [helper.make_tensor_value_info(logits, TensorProto.FLOAT, [batch, CLASSES])],
            self.inits)
        opsets = [helper.make_opsetid("", 21), helper.make_opsetid("com.microsoft", 1)]
        return helper.make_model(graph, opset_imports=opsets)


def vit_block(**kw) -> onnx.ModelProto:
    return VitBuilder(**kw).build()
