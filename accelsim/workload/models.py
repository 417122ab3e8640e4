"""The model registry and the ViT / DeiT / Swin generators -> quantized Trace (any image size,
batch and scheme); BERT (``workload.bert``) is sized by its sequence length instead.

Architectures: ViT (Dosovitskiy et al., ICLR 2021; Huge uses patch 14), DeiT (Touvron et al.,
ICML 2021; [CLS] + distillation token, two heads), Swin (Liu et al., ICCV 2021; window attention,
shifted windows, patch merging). Pre-norm blocks; q, k and v are separate GEMMs so that each
projection appears as its own layer (as in the survey's operator tables).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from accelsim.errors import TraceError
from accelsim.suggest import did_you_mean
from accelsim.workload.bert import (
    BERT_MODELS,
    DEFAULT_SEQ_LEN,
    BertConfig,
    build_bert,
    check_seq_len,
)
from accelsim.workload.builder import TraceBuilder
from accelsim.workload.ops import Pool
from accelsim.workload.quant import get_scheme
from accelsim.workload.trace import Trace

NUM_CLASSES = 1000


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


MODELS: dict[str, VitConfig | SwinConfig | BertConfig] = {
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
    **BERT_MODELS,
}


def _image(b: TraceBuilder, batch: int, image_size: int) -> str:
    q = b.default
    return b.tensor("image", (batch, 3, image_size, image_size), q.image_bits, q.dtype, "input")


def _build_vit(b: TraceBuilder, cfg: VitConfig, image_size: int, batch: int) -> None:
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


def _build_swin(b: TraceBuilder, cfg: SwinConfig, image_size: int, batch: int) -> None:
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


def is_text_model(model: str) -> bool:
    """BERT-like: sized by ``seq_len`` (tokens), not ``image_size`` (pixels)."""
    return isinstance(MODELS.get(model), BertConfig)


def build_trace(model: str, image_size: int | None = None, batch: int = 1, quant: str = "sole",
                overrides: Mapping[str, str] | None = None,
                seq_len: int | None = None) -> Trace:
    """Generate the quantized operator trace of a built-in model.

    Vision models take ``image_size`` (default 224), BERT takes ``seq_len`` (default 128);
    giving a model the other one's size is an error. ``overrides`` maps op-name globs to
    scheme names (partial quantization, e.g. ``{"head.*": "w8a8"}`` keeps the classifier at
    8 bits under ``w4a4``).
    """
    cfg = MODELS.get(model)
    if cfg is None:
        raise TraceError(f"unknown model {model!r}: {did_you_mean(model, MODELS)}", key="model")
    text = isinstance(cfg, BertConfig)
    if text and image_size is not None:
        raise TraceError(f"{model} is a text model: it takes a sequence length (--seq-len), "
                         "not an image size", key="image_size", value=image_size)
    if not text and seq_len is not None:
        raise TraceError(f"{model} is a vision model: it takes an image size (--image-size), "
                         "not a sequence length", key="seq_len", value=seq_len)
    if not text:
        image_size = 224 if image_size is None else image_size
        if not isinstance(image_size, int) or not 32 <= image_size <= 4096:
            raise TraceError("image size out of range", key="image_size", value=image_size,
                             expected="an integer in 32..4096")
    if not isinstance(batch, int) or not 1 <= batch <= 4096:
        raise TraceError("batch out of range", key="batch", value=batch,
                         expected="an integer in 1..4096")
    b = TraceBuilder(get_scheme(quant), overrides or {})
    if isinstance(cfg, BertConfig):
        seq_len = check_seq_len(DEFAULT_SEQ_LEN if seq_len is None else seq_len)
        build_bert(b, cfg, seq_len, batch)
    elif isinstance(cfg, VitConfig):
        _build_vit(b, cfg, image_size, batch)
    else:
        _build_swin(b, cfg, image_size, batch)
    unmatched = [pattern for pattern in b.overrides if pattern not in b.matched]
    if unmatched:
        raise TraceError(f"override pattern {unmatched[0]!r} matches no op of {model} (op names "
                         "look like 'block0.fc1', 'head.fc'; see `accelsim trace`)",
                         key="--override", value=unmatched[0])
    suffix = "" if not overrides else "+" + ",".join(f"{k}={v}" for k, v in overrides.items())
    size = f"s{seq_len}" if text else str(image_size)
    return Trace(name=f"{model}_{size}_b{batch}_{quant}{suffix}",
                 tensors=tuple(b.tensors.values()), ops=tuple(b.ops), model=model,
                 image_size=0 if text else image_size, batch=batch, quant=quant + suffix,
                 seq_len=seq_len if text else 0, source=f"<{model}>").validate()
