"""ViT / DeiT / Swin generators -> quantized Trace (any image size, batch and scheme).

Architectures: ViT (Dosovitskiy et al., ICLR 2021; Huge uses patch 14), DeiT (Touvron et al.,
ICML 2021; [CLS] + distillation token, two heads), Swin (Liu et al., ICCV 2021; window attention,
shifted windows, patch merging). Pre-norm blocks; q, k and v are separate GEMMs so that each
projection appears as its own layer (as in the survey's operator tables).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass

from accelsim.errors import TraceError
from accelsim.suggest import did_you_mean
from accelsim.workload.ops import (
    Add,
    Gelu,
    Gemm,
    LayerNorm,
    Matmul,
    Op,
    Pool,
    Requant,
    Softmax,
    Tensor,
)
from accelsim.workload.quant import QuantScheme, get_scheme
from accelsim.workload.trace import Trace

NUM_CLASSES = 1000
LN_PARAM_BITS = 16  # gamma and beta per channel


@dataclass(frozen=True)
class VitConfig:
    dim: int
    depth: int
    heads: int
    patch: int
    mlp_ratio: int = 4
    extra_tokens: int = 1  # [CLS]; DeiT adds the distillation token


@dataclass(frozen=True)
class SwinConfig:
    dim: int
    depths: tuple[int, ...]
    heads: tuple[int, ...]
    patch: int = 4
    mlp_ratio: int = 4


MODELS: dict[str, VitConfig | SwinConfig] = {
    "vit_tiny": VitConfig(192, 12, 3, 16),
    "vit_small": VitConfig(384, 12, 6, 16),
    "vit_base": VitConfig(768, 12, 12, 16),
    "vit_large": VitConfig(1024, 24, 16, 16),
    "vit_huge": VitConfig(1280, 32, 16, 14),
    "deit_tiny": VitConfig(192, 12, 3, 16, extra_tokens=2),
    "deit_small": VitConfig(384, 12, 6, 16, extra_tokens=2),
    "deit_base": VitConfig(768, 12, 12, 16, extra_tokens=2),
    "swin_tiny": SwinConfig(96, (2, 2, 6, 2), (3, 6, 12, 24)),
    "swin_small": SwinConfig(96, (2, 2, 18, 2), (3, 6, 12, 24)),
    "swin_base": SwinConfig(128, (2, 2, 18, 2), (4, 8, 16, 32)),
}


class _Builder:
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

    def layernorm(self, name: str, block: str, x: str, rows: int, channels: int) -> str:
        q = self.scheme(name)
        affine = self.tensor(f"{name}.affine", (2, channels), LN_PARAM_BITS, q.dtype, "param")
        out = self.act(f"{name}.out", (rows, channels), q.gemm_input_bits, q)
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


def _image(b: _Builder, batch: int, image_size: int) -> str:
    q = b.default
    return b.tensor("image", (batch, 3, image_size, image_size), q.image_bits, q.dtype, "input")


def _build_vit(b: _Builder, cfg: VitConfig, image_size: int, batch: int) -> None:
    if image_size % cfg.patch:
        raise TraceError(f"image size must be a multiple of the patch size {cfg.patch}",
                         key="image_size", value=image_size)
    side = image_size // cfg.patch
    patches = side * side
    tokens = patches + cfg.extra_tokens
    rows = batch * tokens
    image = _image(b, batch, image_size)
    q = b.scheme("embed.patch")
    x = b.gemm("embed.patch", "embed", image, batch * patches, 3 * cfg.patch**2, cfg.dim,
               q.residual_bits)
    pos = b.tensor("embed.pos", (tokens, cfg.dim), q.residual_bits, q.dtype, "param")
    x = b.add("embed.pos_add", "embed", x, pos, rows, cfg.dim,
              prefix_rows=batch * cfg.extra_tokens)
    for i in range(cfg.depth):
        x = b.block(f"block{i}", x, rows, tokens, cfg.dim, cfg.heads, batch, cfg.mlp_ratio)
    x = b.layernorm("head.norm", "head", x, rows, cfg.dim)
    qh = b.scheme("head.fc")
    logits = b.gemm("head.fc", "head", x, batch, cfg.dim, NUM_CLASSES, qh.residual_bits,
                    partial=True)
    if cfg.extra_tokens == 2:  # DeiT: distillation head, outputs averaged at inference
        dist = b.gemm("head.fc_dist", "head", x, batch, cfg.dim, NUM_CLASSES,
                      qh.residual_bits, partial=True)
        b.add("head.avg", "head", logits, dist, batch, NUM_CLASSES)


def _swin_window(image_size: int) -> int:
    """Swin uses 7x7 windows at 224 and 12x12 when fine-tuned at 384 (Liu et al., Table 1)."""
    return 12 if image_size % 384 == 0 else 7


def _build_swin(b: _Builder, cfg: SwinConfig, image_size: int, batch: int) -> None:
    window = _swin_window(image_size)
    if image_size % (cfg.patch * 2 ** (len(cfg.depths) - 1)):
        raise TraceError("swin needs the image size to be a multiple of 32", key="image_size",
                         value=image_size)
    side = image_size // cfg.patch
    image = _image(b, batch, image_size)
    q = b.scheme("embed.patch")
    dim = cfg.dim
    x = b.gemm("embed.patch", "embed", image, batch * side * side, 3 * cfg.patch**2, dim,
               q.norm_input_bits)
    x = b.layernorm("embed.norm", "embed", x, batch * side * side, dim)
    for s, (depth, heads) in enumerate(zip(cfg.depths, cfg.heads, strict=True)):
        w = min(window, side)
        if side % w:
            raise TraceError(f"swin stage {s} resolution {side} is not a multiple of the "
                             f"window {w}", key="image_size", value=image_size)
        windows = (side // w) ** 2
        rows = batch * side * side
        for i in range(depth):
            shifted = i % 2 == 1 and windows > 1
            bias = (windows, heads, w * w, w * w) if shifted else (heads, w * w, w * w)
            x = b.block(f"stage{s}.block{i}", x, rows, w * w, dim, heads, batch * windows,
                        cfg.mlp_ratio, bias)
        if s + 1 < len(cfg.depths):  # patch merging: 2x2 neighbours -> LN(4C) -> 4C x 2C
            merged = rows // 4
            h = b.layernorm(f"stage{s}.merge.norm", f"stage{s}.merge", x, merged, 4 * dim)
            qm = b.scheme(f"stage{s}.merge.reduction")
            x = b.gemm(f"stage{s}.merge.reduction", f"stage{s}.merge", h, merged, 4 * dim,
                       2 * dim, qm.residual_bits, bias=False)
            side //= 2
            dim *= 2
    rows = batch * side * side
    x = b.layernorm("head.norm", "head", x, rows, dim)
    qp = b.scheme("head.pool")
    pooled = b.act("head.pool.out", (batch, dim), qp.gemm_input_bits, qp)
    b.ops.append(Pool(name="head.pool", block="head", groups=batch, tokens=side * side,
                      channels=dim, inputs=(x,), outputs=(pooled,)))
    b.gemm("head.fc", "head", pooled, batch, dim, NUM_CLASSES, qp.residual_bits)


def model_names() -> list[str]:
    return list(MODELS)


def build_trace(model: str, image_size: int = 224, batch: int = 1, quant: str = "sole",
                overrides: Mapping[str, str] | None = None) -> Trace:
    """Generate the quantized operator trace of a built-in model.

    ``overrides`` maps op-name globs to scheme names (partial quantization, e.g.
    ``{"head.*": "w8a8"}`` keeps the classifier at 8 bits under ``w4a4``).
    """
    cfg = MODELS.get(model)
    if cfg is None:
        raise TraceError(f"unknown model {model!r}: {did_you_mean(model, MODELS)}", key="model")
    if not isinstance(image_size, int) or not 32 <= image_size <= 4096:
        raise TraceError("image size out of range", key="image_size", value=image_size,
                         expected="an integer in 32..4096")
    if not isinstance(batch, int) or not 1 <= batch <= 4096:
        raise TraceError("batch out of range", key="batch", value=batch,
                         expected="an integer in 1..4096")
    b = _Builder(get_scheme(quant), overrides or {})
    if isinstance(cfg, VitConfig):
        _build_vit(b, cfg, image_size, batch)
    else:
        _build_swin(b, cfg, image_size, batch)
    unmatched = [pattern for pattern in b.overrides if pattern not in b.matched]
    if unmatched:
        raise TraceError(f"override pattern {unmatched[0]!r} matches no op of {model} (op names "
                         "look like 'block0.fc1', 'head.fc'; see `accelsim trace`)",
                         key="--override", value=unmatched[0])
    suffix = "" if not overrides else "+" + ",".join(f"{k}={v}" for k, v in overrides.items())
    return Trace(name=f"{model}_{image_size}_b{batch}_{quant}{suffix}",
                 tensors=tuple(b.tensors.values()), ops=tuple(b.ops), model=model,
                 image_size=image_size, batch=batch, quant=quant + suffix,
                 source=f"<{model}>").validate()
