"""Default energy and area tables at 45 nm, derived from published primitive costs.

Primitive energies and areas: M. Horowitz, "Computing's energy problem (and what we can do about
it)", ISSCC 2014, 45 nm, 0.9 V (energy table and the area table next to it). Every composite
default below is a sum of these primitives over a stated op mix, so that a reader can re-derive
it; every number that is not Horowitz's is marked ``assumption``. Pure constants, no behaviour.
"""

from __future__ import annotations

#: Horowitz ISSCC'14, 45 nm: energy per operation in pJ
HOROWITZ_45NM_PJ: dict[str, float] = {
    "int8_add": 0.03,
    "int32_add": 0.1,
    "int8_mult": 0.2,
    "int32_mult": 3.1,
    "fp16_add": 0.4,
    "fp16_mult": 1.1,
    "fp32_add": 0.9,
    "fp32_mult": 3.7,
}
#: Horowitz ISSCC'14, 45 nm: area per operator in um^2
HOROWITZ_45NM_UM2: dict[str, float] = {
    "int8_add": 36.0,
    "int16_add": 67.0,
    "int32_add": 137.0,
    "int8_mult": 282.0,
    "int32_mult": 3495.0,
    "fp16_add": 1360.0,
    "fp16_mult": 1640.0,
    "fp32_add": 4184.0,
    "fp32_mult": 7700.0,
}
#: Horowitz ISSCC'14: 64-bit SRAM read, 45 nm: 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ -> pJ/byte
SRAM_READ_PJ_PER_BYTE_BY_KIB: tuple[tuple[float, float], ...] = (
    (8.0, 10.0 / 8), (32.0, 20.0 / 8), (1024.0, 100.0 / 8))
#: Horowitz ISSCC'14: DRAM 1.3-2.6 nJ per 64-bit access, i.e. 20-40 pJ/bit; the issue quotes the
#: low end (~640 pJ per 32 bits = 20 pJ/bit) -> 160 pJ/byte. Off-chip: not scaled with the node.
DRAM_PJ_PER_BYTE = 640.0 / 4

_E = HOROWITZ_45NM_PJ
_A = HOROWITZ_45NM_UM2
# assumption: a 16-bit integer add costs between the 8- and 32-bit adds (linear in width) and a
# 16-bit integer multiply a quarter of the 32-bit one (array multipliers grow with width^2)
INT16_ADD_PJ = _E["int8_add"] + (_E["int32_add"] - _E["int8_add"]) * (16 - 8) / (32 - 8)
INT16_MULT_PJ = _E["int32_mult"] * (16 / 32) ** 2
INT16_MULT_UM2 = _A["int32_mult"] * (16 / 32) ** 2
# assumption: a 16-entry (4-bit) lookup or a barrel shift on <=16 bits costs about one 8-bit add
SMALL_LUT_OR_SHIFT_PJ = _E["int8_add"]
# a unit's local scratch buffer is small (<= 8 KB): Horowitz's 8 KB figure, pJ per byte
LOCAL_BUFFER_PJ_PER_BYTE = SRAM_READ_PJ_PER_BYTE_BY_KIB[0][1]
# int -> float dequantize and float -> int requantize: one FP32 multiply by the scale plus a
# conversion/rounding costed as an FP32 add (assumption)
_DEQUANT = _E["fp32_mult"] + _E["fp32_add"]
_REQUANT = _E["fp32_mult"] + _E["fp32_add"]
# assumption: FP32 exp = range reduction + degree-3 polynomial ~ 4 multiplies + 4 adds
_FP32_EXP = 4 * _E["fp32_mult"] + 4 * _E["fp32_add"]
# assumption: FP32 reciprocal by two Newton steps after a seed ~ 4 multiplies + 2 adds
_FP32_RECIP = 4 * _E["fp32_mult"] + 2 * _E["fp32_add"]
# integer requantize of an int32 accumulator: 16-bit multiplier, 32-bit rounding add, 8-bit clip
_INT_REQUANT = INT16_MULT_PJ + _E["int32_add"] + _E["int8_add"]

#: MAC = multiply at the operand precision + add into the accumulator (pJ, 45 nm).
#: int: 32-bit accumulator add (Horowitz 0.1 pJ); fp: FP32 accumulation (mixed precision).
MAC_PJ_BY_PRECISION: dict[str, float] = {
    # assumption: multiplier energy ~ width^2 below 8 bits (0.2 * (b/8)^2)
    "int2": _E["int8_mult"] * (2 / 8) ** 2 + _E["int32_add"],
    "int4": _E["int8_mult"] * (4 / 8) ** 2 + _E["int32_add"],
    "int8": _E["int8_mult"] + _E["int32_add"],  # 0.2 + 0.1 = 0.3
    "int16": INT16_MULT_PJ + _E["int32_add"],  # 0.775 + 0.1
    # assumption: FP8 multiply ~ the 8-bit integer one (3-4 bit mantissas) + FP32 accumulate
    "fp8": _E["int8_mult"] + _E["fp32_add"],
    "fp16": _E["fp16_mult"] + _E["fp32_add"],  # 1.1 + 0.9
    "bf16": _E["fp16_mult"] + _E["fp32_add"],  # assumption: as fp16 (8-bit mantissa is cheaper)
    "fp32": _E["fp32_mult"] + _E["fp32_add"],  # 3.7 + 0.9
}
MAC_PJ_BY_PRECISION = {k: round(v, 6) for k, v in MAC_PJ_BY_PRECISION.items()}

#: Energy per element of each special-function unit (pJ, 45 nm), from the op mix in comments.
#: The unit's input reads and output writes are in the engine's SRAM counters already; these
#: figures cover the datapath plus the unit's own intermediate buffer.
SFU_PJ_PER_ELEMENT: dict[str, float] = {
    # E2Softmax (SOLE): pass 1 = max compare, subtract max, x + (x>>1) - (x>>4) (2 adds),
    # shift-add of 2^-k into a 16-bit sum: 5 int8 adds + 1 int16 add; the 4-bit code k is
    # written and read back once (0.5 B + 0.5 B); pass 2 = k_i + k_s, output shift, mantissa
    # correction select: 3 int8-add equivalents
    "e2softmax": 5 * _E["int8_add"] + INT16_ADD_PJ + 1.0 * LOCAL_BUFFER_PJ_PER_BYTE
    + 3 * SMALL_LUT_OR_SHIFT_PJ,
    # AILayerNorm (SOLE): stage 1 = PTF shift, compress to 4 bits, 16-entry square LUT, shift
    # back (4 int8-add equivalents) + sum(x) and sum(x^2) accumulators (2 int32 adds); the 8-bit
    # token is buffered between stages (1 B write + 1 B read); stage 2 = subtract mean (int16
    # add), x rsqrt (int16 mult), x gamma (int8 mult), + beta (int16 add), round (int8 add)
    "ailayernorm": 4 * SMALL_LUT_OR_SHIFT_PJ + 2 * _E["int32_add"]
    + 2.0 * LOCAL_BUFFER_PJ_PER_BYTE
    + INT16_ADD_PJ + INT16_MULT_PJ + _E["int8_mult"] + INT16_ADD_PJ + _E["int8_add"],
    # integer vector unit, default op = requantize an int32 value
    "vector": _INT_REQUANT,
    # FP32 fallback, default op (add/requant/pool) = dequantize + FP32 add + requantize
    "fp32": _DEQUANT + _E["fp32_add"] + _REQUANT,
}
SFU_PJ_PER_ELEMENT = {k: round(v, 6) for k, v in SFU_PJ_PER_ELEMENT.items()}
#: per op-kind overrides of SFU_PJ_PER_ELEMENT (pJ, 45 nm)
SFU_PJ_PER_ELEMENT_BY_KIND: dict[str, dict[str, float]] = {
    "vector": {
        # rescale both int8 operands (2 int16 mults), int16 add, round
        "add": 2 * INT16_MULT_PJ + INT16_ADD_PJ + _E["int8_add"],
        # integer GELU (I-ViT ShiftGELU-like): ~6 shift/adds for the exponent, a 16-bit
        # restoring division ~8 int16 adds, one int16 multiply, requantize (assumption)
        "gelu": 14 * INT16_ADD_PJ + INT16_MULT_PJ + _INT_REQUANT,
    },
    "fp32": {
        # dequant, max compare, subtract, exp, sum, x (1/sum) (reciprocal once per row,
        # neglected), requant, plus the FP32 exponent written and read back (4 B + 4 B)
        "softmax": _DEQUANT + 3 * _E["fp32_add"] + _FP32_EXP + _E["fp32_mult"] + _REQUANT
        + 8.0 * LOCAL_BUFFER_PJ_PER_BYTE,
        # dequant, sum(x) add, x^2 mult + add, FP32 token buffered (4 B + 4 B), subtract mean,
        # x rsqrt (once per token, neglected), x gamma, + beta, requant
        "layernorm": _DEQUANT + 2 * _E["fp32_add"] + _E["fp32_mult"]
        + 8.0 * LOCAL_BUFFER_PJ_PER_BYTE
        + _E["fp32_add"] + 2 * _E["fp32_mult"] + _E["fp32_add"] + _REQUANT,
        # x * sigmoid(1.702 x): dequant, mult, exp, add, reciprocal, mult, requant
        "gelu": _DEQUANT + _E["fp32_mult"] + _FP32_EXP + _E["fp32_add"] + _FP32_RECIP
        + _E["fp32_mult"] + _REQUANT,
    },
}
SFU_PJ_PER_ELEMENT_BY_KIND = {unit: {k: round(v, 6) for k, v in kinds.items()}
                              for unit, kinds in SFU_PJ_PER_ELEMENT_BY_KIND.items()}

# assumption: a 45 nm flip-flop is ~4.5 um^2 per bit; an int8 WS PE holds an 8-bit weight, an
# 8-bit forwarded input and a 32-bit partial sum (48 bits)
_REGISTER_UM2_PER_BIT = 4.5
#: area of one int8 PE: 8-bit multiplier + 32-bit adder + 48 register bits (mm^2, 45 nm)
ARRAY_AREA_MM2_PER_PE = round(
    (_A["int8_mult"] + _A["int32_add"] + 48 * _REGISTER_UM2_PER_BIT) * 1e-6, 9)
#: SRAM area per KiB (mm^2, 45 nm): 8192 bit cells of 0.346 um^2 (Intel 45 nm 6T cell, Mistry
#: et al., IEDM 2007) at an assumed 60% array efficiency (periphery, sense amps, decoders)
SRAM_AREA_MM2_PER_KIB = round(8192 * 0.346 / 0.60 * 1e-6, 9)
_LUT16_UM2 = 16 * 8 * _REGISTER_UM2_PER_BIT  # 16 x 8-bit constant table as registers
_SFU_LANE_UM2 = {
    # 7 int8 adders (max, subtract, 2 for log2 exp, k+ks, correction, output) + int16 sum
    # adder + one barrel shifter (~2 int8 adders)
    "e2softmax": 9 * _A["int8_add"] + _A["int16_add"],
    # 4 int8 adders, 2 int32 accumulators, square LUT, int16 mult, int8 mult, 2 int16 adders
    "ailayernorm": 4 * _A["int8_add"] + 2 * _A["int32_add"] + _LUT16_UM2 + INT16_MULT_UM2
    + _A["int8_mult"] + 2 * _A["int16_add"],
    # requantize: int16 multiplier, int32 add, int8 clip
    "vector": INT16_MULT_UM2 + _A["int32_add"] + _A["int8_add"],
    # FP32 multiply + add, plus int<->float converters (~ one FP32 adder each)
    "fp32": _A["fp32_mult"] + 3 * _A["fp32_add"],
}
_SFU_SHARED_UM2 = {
    # ping-pong row buffer: 2 rows x 256 elements x 4-bit codes = 256 B (SRAM density)
    "e2softmax": 256 / 1024 * SRAM_AREA_MM2_PER_KIB * 1e6,
    # ping-pong token buffer 2 x 1024 channels x 8 bit = 2 KiB, + one int32 mult for rsqrt/mean
    "ailayernorm": 2 * SRAM_AREA_MM2_PER_KIB * 1e6 + _A["int32_mult"],
    "vector": 0.0,
    # ping-pong row buffer 2 x 256 x FP32 = 2 KiB
    "fp32": 2 * SRAM_AREA_MM2_PER_KIB * 1e6,
}
#: area per lane and shared area of each special-function unit (mm^2, 45 nm)
SFU_AREA_MM2_PER_LANE = {unit: round(um2 * 1e-6, 9) for unit, um2 in _SFU_LANE_UM2.items()}
SFU_AREA_MM2_SHARED = {unit: round(um2 * 1e-6, 9) for unit, um2 in _SFU_SHARED_UM2.items()}

#: assumption (no public source used): leakage power density of logic and SRAM at the arch's
#: node, mW per mm^2; static power of a component = its area x this density
LEAKAGE_MW_PER_MM2 = 10.0
