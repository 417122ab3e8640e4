"""Named quantization schemes -> bit width of every tensor role of a ViT trace.

Follows shared/reference/quantization.md: weights per-channel symmetric (one fp16 scale per output
channel, counted as weight parameter bytes) and int32 biases; activations per-tensor. Accumulators
are int32 and a ``requant`` op rescales them to the consumer's width. 4-bit activations need
ViT-specific quantizers (survey, arXiv 2405.00314): w4a4 keeps the residual stream and the inputs
of softmax and LayerNorm at 8 bits and quantizes only the GEMM inputs to 4 bits.
"""

from __future__ import annotations

from dataclasses import dataclass

from accelsim.errors import TraceError
from accelsim.suggest import did_you_mean


@dataclass(frozen=True)
class QuantScheme:
    """Bit widths by tensor role. ``dtype`` is "fp" for float schemes, "int" otherwise."""

    name: str
    description: str
    dtype: str
    weight_bits: int
    gemm_input_bits: int  # activations entering GEMMs / matmuls (LN out, GELU out, q/k/v, ...)
    residual_bits: int  # residual stream and add outputs
    softmax_input_bits: int
    softmax_intermediate_bits: int  # exp() values held on chip between the two passes
    softmax_output_bits: int
    softmax_output_dtype: str  # "uint" (uniform) or "log2"
    norm_input_bits: int
    gelu_input_bits: int
    accumulator_bits: int
    bias_bits: int
    weight_scale_bits: int  # per-output-channel scale; 0 = none (float schemes)
    image_bits: int = 8

    @property
    def needs_requant(self) -> bool:
        """Integer schemes rescale int32 accumulators; float schemes write fp16 directly."""
        return self.dtype == "int"


_INT = dict(dtype="int", accumulator_bits=32, bias_bits=32, weight_scale_bits=16)

SCHEMES: dict[str, QuantScheme] = {
    s.name: s
    for s in (
        QuantScheme(
            "fp16", "FP16 everywhere (baseline); float softmax/LayerNorm", dtype="fp",
            weight_bits=16, gemm_input_bits=16, residual_bits=16, softmax_input_bits=16,
            softmax_intermediate_bits=16, softmax_output_bits=16, softmax_output_dtype="fp",
            norm_input_bits=16, gelu_input_bits=16, accumulator_bits=16, bias_bits=16,
            weight_scale_bits=0, image_bits=16,
        ),
        QuantScheme(
            "w8a8", "int8 weights (per-channel) and activations (per-tensor), NVIDIA recipe",
            weight_bits=8, gemm_input_bits=8, residual_bits=8, softmax_input_bits=8,
            softmax_intermediate_bits=8, softmax_output_bits=8, softmax_output_dtype="uint",
            norm_input_bits=8, gelu_input_bits=8, **_INT,
        ),
        QuantScheme(
            "w4a8", "int4 weights, int8 activations",
            weight_bits=4, gemm_input_bits=8, residual_bits=8, softmax_input_bits=8,
            softmax_intermediate_bits=8, softmax_output_bits=8, softmax_output_dtype="uint",
            norm_input_bits=8, gelu_input_bits=8, **_INT,
        ),
        QuantScheme(
            "w4a4", "int4 weights and GEMM inputs; residual, softmax and LN inputs int8",
            weight_bits=4, gemm_input_bits=4, residual_bits=8, softmax_input_bits=8,
            softmax_intermediate_bits=8, softmax_output_bits=4, softmax_output_dtype="log2",
            norm_input_bits=8, gelu_input_bits=8, **_INT,
        ),
        QuantScheme(
            "sole", "w8a8 GEMMs; E2Softmax (int8 in, 4-bit log2 exp codes, uint8 out); "
            "AILayerNorm (int8 PTF in, int8 out)  [SOLE, ICCAD'23]",
            weight_bits=8, gemm_input_bits=8, residual_bits=8, softmax_input_bits=8,
            softmax_intermediate_bits=4, softmax_output_bits=8, softmax_output_dtype="uint",
            norm_input_bits=8, gelu_input_bits=8, **_INT,
        ),
    )
}


def get_scheme(name: str) -> QuantScheme:
    try:
        return SCHEMES[name]
    except KeyError:
        raise TraceError(
            f"unknown quantization scheme {name!r}: {did_you_mean(name, SCHEMES)}", key="quant"
        ) from None
