"""Cycle counts of the special-function units: SOLE's E2Softmax / AILayerNorm, the vector unit,
and a naive FP32 fallback. Pure functions of primitive arguments (no simpy, no specs).

Conventions shared by all functions here:
  * A unit with ``lanes`` lanes accepts one *beat* of ``lanes`` elements per cycle, so a vector
    of n elements takes ceil(n / lanes) issue cycles (the last beat may be partial).
  * ``pipeline_depth`` is the latency in cycles of one pass's datapath: a beat issued at cycle t
    has its result at t + pipeline_depth. A reduction's result (max, sum, statistics) is known
    ``pipeline_depth`` cycles after the last beat of the pass was issued.
  * Zero work costs zero cycles; negative sizes, lanes < 1 or negative depths raise ValueError.

Ops-per-element constants (for op counting and rooflines; DESIGN.md: "non-linear ops count ops
per element as documented"). Our choice, counted on the float algorithm, not on a given circuit:
  * softmax 5: max, subtract, exp, sum, divide;
  * layernorm 7: sum x, square, sum x^2 (statistics), subtract mean, scale by rsqrt, multiply
    gamma, add beta (the per-token mean/var/rsqrt are O(1) per row and not counted);
  * gelu 8: tanh form 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): x^2, x^3, * 0.044715,
    + x, * sqrt(2/pi), tanh, + 1, * 0.5 x;
  * add 1; requant 2: multiply by the dyadic scale, rounding shift (the clip is free).
"""

from __future__ import annotations

from accelsim.units import Bytes, Cycles, ceil_div, tensor_bytes
from accelsim.workload.ops import (  # noqa: F401 - defined once in workload.ops, re-exported
    ADD_OPS_PER_ELEMENT,
    GELU_OPS_PER_ELEMENT,
    LAYERNORM_OPS_PER_ELEMENT,
    REQUANT_OPS_PER_ELEMENT,
    SOFTMAX_OPS_PER_ELEMENT,
)

E2SOFTMAX_CODE_BITS = 4  # SOLE: the exponent intermediate is a 4-bit log2 code
INT8_INTERMEDIATE_BITS = 8  # what an 8-bit design (e.g. storing the int8 scores) would keep

# FP32 fallback pass structure (our reading of the float algorithms; see fp32_fallback_cycles).
FP32_SOFTMAX_PASSES = 3  # max; exp + sum; divide
FP32_SOFTMAX_SPECIAL_PASSES = 2  # exp and divide run on iterative units
FP32_LAYERNORM_PASSES = 3  # mean; variance; normalize + affine (rsqrt once per token)
FP32_LAYERNORM_SPECIAL_PASSES = 0
FP32_GELU_PASSES = 1
FP32_GELU_SPECIAL_PASSES = 1  # erf / tanh


def _check(**values: int) -> None:
    for name, value in values.items():
        minimum = 1 if name == "lanes" else 0
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def two_pass_pipeline_cycles(items: int, beats_per_pass: int, pipeline_depth: int) -> Cycles:
    """Cycles for ``items`` rows through a two-stage (two-pass) pipeline with a ping-pong buffer.

    Pass 1 of row r issues during [r T, (r + 1) T), T = ``beats_per_pass``; its reduction is
    known at (r + 1) T + d, d = ``pipeline_depth``. Pass 2 of row r needs it, and pass-2 issues
    are serial, so pass 2 of row r issues during [(r + 1) T + d, (r + 2) T + d): each pass-2
    slot ends exactly when the next row's reduction is ready, so neither stage ever waits. The
    ping-pong buffer lets pass 1 of row r + 1 write its bank while pass 2 of row r reads the
    other. The bank row r + 1 overwrites was last read by pass 2 of row r - 1, which reads beat j
    at r T + d + j, T cycles before row r + 1 rewrites it at (r + 1) T + j + d: no stall. Pass 2
    of the last row R - 1 issues until (R + 1) T + d and its last result leaves d cycles later:

        total = (items + 1) * T + 2 * d        (0 when items == 0 or T == 0)
    """
    _check(items=items, beats_per_pass=beats_per_pass, pipeline_depth=pipeline_depth)
    if items == 0 or beats_per_pass == 0:
        return 0
    return (items + 1) * beats_per_pass + 2 * pipeline_depth


def e2softmax_cycles(rows: int, length: int, lanes: int, pipeline_depth: int) -> Cycles:
    """E2Softmax unit: ``rows`` rows of ``length`` scores (SOLE, E2Softmax unit).

    Pass 1 streams the row once computing the running max and the online-normalized sum and
    writing 4-bit codes; pass 2 streams the codes through ALDivision. Two stages with a ping-pong
    buffer between them: (rows + 1) * ceil(length / lanes) + 2 * pipeline_depth
    (see ``two_pass_pipeline_cycles`` for the derivation).
    """
    _check(rows=rows, length=length, lanes=lanes, pipeline_depth=pipeline_depth)
    return two_pass_pipeline_cycles(rows, ceil_div(length, lanes), pipeline_depth)


def ailayernorm_cycles(
    tokens: int,
    channels: int,
    lanes: int,
    pipeline_depth: int,
    stats_latency_cycles: int = 0,
) -> Cycles:
    """AILayerNorm unit: ``tokens`` tokens of ``channels`` channels (SOLE, AILayerNorm unit).

    Stage 1 streams the token accumulating sum x and sum x^2 (4-bit compressed squares); a
    per-token scalar step (mean, variance, rsqrt) then takes ``stats_latency_cycles``; stage 2
    streams the token again through normalize + affine. With the ping-pong buffer and a
    pipelined scalar step the derivation of ``two_pass_pipeline_cycles`` holds with the
    reduction known s = ``stats_latency_cycles`` later:

        total = (tokens + 1) * ceil(channels / lanes) + 2 * pipeline_depth + s

    Assumption: the scalar step accepts a new token every ceil(channels / lanes) cycles (it is
    pipelined or no slower than that); a slower iterative rsqrt would throttle the stream and is
    not modelled.
    """
    _check(
        tokens=tokens,
        channels=channels,
        lanes=lanes,
        pipeline_depth=pipeline_depth,
        stats_latency_cycles=stats_latency_cycles,
    )
    cycles = two_pass_pipeline_cycles(tokens, ceil_div(channels, lanes), pipeline_depth)
    return cycles + stats_latency_cycles if cycles else 0


def vector_cycles(
    elements: int, lanes: int, pipeline_depth: int, ops_per_element: int = 1
) -> Cycles:
    """Vector unit (GELU, residual add, requant): one pass of ``ops_per_element`` vector ops.

    Each vector op processes one beat of ``lanes`` elements per cycle and an element's ops are
    issued back to back, so ceil(elements / lanes) * ops_per_element + pipeline_depth.
    """
    _check(elements=elements, lanes=lanes, pipeline_depth=pipeline_depth)
    if not isinstance(ops_per_element, int) or ops_per_element < 1:
        raise ValueError(f"ops_per_element must be an integer >= 1, got {ops_per_element!r}")
    if elements == 0:
        return 0
    return ceil_div(elements, lanes) * ops_per_element + pipeline_depth


def fp32_fallback_cycles(
    elements: int,
    lanes: int,
    passes: int,
    pipeline_depth: int,
    dequant_quant_overhead_cycles_per_element: int = 2,
    special_function_passes: int = 0,
    special_function_cycles: int = 4,
) -> Cycles:
    """Naive FP32 fallback: dequantize -> float unit (``passes`` passes) -> requantize.

    The survey (Du, Gong, Chu, arXiv 2405.00314, section V.A; summarised in reference/sole.md)
    argues that sending the non-linear operators of a quantized ViT to FP32 units with
    dequantize/quantize around them eats the speed-up of the integer GEMMs; this function puts a
    number on that with deliberately simple assumptions:
      * the float unit has ``lanes`` FP32 lanes; a plain pass streams ceil(elements / lanes)
        beats at one beat per cycle;
      * ``special_function_passes`` of the passes use iterative exp / divide / erf units that
        accept a new beat every ``special_function_cycles`` cycles (not pipelined);
      * passes are dependent (each needs the previous pass's reduction), so each pays
        ``pipeline_depth`` of drain latency;
      * dequantization (int -> fp32, multiply by scale) and requantization (multiply, round,
        clip) cost ``dequant_quant_overhead_cycles_per_element`` lane-cycles per element in
        total, on the same lanes, not overlapped with the passes.

        total = (passes - sp) * B + sp * B * c + passes * d + ceil(elements * o / lanes)

    with B = ceil(elements / lanes), sp special passes of c cycles per beat, o the overhead.
    """
    _check(
        elements=elements,
        lanes=lanes,
        passes=passes,
        pipeline_depth=pipeline_depth,
        dequant_quant_overhead_cycles_per_element=dequant_quant_overhead_cycles_per_element,
        special_function_passes=special_function_passes,
    )
    if special_function_passes > passes:
        raise ValueError("special_function_passes cannot exceed passes")
    if not isinstance(special_function_cycles, int) or special_function_cycles < 1:
        raise ValueError(f"special_function_cycles must be >= 1, got {special_function_cycles!r}")
    if elements == 0 or passes == 0:
        return 0
    beats = ceil_div(elements, lanes)
    plain = (passes - special_function_passes) * beats
    special = special_function_passes * beats * special_function_cycles
    overhead = ceil_div(elements * dequant_quant_overhead_cycles_per_element, lanes)
    return plain + special + passes * pipeline_depth + overhead


def intermediate_bytes(
    rows: int, length: int, bits_per_element: int = E2SOFTMAX_CODE_BITS, banks: int = 2
) -> Bytes:
    """On-chip bytes of the softmax intermediate held between the two passes.

    ``banks`` (2 = ping-pong) banks each hold ``rows`` rows of ``length`` packed elements:
    banks * ceil(rows * length * bits / 8). SOLE keeps 4-bit codes (E2SOFTMAX_CODE_BITS), half
    of an 8-bit intermediate (INT8_INTERMEDIATE_BITS). The per-beat max-update shifts of our
    E2Softmax model (5 bits per ``lanes`` codes) are registers, not counted here.
    """
    _check(rows=rows, length=length, bits_per_element=bits_per_element, banks=banks)
    return banks * tensor_bytes(rows * length, bits_per_element)
