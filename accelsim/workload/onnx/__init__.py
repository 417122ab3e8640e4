"""ONNX import: a float, QDQ- or QOperator-quantized ``.onnx`` graph -> accelsim Trace.

Pipeline: ``graph`` (load structure, dims and types; never weight data) -> ``shapes`` (concrete
shape interpreter from the input shape) -> ``lower`` / ``gemm`` / ``patterns`` (nodes ->
accelsim ops, layout cost policy, epilogues) -> ``naming`` (op names, blocks) -> ``emit`` (bit
widths from the graph or a ``--quant`` scheme) -> a validated Trace like the built-in ones.
"""

from __future__ import annotations

import re
from pathlib import Path

from accelsim.errors import TraceError
from accelsim.workload.trace import Trace

UNKNOWN_OPS = ("error", "vector")


def parse_input_shape(text: str) -> dict[str, tuple[int, ...]]:
    """``1x3x224x224`` (the graph's only dynamic input) or ``name:1x3x224x224[;name2:...]``."""
    out: dict[str, tuple[int, ...]] = {}
    for part in text.split(";"):
        name, _sep, dims = part.strip().rpartition(":")
        if not re.fullmatch(r"\d+([x,]\d+)*", dims.strip()):
            raise TraceError("bad input shape", key="--input-shape", value=text,
                             expected="dims like 1x3x224x224, or NAME:1x3x224x224")
        shape = tuple(int(d) for d in re.split(r"[x,]", dims.strip()))
        if any(d <= 0 for d in shape):
            raise TraceError("input dims must be positive", key="--input-shape", value=text)
        out[name.strip()] = shape
    return out


def _input_shapes(graph, given: dict[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    unnamed = given.pop("", None)
    for key in given:
        if key not in graph.inputs:
            raise TraceError(f"the graph has no input {key!r} (inputs: "
                             f"{', '.join(graph.inputs)})", file=graph.path, key="--input-shape")
    for i, (name, (dims, _elem)) in enumerate(graph.inputs.items()):
        want = given.get(name, unnamed if i == 0 else None)
        if want is not None:
            if len(want) != len(dims) or any(d is not None and d != w
                                              for d, w in zip(dims, want, strict=True)):
                raise TraceError(f"does not fit input {name!r} of shape "
                                 f"{[d if d is not None else '?' for d in dims]}",
                                 file=graph.path, key="--input-shape", value=list(want))
            shapes[name] = want
        elif any(d is None for d in dims):
            raise TraceError(f"input {name!r} has dynamic dims "
                             f"{[d if d is not None else '?' for d in dims]}: give its shape "
                             "with --input-shape (e.g. 1x3x224x224)", file=graph.path)
        else:
            shapes[name] = tuple(int(d) for d in dims)  # type: ignore[arg-type]
    return shapes


def import_onnx(path: str | Path, input_shape: str | dict[str, tuple[int, ...]] | None = None,
                unknown_ops: str = "error", quant: str | None = None) -> Trace:
    """Import an ONNX model as a Trace.

    ``input_shape`` fixes dynamic input dims; ``unknown_ops="vector"`` runs operators without a
    mapping as element-wise vector work (listed in ``trace.meta["warnings"]``); ``quant`` (a
    scheme name) replaces the graph's bit widths. ``trace.meta`` also lists the ops that stayed
    float (``float_ops``) and each GEMM's operand types and granularity (``quant``).
    """
    from accelsim.workload.onnx.emit import Emitter
    from accelsim.workload.onnx.graph import load_graph
    from accelsim.workload.onnx.lower import Lowering
    from accelsim.workload.onnx.naming import blocks, op_names
    from accelsim.workload.onnx.shapes import run_shapes
    from accelsim.workload.quant import get_scheme

    if unknown_ops not in UNKNOWN_OPS:
        raise TraceError("unknown policy", key="--unknown-ops", value=unknown_ops,
                         expected=" | ".join(UNKNOWN_OPS))
    scheme = get_scheme(quant) if quant is not None else None
    path = Path(path)
    graph = load_graph(path)
    given = parse_input_shape(input_shape) if isinstance(input_shape, str) else \
        dict(input_shape or {})
    shapes = run_shapes(graph, _input_shapes(graph, given))
    low = Lowering(graph, shapes, unknown_ops).run()
    if not low.ops:
        raise TraceError("the graph has no operator accelsim can simulate", file=str(path))
    raw = [op.name for op in low.ops]
    names = op_names(raw)
    block_of = blocks(raw, [op.kind for op in low.ops], [op.role == "residual" for op in low.ops])
    emitted = Emitter(low, names, block_of, scheme).run()
    first = next(iter(graph.inputs))
    in_shape = shapes.shapes[first]
    image = in_shape[-1] if len(in_shape) == 4 and in_shape[-1] == in_shape[-2] else 0
    label = quant if quant is not None else "graph"
    trace = Trace(name=f"{path.stem}", tensors=tuple(emitted.tensors.values()),
                  ops=tuple(emitted.ops), model=path.stem, image_size=image,
                  batch=in_shape[0] if in_shape else 1, quant=label, source=str(path),
                  meta={"float_ops": tuple(emitted.float_ops),
                        "quantized": any(t.dtype != "fp" for t in emitted.tensors.values()
                                         if t.role in ("weight", "activation")),
                        "quant": dict(emitted.quant_notes),
                        "warnings": tuple(low.warnings)})
    return trace.validate()
