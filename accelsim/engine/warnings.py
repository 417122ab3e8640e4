"""Honest defaults: the modelling choices a run makes that its inputs did not ask for, as plain
sentences (returned as data on ``SimResult.warnings``; the CLI prints them on stderr, library code
never prints). Four cases (issue 18): a precision the array has no MAC rate for, units the arch
file did not describe, a quantization scheme that assumes units the arch lacks, and values outside
what any real accelerator has (a typo such as ``clock_hz: 1000``)."""

from __future__ import annotations

from accelsim.arch.spec import ArchSpec
from accelsim.engine.tile_costs import op_precision
from accelsim.workload.trace import Trace

#: plausible ranges of an accelerator's parameters: (attribute path, low, high, unit label)
PLAUSIBLE = (
    ("clock_hz", 1e6, 1e10, "Hz"),
    ("dram.bandwidth_gbps", 0.1, 2e4, "GB/s"),
    ("dram.latency_ns", 1.0, 1e4, "ns"),
)
#: the schemes whose softmax/LayerNorm bit widths are those of SOLE's units (E2Softmax, AILayerNorm)
SOLE_SCHEMES = ("sole",)


def run_warnings(arch: ArchSpec, trace: Trace) -> tuple[str, ...]:
    """Every honest-default warning of simulating ``trace`` on ``arch``, in a fixed order."""
    if arch.kind != "accelerator":
        return ()
    return (*spec_warnings(arch), *_precision_warnings(arch, trace),
            *_scheme_warnings(arch, trace))


def spec_warnings(arch: ArchSpec) -> tuple[str, ...]:
    """Defaulted units and implausible values of an accelerator spec (no trace needed)."""
    out: list[str] = []
    if arch.kind != "accelerator" or arch.array is None or arch.buffers is None:
        return ()
    if "sfu" not in arch.model_fields_set:
        out.append(f"{arch.name}: no 'sfu' section, so softmax/LayerNorm run on default SOLE "
                   f"units (e2softmax {arch.sfu.e2softmax.lanes} lanes, ailayernorm "
                   f"{arch.sfu.ailayernorm.lanes} lanes, vector {arch.sfu.vector.lanes} lanes); "
                   "describe the units the design has (sfu.kind: sole | fp32)")
    elif "kind" not in arch.sfu.model_fields_set:
        out.append(f"{arch.name}: sfu.kind not given, defaulted to 'sole' (E2Softmax/"
                   "AILayerNorm units)")
    if "macs_per_pe_per_cycle" not in arch.array.model_fields_set:
        out.append(f"{arch.name}: array.macs_per_pe_per_cycle not given, defaulted to "
                   "{int8: 1}: every precision runs at 1 MAC/PE/cycle")
    for path, low, high, unit in PLAUSIBLE:
        value = _attr(arch, path)
        if not low <= value <= high:
            out.append(f"{arch.name}: {path} = {value:g} {unit} is physically implausible "
                       f"(expected {low:g} to {high:g} {unit}); a missing unit suffix "
                       "(e.g. 1GHz, 25.6GB/s)?")
    for role in ("input", "weight", "output"):
        size = arch.buffers.role(role).size_bytes
        if size < 1024 or size > 2**30:
            out.append(f"{arch.name}: buffers.{role} = {size:,} B is physically implausible "
                       "for an on-chip buffer (expected 1 KiB to 1 GiB)")
    pes = arch.array.pe_count
    if pes > 2**18:
        out.append(f"{arch.name}: a {arch.array.rows}x{arch.array.cols} array "
                   f"({pes:,} PEs) is physically implausible (largest built: 256x256)")
    return tuple(out)


def _attr(obj: object, path: str) -> float:
    for part in path.split("."):
        obj = getattr(obj, part)
    return float(obj)  # type: ignore[arg-type]


def _precision_warnings(arch: ArchSpec, trace: Trace) -> list[str]:
    """GEMM operand precisions with no entry in array.macs_per_pe_per_cycle (they run at the
    slowest listed rate, ArraySpec.mac_rate)."""
    assert arch.array is not None
    rates = arch.array.macs_per_pe_per_cycle
    unlisted: dict[str, int] = {}
    for op in trace.ops:
        if op.macs:
            precision = op_precision(trace, op)
            if precision not in rates:
                unlisted[precision] = unlisted.get(precision, 0) + 1
    listed = ", ".join(f"{p}: {r}" for p, r in sorted(rates.items()))
    return [f"{arch.name}: {precision} GEMM operands ({count} layer{'s' if count > 1 else ''}) "
            f"have no entry in array.macs_per_pe_per_cycle ({{{listed}}}): they run at "
            f"{arch.array.mac_rate(precision)} MAC/PE/cycle, the slowest listed rate"
            for precision, count in sorted(unlisted.items())]


def _scheme_warnings(arch: ArchSpec, trace: Trace) -> list[str]:
    kinds = {op.kind for op in trace.ops}
    if not kinds & {"softmax", "layernorm"}:
        return []
    if trace.quant in SOLE_SCHEMES and arch.sfu.kind != "sole":
        return [f"{arch.name}: scheme '{trace.quant}' assumes E2Softmax/AILayerNorm units, but "
                f"the arch has sfu.kind: {arch.sfu.kind}: softmax and LayerNorm run on the "
                "FP32 fallback unit (the scheme's bit widths, the fallback's timing)"]
    floats = any(t.dtype == "fp" for op in trace.ops if op.kind in ("softmax", "layernorm")
                 for t in (trace.tensor(op.inputs[0]),))
    if floats and arch.sfu.kind == "sole":
        return [f"{arch.name}: scheme '{trace.quant}' feeds float softmax/LayerNorm inputs to "
                "SOLE's integer units: E2Softmax/AILayerNorm are int8-input designs, timed "
                "here per element whatever the input width"]
    return []
