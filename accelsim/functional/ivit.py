"""I-ViT's integer-only non-linear operators (Li & Gu, "I-ViT", ICCV 2023), to compare with SOLE.

Written from the paper's description (its public code was read only to check understanding):
  * ShiftExp: e^(S I) = 2^(S I log2 e) with I log2 e ~ I + (I >> 1) - (I >> 4); write
    S I_p = -q - S r with q = floor(-I_p / I_0), I_0 = floor(1 / S), r in [0, I_0); then
    2^(-S r) ~ 1 - S r / 2 ~ S (I_0 - r / 2), so e ~ (((I_0 - (r >> 1)) << n) >> q) * S / 2^n.
    I_p is clamped to >= -n I_0 (q <= n), as the reference code does. Decided here: r / 2 is the
    shift r >> 1 (the paper's shift form; the public code keeps the exact half).
  * Shiftmax: ShiftExp of I - max, then integer division: factor = floor((2^31 - 1) / sum),
    out = (e * factor) >> (31 - out_bits + 1), scale 2^-(out_bits - 1): out in 0..2^(out_bits-1),
    so 8 output bits give 0..128 (uint8). The sum saturates at 2^31 - 1. n = 15 (I-ViT's value).
  * ShiftGELU: GELU(x) ~ x sigmoid(1.702 x), 1.702 ~ 1.1011b: I_p = I + (I>>1) + (I>>3) + (I>>4)
    (= 1.6875 I); sigmoid(S I_p) = e^(S(I_p - m)) / (e^(S(I_p - m)) + e^(-S m)), both by
    ShiftExp and the same integer division; out = I * sigmoid_int at scale S * 2^-(out_bits-1),
    a 16-bit product. n = 23 (I-ViT's value). Decided here: m = max(row max of I_p, 0), which
    keeps both ShiftExp arguments <= 0 (the public code lets -max be positive); the ratio is
    unchanged.
  * I-LayerNorm: mean = round(sum / C); y = x - mean; var = sum y^2 (C times the variance);
    std = integer sqrt by Newton iterations k <- floor((k + floor(var / k)) / 2) from k = 2^16,
    10 iterations, no stop test (small var does not converge, and near a square the iterate
    can end one above isqrt: reproduced on purpose);
    factor = floor((2^31 - 1) / std); z = floor(y factor / 2) with one LSB = sqrt(C) / 2^30.
    Affine + int8 output go through the same requantizer as AILayerNorm (ailayernorm.py).
"""

from __future__ import annotations

import math

import numpy as np

from accelsim.functional.ailayernorm import affine_requant_params, apply_affine_requant

SHIFTMAX_EXP_BITS = 15  # n in Shiftmax (I-ViT)
SHIFTGELU_EXP_BITS = 23  # n in ShiftGELU (I-ViT)
DIVIDEND_BITS = 31  # factor = floor((2^31 - 1) / sum)
DEFAULT_OUTPUT_BITS = 8
NEWTON_START = 1 << 16  # I-LayerNorm sqrt iteration start
NEWTON_ITERATIONS = 10


def _exp_base(scale: float) -> int:
    """I_0 = floor(1 / S), the integer standing for 1.0; needs S <= 1."""
    if not 0 < scale <= 1:
        raise ValueError(f"I-ViT's ShiftExp needs 0 < scale <= 1, got {scale!r}")
    return math.floor(1.0 / scale)


def shift_exp(i_neg: np.ndarray, scale: float, exp_bits: int) -> np.ndarray:
    """ShiftExp of integers I <= 0 at ``scale``: e^(S I) ~ result * S / 2^exp_bits (int64)."""
    i0 = _exp_base(scale)
    i = np.asarray(i_neg, dtype=np.int64)
    i_p = np.maximum(i + (i >> 1) - (i >> 4), -exp_bits * i0)
    q = (-i_p) // i0
    r = -i_p - q * i0
    return ((i0 - (r >> 1)) << exp_bits) >> q


def _int_divide(numerator: np.ndarray, total: np.ndarray, out_bits: int) -> np.ndarray:
    """I-ViT's integer division: (num * floor((2^31 - 1) / total)) >> (31 - out_bits + 1)."""
    limit = (np.int64(1) << DIVIDEND_BITS) - 1
    factor = limit // np.minimum(total, limit)
    return (numerator * factor) >> (DIVIDEND_BITS - out_bits + 1)


def shiftmax(scores_q: np.ndarray, scale: float, out_bits: int = DEFAULT_OUTPUT_BITS) -> np.ndarray:
    """I-ViT Shiftmax along the last axis; output codes at scale 2^-(out_bits - 1)."""
    i = np.asarray(scores_q, dtype=np.int64)
    e = shift_exp(i - i.max(axis=-1, keepdims=True), scale, SHIFTMAX_EXP_BITS)
    return _int_divide(e, e.sum(axis=-1, keepdims=True), out_bits)


def shiftmax_scale(out_bits: int = DEFAULT_OUTPUT_BITS) -> float:
    """Real value of one Shiftmax output LSB."""
    return 2.0 ** -(out_bits - 1)


def shiftgelu(x_q: np.ndarray, scale: float, out_bits: int = DEFAULT_OUTPUT_BITS) -> np.ndarray:
    """I-ViT ShiftGELU of int8 codes at ``scale``; result at scale ``shiftgelu_scale``."""
    i = np.asarray(x_q, dtype=np.int64)
    i_p = i + (i >> 1) + (i >> 3) + (i >> 4)
    m = np.maximum(i_p.max(axis=-1, keepdims=True), 0)
    e_x = shift_exp(i_p - m, scale, SHIFTGELU_EXP_BITS)
    e_one = shift_exp(-m, scale, SHIFTGELU_EXP_BITS)
    return i * _int_divide(e_x, e_x + e_one, out_bits)


def shiftgelu_scale(scale: float, out_bits: int = DEFAULT_OUTPUT_BITS) -> float:
    """Real value of one ShiftGELU output LSB: S * 2^-(out_bits - 1)."""
    return scale * 2.0 ** -(out_bits - 1)


def newton_isqrt(v: np.ndarray, iterations: int = NEWTON_ITERATIONS) -> np.ndarray:
    """I-ViT / I-BERT integer sqrt: ``iterations`` Newton steps from 2^16 (may not converge)."""
    v = np.asarray(v, dtype=np.int64)
    k = np.full(v.shape, NEWTON_START, dtype=np.int64)
    for _ in range(iterations):
        k = (k + v // k) >> 1
    return k


def ilayernorm_normalized(x_q: np.ndarray) -> tuple[np.ndarray, float]:
    """I-LayerNorm normalization of tokens x C integers: (z, real value of one z LSB)."""
    x = np.asarray(x_q, dtype=np.int64)
    channels = x.shape[-1]
    mean = (2 * x.sum(axis=-1, keepdims=True) + channels) // (2 * channels)  # round half up
    y = x - mean
    std = np.maximum(newton_isqrt((y * y).sum(axis=-1, keepdims=True)), 1)
    factor = ((np.int64(1) << DIVIDEND_BITS) - 1) // std
    return (y * factor) >> 1, math.sqrt(channels) / 2.0**30


def ilayernorm(
    x_q: np.ndarray, gamma: np.ndarray, beta: np.ndarray, out_scale: float
) -> np.ndarray:
    """I-LayerNorm of integer inputs (any fixed scale: it cancels) to int8 at ``out_scale``."""
    z, z_scale = ilayernorm_normalized(x_q)
    return apply_affine_requant(z, affine_requant_params(gamma, beta, z_scale, out_scale))
