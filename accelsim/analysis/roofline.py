"""Roofline: roofs of an arch, per-layer placement, and the survey's analytical reference table.

Conventions (DESIGN.md "Roofline"):
  * ops: 1 MAC = 2 ops; non-GEMM ops count the per-element ops of ``workload.ops``.
  * x (arithmetic intensity) = ops / DRAM bytes of the layer *as simulated* (after tiling and
    fusion): ``LayerResult.ops / (dram_read_bytes + dram_write_bytes)``; a layer that never
    touches DRAM (fused on chip) has infinite intensity and sits under its compute roof.
  * y (attained) = ops / (span cycles / clock), the span being ``end_cycle - start_cycle``.
  * compute roofs: GEMM layers use the array's peak for their operand precision
    (rows x cols x MACs/PE/cycle x 2 x clock, ``ArchSpec.peak_ops_per_s``); non-GEMM layers use
    the roof of the unit they ran on: lanes x (ops per element of the op) x clock. A unit takes
    at most ``lanes`` elements per cycle, so this bounds every non-GEMM layer, whatever the
    number of passes the unit actually needs (multi-pass ops sit below it).
  * memory roof: effective DRAM bandwidth (``bandwidth_gbps x efficiency``) x intensity.
  * on-chip roof: each buffer's read port moves at most ``read_bytes_per_cycle`` per cycle,
    so a layer whose units read b_i bytes from buffer i needs at least max_i(b_i / port_i)
    cycles: roof = ops x clock / max_i(b_i / port_i), the busiest port deciding (for layers
    that read SRAM). Ports are not pooled: a wide output port does not feed a starved input
    port. The DMA's write-back reads are left out, as the engine does not time them.
  * roof of a layer = min of those; ``bound`` names the smallest (compute | memory | on-chip).

Reference devices (``kind: reference``, e.g. rtx4090) are evaluated analytically with the ViT
quantization survey's counting convention (Du, Gong, Chu, arXiv 2405.00314, section II): no
tiling and no fusion, every op reads each input tensor once and writes each output once
(bytes = ceil(elements x bits / 8)), attained = min(peak, intensity x bandwidth).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from accelsim.analysis.records import LayerResult, SimResult
from accelsim.arch.spec import ArchSpec
from accelsim.workload.ops import GEMM_KINDS
from accelsim.workload.trace import Trace

BOUNDS = ("compute", "memory", "on-chip")

#: survey operator names by the last part of an op name inside a block (models.py naming)
OPERATOR_OF_SUFFIX = {
    "q": "q_proj", "k": "k_proj", "v": "v_proj", "proj": "out_proj", "qk": "qk_matmul",
    "sv": "sv_matmul", "softmax": "softmax", "fc1": "fc1", "fc2": "fc2", "gelu": "gelu",
    "ln1": "norm", "ln2": "norm", "add1": "add", "add2": "add", "attn_bias_add": "add",
}
#: order of the survey's per-operator rows
OPERATOR_ORDER = ("q_proj", "k_proj", "v_proj", "qk_matmul", "softmax", "sv_matmul",
                  "out_proj", "fc1", "gelu", "fc2", "norm", "add", "requant")
#: Kim et al., arXiv 2302.14017, Table 3: an encoder layer's operators in four groups; "other"
#: is every non-matmul op of the layer (softmax, LayerNorm, GELU, residual adds -- and the
#: requants of an integer scheme, Swin's attention-bias add)
CATEGORY_OF_OPERATOR = {
    "q_proj": "MHA projections", "k_proj": "MHA projections", "v_proj": "MHA projections",
    "out_proj": "MHA projections", "qk_matmul": "attention matmuls",
    "sv_matmul": "attention matmuls", "fc1": "FFN", "fc2": "FFN",
}
CATEGORY_ORDER = ("MHA projections", "attention matmuls", "FFN", "other")


@dataclass(frozen=True)
class Roofs:
    """The ceilings of one device, in ops/s and bytes/s."""

    arch: str
    kind: str  # accelerator | reference
    clock_hz: float
    compute_ops_per_s: dict[str, float]  # by operand precision
    dram_bytes_per_s: float
    #: read port of each buffer role, bytes/s (accelerators; empty for reference devices)
    sram_read_bytes_per_s: dict[str, float] = field(default_factory=dict)
    unit_lanes: dict[str, int] = field(default_factory=dict)  # non-GEMM units

    def ridge(self, precision: str) -> float:
        """Ridge point (ops/byte) of a precision's compute roof against DRAM."""
        return self.compute_roof(precision) / self.dram_bytes_per_s

    def compute_roof(self, precision: str) -> float:
        """Peak at ``precision``. A precision an accelerator does not list runs at the array's
        slowest listed rate (``ArraySpec.mac_rate``, what the engine times); on a reference
        device it runs on the narrowest wider precision of its kind (int4 on an int8 tensor
        core: the int8 peak), else at the lowest peak."""
        if precision in self.compute_ops_per_s:
            return self.compute_ops_per_s[precision]
        if self.kind == "accelerator":
            return min(self.compute_ops_per_s.values())
        kind, bits = _split_precision(precision)
        wider = [(b, p) for p in self.compute_ops_per_s
                 for k, b in [_split_precision(p)] if k == kind and b >= bits]
        if wider:
            return self.compute_ops_per_s[min(wider)[1]]
        return min(self.compute_ops_per_s.values())

    def onchip_seconds(self, sram_read_bytes: dict[str, int]) -> float:
        """Least time the buffers' read ports need to deliver these bytes (busiest port)."""
        return max((nbytes / self.sram_read_bytes_per_s[role]
                    for role, nbytes in sram_read_bytes.items()
                    if nbytes and role in self.sram_read_bytes_per_s), default=0.0)

    def unit_roof(self, unit: str, ops_per_element: float) -> float:
        """lanes x ops per element x clock (ops/s) of a non-GEMM unit."""
        return self.unit_lanes.get(unit, 1) * ops_per_element * self.clock_hz

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ridge_ops_per_byte"] = {p: self.ridge(p) for p in sorted(self.compute_ops_per_s)}
        return data


def _split_precision(precision: str) -> tuple[str, int]:
    """``"int8"`` -> ("int", 8); a name without a width -> (name, 0)."""
    kind = precision.rstrip("0123456789")
    digits = precision[len(kind):]
    return kind, int(digits) if digits else 0


@dataclass(frozen=True)
class Placement:
    """One layer on the roofline. Intensities are ``math.inf`` for layers with no bytes."""

    name: str
    kind: str
    block: str
    unit: str
    precision: str
    ops: int
    dram_bytes: int
    sram_bytes: int
    seconds: float
    intensity: float  # ops per DRAM byte
    sram_intensity: float  # ops per SRAM byte read (all buffers)
    attained_ops_per_s: float
    compute_roof_ops_per_s: float
    roof_ops_per_s: float
    roof_fraction: float
    bound: str
    onchip_roof_ops_per_s: float = math.inf  # ops / busiest read port's time (inf: no reads)
    onchip_seconds: float = 0.0  # that port's time

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: infinite intensities become ``None``."""
        return {k: (None if isinstance(v, float) and math.isinf(v) else v)
                for k, v in asdict(self).items()}


@dataclass(frozen=True)
class OperatorRow:
    """One operator type of a transformer block, summed over its layers in a block (see
    ``operator_table``). ``ops``, ``bytes`` and ``seconds`` are per block; ``bytes`` are DRAM
    bytes read + written (survey convention on a reference device, as simulated on an
    accelerator)."""

    operator: str
    per_block: int  # layers of this type in one block
    ops: int | float  # per block (an integer whenever every block holds the same ops)
    bytes: int | float  # memory operations per block (bytes)
    intensity: float  # ops / bytes
    attained_ops_per_s: float  # ops / seconds
    bound: str
    seconds: float = 0.0  # per block: the layers' summed times
    roof_ops_per_s: float = 0.0  # the row's roof (same rule as a layer's, summed over layers)


# ------------------------------------------------------------------ roofs
def arch_roofs(spec: ArchSpec) -> Roofs:
    """Roofs of an accelerator (from its array, units, buffers, DRAM) or a reference device."""
    dram = spec.dram.bandwidth_gbps * spec.dram.efficiency * 1e9
    if spec.kind == "reference" or spec.array is None:
        assert spec.roofline is not None
        peaks = {p: t * 1e12 for p, t in spec.roofline.peak_tops.items()}
        return Roofs(spec.name, "reference", spec.clock_hz, peaks, dram)
    peaks = {p: spec.peak_ops_per_s(p) for p in spec.array.macs_per_pe_per_cycle}
    assert spec.buffers is not None
    ports = {r: spec.buffers.role(r).read_bytes_per_cycle * spec.clock_hz
             for r in ("input", "weight", "output")}
    sfu = spec.sfu
    lanes = {u: getattr(sfu, u).lanes for u in ("e2softmax", "ailayernorm", "vector", "fp32")}
    return Roofs(spec.name, "accelerator", spec.clock_hz, peaks, dram, ports, lanes)


def result_arch(result: SimResult) -> ArchSpec:
    """The ArchSpec a SimResult was simulated on (rebuilt from its dump)."""
    return ArchSpec.model_validate({"name": result.arch_name, **result.arch})


def _ratio(num: float, den: float) -> float:
    return num / den if den else math.inf


def _bounded(compute: float, intensity: float, bandwidth: float,
             onchip: float = math.inf) -> tuple[float, str]:
    """(roof in ops/s, bound): the smallest of the compute, memory and on-chip roofs; a tie
    (within float rounding, e.g. a 32 B/cycle port feeding a 32-row array exactly) goes to
    the first of compute, memory, on-chip."""
    candidates = [(compute, "compute"), (intensity * bandwidth, "memory"), (onchip, "on-chip")]
    least = min(value for value, _ in candidates)
    return next((value, bound) for value, bound in candidates if value <= least * (1 + 1e-9))


def place_layer(layer: LayerResult, roofs: Roofs) -> Placement:
    """A simulated layer on its roofline (see module docstring)."""
    if layer.kind in GEMM_KINDS or layer.unit == "array":
        compute = roofs.compute_roof(layer.precision)
    else:
        per_element = layer.ops / layer.elements if layer.elements else 1.0
        compute = roofs.unit_roof(layer.unit, per_element)
    seconds = layer.cycles / roofs.clock_hz
    sram = sum(layer.sram_read_bytes.values())
    intensity = _ratio(layer.ops, layer.dram_bytes)
    # the DMA's write-back reads of the output buffer are not timed against the port (the
    # engine's convention, README "Approximations"): only the units' own reads bound the layer
    reads = dict(layer.sram_read_bytes)
    if "output" in reads:
        reads["output"] = max(reads["output"] - layer.dram_write_bytes, 0)
    port_seconds = roofs.onchip_seconds(reads)
    onchip = _ratio(layer.ops, port_seconds)
    roof, bound = _bounded(compute, intensity, roofs.dram_bytes_per_s, onchip)
    attained = layer.ops / seconds if seconds else 0.0
    return Placement(layer.name, layer.kind, layer.block, layer.unit, layer.precision, layer.ops,
                     layer.dram_bytes, sram, seconds, intensity, _ratio(layer.ops, sram),
                     attained, compute, roof, attained / roof if roof else 0.0, bound, onchip,
                     port_seconds)


def place_result(result: SimResult) -> tuple[Roofs, list[Placement]]:
    """Roofs of the simulated arch and every layer's placement, in layer order."""
    roofs = arch_roofs(result_arch(result))
    return roofs, [place_layer(layer, roofs) for layer in result.layers]


# ------------------------------------------------------------------ reference devices
def _op_precision(trace: Trace, op) -> str:
    tensors = [trace.tensor(t) for t in op.inputs[: 2 if op.macs else 1]]
    dtype = "fp" if any(t.dtype == "fp" for t in tensors) else "int"
    return f"{dtype}{max(t.bits for t in tensors)}"


def op_memory_bytes(trace: Trace, op) -> int:
    """Survey convention: every input read once, every output written once."""
    return sum(trace.tensor(t).size_bytes for t in (*op.inputs, *op.outputs))


def reference_placements(spec: ArchSpec, trace: Trace) -> tuple[Roofs, list[Placement]]:
    """Analytical roofline of every op of ``trace`` on ``spec`` (no tiling, no engine)."""
    roofs = arch_roofs(spec)
    out = []
    for op in trace.ops:
        precision = _op_precision(trace, op)
        nbytes = op_memory_bytes(trace, op)
        peak = roofs.compute_roof(precision)
        intensity = _ratio(op.ops, nbytes)
        attained = min(peak, intensity * roofs.dram_bytes_per_s)
        bound = "compute" if attained >= peak else "memory"
        unit = "array" if op.kind in GEMM_KINDS else "sfu"
        out.append(Placement(op.name, op.kind, op.block, unit, precision, op.ops, nbytes, 0,
                             op.ops / attained if attained else 0.0, intensity, math.inf,
                             attained, peak, attained, 1.0 if attained else 0.0, bound))
    return roofs, out


def operator_of(name: str, block: str) -> str | None:
    """Survey operator type of a block op (``block3.q`` -> ``q_proj``); None outside blocks."""
    if not block or not name.startswith(block + "."):
        return None
    rest = name[len(block) + 1:]
    if rest.endswith(".requant"):
        return "requant"
    return OPERATOR_OF_SUFFIX.get(rest)


def transformer_blocks(placements: Iterable[Placement]) -> list[str]:
    """Blocks holding at least one survey operator other than ``requant`` (``block0``..,
    ``stage1.block3``..), in first-appearance order: the patch embedding, the head and Swin's
    patch-merging blocks only hold ops outside the survey's per-block table (and requants)."""
    blocks: dict[str, None] = {}
    for p in placements:
        if operator_of(p.name, p.block) not in (None, "requant"):
            blocks.setdefault(p.block)
    return list(blocks)


def _per_block(total: int | float, n: int) -> int | float:
    return total // n if isinstance(total, int) and total % n == 0 else total / n


def operator_table(placements: Sequence[Placement], roofs: Roofs) -> list[OperatorRow]:
    """Per operator type per transformer block, as the survey tabulates them.

    * Only layers inside transformer blocks (``transformer_blocks``) count: the patch
      embedding, the head and Swin's patch merging -- and the requants fused into them -- are
      not part of any row.
    * ``per_block``: layers of the type in one block (q_proj 1, norm 2, add 2 -- 3 with an
      attention bias --, requant one per quantized GEMM/matmul output); ops, bytes and seconds
      are summed over the type's layers in all transformer blocks and divided by the number of
      blocks (exact integers when every block is the same, as in ViT/DeiT; the mean block
      otherwise, e.g. across Swin stages).
    * intensity = ops / bytes; attained = ops / seconds, the time actually spent: a simulated
      layer's own span (``end_cycle - start_cycle``) over the clock, exactly as in the
      per-layer table; a reference device's analytical time (ops / min(peak, x . bandwidth)).
      Fused epilogue ops (requant, GELU, the softmax of a fused attention group) overlap their
      producer, so their span runs alongside the GEMM's: we keep each layer's own span (not
      the group's primary op time), so the row reports the rate the operator sustained while
      in flight -- ``attained`` of a single-layer row equals that layer's measured value, and
      rows' seconds are not additive (they over-count the block's latency).
    * roof and bound: the per-layer rule applied to the row's sums -- the compute roof is
      ops / sum(layer ops / layer compute roof) (array peak at the operand precision for
      GEMMs, lanes x ops/element x clock of the unit for the others), the memory roof
      intensity x effective DRAM bandwidth, the on-chip roof (accelerators) ops / the sum of
      the layers' busiest-port times; the roof is the smallest and ``bound`` names it. Every layer
      attains at most its roof, so every row does too. On a reference device whose ops of a
      type all sit on the same side of the ridge this is the survey's
      min(peak, intensity x bandwidth)."""
    blocks = set(transformer_blocks(placements))
    acc: dict[str, list[Any]] = {}
    for p in placements:
        operator = operator_of(p.name, p.block)
        if operator is None or p.block not in blocks:
            continue
        row = acc.setdefault(operator, [0, 0, 0, 0.0, 0.0, 0.0, set()])
        row[0] += 1
        row[1] += p.ops
        row[2] += p.dram_bytes
        row[3] += p.onchip_seconds
        row[4] += p.seconds
        if p.compute_roof_ops_per_s:
            row[5] += p.ops / p.compute_roof_ops_per_s  # seconds at the compute roof
        row[6].add(p.compute_roof_ops_per_s)
    n = max(len(blocks), 1)
    rows = []
    for operator in OPERATOR_ORDER:
        if operator not in acc:
            continue
        count, ops, nbytes, port_seconds, seconds, compute_seconds, computes = acc[operator]
        if len(computes) == 1 or not compute_seconds:  # one roof: exact, no rounding
            compute = min(computes)
        else:
            compute = ops / compute_seconds
        intensity = _ratio(ops, nbytes)
        roof, bound = _bounded(compute, intensity, roofs.dram_bytes_per_s,
                               _ratio(ops, port_seconds))
        attained = ops / seconds if seconds else 0.0
        rows.append(OperatorRow(operator, round(count / n), _per_block(ops, n),
                                _per_block(nbytes, n), intensity, attained, bound, seconds / n,
                                roof))
    return rows


@dataclass(frozen=True)
class CategoryRow:
    """One row of the survey's Table 3 layout (``category_table``): an operator group summed
    over *all* transformer blocks (not per block). ``bytes``: memory operations in bytes."""

    category: str  # MHA projections | attention matmuls | FFN | other | total
    operators: tuple[str, ...]  # the operator types it holds
    layers: int
    ops: int
    bytes: int
    intensity: float  # ops / bytes
    seconds: float  # the layers' summed times


def category_table(placements: Sequence[Placement]) -> list[CategoryRow]:
    """Kim et al. (arXiv 2302.14017) Table 3: MHA projections (q, k, v, out), attention matmuls
    (QK^T, SV), FFN (fc1, fc2), other (everything else in a transformer block) and total, over
    every transformer block (``transformer_blocks``: embeddings, head, patch merging excluded).
    On a reference device bytes follow the survey's convention (each operand read once, each
    result written once); the survey counts elements, so at fp16 its intensity is 2x ours."""
    blocks = set(transformer_blocks(placements))
    acc: dict[str, list[Any]] = {c: [set(), 0, 0, 0, 0.0] for c in CATEGORY_ORDER}
    for p in placements:
        operator = operator_of(p.name, p.block)
        if operator is None or p.block not in blocks:
            continue
        row = acc[CATEGORY_OF_OPERATOR.get(operator, "other")]
        row[0].add(operator)
        row[1] += 1
        row[2] += p.ops
        row[3] += p.dram_bytes
        row[4] += p.seconds
    rows = [CategoryRow(c, tuple(o for o in OPERATOR_ORDER if o in ops), n, o, b, _ratio(o, b),
                        t)
            for c, (ops, n, o, b, t) in acc.items() if n]
    if rows:
        rows.append(CategoryRow("total", tuple(o for r in rows for o in r.operators),
                                sum(r.layers for r in rows), sum(r.ops for r in rows),
                                sum(r.bytes for r in rows),
                                _ratio(sum(r.ops for r in rows), sum(r.bytes for r in rows)),
                                sum(r.seconds for r in rows)))
    return rows


@dataclass(frozen=True)
class OperatorGrowth:
    """How one operator type scales between two runs (e.g. 224 -> 384 pixels), per block."""

    operator: str
    ops_ratio: float
    bytes_ratio: float
    intensity_before: float
    intensity_after: float


def operator_growth(before: Sequence[OperatorRow],
                    after: Sequence[OperatorRow]) -> list[OperatorGrowth]:
    """Per-block ops and bytes of ``after`` over ``before`` for the operators both have: the
    survey's point that attention matmuls and softmax grow with the square of the token count
    (577/197 tokens from 224 to 384 px: 8.6x) while projections and MLPs grow linearly (2.9x)."""
    old = {row.operator: row for row in before}
    return [OperatorGrowth(row.operator, _ratio(row.ops, old[row.operator].ops),
                           _ratio(row.bytes, old[row.operator].bytes),
                           old[row.operator].intensity, row.intensity)
            for row in after if row.operator in old]
