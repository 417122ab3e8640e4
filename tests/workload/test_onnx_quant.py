"""Bit widths from quantized ONNX graphs: QDQ (per-tensor / per-channel / blocked, int8, int4,
float8, DQ-only weights), QOperator, MatMulNBits, dynamic quantization, float-left operators
and the ``--quant`` override; and how the engine runs what stayed float."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from onnx_graphs import HAND_MACS, TOKENS, vit_block  # noqa: E402

from accelsim.arch.load import load_arch  # noqa: E402
from accelsim.engine.simulator import simulate  # noqa: E402
from accelsim.workload.onnx import import_onnx  # noqa: E402
from accelsim.workload.onnx.report import import_notes  # noqa: E402
from accelsim.workload.quant import get_scheme  # noqa: E402


def load(tmp_path: Path, **kw):
    path = tmp_path / "m.onnx"
    onnx.save(vit_block(**kw), str(path))
    return import_onnx(path)


def bits(trace, name: str, slot: int) -> tuple[int, str]:
    op = next(o for o in trace.ops if o.name == name)
    t = trace.tensor(op.inputs[slot])
    return t.bits, t.dtype


def gemms(trace):
    return [op for op in trace.ops if op.kind == "gemm"]


@pytest.mark.parametrize("wbits,per_channel", [(8, False), (8, True), (4, True), (4, False)])
def test_qdq_weights_activations_and_requant(tmp_path: Path, wbits, per_channel) -> None:
    trace = load(tmp_path, quant="qdq", wbits=wbits, per_channel=per_channel)
    assert trace.total_macs == HAND_MACS
    for op in gemms(trace):
        assert bits(trace, op.name, 0) == (8, "uint")  # activation: uint8 from its Q/DQ
        assert bits(trace, op.name, 1) == (wbits, "int")  # weight: the DQ input's type
        w = trace.tensor(op.inputs[1])
        assert w.role == "weight" and w.shape == (op.k, op.n)
        assert w.size_bytes == op.k * op.n * wbits // 8
    fc1 = "encoder.layer.0.fc1"
    scale = trace.tensor(next(o for o in trace.ops if o.name == fc1).inputs[2])
    assert scale.shape == ((64,) if per_channel else (1,)) and scale.bits == 32
    note = trace.meta["quant"][fc1]
    assert note == f"uint8 per-tensor, int{wbits} " + (
        "per-channel(axis=1)" if per_channel else "per-tensor") + " -> uint8"
    # every integer GEMM accumulates in int32, rescaled to the next Q's uint8 by a requant
    req = {op.name: op for op in trace.ops if op.kind == "requant"}
    assert len(req) == 10
    acc = trace.tensor(next(o for o in trace.ops if o.name == fc1).outputs[0])
    assert (acc.bits, acc.dtype) == (32, "int")
    assert (req[f"{fc1}.requant"].rows, req[f"{fc1}.requant"].length) == (TOKENS, 64)
    out = trace.tensor(req[f"{fc1}.requant"].outputs[0])
    assert (out.bits, out.dtype) == (8, "uint")
    # the classifier's output is dequantized (no Q after it): rescaled to fp32
    assert trace.tensor(req["classifier.requant"].outputs[0]).dtype == "fp"
    sm = next(o for o in trace.ops if o.kind == "softmax")
    assert bits(trace, sm.name, 0) == (8, "uint")
    # only the embedding add reads the float conv output: it stayed float, and says so
    assert trace.meta["float_ops"] == ("embeddings",)
    assert "1 operator(s) stayed float (1 add" in import_notes(trace)[0]


def test_gelu_pattern_is_found_through_qdq_pairs_inside_it(tmp_path: Path) -> None:
    """onnxruntime's QDQ quantizer puts Q/DQ between Div, Erf and Add of the Erf GELU."""
    ref = load(tmp_path, quant="qdq")
    trace = load(tmp_path, quant="qdq", gelu="erf")
    assert [(op.kind, op.dims()) for op in trace.ops] == [(op.kind, op.dims()) for op in ref.ops]
    gelu = next(op for op in trace.ops if op.kind == "gelu")
    assert bits(trace, gelu.name, 0) == (8, "uint")


def test_dq_only_int8_weights_are_quantized_weights(tmp_path: Path) -> None:
    trace = load(tmp_path, quant="dq_only")
    for op in gemms(trace):
        assert bits(trace, op.name, 1) == (8, "int")
        assert len(op.inputs) == 4  # x, w, scale (no zero point: symmetric), bias
    assert trace.meta["quant"]["encoder.layer.0.fc2"] == \
        "uint8 per-tensor, int8 per-channel(axis=1) -> uint8"


def test_qoperator_graph(tmp_path: Path) -> None:
    trace = load(tmp_path, quant="qop")
    assert trace.total_macs == HAND_MACS
    kinds = [op.kind for op in trace.ops]
    assert kinds.count("gemm") == 8 and kinds.count("matmul") == 2
    assert kinds.count("requant") == 10  # QLinearMatMul / QLinearConv write uint8
    for op in trace.ops:
        if op.kind in ("gemm", "matmul"):
            a, b = bits(trace, op.name, 0), bits(trace, op.name, 1)
            assert a == (8, "uint") and b == ((8, "int") if op.kind == "gemm" else (8, "uint"))
    patch = next(op for op in trace.ops if op.name == "embeddings.patch")
    assert trace.tensor(patch.inputs[-1]).bits == 32  # QLinearConv's int32 bias
    sm = next(op for op in trace.ops if op.kind == "softmax")  # QLinearSoftmax
    assert bits(trace, sm.name, 0) == (8, "uint")
    assert trace.meta["float_ops"] == ()
    # an operand written by a QLinear* node (QK^T reads Q and K from QLinearMatMuls, the
    # output projection SV's QLinearMatMul) has its granularity from that node's output
    # scale, as one written by a QuantizeLinear has from the Q's scale
    assert trace.meta["quant"]["encoder.layer.0.attention.matmul"] == \
        "uint8 per-tensor, uint8 per-tensor -> uint8"
    assert trace.meta["quant"]["encoder.layer.0.attention.output.matmul"] == \
        "uint8 per-tensor, int8 per-channel -> uint8"
    assert import_notes(trace) == [
        "every operator is quantized (none stayed float)",
        "GEMMs on the array: 8 gemm int8, 2 matmul int8 (operands -> output from the graph: "
        "7 x uint8 per-tensor, int8 per-channel -> uint8; 2 x uint8 per-tensor, uint8 "
        "per-tensor -> uint8; 1 x uint8 per-tensor, int8 per-tensor -> fp32)"]


def test_matmulnbits_blocked_int4_weights(tmp_path: Path) -> None:
    trace = load(tmp_path, quant="nbits")
    fc2 = next(op for op in trace.ops if op.name == "encoder.layer.0.fc2")
    w = trace.tensor(fc2.inputs[1])
    assert (w.bits, w.shape, w.size_bytes) == (4, (64, 32), 64 * 32 // 2)
    assert trace.tensor(fc2.inputs[2]).shape == (32 * 64 // 32,)  # one scale per block
    assert trace.meta["quant"]["encoder.layer.0.fc2"] == "fp32, int4 blocked(block=32) -> fp32"
    assert "encoder.layer.0.fc2" in trace.meta["float_ops"]  # float activations


def test_float_left_nonlinear_ops_run_on_the_fp32_fallback_unit(tmp_path: Path) -> None:
    """ModelOpt's default: GEMMs int8, LayerNorm / softmax / GELU (and adds) in float."""
    trace = load(tmp_path, quant="qdq", float_nonlinear=True)
    floats = {op.kind for op in trace.ops if op.name in trace.meta["float_ops"]}
    assert floats == {"layernorm", "softmax", "gelu", "add"}
    result = simulate(load_arch("sole"), trace)
    units = {layer.kind: layer.unit for layer in result.layers}
    assert units["softmax"] == units["layernorm"] == units["gelu"] == "fp32"
    assert units["gemm"] == "array"
    quantized = simulate(load_arch("sole"), load(tmp_path, quant="qdq"))
    units = {layer.kind: layer.unit for layer in quantized.layers}
    assert (units["softmax"], units["layernorm"]) == ("e2softmax", "ailayernorm")
    assert result.total_cycles > quantized.total_cycles


def test_quant_scheme_overrides_every_width(tmp_path: Path) -> None:
    path = tmp_path / "m.onnx"
    onnx.save(vit_block(quant="qdq", wbits=4), str(path))
    q = get_scheme("w8a8")
    trace = import_onnx(path, quant="w8a8")
    assert trace.quant == "w8a8" and trace.total_macs == HAND_MACS
    for op in gemms(trace):
        assert bits(trace, op.name, 1) == (q.weight_bits, "int")
        assert trace.tensor(op.inputs[-1]).shape == (op.n,)  # the scheme's per-channel scale
    assert sum(op.kind == "requant" for op in trace.ops) == 10
    sm = next(op for op in trace.ops if op.kind == "softmax")
    assert sm.intermediate_bits == q.softmax_intermediate_bits
    fp = import_onnx(path, quant="fp16")
    assert {t.bits for t in fp.tensors if t.role != "input"} == {16}
    assert not any(op.kind == "requant" for op in fp.ops)


def _tiny(nodes, inits, opset=21):
    g = helper.make_graph(nodes, "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 64])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 16])],
                          inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def _import(tmp_path: Path, model):
    path = tmp_path / "t.onnx"
    onnx.save(model, str(path))
    return import_onnx(path)


def test_blocked_and_float8_weights(tmp_path: Path) -> None:
    qx = [helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["xq"]),
          helper.make_node("DequantizeLinear", ["xq", "s", "zp"], ["xd"])]
    act = [numpy_helper.from_array(np.array(0.1, np.float32), "s"),
           numpy_helper.from_array(np.array(0, np.int8), "zp")]
    w4 = helper.make_tensor("w", TensorProto.INT4, [64, 16], [0] * 1024)
    blocked = [*qx, helper.make_node("DequantizeLinear", ["w", "ws"], ["wd"], axis=0,
                                     block_size=32),
               helper.make_node("MatMul", ["xd", "wd"], ["y"], name="fc")]
    trace = _import(tmp_path, _tiny(blocked, [w4, numpy_helper.from_array(
        np.ones((2, 16), np.float32), "ws"), *act]))
    assert trace.meta["quant"]["fc"] == "int8 per-tensor, int4 blocked(axis=0, block=32) -> fp32"
    assert trace.tensor("w").bits == 4 and trace.tensor("ws").shape == (2, 16)
    f8 = helper.make_tensor("w", TensorProto.FLOAT8E4M3FN, [64, 16], [0] * 1024)
    fp8 = [*qx, helper.make_node("DequantizeLinear", ["w", "ws"], ["wd"]),
           helper.make_node("MatMul", ["xd", "wd"], ["y"], name="fc")]
    trace = _import(tmp_path, _tiny(fp8, [f8, numpy_helper.from_array(
        np.array(1.0, np.float32), "ws"), *act]))
    assert (trace.tensor("w").bits, trace.tensor("w").dtype) == (8, "fp")
    assert "fc" in trace.meta["float_ops"]  # an fp8 operand: float MACs


def test_dynamic_quantization_with_matmulinteger(tmp_path: Path) -> None:
    """onnxruntime quantize_dynamic: DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul
    (scales) -> Add (bias): a requant op, then an int8 GEMM with its dequantization fused."""
    nodes = [helper.make_node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xzp"], name="dq"),
             helper.make_node("MatMulInteger", ["xq", "w", "xzp"], ["acc"], name="fc"),
             helper.make_node("Cast", ["acc"], ["accf"], to=TensorProto.FLOAT),
             helper.make_node("Mul", ["xs", "ws"], ["scale"]),
             helper.make_node("Mul", ["accf", "scale"], ["deq"]),
             helper.make_node("Add", ["deq", "b"], ["y"])]
    inits = [numpy_helper.from_array(np.zeros((64, 16), np.int8), "w"),
             numpy_helper.from_array(np.array(0.01, np.float32), "ws"),
             numpy_helper.from_array(np.zeros(16, np.float32), "b")]
    trace = _import(tmp_path, _tiny(nodes, inits))
    assert [op.kind for op in trace.ops] == ["requant", "gemm", "requant"]
    gemm = trace.ops[1]
    assert (gemm.m, gemm.k, gemm.n) == (4, 64, 16) and gemm.inputs[-1] == "b"
    assert bits(trace, "fc", 0) == (8, "uint") and bits(trace, "fc", 1) == (8, "int")
    assert trace.tensor(trace.ops[-1].outputs[0]).dtype == "fp"
