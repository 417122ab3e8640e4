"""What runs: frozen tensors and operators of a quantized trace, with their static statistics.

Conventions (DESIGN.md): every tensor carries its bit width; bytes = ceil(elements x bits / 8);
1 MAC = 2 ops. Non-linear ops are counted with the per-element op counts below (stated in every
report header), so that their ops can sit on the same roofline as the GEMMs.
"""

from __future__ import annotations

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
    """

    name: str
    shape: tuple[int, ...]
    bits: int
    dtype: str = "int"
    role: str = "activation"

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
        base = {f.name for f in fields(Op)}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in base}


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


@dataclass(frozen=True)
class Gelu(RowOp):
    kind: ClassVar[str] = "gelu"
    ops_per_element: ClassVar[int] = GELU_OPS_PER_ELEMENT


@dataclass(frozen=True)
class Requant(RowOp):
    """Rescale (int32 accumulators) to the next tensor's bit width on the vector unit."""

    kind: ClassVar[str] = "requant"
    ops_per_element: ClassVar[int] = REQUANT_OPS_PER_ELEMENT


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
