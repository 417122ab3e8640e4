"""Lowered ops -> a frozen Trace, with bit widths from the graph or from a ``--quant`` scheme.

From the graph: a tensor is stored as the QuantizeLinear that follows it says, else in its own
ONNX type; a GEMM whose operands are both integer accumulates in int32, and a ``requant`` op
rescales the accumulator to the output's type: the following QuantizeLinear's (or the QOperator
node's own output type), or the float type when the graph dequantizes the result (DQ -> MatMul
with no Q after it: TensorRT's int8 GEMM with a float output). A bare MatMulInteger /
ConvInteger output stays the int32 accumulator.
An op with a floating-point operand or result stays float (the engine runs a float softmax,
LayerNorm or GELU on the FP32 fallback unit). With a scheme, every width is the scheme's, by
the tensor's role, as the built-in generators assign them (quant.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accelsim.workload.onnx.lower import IrOp, IrTensor, Lowered
from accelsim.workload.ops import OP_TYPES, Op, Requant, Tensor
from accelsim.workload.quant import QuantScheme

LN_PARAM_BITS = 16  # the built-in generators' gamma/beta width


@dataclass
class Emitted:
    tensors: dict[str, Tensor] = field(default_factory=dict)
    ops: list[Op] = field(default_factory=list)
    float_ops: list[str] = field(default_factory=list)
    quant_notes: dict[str, str] = field(default_factory=dict)


class Emitter:
    def __init__(self, low: Lowered, names: list[str], blocks: list[str],
                 scheme: QuantScheme | None) -> None:
        self.low = low
        self.names = names
        self.blocks = blocks
        self.q = scheme
        self.out = Emitted()
        self.consumer_kinds: dict[str, set[str]] = {}
        users: dict[str, list[IrOp]] = {}
        for op in low.ops:
            for name in op.inputs:
                self.consumer_kinds.setdefault(name, set()).add(op.kind)
                users.setdefault(name, []).append(op)
        #: scheme mode: an add of a constant right after QK^T (Swin's attention bias) works
        #: on the int32 accumulator and the requant follows it, as in the built-in generators
        self.acc_adds: set[str] = set()
        if scheme is not None and scheme.needs_requant:
            for op in low.ops:
                after = users.get(op.output, [])
                if op.kind == "matmul" and len(after) == 1 and \
                        after[0].kind == "add" and after[0].inputs[0] == op.output and \
                        all(low.tensors[i].role == "param" for i in after[0].inputs[1:]):
                    self.acc_adds.add(after[0].output)
                    self.acc_adds.add(op.output)

    # ------------------------------------------------------------------ types
    def _scheme_act(self, t: IrTensor, producer: IrOp | None) -> tuple[int, str]:
        q = self.q
        assert q is not None
        if t.role == "input":
            return q.image_bits, q.dtype
        if producer is not None and producer.kind == "softmax":
            return q.softmax_output_bits, q.softmax_output_dtype
        users = self.consumer_kinds.get(t.name, set())
        if "softmax" in users:
            return q.softmax_input_bits, q.dtype
        if "gelu" in users:
            return q.gelu_input_bits, q.dtype
        if not users or users & {"add", "layernorm"}:
            return max(q.residual_bits, q.norm_input_bits), q.dtype
        return q.gemm_input_bits, q.dtype

    def _type(self, t: IrTensor, op: IrOp | None = None, slot: int = 0) -> tuple[int, str]:
        """(bits, dtype) of a tensor as it is stored."""
        if self.q is None:
            return t.type
        q = self.q
        if t.role == "weight":
            return q.weight_bits, q.dtype
        if t.role == "param":
            if op is not None and op.kind == "layernorm":
                return LN_PARAM_BITS, q.dtype
            if op is not None and op.kind == "add" and op.output in self.acc_adds:
                return q.accumulator_bits, "int"  # added to the int32 accumulator
            if op is not None and op.kind == "add":
                return self._type(self.low.tensors[op.inputs[0]])
            if op is not None and op.kind == "gemm":
                return q.bias_bits, q.dtype
            return q.residual_bits, q.dtype
        producer = next((o for o in self.low.ops if o.output == t.name), None) \
            if t.role == "activation" else None
        return self._scheme_act(t, producer)

    def _add(self, name: str, shape: tuple[int, ...], bits_dtype: tuple[int, str],
             role: str, transposed: bool = False) -> str:
        if name not in self.out.tensors:
            self.out.tensors[name] = Tensor(name, shape, bits_dtype[0], bits_dtype[1], role,
                                            transposed)
        return name

    def _input(self, op: IrOp, slot: int) -> str:
        t = self.low.tensors[op.inputs[slot]]
        if t.role in ("activation", "input") and t.name in self.out.tensors:
            return t.name
        return self._add(t.name, t.shape, self._type(t, op, slot), t.role)

    # ------------------------------------------------------------------ ops
    def run(self) -> Emitted:
        for i, op in enumerate(self.low.ops):
            self._op(op, self.names[i], self.blocks[i])
        return self.out

    def _inputs(self, op: IrOp) -> list[str]:
        if self.q is None or op.kind != "gemm":
            return [self._input(op, s) for s in range(len(op.inputs))]
        ins = [self._input(op, 0), self._input(op, 1)]  # scheme: the scheme's params
        if op.bias:
            ins.append(self._input(op, op.inputs.index(op.bias)))
        if self.q.weight_scale_bits:
            n = op.dims["n"]
            ins.append(self._add(f"{op.inputs[1]}.scheme_scale", (n,),
                                 (self.q.weight_scale_bits, "fp"), "param"))
        return ins

    def _op(self, op: IrOp, name: str, block: str) -> None:
        inputs = self._inputs(op)
        out_ir = self.low.tensors[op.output]
        types = [self.out.tensors[i] for i in inputs]
        gemm = op.kind in ("gemm", "matmul")
        integer = gemm and all(t.dtype != "fp" for t in types[:2])
        if self.q is not None:
            requant = (gemm or op.kind == "add") and self.q.needs_requant and \
                (op.output in self.acc_adds) == (op.kind == "add")
        else:
            requant = integer and (op.qlinear or out_ir.type != (32, "int"))
        final = self._type(out_ir) if self.q is not None else out_ir.type
        dims = dict(op.dims)
        if op.kind == "softmax":
            dims["intermediate_bits"] = (self.q.softmax_intermediate_bits if self.q is not None
                                         else types[0].bits)
        if op.kind == "gemm":
            dims["partial_input"] = bool(dims.get("partial_input", 0))
        acc = op.output
        written = out_ir.shape  # what the op computes (a transposed output is stored swapped)
        if out_ir.transposed:
            written = (*written[:-2], written[-1], written[-2])
        if requant:
            acc = self._add(f"{op.output}.acc", written, (32, "int"), "activation")
        else:
            self._add(op.output, out_ir.shape, final, "activation", out_ir.transposed)
        cls = OP_TYPES[op.kind]
        self.out.ops.append(cls(name=name, block=block, inputs=tuple(inputs), outputs=(acc,),
                                **dims))  # type: ignore[arg-type]
        if requant:
            self._add(op.output, out_ir.shape, final, "activation", out_ir.transposed)
            length = op.dims.get("n", op.dims.get("length"))  # rows of the GEMM's n
            self.out.ops.append(Requant(name=f"{name}.requant", block=block,
                                        rows=out_ir.numel // length, length=length,
                                        inputs=(acc,), outputs=(op.output,)))
        if self.q is None:
            self._notes(op, name, types, final)

    def _notes(self, op: IrOp, name: str, types: list[Tensor], final: tuple[int, str]) -> None:
        acts = [t for t in types if t.role in ("activation", "input")]
        if op.kind in ("gemm", "matmul"):
            operands = types[:2]
            if any(t.dtype == "fp" for t in operands):
                self.out.float_ops.append(name)
            w = self.low.tensors[op.inputs[1]]
            self.out.quant_notes[name] = ", ".join(
                f"{t.dtype}{t.bits}{' ' + note if note else ''}" for t, note in
                ((operands[0], self.low.tensors[op.inputs[0]].note),
                 (operands[1], w.note))) + f" -> {final[1]}{final[0]}"
        elif op.kind not in ("copy", "requant") and (
                any(t.dtype == "fp" for t in acts) or final[1] == "fp"):
            self.out.float_ops.append(name)
