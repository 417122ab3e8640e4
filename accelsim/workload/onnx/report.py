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
    return lines


def _shorten(names: tuple[str, ...], limit: int = 12) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")
