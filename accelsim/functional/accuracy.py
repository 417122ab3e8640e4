"""Operator-level accuracy of the integer non-linear units against float64 references.

Deterministic synthetic inputs shaped like ViT activations (fixed seed, numpy's PCG64):
  * attention scores: rows of L = 197 (ViT/DeiT at 224 px) and 577 (384 px) logits, each row a
    Student-t (3 degrees of freedom, clipped at +-5, row scale U(0.8, 2.0)) plus 1-3 spikes
    2-8 above the row max (CLS / sink-like tokens); int8 with one power-of-two per-tensor
    scale from max calibration;
  * LayerNorm inputs: 197 tokens x 768 channels, channel means N(0, 0.5) and log-normal
    standard deviations, plus 6 outlier channels with means +-U(15, 40) and std U(2, 6) (the
    survey's strong inter-channel variation); gamma N(1, 0.3), beta N(0, 0.2);
  * GELU inputs: 197 x 768 FC1 outputs, N(-0.3, 1.2) with 0.5% of values x3.
The float output of each unit is compared with the float64 operator applied to the *unquantized*
input, so input/output quantization is part of the error; "float ... int8 in" rows give that
quantization floor on its own. Output scales of LN / GELU are max-calibrated on the reference.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from accelsim.functional import ailayernorm as ailn
from accelsim.functional import e2softmax as e2
from accelsim.functional import ivit
from accelsim.functional import reference as ref

SOFTMAX_LENGTHS = (197, 577)
SOFTMAX_ROWS = 256
LN_TOKENS, LN_CHANNELS, LN_OUTLIERS = 197, 768, 6
GELU_TOKENS, GELU_CHANNELS = 197, 768
METRIC_KEYS = (
    "max_abs_error",
    "mean_abs_error",
    "cosine",
    "kl_divergence",
    "top1_agreement",
)


def attention_scores(rows: int, length: int, rng: np.random.Generator) -> np.ndarray:
    """Heavy-tailed attention logits, rows x length (see module docstring)."""
    row_scale = rng.uniform(0.8, 2.0, size=(rows, 1))
    x = row_scale * np.clip(rng.standard_t(3, size=(rows, length)), -5.0, 5.0)
    top = x.max(axis=1)
    for r in range(rows):
        spikes = rng.choice(length, size=int(rng.integers(1, 4)), replace=False)
        x[r, spikes] = top[r] + rng.uniform(2.0, 8.0, size=spikes.size)
    return x


def layernorm_inputs(
    tokens: int, channels: int, outliers: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, gamma, beta) with a few outlier channels (see module docstring)."""
    mean = rng.normal(0.0, 0.5, channels)
    std = np.exp(rng.normal(0.0, 0.5, channels))
    idx = rng.choice(channels, size=outliers, replace=False)
    mean[idx] = rng.choice([-1.0, 1.0], size=outliers) * rng.uniform(15.0, 40.0, outliers)
    std[idx] = rng.uniform(2.0, 6.0, outliers)
    x = mean + std * rng.normal(size=(tokens, channels))
    return x, rng.normal(1.0, 0.3, channels), rng.normal(0.0, 0.2, channels)


def gelu_inputs(tokens: int, channels: int, rng: np.random.Generator) -> np.ndarray:
    """FC1-like pre-activations with a sprinkle of large values."""
    x = rng.normal(-0.3, 1.2, size=(tokens, channels))
    return np.where(rng.random(x.shape) < 0.005, 3.0 * x, x)


def _row_cosine(a: np.ndarray, b: np.ndarray) -> float:
    num = (a * b).sum(axis=-1)
    den = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
    return float(np.mean(np.where(den > 0, num / np.where(den > 0, den, 1.0), 1.0)))


def elementwise_metrics(approx: np.ndarray, exact: np.ndarray) -> dict[str, float | None]:
    """Max / mean absolute error and mean per-row cosine similarity."""
    err = np.abs(approx - exact)
    return {
        "max_abs_error": float(err.max()),
        "mean_abs_error": float(err.mean()),
        "cosine": _row_cosine(approx, exact),
        "kl_divergence": None,
        "top1_agreement": None,
    }


def softmax_metrics(approx: np.ndarray, exact: np.ndarray) -> dict[str, float | None]:
    """Elementwise metrics plus mean KL(approx || exact) and top-1 agreement per row.

    KL is taken from the approximate row, renormalized to sum 1 (integer softmaxes do not sum to
    exactly 1), to the exact row (never zero). This direction keeps outputs that underflow to 0
    (every 8-bit format does that to tiny probabilities) finite instead of dominating through an
    arbitrary floor. Top-1 agrees when the reference's argmax holds the approximate row's
    maximum (ties in the quantized output count as agreement).
    """
    metrics = elementwise_metrics(approx, exact)
    q = approx / approx.sum(axis=-1, keepdims=True)
    safe_q = np.where(q > 0, q, 1.0)
    kl = np.where(q > 0, q * (np.log(safe_q) - np.log(exact)), 0.0).sum(axis=-1)
    top = np.take_along_axis(approx, exact.argmax(axis=-1)[..., None], axis=-1)[..., 0]
    metrics["kl_divergence"] = float(kl.mean())
    metrics["top1_agreement"] = float(np.mean(top == approx.max(axis=-1)))
    return metrics


def _softmax_units(q: np.ndarray, frac_bits: int) -> list[tuple[str, np.ndarray]]:
    scale = 2.0**-frac_bits
    floor = np.clip(np.round(ref.softmax(q * scale) * 256.0), 0, 255) / 256.0
    no_corr = e2.e2softmax(q, frac_bits, correction_sixteenths=(16, 16))
    log2_out = e2.e2softmax(q, frac_bits, output_format="log2_4bit")
    return [
        ("float softmax, int8 in, uint8 out (quantization floor)", floor),
        ("E2Softmax, uint8 out", e2.dequantize_output(e2.e2softmax(q, frac_bits))),
        ("E2Softmax, log2 4-bit out", e2.dequantize_output(log2_out, "log2_4bit")),
        ("E2Softmax, uint8 out, no mantissa correction", e2.dequantize_output(no_corr)),
        ("I-ViT Shiftmax, 8-bit out", ivit.shiftmax(q, scale) * ivit.shiftmax_scale()),
    ]


def _layernorm_units(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, out_scale: float
) -> list[tuple[str, str, np.ndarray]]:
    ptf = ailn.ptf_quantize(x)
    x_ptf = ptf.q * (ptf.scale * 2.0**ptf.alpha)
    per_tensor = float(np.abs(x).max()) / 127.0
    q_tensor = np.clip(np.round(x / per_tensor), -128, 127).astype(np.int64)

    def requant(y: np.ndarray) -> np.ndarray:
        return np.clip(np.round(y / out_scale), -128, 127) * out_scale

    v_ptf = ptf.q.astype(np.int64) << ptf.alpha
    return [
        (
            "float LayerNorm, int8 out (quantization floor)",
            "PTF int8",
            requant(ref.layernorm(x_ptf, gamma, beta)),
        ),
        (
            "AILayerNorm",
            "PTF int8",
            ailn.ailayernorm(ptf.q, ptf.alpha, ptf.scale, gamma, beta, out_scale) * out_scale,
        ),
        (
            "I-ViT I-LayerNorm",
            "PTF int8",
            ivit.ilayernorm(v_ptf, gamma, beta, out_scale) * out_scale,
        ),
        (
            "float LayerNorm, int8 out (quantization floor)",
            "per-tensor int8",
            requant(ref.layernorm(q_tensor * per_tensor, gamma, beta)),
        ),
        (
            "I-ViT I-LayerNorm",
            "per-tensor int8",
            ivit.ilayernorm(q_tensor, gamma, beta, out_scale) * out_scale,
        ),
    ]


def _row(unit: str, input_desc: str, metrics: dict[str, float | None]) -> dict[str, object]:
    return {"unit": unit, "input": input_desc, **metrics}


def accuracy_table(seed: int = 0) -> list[dict[str, object]]:
    """Rows {unit, input, max_abs_error, mean_abs_error, cosine, kl_divergence, top1_agreement}.

    kl_divergence and top1_agreement are None for non-softmax units. Deterministic in ``seed``.
    """
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    for length in SOFTMAX_LENGTHS:
        x = attention_scores(SOFTMAX_ROWS, length, rng)
        frac_bits = e2.power_of_two_frac_bits(float(np.abs(x).max()))
        q = np.clip(np.round(x * 2.0**frac_bits), -128, 127).astype(np.int64)
        exact = ref.softmax(x)
        desc = f"attention {SOFTMAX_ROWS}x{length}, int8 scale 2^-{frac_bits}"
        for unit, approx in _softmax_units(q, frac_bits):
            rows.append(_row(unit, desc, softmax_metrics(approx, exact)))

    x, gamma, beta = layernorm_inputs(LN_TOKENS, LN_CHANNELS, LN_OUTLIERS, rng)
    exact = ref.layernorm(x, gamma, beta)
    out_scale = float(np.abs(exact).max()) / 127.0
    for unit, quant, approx in _layernorm_units(x, gamma, beta, out_scale):
        desc = f"LN {LN_TOKENS}x{LN_CHANNELS}, {LN_OUTLIERS} outlier ch, {quant}"
        rows.append(_row(unit, desc, elementwise_metrics(approx, exact)))

    g = gelu_inputs(GELU_TOKENS, GELU_CHANNELS, rng)
    in_scale = float(np.abs(g).max()) / 127.0
    g_q = np.clip(np.round(g / in_scale), -128, 127).astype(np.int64)
    exact = ref.gelu(g)
    desc = f"GELU {GELU_TOKENS}x{GELU_CHANNELS}, int8 per-tensor"
    gelu_units: list[tuple[str, Callable[[], np.ndarray]]] = [
        ("float GELU, int8 in (quantization floor)", lambda: ref.gelu(g_q * in_scale)),
        ("I-ViT ShiftGELU", lambda: ivit.shiftgelu(g_q, in_scale) * ivit.shiftgelu_scale(in_scale)),
    ]
    for unit, compute in gelu_units:
        rows.append(_row(unit, desc, elementwise_metrics(compute(), exact)))
    return rows


def table_markdown(rows: list[dict[str, object]]) -> str:
    """Render ``accuracy_table`` rows as a GitHub markdown table (formatting only)."""
    header = "| unit | input | max abs err | mean abs err | cosine | KL | top-1 agree |"
    lines = [header, "|---|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        cells = [str(row["unit"]), str(row["input"])]
        for key, fmt in zip(METRIC_KEYS, (".4f", ".5f", ".5f", ".5f", ".3f"), strict=True):
            value = row[key]
            cells.append("-" if value is None else format(value, fmt))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
