"""Model generators: MAC counts against published numbers, hand-computed layers, op counts per
kind, bit widths per scheme, per-op overrides, batch scaling and Swin window shapes."""

from __future__ import annotations

from collections import Counter

import pytest

from accelsim.errors import TraceError
from accelsim.workload.models import MODELS, build_trace
from accelsim.workload.ops import Gemm, Matmul, Softmax
from accelsim.workload.quant import SCHEMES


def op(trace, name):
    return next(o for o in trace.ops if o.name == name)


def published_tolerance(value_g: float) -> float:
    """Published counts are rounded to 0.1 G, so allow the rounding (0.05 G) or 0.5 %,
    whichever is larger."""
    return max(0.005, 0.05 / value_g)


# (model, image size, published GMACs, source). timm's model cards and the Swin paper report
# "GFLOPs"/"GMACs" that are multiply-accumulates of the GEMMs (fvcore counting): our MACs.
PUBLISHED = [
    # torchvision ViT_B_16_Weights.IMAGENET1K_V1 metadata: 17.564 GFLOPS (fvcore MACs); quoted to
    # 0.01 G, so the plain 0.5 % tolerance applies.
    ("vit_base", 224, 17.56, "torchvision vit_b_16"),
    # timm model cards (huggingface.co/timm): vit_large_patch16_224 61.6 GMACs,
    # vit_huge_patch14_224 167.4, vit_base_patch16_384 55.5; ViT paper (Dosovitskiy et al.,
    # ICLR 2021) Table 1 for the architectures.
    ("vit_large", 224, 61.6, "timm vit_large_patch16_224"),
    ("vit_huge", 224, 167.4, "timm vit_huge_patch14_224"),
    ("vit_base", 384, 55.5, "timm vit_base_patch16_384"),
    # DeiT (Touvron et al., ICML 2021): 1.3 / 4.6 / 17.6 / 55.5 G for Ti / S / B / B-384 (as on
    # the timm model cards of deit_*_patch16_*). Our DeiT carries the distillation token (+1
    # token), which the 0.1 G rounding tolerance covers.
    ("deit_tiny", 224, 1.3, "DeiT-Ti"),
    ("deit_small", 224, 4.6, "DeiT-S"),
    ("deit_base", 224, 17.6, "DeiT-B"),
    ("deit_base", 384, 55.5, "DeiT-B 384"),
    # Swin (Liu et al., ICCV 2021) Table 1: Swin-T 4.5G, Swin-S 8.7G, Swin-B 15.4G,
    # Swin-B 384^2 47.0G FLOPs (window 7 at 224, 12 at 384).
    ("swin_tiny", 224, 4.5, "Swin-T"),
    ("swin_small", 224, 8.7, "Swin-S"),
    ("swin_base", 224, 15.4, "Swin-B"),
    ("swin_base", 384, 47.0, "Swin-B 384"),
]


@pytest.mark.parametrize(("model", "size", "gmacs", "source"), PUBLISHED,
                         ids=[f"{m}@{s}" for m, s, _, _ in PUBLISHED])
def test_macs_match_published(model: str, size: int, gmacs: float, source: str) -> None:
    macs = build_trace(model, image_size=size).total_macs
    tolerance = 0.005 if source.startswith("torchvision") else published_tolerance(gmacs)
    assert macs / 1e9 == pytest.approx(gmacs, rel=tolerance), source


def test_vit_base_total_by_hand() -> None:
    # 12 blocks x (q, k, v, proj: 197x768x768; fc1, fc2: 197x768x3072; QK^T and SV:
    # 12 heads x 197x197x64) + patch embedding 196x768x768 + head 1x768x1000
    tokens, dim, heads = 197, 768, 12
    block = 4 * tokens * dim * dim + 2 * tokens * dim * 4 * dim + 2 * heads * tokens**2 * 64
    expected = 12 * block + 196 * 768 * dim + dim * 1000
    assert expected == 17_563_828_224
    trace = build_trace("vit_base")
    assert trace.total_macs == expected
    assert trace.total_ops >= 2 * expected  # 1 MAC = 2 ops, plus non-linear ops


def test_vit_base_single_layers() -> None:
    trace = build_trace("vit_base")
    fc1 = op(trace, "block0.fc1")
    assert isinstance(fc1, Gemm)
    assert (fc1.m, fc1.n, fc1.k) == (197, 3072, 768)
    assert fc1.macs == 197 * 768 * 3072 == 464_781_312
    assert fc1.ops == 2 * fc1.macs
    assert op(trace, "block5.fc2").macs == 197 * 3072 * 768
    assert op(trace, "block11.q").macs == 197 * 768 * 768
    patch = op(trace, "embed.patch")
    assert (patch.m, patch.n, patch.k) == (196, 768, 3 * 16 * 16)
    qk = op(trace, "block0.qk")
    assert isinstance(qk, Matmul)
    assert (qk.batch, qk.m, qk.n, qk.k) == (12, 197, 197, 64)
    assert qk.macs == 12 * 197 * 197 * 64
    sv = op(trace, "block0.sv")
    assert (sv.batch, sv.m, sv.n, sv.k) == (12, 197, 64, 197)
    head = op(trace, "head.fc")
    assert (head.m, head.n, head.k, head.partial_input) == (1, 1000, 768, True)
    softmax = op(trace, "block0.softmax")
    assert (softmax.rows, softmax.length) == (12 * 197, 197)
    assert softmax.ops == 5 * 12 * 197 * 197  # 5 ops per element
    assert op(trace, "block0.ln1").ops == 7 * 197 * 768
    assert op(trace, "block0.gelu").ops == 8 * 197 * 3072
    assert op(trace, "block0.add1").ops == 197 * 768
    assert op(trace, "block0.fc1.requant").ops == 2 * 197 * 3072


def test_vit_base_op_counts_per_kind() -> None:
    # 12 blocks x (q, k, v, proj, fc1, fc2) + patch + head = 74 GEMMs; 2 matmuls per block;
    # 2 LNs per block + final norm; 2 residual adds per block + position embedding; one requant
    # per GEMM and matmul
    kinds = Counter(o.kind for o in build_trace("vit_base", quant="sole").ops)
    assert kinds == {"gemm": 74, "matmul": 24, "softmax": 12, "layernorm": 25, "gelu": 12,
                     "add": 25, "requant": 98}
    fp16 = Counter(o.kind for o in build_trace("vit_base", quant="fp16").ops)
    assert "requant" not in fp16
    assert sum(fp16.values()) == 74 + 24 + 12 + 25 + 12 + 25


def test_deit_has_distillation_head_and_two_extra_tokens() -> None:
    trace = build_trace("deit_small")
    assert op(trace, "block0.qk").m == 196 + 2
    assert op(trace, "head.fc_dist").macs == 384 * 1000
    assert op(trace, "head.avg").kind == "add"


@pytest.mark.parametrize("model", ["vit_base", "deit_tiny", "swin_tiny"])
def test_batch_scales_macs_linearly(model: str) -> None:
    one = build_trace(model)
    four = build_trace(model, batch=4)
    assert four.total_macs == 4 * one.total_macs
    assert four.total_ops == 4 * one.total_ops
    assert len(four.ops) == len(one.ops)
    assert four.tensor("image").shape[0] == 4


def test_bits_per_scheme() -> None:
    w4a8 = build_trace("vit_base", quant="w4a8")
    assert w4a8.tensor("block0.fc1.weight").bits == 4
    assert w4a8.tensor("block0.ln1.out").bits == 8  # activation entering q/k/v
    assert w4a8.tensor("block0.fc1.acc").bits == 32
    assert w4a8.tensor("block0.fc1.weight").size_bytes == 768 * 3072 // 2

    w8a8 = build_trace("vit_base", quant="w8a8")
    assert w8a8.tensor("block0.q.weight").bits == 8
    assert w8a8.tensor("block0.q.out").bits == 8
    assert op(w8a8, "block0.softmax").intermediate_bits == 8

    w4a4 = build_trace("vit_base", quant="w4a4")
    assert w4a4.tensor("block0.q.weight").bits == 4
    assert w4a4.tensor("block0.q.out").bits == 4  # GEMM input
    assert w4a4.tensor("block0.add1.out").bits == 8  # residual stream stays 8-bit
    assert w4a4.tensor("block0.qk.out").bits == 8  # softmax input stays 8-bit
    softmax_out = w4a4.tensor("block0.softmax.out")
    assert (softmax_out.bits, softmax_out.dtype) == (4, "log2")

    sole = build_trace("vit_base", quant="sole")
    softmax = op(sole, "block0.softmax")
    assert isinstance(softmax, Softmax)
    assert softmax.intermediate_bits == 4  # E2Softmax's 4-bit log2 exp codes
    assert sole.tensor("block0.softmax.out").bits == 8
    assert sole.tensor("block0.softmax.out").dtype == "uint"

    fp16 = build_trace("vit_base", quant="fp16")
    weight = fp16.tensor("block0.fc1.weight")
    assert (weight.bits, weight.dtype, weight.precision) == (16, "fp", "fp16")
    assert fp16.tensor("block0.fc1.out").dtype == "fp"
    assert fp16.tensor("image").bits == 16
    assert "block0.fc1.acc" not in fp16.tensor_map


def test_per_op_override() -> None:
    trace = build_trace("vit_base", quant="w4a4", overrides={"head.*": "w8a8"})
    assert trace.tensor("head.fc.weight").bits == 8
    assert trace.tensor("block0.fc1.weight").bits == 4
    assert trace.tensor("embed.patch.weight").bits == 4
    assert trace.tensor("head.norm.out").bits == 8  # head.norm matches the glob too
    assert trace.quant == "w4a4+head.*=w8a8"
    assert trace.total_macs == build_trace("vit_base").total_macs


def test_swin_window_attention_shapes() -> None:
    trace = build_trace("swin_tiny")
    qk = op(trace, "stage0.block0.qk")
    # 224/4 = 56 -> (56/7)^2 = 64 windows of 7x7 = 49 tokens, 3 heads of 32 channels
    assert (qk.batch, qk.m, qk.n, qk.k) == (64 * 3, 49, 49, 32)
    assert op(trace, "stage3.block0.qk").batch == 1 * 24  # 7x7 map: one window
    # regular windows share a relative-position bias per head; shifted windows add a per-window
    # mask, hence one bias per window and head
    assert trace.tensor("stage0.block0.attn_bias").shape == (3, 49, 49)
    assert trace.tensor("stage0.block1.attn_bias").shape == (64, 3, 49, 49)
    assert trace.tensor("stage3.block1.attn_bias").shape == (24, 49, 49)  # no shift at 1 window
    merge = op(trace, "stage0.merge.reduction")
    assert (merge.m, merge.n, merge.k) == (28 * 28, 192, 384)
    pool = op(trace, "head.pool")
    assert (pool.tokens, pool.channels) == (49, 768)


def test_swin_384_uses_12x12_windows() -> None:
    qk = op(build_trace("swin_base", image_size=384), "stage0.block0.qk")
    # 384/4 = 96 -> (96/12)^2 = 64 windows of 144 tokens, 4 heads
    assert (qk.batch, qk.m, qk.k) == (64 * 4, 144, 32)


def test_every_model_and_scheme_builds() -> None:
    assert len(MODELS) == 13  # 11 vision models, BERT-Base and -Large
    assert sorted(SCHEMES) == ["fp16", "sole", "w4a4", "w4a8", "w8a8"]
    for model in MODELS:
        trace = build_trace(model)
        size = "s128" if model.startswith("bert") else "224"
        assert trace.name == f"{model}_{size}_b1_sole"
        assert trace.total_macs > 1e9


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "vit_bse"}, "model: unknown model 'vit_bse': did you mean 'vit_base'?"),
        ({"model": "vit_base", "quant": "w8a9"},
         "quant: unknown quantization scheme 'w8a9': did you mean 'w8a8'?"),
        ({"model": "vit_base", "image_size": 100},
         "image_size: image size must be a multiple of the patch size 16 (got 100)"),
        ({"model": "vit_huge", "image_size": 384},
         "image_size: image size must be a multiple of the patch size 14 (got 384)"),
        ({"model": "swin_tiny", "image_size": 240},
         "image_size: swin needs the image size to be a multiple of 32 (got 240)"),
        ({"model": "vit_base", "batch": 0},
         "batch: batch out of range (got 0); expected an integer in 1..4096"),
        ({"model": "vit_base", "overrides": {"head.*": "int3"}},
         "quant: unknown quantization scheme 'int3'"),
    ],
)
def test_bad_generator_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(TraceError) as info:
        build_trace(**kwargs)
    assert str(info.value).startswith(message)


def test_an_override_that_matches_no_op_is_an_error() -> None:
    # a typo in a partial-quantization pattern must not silently quantize everything alike
    with pytest.raises(TraceError, match="matches no op") as info:
        build_trace("vit_tiny", quant="w4a4", overrides={"haed.*": "w8a8"})
    assert info.value.key == "--override"
