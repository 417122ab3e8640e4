"""Transposes that move the innermost axis, read by a row op: free, written transposed, or a copy.

The layout-cost policy (README, "Layout operators"): a GEMM reads an operand in either
orientation, so any transpose it reads is free; a row op (softmax, LayerNorm, an element-wise
op) reads rows of the stored tensor. For those, the chain of layout nodes from the root is
replayed on an index array of the root, and the element order it asks for is compared with the
order the root is stored in:

* the same order (two transposes that cancel; a convolution's NCHW output turned back into
  tokens, which its im2col GEMM already writes pixel-major): free;
* rows of the stored tensor, in any order (a row gather the DMA absorbs);
* rows of the root with its last two dims swapped, per group of leading dims, when a GEMM or
  matmul produced the root and every reader wants them: the GEMM writes its output tiles
  transposed (the array emits an output tile column by column), and the trace marks the tensor
  ``transposed`` with that stored shape;
* anything else, or a transposed view of a root that some op also reads as stored: a ``copy``.

Last, a row op whose input as stored still does not hold its rows by the op's own layout rule
(``copy_unreadable``) reads it through a copy, so the trace always validates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from accelsim.workload.onnx.lower import Alias, Lowering

CONV_OPS = ("Conv", "ConvInteger", "QLinearConv")


def stored_order(low: Lowering, root: str) -> np.ndarray:
    """The root's elements (flat indices of its ONNX tensor) in the order they are stored:
    row-major, except a convolution's result, stored pixel-major as its im2col GEMM writes it
    ([N x OH x OW, C] for the graph's NCHW)."""
    shape = low._shape(root)
    n = low._numel(root)
    stored = low.out.tensors[root].shape if root in low.out.tensors else shape
    op = low.op_of.get(root)
    if op is not None and op.onnx_op in CONV_OPS and len(shape) >= 3 and \
            tuple(stored) != tuple(shape):
        return np.arange(n).reshape(shape[0], shape[1], -1).transpose(0, 2, 1).reshape(stored)
    return np.arange(n).reshape(stored)


def _rows_within(rows: np.ndarray, layout: np.ndarray) -> bool:
    """Every row of ``rows`` is a row of ``layout`` (both of distinct element indices, so a
    row is found by its first element)."""
    if rows.shape[1] != layout.shape[1]:
        return False
    order = np.argsort(layout[:, 0])
    firsts = layout[order, 0]
    at = np.searchsorted(firsts, rows[:, 0])
    if (at >= len(firsts)).any():
        return False
    return bool(np.array_equal(layout[order[at]], rows))


def view_of(low: Lowering, a: Alias, name: str) -> str:
    """How ``name`` (an alias of ``a.root`` through a transpose that moves the innermost axis)
    orders the root's elements: ``same`` (its rows are rows of the root as stored: the DMA
    gathers them), ``transposed`` (its rows are rows of the root's result with the last two
    dims swapped per group of leading dims: ``low.transposed_shape`` records that stored
    shape) or ``other`` (also when the chain cannot be replayed)."""
    key = (a.root, name)
    if key in low.views:
        return low.views[key]
    verdict = "other"
    if a.chain is not None:
        index = np.arange(low._numel(a.root)).reshape(low._shape(a.root))
        for node in a.chain:
            if node.op_type == "Transpose":
                index = index.transpose(node.attrs.get("perm", list(reversed(range(index.ndim)))))
            else:  # Reshape, Flatten, (Un)squeeze, Q/DQ, Cast, a scalar scale: same order
                index = index.reshape(low._shape(node.outputs[0]))
        stored = stored_order(low, a.root)
        length, width = index.shape[-1], stored.shape[-1]
        rows = index.reshape(-1, length)
        if width == length and (np.array_equal(index.ravel(), stored.ravel())
                                or _rows_within(rows, stored.reshape(-1, length))):
            verdict = "same"
        elif stored.size % (width * length) == 0:
            swapped = stored.reshape(-1, length, width).transpose(0, 2, 1)
            if _rows_within(rows, swapped.reshape(-1, length)):
                verdict = "transposed"
                low.transposed_shape[key] = swapped.shape
    low.views[key] = verdict
    return verdict


def settle_transposed(low: Lowering) -> None:
    """After the walk: a GEMM result that every reader wants in one transposed view is stored
    so (``transposed``, the readers' shape); when some op also reads it as stored, each
    transposed view becomes a copy placed before its first reader."""
    from accelsim.workload.onnx.lower import IrOp

    for root, names in low.read_transposed.items():
        views = list(dict.fromkeys(names))
        shapes = {low.transposed_shape[(root, v)] for v in views}
        if root not in low.read_as_stored and len(shapes) == 1:
            t = low.out.tensors[root]
            t.shape, t.transposed = shapes.pop(), True
            for op in low.out.ops:
                op.inputs = [root if i in views else i for i in op.inputs]
            for v in views:
                del low.out.tensors[v]
            continue
        for v in views:
            at = next(i for i, op in enumerate(low.out.ops) if v in op.inputs)
            reader = low.out.ops[at]
            copy = IrOp("copy", f"{reader.name}.copy{reader.inputs.index(v)}", "Copy",
                        low._row_dims(v), [root], v)
            low.out.ops.insert(at, copy)
            low.op_of[v] = copy


ROW_KINDS = ("softmax", "layernorm", "gelu", "requant", "add", "eltwise")


def unreadable(low: Lowering, kind: str, name: str, root: str) -> bool:
    """A ``kind`` row op reading rows of ``name``'s last dim cannot read them from ``root``
    as stored (the op's own layout rule, as the trace checks it)."""
    from accelsim.workload.ops import OP_TYPES

    shape = low._shape(name) or (1,)
    stored = low.out.tensors[root].shape if root in low.out.tensors else low._shape(root)
    probe = OP_TYPES[kind](name=kind, inputs=(), outputs=(),  # type: ignore[call-arg]
                           rows=low._numel(name) // shape[-1], length=shape[-1])
    return probe.layout_problem(False, 0, tuple(stored)) is not None


def copy_unreadable(low: Lowering) -> None:
    """A row op whose input, as stored, still does not hold its rows of ``length`` (the op's
    own layout rule, as the trace checks it: e.g. a reshape of a Concat permutation, whose
    chain cannot be replayed) reads it through a copy instead."""
    from accelsim.workload.onnx.lower import IrOp, IrTensor
    from accelsim.workload.ops import OP_TYPES

    i = 0
    while i < len(low.out.ops):
        op = low.out.ops[i]
        x = low.out.tensors.get(op.inputs[0]) if op.inputs else None
        if op.kind in ROW_KINDS and x is not None and x.role in ("activation", "input") \
                and not op.dims.get("prefix_rows") and \
                x.numel == op.dims["rows"] * op.dims["length"]:
            rows, length = op.dims["rows"], op.dims["length"]
            probe = OP_TYPES[op.kind](name=op.name, inputs=(), outputs=(), rows=rows,
                                      length=length)  # type: ignore[call-arg]
            if probe.layout_problem(False, 0, x.shape) is not None:
                name = f"{op.name}.rows"
                low.out.tensors[name] = IrTensor(name, (rows, length), "activation", x.natural,
                                                 x.quant, x.note)
                low.out.ops.insert(i, IrOp("copy", f"{op.name}.copy0", "Copy",
                                           {"rows": rows, "length": length}, [x.name], name))
                low.op_of[name] = low.out.ops[i]
                op.inputs[0] = name
                i += 1
        i += 1
