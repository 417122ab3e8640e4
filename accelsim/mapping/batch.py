"""Batch order: a batch-b trace played layer-major (each op over all b images, as the trace
is written) or image-major (a whole inference per image, in turn). Image-major is always a
legal schedule and moves exactly b times a batch-1 run's bytes, so the mapper can guarantee
that batching never costs more per inference than repetition (issue 16)."""

from __future__ import annotations

import dataclasses

from accelsim.errors import AccelsimError
from accelsim.workload.ops import Add, Gemm, Matmul, Op, Pool, RowOp
from accelsim.workload.trace import Trace

BATCH_ORDERS = ("auto", "layer-major", "image-major")


def per_image(trace: Trace) -> Trace | None:
    """The trace of one image of a batch-b trace (activations and op extents divided by b), or
    None when some extent is not a multiple of b (a hand-written trace)."""
    b = trace.batch
    if b <= 1:
        return None

    def div(value: int) -> int:
        if value % b:
            raise ValueError
        return value // b

    try:
        tensors = tuple(t if t.is_constant else dataclasses.replace(
            t, shape=(div(t.shape[0]), *t.shape[1:])) for t in trace.tensors)
        ops = tuple(_op_per_image(op, div) for op in trace.ops)
        one = dataclasses.replace(trace, tensors=tensors, ops=ops, batch=1)
        return one.validate()
    except (ValueError, AccelsimError):
        return None


def _op_per_image(op: Op, div) -> Op:
    if isinstance(op, Gemm):
        return dataclasses.replace(op, m=div(op.m))
    if isinstance(op, Matmul):
        return dataclasses.replace(op, batch=div(op.batch))
    if isinstance(op, Add):
        return dataclasses.replace(op, rows=div(op.rows), prefix_rows=div(op.prefix_rows))
    if isinstance(op, RowOp):
        return dataclasses.replace(op, rows=div(op.rows))
    if isinstance(op, Pool):
        return dataclasses.replace(op, groups=div(op.groups))
    raise ValueError(f"unknown op kind {op.kind}")
