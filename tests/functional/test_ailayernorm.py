"""AILayerNorm: bit-exact against a scalar Python-int reference of the spec, plus float bounds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.functional import ailayernorm as ailn
from accelsim.functional.reference import layernorm


def scalar_compress(a: int) -> tuple[int, int]:
    """Keep 4 bits from the leading one, round half up, renormalize on carry."""
    if a < 16:
        return a, 0
    sh = a.bit_length() - 4
    m = math.floor(a / 2**sh + 0.5)
    return (8, sh + 1) if m == 16 else (m, sh)


def scalar_normalized(row: list[int], alpha: list[int], scale: float, eps: float) -> list[int]:
    """One token with Python ints: z_fx = round((C v - N1) R / 2^(p + 7))."""
    c = len(row)
    v = [q * 2**a for q, a in zip(row, alpha, strict=True)]
    n1 = sum(v)
    n2 = 0
    for q, a in zip(row, alpha, strict=True):
        m, sh = scalar_compress(abs(q))
        n2 += (m * m) * 4 ** (sh + a)
    var = max(c * n2 - n1 * n1, 0) + max(1, round(eps * c * c / (scale * scale)))
    r = math.isqrt(var)
    p = r.bit_length()
    recip = 2 ** (p + 15) // r
    return [((c * value - n1) * recip + 2 ** (p + 6)) // 2 ** (p + 7) for value in v]


def scalar_requant(z: int, multiplier: int, bias: int, shift: int) -> int:
    return max(-128, min(127, (z * multiplier + bias + 2 ** (shift - 1)) // 2**shift))


def test_compress_exhaustive():
    m, sh = ailn.compress_magnitude(np.arange(256))
    for a in range(256):
        assert (int(m[a]), int(sh[a])) == scalar_compress(a)
        assert 0 <= m[a] <= 15
    # hand: 17 -> bit_length 5, sh 1, round(8.5) = 9; 31 -> round(15.5) = 16 -> carry (8, 2)
    assert scalar_compress(17) == (9, 1) and scalar_compress(31) == (8, 2)
    assert ailn.SQUARE_LUT.tolist() == [i * i for i in range(16)]


@pytest.mark.parametrize(("tokens", "channels", "seed"), [(3, 8, 0), (5, 64, 1), (2, 768, 2)])
def test_normalized_bit_exact(tokens, channels, seed):
    rng = np.random.default_rng(seed)
    q = rng.integers(-128, 128, size=(tokens, channels))
    alpha = rng.integers(0, 4, size=channels)
    scale = 0.03
    got = ailn.ailayernorm_normalized(q, alpha, scale, eps=1e-6)
    for t in range(tokens):
        want = scalar_normalized(q[t].tolist(), alpha.tolist(), scale, 1e-6)
        assert got[t].tolist() == want


@settings(max_examples=50, deadline=None)
@given(
    row=st.lists(st.integers(-128, 127), min_size=1, max_size=48),
    alpha_seed=st.integers(0, 2**16),
    scale=st.sampled_from([0.001, 0.02, 0.5]),
)
def test_normalized_bit_exact_property(row, alpha_seed, scale):
    alpha = np.random.default_rng(alpha_seed).integers(0, 4, size=len(row))
    got = ailn.ailayernorm_normalized(np.array([row]), alpha, scale)
    assert got[0].tolist() == scalar_normalized(row, alpha.tolist(), scale, ailn.DEFAULT_EPS)


def test_full_unit_bit_exact_with_requant():
    rng = np.random.default_rng(4)
    q = rng.integers(-128, 128, size=(4, 96))
    alpha = rng.integers(0, 4, size=96)
    gamma, beta = rng.normal(1, 0.3, 96), rng.normal(0, 0.2, 96)
    out_scale = 0.04
    got = ailn.ailayernorm(q, alpha, 0.05, gamma, beta, out_scale)
    params = ailn.affine_requant_params(gamma, beta, 2.0**-8, out_scale)
    assert np.abs(params.multiplier).max() < 2**15  # 16-bit signed multiplier
    assert np.abs(params.multiplier).max() >= 2**14  # ... using its range
    for t in range(4):
        z = scalar_normalized(q[t].tolist(), alpha.tolist(), 0.05, ailn.DEFAULT_EPS)
        want = [
            scalar_requant(zc, int(g), int(b), params.shift)
            for zc, g, b in zip(z, params.multiplier, params.bias, strict=True)
        ]
        assert got[t].tolist() == want
    assert got.dtype == np.int8


def test_constant_token_is_safe():
    # var = 0 -> V = eps term >= 1: no division by zero, z = 0 everywhere.
    z = ailn.ailayernorm_normalized(np.full((1, 16), 7), np.zeros(16, dtype=int), 0.1)
    assert z.tolist() == [[0] * 16]


def test_ptf_quantize_properties():
    rng = np.random.default_rng(5)
    x = rng.normal(0, 1, size=(50, 32))
    x[:, 3] *= 8.0  # outlier channel gets the largest factor
    ptf = ailn.ptf_quantize(x)
    assert ptf.alpha.min() >= 0 and ptf.alpha.max() <= ailn.PTF_MAX_ALPHA
    assert ptf.alpha[3] == ailn.PTF_MAX_ALPHA
    step = ptf.scale * 2.0**ptf.alpha
    assert np.all(np.abs(ptf.q * step - x) <= step / 2 + 1e-12)  # no clipping by construction


def test_error_bounds_against_float():
    rng = np.random.default_rng(6)
    channels = 384
    mean, std = rng.normal(0, 0.5, channels), np.exp(rng.normal(0, 0.5, channels))
    mean[:3] = [25.0, -30.0, 18.0]
    x = mean + std * rng.normal(size=(40, channels))
    ptf = ailn.ptf_quantize(x)
    z = ailn.ailayernorm_normalized(ptf.q, ptf.alpha, ptf.scale) / 256.0
    exact = layernorm(x, np.ones(channels), np.zeros(channels))
    err = np.abs(z - exact)
    assert err.mean() < 0.02  # 4-bit squares: variance off by a few percent at most
    assert err.max() < 0.6
    gamma, beta = rng.normal(1, 0.3, channels), rng.normal(0, 0.2, channels)
    ref = layernorm(x, gamma, beta)
    out_scale = float(np.abs(ref).max()) / 127
    y = ailn.ailayernorm(ptf.q, ptf.alpha, ptf.scale, gamma, beta, out_scale) * out_scale
    assert np.abs(y - ref).mean() < 0.05


def test_rejects_bad_inputs():
    with pytest.raises(ValueError):
        ailn.ailayernorm_normalized(np.zeros((2, 4)), np.zeros(4, dtype=int), 0.1)  # float codes
    with pytest.raises(ValueError):
        ailn.ailayernorm_normalized(np.zeros((2, 4), dtype=int), np.full(4, 5), 0.1)  # alpha > 3
    with pytest.raises(ValueError):
        ailn.affine_requant_params(np.ones(4), np.zeros(4), 1.0, 0.0)
