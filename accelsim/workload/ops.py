"""What runs: frozen tensors and operators of a quantized trace, with their static statistics.

Conventions (DESIGN.md): every tensor carries its bit width; bytes = ceil(elements x bits / 8);
1 MAC = 2 ops. Non-linear ops are counted with the per-element op counts below (stated in every
report header), so that their ops can sit on the same roofline as the GEMMs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from typing import ClassVar

from accelsim.units import tensor_bytes

#: ops per element of the non-linear and element-wise operators (documented counting convention):
#: softmax: max, subtract, exp, sum, divide; layernorm: sum, square, sum of squares, subtract,
#: normalise, scale, shift; GELU (tanh form): x^3 (2), scale, add, scale, tanh, add, multiply;
#: add: 1; requant: multiply + shift; pool (mean over tokens): add; eltwise (other element-wise
#: arithmetic of imported graphs): 1; copy (a layout change the DMA cannot absorb): 0.
SOFTMAX_OPS_PER_ELEMENT = 5
LAYERNORM_OPS_PER_ELEMENT = 7
GELU_OPS_PER_ELEMENT = 8
ADD_OPS_PER_ELEMENT = 1
REQUANT_OPS_PER_ELEMENT = 2
POOL_OPS_PER_ELEMENT = 1
ELTWISE_OPS_PER_ELEMENT = 1
COPY_OPS_PER_ELEMENT = 0

TENSOR_DTYPES = ("int", "uint", "fp", "log2")
TENSOR_ROLES = ("activation", "weight", "param", "input")


@dataclass(frozen=True)
class Tensor:
    """A tensor of a trace: its shape, bit width and role.

    ``role``: ``input`` (the image), ``activation`` (produced by an op), ``weight`` (GEMM
    weights from DRAM) or ``param`` (biases, scales, position embeddings, constants).
    ``transposed``: stored as the transpose of what its producer computes, ``shape`` as stored:
    a GEMM (or its accumulator's requant) whose result is [..., shape[-1], shape[-2]] writes
    each output tile column by column (the README's layout-cost policy). Readers see ``shape``.
    """

    name: str
    shape: tuple[int, ...]
    bits: int
    dtype: str = "int"
    role: str = "activation"
    transposed: bool = False

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def size_bytes(self) -> int:
        return tensor_bytes(self.numel, self.bits)

    @property
    def precision(self) -> str:
        """Name used by MAC-rate tables: int8, int4, fp16 ... (log2/uint count as int)."""
        return f"{'fp' if self.dtype == 'fp' else 'int'}{self.bits}"

    @property
    def is_constant(self) -> bool:
        return self.role in ("weight", "param")

    @property
    def written_shape(self) -> tuple[int, ...]:
        """The shape its producer computes: ``shape`` with the last two dims swapped when the
        tensor is stored transposed."""
        if not self.transposed or len(self.shape) < 2:
            return self.shape
        return (*self.shape[:-2], self.shape[-1], self.shape[-2])


@dataclass(frozen=True)
class Op:
    """Base of all operators: names its input and output tensors (the dependency graph)."""

    kind: ClassVar[str] = ""
    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    block: str = ""

    #: input positions and the element counts they must hold (checked by Trace validation)
    def input_numels(self) -> tuple[int | None, ...]:
        raise NotImplementedError

    def output_numels(self) -> tuple[int, ...]:
        raise NotImplementedError

    #: fewest inputs an op of this kind reads (an add needs two operands)
    min_inputs: ClassVar[int] = 1

    def layout_problem(self, output: bool, slot: int, shape: tuple[int, ...]) -> str | None:
        """None when a tensor of ``shape`` can be the ``slot``-th input (or output) of this op,
        else the layout expected. Shapes are compared, not only element counts: a transposed
        [n, k] weight is refused (Trace.validate checks the counts separately)."""
        return None

    @property
    def macs(self) -> int:
        return 0

    @property
    def elements(self) -> int:
        """Elements processed by a non-GEMM op (0 for GEMMs)."""
        return 0

    @property
    def ops(self) -> int:
        return 2 * self.macs

    def dims(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in dim_names(type(self))}


def _rows_of(shape: tuple[int, ...], inner: int) -> int | None:
    """Rows of ``shape`` read as a row-major matrix with ``inner`` columns (leading dimensions
    flattened), or None when its last dimension is not ``inner``."""
    if not shape or shape[-1] != inner:
        return None
    rows = 1
    for d in shape[:-1]:
        rows *= d
    return rows


def _blocks(shape: tuple[int, ...], batch: int, rows: int, cols: int) -> bool:
    """``shape`` holds ``batch`` [rows x cols] matrices: [batch, rows, cols], or a 2-D tiling
    of them (heads side by side in the columns, windows or images stacked in the rows), or
    [images, rows, heads x cols] (an imported graph's tokens before the heads are split), or
    [images, heads, rows, cols] (the batch split over leading dimensions)."""
    if len(shape) == 3:
        g, r, c = shape
        return shape == (batch, rows, cols) or (
            r == rows and cols and c % cols == 0 and g * (c // cols) == batch)
    if len(shape) >= 4:  # [images, heads, rows, cols]: the batch split over leading dims
        lead = 1
        for d in shape[:-2]:
            lead *= d
        return shape[-2:] == (rows, cols) and lead == batch
    if len(shape) == 2:
        r, c = shape
        return r % rows == 0 and c % cols == 0 and (r // rows) * (c // cols) == batch
    return False


@functools.cache
def dim_names(cls: type[Op]) -> tuple[str, ...]:
    """The size and flag fields of an op class (its fields less name, inputs, outputs, block),
    computed once per class: trace loading asks for them on every op."""
    base = {f.name for f in fields(Op)}
    return tuple(f.name for f in fields(cls) if f.name not in base)


@dataclass(frozen=True)
class Gemm(Op):
    """C[m x n] = A[m x k] @ W[k x n]: activation times weight (inputs: A, W, then params).

    ``partial_input``: A is a row subset of a larger tensor (e.g. the [CLS] tokens).
    """

    kind: ClassVar[str] = "gemm"
    m: int = 0
    n: int = 0
    k: int = 0
    partial_input: bool = False

    def input_numels(self) -> tuple[int | None, ...]:
        return (self.m * self.k, self.k * self.n) + (None,) * (len(self.inputs) - 2)

    def output_numels(self) -> tuple[int, ...]:
        return (self.m * self.n,)

    min_inputs: ClassVar[int] = 2

    def layout_problem(self, output: bool, slot: int, shape: tuple[int, ...]) -> str | None:
        """A is [m, k] (rows >= m with ``partial_input``; a tensor of rank >= 3, an image, is
        read through im2col: counts only); W is [k, n]; C is [m, n]."""
        m, n, k = self.m, self.n, self.k
        if output:
            return None if _rows_of(shape, n) == m else f"[m, n] = [{m}, {n}]"
        if slot == 0:
            if len(shape) >= 3:
                return None
            rows = _rows_of(shape, k)
            ok = rows is not None and (rows == m or (self.partial_input and rows >= m))
            return None if ok else f"[m, k] = [{m}, {k}]"
        if slot == 1:
            return None if shape == (k, n) else f"[k, n] = [{k}, {n}]"
        return None

    @property
    def macs(self) -> int:
        return self.m * self.n * self.k


@dataclass(frozen=True)
class Matmul(Op):
    """Batched activation x activation: C[b][m x n] = A[b][m x k] @ B[b][k x n] (QK^T, SV)."""

    kind: ClassVar[str] = "matmul"
    batch: int = 1
    m: int = 0
    n: int = 0
    k: int = 0

    def input_numels(self) -> tuple[int | None, ...]:
        return (self.batch * self.m * self.k, self.batch * self.k * self.n)

    def output_numels(self) -> tuple[int, ...]:
        return (self.batch * self.m * self.n,)

    min_inputs: ClassVar[int] = 2

    def layout_problem(self, output: bool, slot: int, shape: tuple[int, ...]) -> str | None:
        """A holds ``batch`` [m, k] matrices and C ``batch`` [m, n] ([batch, m, k], or 2-D with
        heads side by side); B ``batch`` [k, n] matrices, or [n, k] ones token-major (2-D, or
        [images, tokens, heads x d]: attention's K is read transposed for Q K^T)."""
        b, m, n, k = self.batch, self.m, self.n, self.k
        if output:
            return None if _blocks(shape, b, m, n) else f"{b} x [m, n] = [{b}, {m}, {n}]"
        if slot == 0:
            return None if _blocks(shape, b, m, k) else f"{b} x [m, k] = [{b}, {m}, {k}]"
        token_major = len(shape) == 2 or (len(shape) == 3 and shape[0] != b)  # not [b, n, k]
        ok = _blocks(shape, b, k, n) or (token_major and _blocks(shape, b, n, k))
        return None if ok else f"{b} x [k, n] = [{b}, {k}, {n}]"

    @property
    def macs(self) -> int:
        return self.batch * self.m * self.n * self.k


@dataclass(frozen=True)
class RowOp(Op):
    """A non-GEMM op over ``rows`` x ``length`` elements, row-wise (softmax rows, LN tokens)."""

    ops_per_element: ClassVar[int] = 1
    rows: int = 0
    length: int = 0

    def input_numels(self) -> tuple[int | None, ...]:
        return (self.rows * self.length,) + (None,) * (len(self.inputs) - 1)

    def output_numels(self) -> tuple[int, ...]:
        return (self.rows * self.length,)

    def layout_problem(self, output: bool, slot: int, shape: tuple[int, ...]) -> str | None:
        """Rows of ``length`` elements: the last dimension is ``length``."""
        if _rows_of(shape, self.length) is not None:
            return None
        return f"[..., length] = [..., {self.length}]"

    @property
    def elements(self) -> int:
        return self.rows * self.length

    @property
    def ops(self) -> int:
        return self.ops_per_element * self.elements


@dataclass(frozen=True)
class Softmax(RowOp):
    """Row softmax; ``intermediate_bits`` is the on-chip width of exp() between the two passes
    (SOLE E2Softmax: 4-bit log2 codes)."""

    kind: ClassVar[str] = "softmax"
    ops_per_element: ClassVar[int] = SOFTMAX_OPS_PER_ELEMENT
    intermediate_bits: int = 8


@dataclass(frozen=True)
class LayerNorm(RowOp):
    """LayerNorm over ``length`` channels of each of ``rows`` tokens (inputs: x, then params)."""

    kind: ClassVar[str] = "layernorm"
    ops_per_element: ClassVar[int] = LAYERNORM_OPS_PER_ELEMENT

    def layout_problem(self, output: bool, slot: int, shape: tuple[int, ...]) -> str | None:
        """Also a [g x rows, length / g] input: g neighbouring tokens concatenated into one row
        (Swin's patch merging, then its layernorm over 4C; leading dimensions are flattened:
        [images, H, W, C] reads as [images x H x W, C])."""
        rows = _rows_of(shape, shape[-1]) if len(shape) >= 2 else None  # leading dims flattened
        if not output and slot == 0 and rows is not None and shape[-1] and (
                self.length % shape[-1] == 0 and rows == self.rows * (self.length // shape[-1])):
            return None
        return super().layout_problem(output, slot, shape)


@dataclass(frozen=True)
class Gelu(RowOp):
    kind: ClassVar[str] = "gelu"
    ops_per_element: ClassVar[int] = GELU_OPS_PER_ELEMENT


@dataclass(frozen=True)
class Requant(RowOp):
    """Rescale (int32 accumulators) to the next tensor's bit width on the vector unit."""

    kind: ClassVar[str] = "requant"
    ops_per_element: ClassVar[int] = REQUANT_OPS_PER_ELEMENT

    def layout_problem(self, output: bool, slot: int, shape: tuple[int, ...]) -> str | None:
        """Also a [groups, tokens, d] input merged into rows of ``length``: attention heads
        (groups = images x heads, length = heads x d) joined back into tokens."""
        if not output and slot == 0 and len(shape) == 3:
            g, t, d = shape
            if (t and d and self.rows % t == 0 and self.length % d == 0
                    and g == (self.rows // t) * (self.length // d)):
                return None
        return super().layout_problem(output, slot, shape)


@dataclass(frozen=True)
class Add(RowOp):
    """Element-wise add (residuals, position embeddings, attention bias).

    An input smaller than rows x length broadcasts along rows (its size must divide the output).
    ``prefix_rows``: the first input covers only the last rows - prefix_rows rows; the first rows
    come from the second input alone (e.g. [CLS] token + its position embedding, a constant).
    """

    kind: ClassVar[str] = "add"
    ops_per_element: ClassVar[int] = ADD_OPS_PER_ELEMENT
    prefix_rows: int = 0
    min_inputs: ClassVar[int] = 2

    def input_numels(self) -> tuple[int | None, ...]:
        return ((self.rows - self.prefix_rows) * self.length,) + (None,) * (len(self.inputs) - 1)


@dataclass(frozen=True)
class Eltwise(RowOp):
    """Element-wise work of an imported graph outside the named kinds (Mul of two activations,
    ReLU, an unknown op under ``--unknown-ops vector``) on the vector unit. Inputs may
    broadcast (any size dividing rows x length)."""

    kind: ClassVar[str] = "eltwise"
    ops_per_element: ClassVar[int] = ELTWISE_OPS_PER_ELEMENT

    def input_numels(self) -> tuple[int | None, ...]:
        return (None,) * len(self.inputs)


@dataclass(frozen=True)
class Copy(RowOp):
    """A layout change the DMA cannot absorb (Concat of several tensors, a transpose that moves
    the innermost axis between non-GEMM ops, a non-zero Pad, im2col of an overlapping conv):
    ``rows`` x ``length`` output elements pass once through the vector unit. Its inputs
    together hold the elements (a Concat's parts, a Pad's source), so their sizes are free."""

    kind: ClassVar[str] = "copy"
    ops_per_element: ClassVar[int] = COPY_OPS_PER_ELEMENT

    def input_numels(self) -> tuple[int | None, ...]:
        return (None,) * len(self.inputs)

    def layout_problem(self, output: bool, slot: int, shape: tuple[int, ...]) -> str | None:
        """The inputs may have any layout (re-laying them out is the copy's work); the output
        is rows of ``length``."""
        return super().layout_problem(output, slot, shape) if output else None


@dataclass(frozen=True)
class Pool(Op):
    """Mean over ``tokens`` rows of ``groups`` x tokens x channels (global average pooling)."""

    kind: ClassVar[str] = "pool"
    groups: int = 1
    tokens: int = 0
    channels: int = 0

    def input_numels(self) -> tuple[int | None, ...]:
        return (self.groups * self.tokens * self.channels,)

    def output_numels(self) -> tuple[int, ...]:
        return (self.groups * self.channels,)

    def layout_problem(self, output: bool, slot: int, shape: tuple[int, ...]) -> str | None:
        """Rows of ``channels`` elements in and out; the pooled axes may stay as trailing 1s on
        the output (ONNX GlobalAveragePool keeps them: [N, C, 1] is [N, C] in memory)."""
        if output:
            while len(shape) > 1 and shape[-1] == 1 and shape[-2] == self.channels:
                shape = shape[:-1]
        if _rows_of(shape, self.channels) is not None:
            return None
        return f"[..., channels] = [..., {self.channels}]"

    @property
    def elements(self) -> int:
        return self.groups * self.tokens * self.channels

    @property
    def ops(self) -> int:
        return POOL_OPS_PER_ELEMENT * self.elements


OP_TYPES: dict[str, type[Op]] = {
    cls.kind: cls for cls in (Gemm, Matmul, Softmax, LayerNorm, Gelu, Requant, Add, Pool,
                              Eltwise, Copy)
}
GEMM_KINDS = ("gemm", "matmul")


@dataclass(frozen=True)
class KindStats:
    """Static statistics of all ops of one kind in a trace (``accelsim trace``)."""

    kind: str
    count: int
    macs: int
    ops: int
    constant_bytes: int  # weights and parameters read
    output_bytes: int  # activations written
