"""Bit-accurate integer model of SOLE's AILayerNorm (Wang et al., ICCAD 2023, arXiv 2510.17189).

What follows the paper (abstract, reference/sole.md):
  * input: int8 codes with a power-of-two factor per channel (PTF, as in FQ-ViT):
    x_c = q_c * 2^alpha_c * s, s one scale per tensor;
  * low-precision statistics in one pass: sum of x and sum of x^2, where each value is
    dynamically compressed to 4 bits (leading bits kept, shift remembered), squared through a
    16-entry lookup table of squares and shifted back;
  * normalization (x - mean) * rsqrt(var + eps) * gamma + beta in integer/fixed point, producing
    the next layer's int8 input; two pipeline stages (statistics, normalize + affine).

What the paper leaves open and how it is decided here (every width for C <= 4096 channels):
  * PTF: alpha_c in 0..3 (2 bits, FQ-ViT's K = 3); v_c = q_c << alpha_c is 11-bit signed.
  * Compression of a = |q_c| (0..128, 8 bits): a < 16 is kept exactly (m = a, sh = 0); otherwise
    sh = bit_length(a) - 4 and m = round(a / 2^sh) (round half up; m = 16 becomes m = 8,
    sh + 1), so m is a 4-bit LUT index and a^2 ~ LUT[m] << 2 sh (relative error <= ~13%).
    The square of v_c is LUT[m] << 2 (sh + alpha_c) (< 2^22).
  * Accumulators: N1 = sum v_c, signed 11 + 12 = 23 bits; N2 = sum of squares, unsigned
    22 + 12 = 34 bits.
  * Variance without division: V = C * N2 - N1^2 = C^2 var_v (signed 47 bits, negative values
    from compression error clamp to 0), plus E = round(eps * C^2 / s^2), at least 1.
  * rsqrt in fixed point, once per token (a multi-cycle scalar unit is cheap next to C/lanes
    element cycles): r = isqrt(V) (floor, <= 2^24, digit-by-digit), then a normalized 17-bit
    reciprocal R = floor(2^(p + 15) / r), p = bit_length(r), so 1/r = R * 2^-(p + 15).
  * Normalized value z = (C v_c - N1) / r = (x - mean) / std, in fixed point with
    NORM_FRAC_BITS = 8 fractional bits: z_fx = round((C v_c - N1) R / 2^(p + 15 - 8)), 16-bit
    signed (|z| <= sqrt(C) <= 64). The product (C v_c - N1) * R is 24 x 17 = 41 bits.
  * Affine + output requantization (``affine_requant_params``): per channel a signed 16-bit
    multiplier G_c = round(gamma_c * z_scale / s_out * 2^g) with one shift g per tensor, and a
    bias B_c = round(beta_c / s_out * 2^g); out = clip((z G + B + 2^(g-1)) >> g, -128, 127).
    The same requantizer serves I-ViT's I-LayerNorm (ivit.py), so both end in the same int8.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

PTF_MAX_ALPHA = 3  # FQ-ViT PTF with K = 3: per-channel factor 2^0..2^3
INPUT_BITS = 8
COMPRESSED_BITS = 4  # SOLE: values compressed to 4 bits before squaring
SQUARE_LUT = np.arange(1 << COMPRESSED_BITS, dtype=np.int64) ** 2  # 16 entries, <= 225 (8 bits)
RECIPROCAL_FRAC_BITS = 15  # R = floor(2^(p + 15) / r) lies in (2^15, 2^16]
NORM_FRAC_BITS = 8  # z fixed point: 8 fractional bits
MULTIPLIER_BITS = 16  # signed per-channel affine multiplier G_c
OUTPUT_MIN, OUTPUT_MAX = -128, 127
DEFAULT_EPS = 1e-6  # ViT / DeiT LayerNorm epsilon


@dataclass(frozen=True)
class PtfTensor:
    """PTF-quantized activations: x ~ q * 2^alpha[c] * scale (FQ-ViT power-of-two factor)."""

    q: np.ndarray  # int8 codes, tokens x channels
    alpha: np.ndarray  # per-channel factor exponents, 0..PTF_MAX_ALPHA
    scale: float  # shared per-tensor scale s


@dataclass(frozen=True)
class AffineRequant:
    """Per-channel integer affine + requantization to int8: (z G + B + 2^(g-1)) >> g."""

    multiplier: np.ndarray  # G_c, signed MULTIPLIER_BITS
    bias: np.ndarray  # B_c, signed, at the scale of z G
    shift: int  # g


def ptf_quantize(x: np.ndarray, max_alpha: int = PTF_MAX_ALPHA) -> PtfTensor:
    """FQ-ViT power-of-two-factor quantization of tokens x channels floats to int8.

    s = max_c(s_c) / 2^K with s_c = max|x_c| / 127 (max calibration); alpha_c is the smallest
    factor that holds channel c without clipping: clip(ceil(log2(s_c / s)), 0, K).
    """
    x = np.asarray(x, dtype=np.float64)
    qmax = (1 << (INPUT_BITS - 1)) - 1
    s_c = np.maximum(np.abs(x).max(axis=0), 1e-12) / qmax
    scale = float(s_c.max()) / 2.0**max_alpha
    alpha = np.clip(np.ceil(np.log2(s_c / scale) - 1e-12), 0, max_alpha).astype(np.int64)
    q = np.clip(np.round(x / (scale * 2.0**alpha)), -qmax - 1, qmax).astype(np.int8)
    return PtfTensor(q=q, alpha=alpha, scale=scale)


def compress_magnitude(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dynamic 4-bit compression of magnitudes 0..255: (m, sh) with a ~ m << sh, m in 0..15."""
    a = np.asarray(a, dtype=np.int64)
    length = np.frexp(a.astype(np.float64))[1].astype(np.int64)  # bit_length, exact for small ints
    sh = np.maximum(length - COMPRESSED_BITS, 0)
    half = np.where(sh > 0, np.int64(1) << np.maximum(sh - 1, 0), 0)
    m = (a + half) >> sh
    carry = m == (1 << COMPRESSED_BITS)
    return np.where(carry, m >> 1, m), np.where(carry, sh + 1, sh)


def isqrt_floor(v: np.ndarray) -> np.ndarray:
    """Exact floor(sqrt(v)) of non-negative int64 values below 2^62 (vectorised)."""
    v = np.asarray(v, dtype=np.int64)
    r = np.floor(np.sqrt(v.astype(np.float64))).astype(np.int64)
    r = np.where(r * r > v, r - 1, r)
    return np.where((r + 1) * (r + 1) <= v, r + 1, r)


def affine_requant_params(
    gamma: np.ndarray, beta: np.ndarray, z_scale: float, out_scale: float
) -> AffineRequant:
    """Integer affine + requant constants for z (one LSB = ``z_scale``) to int8 at ``out_scale``.

    g is chosen per tensor so that max|G_c| lies in [2^14, 2^15): G fits MULTIPLIER_BITS signed.
    """
    gamma = np.asarray(gamma, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64)
    if not out_scale > 0 or not z_scale > 0:
        raise ValueError("z_scale and out_scale must be positive")
    real = gamma * z_scale / out_scale
    peak = float(np.abs(real).max()) or 1.0
    shift = (MULTIPLIER_BITS - 2) - math.floor(math.log2(peak))
    if shift < 1:
        raise ValueError(f"gamma / out_scale too large for a {MULTIPLIER_BITS}-bit multiplier")
    multiplier = np.round(real * 2.0**shift).astype(np.int64)
    bias = np.round(beta / out_scale * 2.0**shift).astype(np.int64)
    return AffineRequant(multiplier=multiplier, bias=bias, shift=shift)


def apply_affine_requant(z: np.ndarray, params: AffineRequant) -> np.ndarray:
    """int8 output clip((z G_c + B_c + 2^(g-1)) >> g) along the last (channel) axis."""
    acc = np.asarray(z, dtype=np.int64) * params.multiplier + params.bias
    out = (acc + (np.int64(1) << (params.shift - 1))) >> params.shift
    return np.clip(out, OUTPUT_MIN, OUTPUT_MAX).astype(np.int8)


def ailayernorm_normalized(
    q: np.ndarray, alpha: np.ndarray, scale: float, eps: float = DEFAULT_EPS
) -> np.ndarray:
    """Stage 1 + normalization: z_fx = (x - mean) / std with NORM_FRAC_BITS fractional bits.

    ``q``: tokens x C int8 codes; ``alpha``: (C,) PTF exponents; ``scale``: shared s.
    """
    q = np.asarray(q)
    if not np.issubdtype(q.dtype, np.integer) or q.ndim != 2:
        raise ValueError(f"q must be a 2-D integer array (tokens x channels), got {q.dtype}")
    if q.size and (q.min() < OUTPUT_MIN or q.max() > OUTPUT_MAX):
        raise ValueError("q must hold int8 codes")
    alpha = np.asarray(alpha, dtype=np.int64)
    if alpha.shape != (q.shape[1],) or alpha.min() < 0 or alpha.max() > PTF_MAX_ALPHA:
        raise ValueError(f"alpha must be ({q.shape[1]},) values in 0..{PTF_MAX_ALPHA}")
    q = q.astype(np.int64)
    channels = q.shape[1]
    v = q << alpha
    n1 = v.sum(axis=1)
    m, sh = compress_magnitude(np.abs(q))
    n2 = (SQUARE_LUT[m] << (2 * (sh + alpha))).sum(axis=1)
    eps_term = max(1, round(eps * channels * channels / (scale * scale)))
    var = np.maximum(channels * n2 - n1 * n1, 0) + eps_term
    r = isqrt_floor(var)
    p = np.frexp(r.astype(np.float64))[1].astype(np.int64)  # bit_length(r) >= 1
    recip = (np.int64(1) << (p + RECIPROCAL_FRAC_BITS)) // r
    right = (p + RECIPROCAL_FRAC_BITS - NORM_FRAC_BITS)[:, None]
    centered = channels * v - n1[:, None]
    return (centered * recip[:, None] + (np.int64(1) << (right - 1))) >> right


def ailayernorm(
    q: np.ndarray,
    alpha: np.ndarray,
    scale: float,
    gamma: np.ndarray,
    beta: np.ndarray,
    out_scale: float,
    eps: float = DEFAULT_EPS,
) -> np.ndarray:
    """Integer AILayerNorm per token: PTF int8 in, int8 out at ``out_scale``."""
    z = ailayernorm_normalized(q, alpha, scale, eps)
    params = affine_requant_params(gamma, beta, 2.0**-NORM_FRAC_BITS, out_scale)
    return apply_affine_requant(z, params)
