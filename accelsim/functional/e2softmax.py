"""Bit-accurate integer model of SOLE's E2Softmax (Wang et al., ICCAD 2023, arXiv 2510.17189).

What follows the paper (abstract + third-party reviews quoting it; see reference/sole.md):
  * max subtraction, then Log2Exp(x) = -floor(x + (x >> 1) - (x >> 4)) for x <= 0, i.e.
    exp(x) ~ 2^-k with x / ln 2 ~ 1.4375 x (shift-and-add, no multiplier, no LUT);
  * k is clipped to a 4-bit unsigned code (0..15): the per-element intermediate is 4 bits;
  * online normalization: running max and running sum in one pass, the sum rescaled by a
    shift when the max grows;
  * ALDivision: y_i = 2^-k_i / S computed as a shift by k_i + k_s, k_s the leading-one
    position of S, with a one-bit mantissa correction.

What the paper leaves open (or we could not confirm) and how it is decided here:
  * Input scale. Scores are int8 codes q with scale 2^-f (``input_frac_bits`` = f). The
    difference d = q - q_max (9-bit signed, -255..0) is x in fixed point with f fractional
    bits. The paper writes the shifts on the real x; we give d 4 guard bits first, so
    x + (x >> 1) - (x >> 4) is t = (d << 4) + (d << 3) - d = 23 d exactly (14-bit signed) and
    k = -(t >> (f + 4)) = -floor(1.4375 x) with no truncation (shifting the bare d would lose
    up to one LSB per shift, e.g. d = -1, f = 0 would give k = 1 instead of 2).
    A non-power-of-two scale is folded into the preceding requantization of the QK^T
    accumulators (its dyadic multiplier absorbs it at no cost), so the unit never multiplies.
  * Online update granularity. The unit takes ``lanes`` scores per cycle: each beat's max is
    found first, then the running max m and sum S are updated once per beat:
    delta = Log2Exp(m_old - m_new) (not clipped to 4 bits; saturates at 31),
    S <- (S >> delta) + sum_j 2^-k_j,
    with k_j relative to m_new. The result therefore depends on ``lanes`` (as hardware does).
  * Pass 2 reuses the stored 4-bit codes. Each code is relative to the running max of its beat;
    the unit keeps the per-beat shift delta (5 bits per beat, amortised over ``lanes`` codes)
    and forms the suffix sum D_b = sum of the deltas after beat b, so the code fed to
    ALDivision is min(k + D_b, 15): exactly the shifts the running sum applied to that beat.
  * Sum width. S is unsigned fixed point with ``sum_frac_bits`` (default 15, every 4-bit term
    2^-k exact) fractional bits; S >= 1 because the row maximum contributes exactly 1, and
    S <= L, so S needs ceil(log2 L_max) + 1 + sum_frac_bits bits: 28 bits for L <= 4096.
  * Mantissa correction. With S = 2^k_s (1 + f), 1/S = 2^-k_s / (1 + f). The bit b after the
    leading one tells f < 1/2 or f >= 1/2; we multiply by C_b / 16 with the mean of
    1/(1 + f) over each half, 0.811 and 0.575, rounded to 4-bit fractions: C = (13, 9). (A
    public re-implementation uses 0.818 / 0.568; SOLE's own constants are not confirmed.)
    ``correction_sixteenths=(16, 16)`` disables the correction (pure shift).
  * Output format. "uint8" (default, our choice: the SV matmul runs on the int8 MAC array):
    q = round(C_b * 2^(4 - n)) clipped to 0..255 with scale 2^-8, n = k + k_s. "log2_4bit":
    code = clip(n + round(log2(16 / C_b)), 0, 15), value 2^-code (FQ-ViT's log2 convention: no
    zero code). Rounding is round-half-up (add half an LSB, shift right).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

SCORE_BITS = 8  # int8 attention scores in (after QK^T requantization)
CODE_BITS = 4  # Log2Exp code width, SOLE: "compresses the intermediate exponent output to 4-bit"
CODE_MAX = (1 << CODE_BITS) - 1  # 15
LOG2EXP_GUARD_BITS = 4  # x >> 4 is the finest shift in x + (x >> 1) - (x >> 4)
DELTA_MAX = 31  # max-update shift saturates at 5 bits; S (< 2^28) is zero by then anyway
CORRECTION_FRAC_BITS = 4  # C_b / 16
DEFAULT_CORRECTION_SIXTEENTHS = (13, 9)  # see module docstring
DEFAULT_LANES = 16  # our choice; the paper's lane count is not confirmed
DEFAULT_SUM_FRAC_BITS = 15  # exact for every 4-bit term 2^-k, k <= 15
UINT8_OUTPUT_FRAC_BITS = 8  # uniform output: y = q * 2^-8
UINT8_OUTPUT_MAX = 255

OutputFormat = Literal["uint8", "log2_4bit"]
OUTPUT_FORMATS: tuple[str, ...] = ("uint8", "log2_4bit")


def power_of_two_frac_bits(max_abs: float, bits: int = SCORE_BITS) -> int:
    """Fractional bits f of the finest power-of-two scale 2^-f that holds ``max_abs`` in ``bits``.

    Max calibration (reference/quantization.md) rounded to a power of two: the largest f with
    max_abs * 2^f <= 2^(bits-1) - 1. May be negative for large ranges.
    """
    if not max_abs > 0:
        raise ValueError(f"max_abs must be positive, got {max_abs!r}")
    return math.floor(math.log2(((1 << (bits - 1)) - 1) / max_abs))


def log2exp(diff_q: np.ndarray, input_frac_bits: int) -> np.ndarray:
    """Unclipped Log2Exp code k = -floor(1.4375 d 2^-f) for d = q - q_max <= 0 (int64).

    Shift-and-add per SOLE with 4 guard bits: t = (d << 4) + (d << 3) - d, k = -(t >> (f + 4)).
    """
    d = np.asarray(diff_q, dtype=np.int64)
    t = (d << LOG2EXP_GUARD_BITS) + (d << (LOG2EXP_GUARD_BITS - 1)) - d
    shift = input_frac_bits + LOG2EXP_GUARD_BITS
    if shift >= 0:
        return -(t >> shift)
    return -(t << -shift)


def _check_scores(scores_q: np.ndarray) -> np.ndarray:
    q = np.asarray(scores_q)
    if not np.issubdtype(q.dtype, np.integer):
        raise ValueError(f"scores must be integer codes, got dtype {q.dtype}")
    if q.ndim == 0 or q.shape[-1] == 0:
        raise ValueError(f"scores need a non-empty last axis, got shape {q.shape}")
    lo, hi = -(1 << (SCORE_BITS - 1)), (1 << (SCORE_BITS - 1)) - 1
    if q.size and (q.min() < lo or q.max() > hi):
        raise ValueError(f"scores must lie in [{lo}, {hi}] (int{SCORE_BITS})")
    return q.astype(np.int64)


def _check_correction(correction_sixteenths: tuple[int, int]) -> tuple[int, int]:
    c0, c1 = (int(c) for c in correction_sixteenths)
    if not (1 <= c0 <= 16 and 1 <= c1 <= 16):
        raise ValueError(f"correction numerators must be in 1..16, got {correction_sixteenths!r}")
    return c0, c1


def e2softmax_pass1(
    scores_q: np.ndarray,
    input_frac_bits: int,
    lanes: int = DEFAULT_LANES,
    sum_frac_bits: int = DEFAULT_SUM_FRAC_BITS,
) -> tuple[np.ndarray, np.ndarray]:
    """Pass 1 over rows x L int8 scores: final 4-bit codes (rows x L) and running sum S (rows,).

    Returns the codes already corrected to the final max (min(k + D_b, 15), see module
    docstring) and S as an int64 fixed-point value with ``sum_frac_bits`` fractional bits.
    """
    if lanes < 1:
        raise ValueError(f"lanes must be >= 1, got {lanes}")
    if not 0 <= sum_frac_bits <= 30:
        raise ValueError(f"sum_frac_bits must be in 0..30, got {sum_frac_bits}")
    q = _check_scores(scores_q).reshape(-1, np.asarray(scores_q).shape[-1])
    rows, length = q.shape
    beats = -(-length // lanes)
    one = np.int64(1) << sum_frac_bits
    codes = np.empty((rows, length), dtype=np.int64)
    deltas = np.zeros((rows, beats), dtype=np.int64)
    running_max = q[:, :lanes].max(axis=1)
    running_sum = np.zeros(rows, dtype=np.int64)
    for b in range(beats):
        cols = slice(b * lanes, min((b + 1) * lanes, length))
        beat = q[:, cols]
        new_max = np.maximum(running_max, beat.max(axis=1))
        delta = np.minimum(log2exp(running_max - new_max, input_frac_bits), DELTA_MAX)
        k = np.minimum(log2exp(beat - new_max[:, None], input_frac_bits), CODE_MAX)
        running_sum = (running_sum >> delta) + (one >> k).sum(axis=1)
        codes[:, cols] = k
        deltas[:, b] = delta
        running_max = new_max
    after = np.cumsum(deltas[:, ::-1], axis=1)[:, ::-1] - deltas  # D_b: shifts after beat b
    per_code = np.repeat(np.minimum(after, CODE_MAX), lanes, axis=1)[:, :length]
    return np.minimum(codes + per_code, CODE_MAX), running_sum


def aldivision(
    codes: np.ndarray,
    running_sum: np.ndarray,
    sum_frac_bits: int = DEFAULT_SUM_FRAC_BITS,
    correction_sixteenths: tuple[int, int] = DEFAULT_CORRECTION_SIXTEENTHS,
    output_format: OutputFormat = "uint8",
) -> np.ndarray:
    """Pass 2: y_i = 2^-k_i / S as a shift by k_i + k_s with the one-bit mantissa correction.

    ``codes``: rows x L 4-bit codes; ``running_sum``: (rows,) S with ``sum_frac_bits``
    fractional bits, S >= 1. Returns uint8 codes in ``output_format`` (module docstring).
    """
    c0, c1 = _check_correction(correction_sixteenths)
    if output_format not in OUTPUT_FORMATS:
        raise ValueError(f"output_format must be one of {OUTPUT_FORMATS}, got {output_format!r}")
    s = np.asarray(running_sum, dtype=np.int64)
    if s.size and s.min() < (1 << sum_frac_bits):
        raise ValueError("running sum must be >= 1.0 (the row maximum contributes 1)")
    lead = np.frexp(s.astype(np.float64))[1].astype(np.int64) - 1  # leading-one position, exact
    k_s = lead - sum_frac_bits
    bit_after = np.where(lead > 0, (s >> np.maximum(lead - 1, 0)) & 1, 0)
    n = np.asarray(codes, dtype=np.int64) + k_s[:, None]
    b = np.broadcast_to(bit_after[:, None], n.shape)
    if output_format == "log2_4bit":
        offsets = np.array([round(math.log2(16 / c)) for c in (c0, c1)], dtype=np.int64)
        return np.clip(n + offsets[b], 0, CODE_MAX).astype(np.uint8)
    numerator = np.where(b == 1, c1, c0).astype(np.int64)
    right = n - (UINT8_OUTPUT_FRAC_BITS - CORRECTION_FRAC_BITS)  # shift right by n - 4
    half = np.where(right > 0, np.int64(1) << np.maximum(right - 1, 0), 0)
    shifted = np.where(
        right > 0,
        (numerator + half) >> np.maximum(right, 0),
        numerator << np.maximum(-right, 0),
    )
    return np.minimum(shifted, UINT8_OUTPUT_MAX).astype(np.uint8)


def e2softmax(
    scores_q: np.ndarray,
    input_frac_bits: int,
    *,
    lanes: int = DEFAULT_LANES,
    sum_frac_bits: int = DEFAULT_SUM_FRAC_BITS,
    correction_sixteenths: tuple[int, int] = DEFAULT_CORRECTION_SIXTEENTHS,
    output_format: OutputFormat = "uint8",
) -> np.ndarray:
    """Integer E2Softmax along the last axis of int8 scores with scale 2^-``input_frac_bits``.

    Returns uint8 output codes of the same shape; ``dequantize_output`` gives probabilities.
    """
    scores = np.asarray(scores_q)
    codes, running_sum = e2softmax_pass1(scores, input_frac_bits, lanes, sum_frac_bits)
    out = aldivision(codes, running_sum, sum_frac_bits, correction_sixteenths, output_format)
    return out.reshape(scores.shape)


def dequantize_output(codes: np.ndarray, output_format: OutputFormat = "uint8") -> np.ndarray:
    """Real value of E2Softmax output codes: q * 2^-8 (uint8) or 2^-code (log2_4bit)."""
    c = np.asarray(codes, dtype=np.float64)
    if output_format == "uint8":
        return c * 2.0**-UINT8_OUTPUT_FRAC_BITS
    if output_format == "log2_4bit":
        return np.exp2(-c)
    raise ValueError(f"output_format must be one of {OUTPUT_FORMATS}, got {output_format!r}")
