"""What an import tells the user beside the trace (lines, no printing: the CLI prints them)."""

from __future__ import annotations

from collections import Counter

from accelsim.workload.trace import Trace


def import_notes(trace: Trace) -> list[str]:
    """Operators run as vector work (``--unknown-ops vector``) and, for a quantized graph, the
    operators that stayed float (they run on the FP fallback unit / at float precision)."""
    lines = []
    warned = trace.meta.get("warnings", ())
    if warned:
        lines.append(f"{len(warned)} operator(s) without a mapping run as element-wise vector "
                     f"work (--unknown-ops vector): {', '.join(warned)}")
    float_ops = trace.meta.get("float_ops", ())
    if trace.meta.get("quantized") and trace.quant == "graph":
        if float_ops:
            kinds = Counter(op.kind for op in trace.ops if op.name in set(float_ops))
            summary = ", ".join(f"{n} {k}" for k, n in kinds.items())
            lines.append(f"{len(float_ops)} operator(s) stayed float ({summary}; the float "
                         f"softmax/LayerNorm/GELU run on the FP32 fallback unit): "
                         f"{_shorten(float_ops)}")
        else:
            lines.append("every operator is quantized (none stayed float)")
    if trace.quant == "graph":
        gemms = _gemm_note(trace)
        if gemms:
            lines.append(gemms)
    return lines


def _gemm_note(trace: Trace) -> str:
    """The array's operators by MAC precision (the widest operand, as the engine runs them)
    and the operand types the graph gave them, most common first."""
    precision: Counter[str] = Counter()
    for op in trace.ops:
        if op.macs:
            a, b = (trace.tensor(t) for t in op.inputs[:2])
            dtype = "fp" if "fp" in (a.dtype, b.dtype) else "int"
            precision[f"{op.kind} {dtype}{max(a.bits, b.bits)}"] += 1
    if not precision:
        return ""
    types = Counter(trace.meta.get("quant", {}).values())
    detail = "; ".join(f"{n} x {text}" for text, n in types.most_common(4))
    more = f"; {len(types) - 4} more forms" if len(types) > 4 else ""
    return (f"GEMMs on the array: {', '.join(f'{n} {k}' for k, n in precision.items())}"
            + (f" (operands -> output from the graph: {detail}{more})" if detail else ""))


def _shorten(names: tuple[str, ...], limit: int = 12) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")
