"""TraceBuilder: accumulates the tensors and ops of a generated model, with the transformer
building blocks (GEMM + requant, LayerNorm, residual add, multi-head attention, MLP) that the
ViT/DeiT/Swin (``models``) and BERT (``bert``) generators share.

q, k and v are separate GEMMs so that each projection appears as its own layer (as in the
survey's operator tables); op names inside a block (``q``, ``qk``, ``softmax``, ``fc1``, ``ln1``,
``add1``, ...) are what ``analysis.roofline`` groups by.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping

from accelsim.workload.ops import Add, Gelu, Gemm, LayerNorm, Matmul, Op, Requant, Softmax, Tensor
from accelsim.workload.quant import QuantScheme, get_scheme

LN_PARAM_BITS = 16  # gamma and beta per channel


class TraceBuilder:
    """Accumulates tensors and ops; picks each op's scheme (per-op overrides by glob)."""

    def __init__(self, scheme: QuantScheme, overrides: Mapping[str, str]) -> None:
        self.default = scheme
        self.overrides = {pattern: get_scheme(name) for pattern, name in overrides.items()}
        self.tensors: dict[str, Tensor] = {}
        self.ops: list[Op] = []
        self.matched: set[str] = set()

    def scheme(self, op_name: str) -> QuantScheme:
        for pattern, scheme in self.overrides.items():
            if fnmatch.fnmatchcase(op_name, pattern):
                self.matched.add(pattern)
                return scheme
        return self.default

    def tensor(self, name: str, shape: tuple[int, ...], bits: int, dtype: str,
               role: str = "activation") -> str:
        self.tensors[name] = Tensor(name, tuple(shape), bits, dtype, role)
        return name

    def act(self, name: str, shape: tuple[int, ...], bits: int, q: QuantScheme,
            dtype: str | None = None) -> str:
        return self.tensor(name, shape, bits, dtype or q.dtype)

    def _requant(self, name: str, block: str, acc: str, rows: int, length: int, bits: int,
                 q: QuantScheme, dtype: str | None = None) -> str:
        """Rescale an accumulator tensor to ``bits`` (integer schemes only)."""
        if not q.needs_requant:
            return acc
        out = self.act(f"{name}.out", (rows, length), bits, q, dtype)
        self.ops.append(Requant(name=f"{name}.requant", block=block, rows=rows, length=length,
                                inputs=(acc,), outputs=(out,)))
        return out

    def gemm(self, name: str, block: str, x: str, m: int, k: int, n: int, out_bits: int,
             bias: bool = True, partial: bool = False, out_dtype: str | None = None) -> str:
        q = self.scheme(name)
        w = self.tensor(f"{name}.weight", (k, n), q.weight_bits, q.dtype, "weight")
        params = []
        if bias:
            params.append(self.tensor(f"{name}.bias", (n,), q.bias_bits, q.dtype, "param"))
        if q.weight_scale_bits:
            params.append(self.tensor(f"{name}.scale", (n,), q.weight_scale_bits, "fp", "param"))
        acc_bits = q.accumulator_bits if q.needs_requant else out_bits
        acc = self.act(f"{name}.acc" if q.needs_requant else f"{name}.out", (m, n), acc_bits, q)
        self.ops.append(Gemm(name=name, block=block, m=m, n=n, k=k, partial_input=partial,
                             inputs=(x, w, *params), outputs=(acc,)))
        return self._requant(name, block, acc, m, n, out_bits, q, out_dtype)

    def layernorm(self, name: str, block: str, x: str, rows: int, channels: int,
                  out_bits: int | None = None) -> str:
        """LayerNorm; its output feeds GEMMs (``gemm_input_bits``) unless ``out_bits`` says
        otherwise (a post-norm block's LayerNorm output is also its residual stream)."""
        q = self.scheme(name)
        affine = self.tensor(f"{name}.affine", (2, channels), LN_PARAM_BITS, q.dtype, "param")
        bits = q.gemm_input_bits if out_bits is None else out_bits
        out = self.act(f"{name}.out", (rows, channels), bits, q)
        self.ops.append(LayerNorm(name=name, block=block, rows=rows, length=channels,
                                  inputs=(x, affine), outputs=(out,)))
        return out

    def add(self, name: str, block: str, a: str, b: str, rows: int, length: int,
            prefix_rows: int = 0) -> str:
        q = self.scheme(name)
        out = self.act(f"{name}.out", (rows, length), q.residual_bits, q)
        self.ops.append(Add(name=name, block=block, rows=rows, length=length,
                            prefix_rows=prefix_rows, inputs=(a, b), outputs=(out,)))
        return out

    def attention(self, block: str, x: str, tokens: int, dim: int, heads: int, groups: int,
                  bias: tuple[int, ...] | None = None) -> str:
        """Multi-head self-attention over ``groups`` independent sequences of ``tokens``
        (images x windows); ``bias``: shape of the additive attention bias (Swin)."""
        q = self.scheme(f"{block}.qk")
        rows = groups * tokens
        head_dim = dim // heads
        qkv = [self.gemm(f"{block}.{p}", block, x, rows, dim, dim, q.gemm_input_bits)
               for p in ("q", "k", "v")]
        batch = groups * heads
        score_rows = batch * tokens
        acc_bits = q.accumulator_bits if q.needs_requant else q.softmax_input_bits
        scores = self.act(f"{block}.qk.{'acc' if q.needs_requant else 'out'}",
                          (batch, tokens, tokens), acc_bits, q)
        self.ops.append(Matmul(name=f"{block}.qk", block=block, batch=batch, m=tokens,
                               n=tokens, k=head_dim, inputs=(qkv[0], qkv[1]), outputs=(scores,)))
        if bias is not None:
            bias_t = self.tensor(f"{block}.attn_bias", bias, acc_bits, q.dtype, "param")
            biased = self.act(f"{block}.attn_bias_add.out", (batch, tokens, tokens), acc_bits, q)
            self.ops.append(Add(name=f"{block}.attn_bias_add", block=block, rows=score_rows,
                                length=tokens, inputs=(scores, bias_t), outputs=(biased,)))
            scores = biased
        scores = self._requant(f"{block}.qk", block, scores, score_rows, tokens,
                               q.softmax_input_bits, q)
        qs = self.scheme(f"{block}.softmax")
        probs = self.act(f"{block}.softmax.out", (score_rows, tokens), qs.softmax_output_bits,
                         qs, qs.softmax_output_dtype)
        self.ops.append(Softmax(name=f"{block}.softmax", block=block, rows=score_rows,
                                length=tokens, intermediate_bits=qs.softmax_intermediate_bits,
                                inputs=(scores,), outputs=(probs,)))
        qv = self.scheme(f"{block}.sv")
        ctx_bits = qv.accumulator_bits if qv.needs_requant else qv.gemm_input_bits
        ctx = self.act(f"{block}.sv.{'acc' if qv.needs_requant else 'out'}",
                       (batch, tokens, head_dim), ctx_bits, qv)
        self.ops.append(Matmul(name=f"{block}.sv", block=block, batch=batch, m=tokens,
                               n=head_dim, k=tokens, inputs=(probs, qkv[2]), outputs=(ctx,)))
        ctx = self._requant(f"{block}.sv", block, ctx, rows, dim, qv.gemm_input_bits, qv)
        qp = self.scheme(f"{block}.proj")
        return self.gemm(f"{block}.proj", block, ctx, rows, dim, dim, qp.residual_bits)

    def mlp(self, block: str, x: str, rows: int, dim: int, hidden: int) -> str:
        q1 = self.scheme(f"{block}.fc1")
        h = self.gemm(f"{block}.fc1", block, x, rows, dim, hidden, q1.gelu_input_bits)
        qg = self.scheme(f"{block}.gelu")
        g = self.act(f"{block}.gelu.out", (rows, hidden), qg.gemm_input_bits, qg)
        self.ops.append(Gelu(name=f"{block}.gelu", block=block, rows=rows, length=hidden,
                             inputs=(h,), outputs=(g,)))
        q2 = self.scheme(f"{block}.fc2")
        return self.gemm(f"{block}.fc2", block, g, rows, hidden, dim, q2.residual_bits)

    def block(self, block: str, x: str, rows: int, tokens: int, dim: int, heads: int,
              groups: int, mlp_ratio: int, bias: tuple[int, ...] | None = None) -> str:
        """Pre-norm transformer block: x + Attn(LN(x)); then + MLP(LN(.))."""
        h = self.layernorm(f"{block}.ln1", block, x, rows, dim)
        a = self.attention(block, h, tokens, dim, heads, groups, bias)
        x = self.add(f"{block}.add1", block, x, a, rows, dim)
        h = self.layernorm(f"{block}.ln2", block, x, rows, dim)
        m = self.mlp(block, h, rows, dim, dim * mlp_ratio)
        return self.add(f"{block}.add2", block, x, m, rows, dim)
