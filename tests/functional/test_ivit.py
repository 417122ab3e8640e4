"""I-ViT Shiftmax / ShiftGELU / I-LayerNorm: bit-exact against scalar Python-int references."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.functional import ivit
from accelsim.functional.reference import gelu, layernorm, softmax


def scalar_shift_exp(i: int, scale: float, n: int) -> int:
    i0 = math.floor(1 / scale)
    i_p = max(i + (i >> 1) - (i >> 4), -n * i0)
    q, r = divmod(-i_p, i0)
    return (i0 - r // 2) * 2**n // 2**q


def scalar_divide(num: int, total: int, out_bits: int) -> int:
    limit = 2**31 - 1
    return num * (limit // min(total, limit)) // 2 ** (31 - out_bits + 1)


def scalar_shiftmax(row: list[int], scale: float) -> list[int]:
    top = max(row)
    e = [scalar_shift_exp(v - top, scale, 15) for v in row]
    return [scalar_divide(x, sum(e), 8) for x in e]


def scalar_shiftgelu(row: list[int], scale: float) -> list[int]:
    i_p = [v + (v >> 1) + (v >> 3) + (v >> 4) for v in row]
    m = max(max(i_p), 0)
    e_one = scalar_shift_exp(-m, scale, 23)
    out = []
    for v, p in zip(row, i_p, strict=True):
        e_x = scalar_shift_exp(p - m, scale, 23)
        out.append(v * scalar_divide(e_x, e_x + e_one, 8))
    return out


def scalar_ilayernorm_z(row: list[int]) -> list[int]:
    c = len(row)
    mean = math.floor(sum(row) / c + 0.5)
    y = [v - mean for v in row]
    var = sum(t * t for t in y)
    k = 2**16
    for _ in range(10):
        k = (k + var // k) // 2
    factor = (2**31 - 1) // max(k, 1)
    return [t * factor // 2 for t in y]


def test_shift_exp_by_hand():
    # S = 1/8: I_0 = 8. I = -8 (x = -1): I_p = -8 - 4 + 1 = -11, q = 1, r = 3,
    # (8 - 1) << 15 >> 1 = 114688 -> 114688 * 2^-15 / 8 = 0.4375 (e^-1 = 0.368).
    assert int(ivit.shift_exp(np.array([-8]), 0.125, 15)[0]) == 114688
    assert int(ivit.shift_exp(np.array([0]), 0.125, 15)[0]) == 8 << 15


@pytest.mark.parametrize("scale", [0.25, 0.125, 0.07, 2.0**-5])
def test_shiftmax_bit_exact(scale):
    rng = np.random.default_rng(int(1 / scale))
    q = rng.integers(-128, 128, size=(5, 197))
    got = ivit.shiftmax(q, scale)
    for r in range(5):
        assert got[r].tolist() == scalar_shiftmax(q[r].tolist(), scale)


@settings(max_examples=50, deadline=None)
@given(row=st.lists(st.integers(-128, 127), min_size=1, max_size=64), frac=st.integers(0, 6))
def test_shiftmax_property(row, frac):
    got = ivit.shiftmax(np.array([row]), 2.0**-frac)
    assert got[0].tolist() == scalar_shiftmax(row, 2.0**-frac)
    assert 0 <= got.min() and got.max() <= 128


@pytest.mark.parametrize("scale", [0.1, 0.04, 0.013])
def test_shiftgelu_bit_exact(scale):
    rng = np.random.default_rng(7)
    q = rng.integers(-128, 128, size=(4, 96))
    q[1] = -np.abs(q[1]) - 1  # an all-negative row: m clamps to 0
    got = ivit.shiftgelu(q, scale)
    for r in range(4):
        assert got[r].tolist() == scalar_shiftgelu(q[r].tolist(), scale)


def test_newton_isqrt_behaviour():
    v = np.array([2**20, 3 * 10**8])
    assert ivit.newton_isqrt(v).tolist() == [math.isqrt(int(x)) for x in v]  # converged
    # small variance: 10 iterations from 2^16 are not enough (I-ViT's limitation, reproduced):
    # 65536 -> 32768, 16384, 8192, 4096, 2049, 1026, 517, 268, 152, 108 (isqrt = 100)
    assert int(ivit.newton_isqrt(np.array([10_000]))[0]) == 108
    # no stop test: near 2^32 the iterate oscillates 65535 <-> 65536 (isqrt = 65535)
    assert int(ivit.newton_isqrt(np.array([2**32 - 1]))[0]) == 65536
    assert int(ivit.newton_isqrt(np.array([2**32 - 1]), iterations=9)[0]) == 65535


def test_ilayernorm_bit_exact_and_scale():
    rng = np.random.default_rng(8)
    x = rng.integers(-128, 128, size=(3, 200)) * 4
    z, z_scale = ivit.ilayernorm_normalized(x)
    for t in range(3):
        assert z[t].tolist() == scalar_ilayernorm_z(x[t].tolist())
    assert z_scale == pytest.approx(math.sqrt(200) / 2**30)
    exact = layernorm(x.astype(float), np.ones(200), np.zeros(200))
    assert np.abs(z * z_scale - exact).max() < 0.02


def test_error_bounds_against_float():
    rng = np.random.default_rng(9)
    x = rng.normal(0, 2.0, size=(32, 197))
    frac = 3
    q = np.clip(np.round(x * 2**frac), -128, 127).astype(np.int64)
    y = ivit.shiftmax(q, 2.0**-frac) * ivit.shiftmax_scale()
    assert np.abs(y - softmax(x)).mean() < 2e-3
    g = rng.normal(0, 1.0, size=(16, 256))
    s = float(np.abs(g).max()) / 127
    gq = np.clip(np.round(g / s), -128, 127).astype(np.int64)
    yg = ivit.shiftgelu(gq, s) * ivit.shiftgelu_scale(s)
    assert np.abs(yg - gelu(g)).mean() < 0.05


def test_rejects_scale_above_one():
    with pytest.raises(ValueError):
        ivit.shiftmax(np.array([[1, 2]]), 2.0)
