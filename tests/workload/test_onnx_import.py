"""ONNX import of float graphs: ops, shapes and MACs by hand, the shape interpreter on dynamic
batch subgraphs, the layout cost policy, and one-line errors. Graphs are built with onnx.helper
(tests/workload/onnx_graphs.py): no torch."""

from __future__ import annotations

import builtins
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from onnx_graphs import HAND_MACS, TOKENS, vit_block  # noqa: E402

from accelsim import load_arch, simulate  # noqa: E402
from accelsim.errors import TraceError  # noqa: E402
from accelsim.workload.load import load_trace  # noqa: E402
from accelsim.workload.onnx import import_onnx  # noqa: E402
from accelsim.workload.trace import Trace, dump_trace, read_trace_yaml, save_trace  # noqa: E402

KINDS = ["gemm", "add", "layernorm", "gemm", "gemm", "gemm", "matmul", "softmax", "matmul",
         "gemm", "add", "layernorm", "gemm", "gelu", "gemm", "add", "layernorm", "gemm"]


def save(model, tmp_path: Path, name: str = "m.onnx") -> Path:
    path = tmp_path / name
    onnx.save(model, str(path))
    return path


def test_float_vit_block_ops_shapes_and_macs_by_hand(tmp_path: Path) -> None:
    trace = import_onnx(save(vit_block(), tmp_path))
    assert [op.kind for op in trace.ops] == KINDS
    assert trace.total_macs == HAND_MACS == 141_184
    ops = {op.name: op for op in trace.ops}
    patch = ops["embeddings.patch"]  # Conv 16x16 stride 16 by im2col: 4 pixels x 768 x 32
    assert (patch.m, patch.k, patch.n) == (4, 3 * 16 * 16, 32)
    assert ops["embeddings"].prefix_rows == 1  # [CLS] concatenated in front, then + pos
    qk, sv = ops["encoder.layer.0.attention.matmul"], ops["encoder.layer.0.attention.matmul_1"]
    assert (qk.batch, qk.m, qk.n, qk.k) == (2, TOKENS, TOKENS, 16)
    assert (sv.batch, sv.m, sv.n, sv.k) == (2, TOKENS, 16, TOKENS)
    assert ops["encoder.layer.0.attention.softmax"].rows == 2 * TOKENS
    assert ops["classifier"].partial_input and ops["classifier"].m == 1  # the [CLS] row
    fc1 = ops["encoder.layer.0.fc1"]
    assert (fc1.m, fc1.k, fc1.n) == (TOKENS, 32, 64) and len(fc1.inputs) == 3  # bias folded
    assert {trace.tensor(t).bits for op in trace.ops for t in op.inputs} == {32}
    assert {op.block for op in trace.ops} == {"embed", "layer.0", "head"}
    assert trace.image_size == 32 and trace.batch == 1 and trace.quant == "graph"
    assert not any(op.kind == "copy" for op in trace.ops)  # every layout op absorbed


@pytest.mark.parametrize("form", [dict(ln="decomposed", gelu="erf"), dict(gelu="tanh"),
                                  dict(ln="decomposed", gelu="tanh")])
def test_decomposed_layernorm_and_gelu_patterns_import_like_the_ops(tmp_path: Path,
                                                                    form) -> None:
    ref = import_onnx(save(vit_block(), tmp_path, "ref.onnx"))
    trace = import_onnx(save(vit_block(**form), tmp_path))
    assert [(op.kind, op.block, op.dims()) for op in trace.ops] == \
        [(op.kind, op.block, op.dims()) for op in ref.ops]
    ln = next(op for op in trace.ops if op.kind == "layernorm")
    assert len(ln.inputs) == 3  # x, gamma, beta


def test_dynamic_batch_needs_an_input_shape_and_evaluates_shape_subgraphs(tmp_path) -> None:
    path = save(vit_block(dynamic=True), tmp_path)
    with pytest.raises(TraceError, match=r"m\.onnx: input 'pixel_values' has dynamic dims "
                                         r"\['\?', 3, 32, 32\].*--input-shape"):
        import_onnx(path)
    trace = import_onnx(path, input_shape="3x3x32x32")
    assert trace.total_macs == 3 * HAND_MACS and trace.batch == 3
    qk = next(op for op in trace.ops if op.kind == "matmul")
    assert qk.batch == 3 * 2  # batch x heads, from Shape -> Gather -> Concat -> Reshape
    same = import_onnx(path, input_shape={"pixel_values": (3, 3, 32, 32)})
    assert dump_trace(same) == dump_trace(trace)
    with pytest.raises(TraceError, match="--input-shape: does not fit input 'pixel_values'"):
        import_onnx(path, input_shape="1x3x64x32")
    with pytest.raises(TraceError, match="--input-shape: bad input shape"):
        import_onnx(path, input_shape="1x3xax32")
    with pytest.raises(TraceError, match="no input 'image'"):
        import_onnx(path, input_shape="image:1x3x32x32")


def test_unknown_op_is_one_error_naming_node_and_type_unless_run_as_vector(tmp_path) -> None:
    path = save(vit_block(unknown=True), tmp_path)
    with pytest.raises(TraceError) as err:
        import_onnx(path)
    text = str(err.value)
    assert "m.onnx" in text and "/encoder/layer.0/mystery/Einsum" in text
    assert "operator Einsum has no accelsim mapping" in text and "--unknown-ops vector" in text
    assert "\n" not in text
    trace = import_onnx(path, unknown_ops="vector")
    op = next(op for op in trace.ops if op.kind == "eltwise")
    assert (op.rows, op.length, op.ops) == (TOKENS, 64, TOKENS * 64)
    assert trace.meta["warnings"] == ("/encoder/layer.0/mystery/Einsum (Einsum)",)
    with pytest.raises(TraceError, match="--unknown-ops: unknown policy"):
        import_onnx(path, unknown_ops="ignore")


def test_missing_external_weight_file_imports_the_same(tmp_path: Path) -> None:
    model = vit_block()
    inline = import_onnx(save(model, tmp_path, "inline.onnx"))
    path = tmp_path / "ext.onnx"
    onnx.save(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
              location="ext.onnx.data", size_threshold=1024)  # onnx's default threshold
    (tmp_path / "ext.onnx.data").unlink()
    trace = import_onnx(path)
    assert trace.ops == inline.ops and trace.tensors == inline.tensors
    # shape vectors moved out as well cannot be read: one error naming the tensor
    onnx.save(vit_block(), str(path), save_as_external_data=True, location="ext.onnx.data",
              size_threshold=0)
    with pytest.raises(TraceError, match=r"ext\.onnx: node .*Reshape.* \(tensor 'c_\d+'\) is "
                                         "not computable"):
        import_onnx(path)


def test_malformed_files_give_one_line_errors_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07not a protobuf at all\xff\xff")
    with pytest.raises(TraceError, match=r"bad\.onnx: not a readable ONNX model"):
        import_onnx(bad)
    with pytest.raises(TraceError, match=r"nope\.onnx: file not found"):
        load_trace(str(tmp_path / "nope.onnx"))
    folder = tmp_path / "dir.onnx"
    folder.mkdir()
    with pytest.raises(TraceError, match=r"dir\.onnx: not a regular file"):
        import_onnx(folder)


def _graph(nodes, inputs, outputs, inits=()) -> onnx.ModelProto:
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)])


def _vi(name: str, shape) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def _w(name: str, shape) -> onnx.TensorProto:
    return numpy_helper.from_array(np.zeros(shape, np.float32), name)


def test_data_dependent_reshape_target_names_the_node(tmp_path: Path) -> None:
    nodes = [helper.make_node("Cast", ["x"], ["t"], name="cast", to=TensorProto.INT64),
             helper.make_node("ReduceMax", ["t"], ["m"], name="rmax", keepdims=0),
             helper.make_node("Unsqueeze", ["m", "ax"], ["mm"], name="unsq"),
             helper.make_node("Reshape", ["x", "mm"], ["y"], name="reshape_by_data"),
             helper.make_node("MatMul", ["y", "w"], ["z"], name="mm")]
    model = _graph(nodes, [_vi("x", [4, 8])], [_vi("z", [4, 8])],
                   [_w("w", (32, 8)), numpy_helper.from_array(np.array([0]), "ax")])
    with pytest.raises(TraceError, match=r"node 'reshape_by_data' \(Reshape\): reshape "
                                         r"target .* not computable"):
        import_onnx(save(model, tmp_path))


def _layout_trace(tmp_path: Path, layout: list, out_shape, quant: str = "") -> Trace:
    """x -> MatMul -> <layout nodes on 'h'> -> Softmax | second MatMul (``quant="qdq"``: the
    MatMul's result is quantized to uint8 by a Q -> DQ pair first)."""
    dq = lambda x, y, zp=("zp",): helper.make_node(  # noqa: E731
        "DequantizeLinear", [x, "s", *zp], [y], name=f"dq_{x}")
    q = lambda x, y: helper.make_node("QuantizeLinear", [x, "s", "zp"], [y], name=f"q_{x}")  # noqa: E731
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h"], name="fc"), *layout]
    if quant:  # uint8 activations, an int8 weight behind a DequantizeLinear
        nodes = [q("x", "xq"), dq("xq", "xd"), dq("w8", "wd", ()),
                 helper.make_node("MatMul", ["xd", "wd"], ["hf"], name="fc"), q("hf", "hq"),
                 dq("hq", "h"), *layout]
    model = _graph(nodes, [_vi("x", [2, 6, 8])], [_vi("y", out_shape)],
                   [_w("w", (8, 8)), _w("w2", (8, 8)),
                    numpy_helper.from_array(np.zeros((8, 8), np.int8), "w8"),
                    numpy_helper.from_array(np.array(0.1, np.float32), "s"),
                    numpy_helper.from_array(np.array(128, np.uint8), "zp"),
                    numpy_helper.from_array(np.array([0, 0, 0, 0, 0, 0], np.int64), "zeros"),
                    numpy_helper.from_array(np.array([0, 0, 1, 0, 0, 1], np.int64), "pads")])
    return import_onnx(save(model, tmp_path))


def _layout_graph(tmp_path: Path, layout: list, out_shape) -> list[str]:
    return [op.kind for op in _layout_trace(tmp_path, layout, out_shape).ops]


def test_layout_cost_policy(tmp_path: Path) -> None:
    t = lambda perm: helper.make_node("Transpose", ["h"], ["t"], name="tr", perm=perm)  # noqa: E731
    sm = helper.make_node("Softmax", ["t"], ["y"], name="sm", axis=-1)
    # a transpose that keeps the innermost axis is a row gather: free
    assert _layout_graph(tmp_path, [t([1, 0, 2]), sm], [6, 2, 8]) == ["gemm", "softmax"]
    # one that moves it is absorbed when a GEMM writes it (the output tile is written
    # transposed) ...
    assert _layout_graph(tmp_path, [t([0, 2, 1]), sm], [2, 8, 6]) == ["gemm", "softmax"]
    # ... but not between two non-GEMM ops: a copy
    relu = helper.make_node("Relu", ["h"], ["r"], name="relu")
    tr = helper.make_node("Transpose", ["r"], ["t"], name="tr", perm=[0, 2, 1])
    assert _layout_graph(tmp_path, [relu, tr, sm], [2, 8, 6]) == \
        ["gemm", "eltwise", "copy", "softmax"]
    # Concat of two different activations is a copy; of slices of one tensor, a permutation
    h2 = helper.make_node("MatMul", ["x", "w2"], ["h2"], name="fc2")
    cat = helper.make_node("Concat", ["h", "h2"], ["t"], name="cat", axis=1)
    assert _layout_graph(tmp_path, [h2, cat, sm], [2, 12, 8]) == \
        ["gemm", "gemm", "copy", "softmax"]
    # zero Pad is free, a real one is a copy
    pad0 = helper.make_node("Pad", ["h", "zeros"], ["t"], name="pad")
    assert _layout_graph(tmp_path, [pad0, sm], [2, 6, 8]) == ["gemm", "softmax"]
    pad1 = helper.make_node("Pad", ["h", "pads"], ["t"], name="pad")
    assert _layout_graph(tmp_path, [pad1, sm], [2, 7, 9]) == ["gemm", "copy", "softmax"]


def test_gemm_written_transposed_for_a_softmax(tmp_path: Path) -> None:
    """The GEMM's [2 x 6, 8] result is stored as the softmax reads it, [2, 8, 6] (per image
    transposed): the trace marks the tensor, its producer is checked against [2, 6, 8]."""
    tr = helper.make_node("Transpose", ["h"], ["t"], name="tr", perm=[0, 2, 1])
    sm = helper.make_node("Softmax", ["t"], ["y"], name="sm", axis=-1)
    trace = _layout_trace(tmp_path, [tr, sm], [2, 8, 6])
    fc, softmax = trace.ops
    assert (fc.m, fc.n, fc.k) == (12, 8, 8) and (softmax.rows, softmax.length) == (16, 6)
    h = trace.tensor(fc.outputs[0])
    assert h.name == "h" and h.shape == (2, 8, 6) and h.transposed and softmax.inputs == ("h",)
    assert h.written_shape == (2, 6, 8)
    save_trace(trace, tmp_path / "t.yaml")
    text = (tmp_path / "t.yaml").read_text()
    assert "transposed: true" in text and text.count("transposed") == 1
    back = read_trace_yaml(tmp_path / "t.yaml")
    assert back.tensors == trace.tensors and back.ops == trace.ops
    # the GEMM's one output tile is written as 8 columns x 2 images = 16 runs of 6 fp32
    # (24 B, each stored row padded to a 64 B pitch) when played layer-major; the softmax
    # reads them as rows. The auto batch order keeps the faster image-major plan (868 cycles
    # against 916), whose tiles hold one image: 8 runs each
    result = simulate(load_arch("sole"), trace, dram_requests=True, batch_order="layer-major")
    writes = [req for req in result.extra["dram_requests"] if req[-1]]
    assert [req[1:] for req in writes] == [(24, 64, 16, True)] * 2
    auto = simulate(load_arch("sole"), trace, dram_requests=True)
    assert auto.total_cycles == 868 < result.total_cycles == 916
    assert [req[1:] for req in auto.extra["dram_requests"] if req[-1]] == [(24, 64, 8, True)] * 4
    assert result.layer("fc").dram_write_bytes == result.layer("sm").dram_read_bytes == 384
    # quantized: the requant of the int32 accumulator writes the uint8 tensor transposed
    q = _layout_trace(tmp_path / "..", [tr, sm], [2, 8, 6], quant="qdq")
    assert [op.kind for op in q.ops] == ["gemm", "requant", "softmax"]
    acc, out = (q.tensor(op.outputs[0]) for op in q.ops[:2])
    assert (acc.shape, acc.bits, acc.transposed) == ((2, 6, 8), 32, False)
    assert (out.shape, out.bits, out.dtype, out.transposed) == ((2, 8, 6), 8, "uint", True)


def test_transposed_view_and_a_stored_read_make_a_copy(tmp_path: Path) -> None:
    """When another op reads the GEMM's result as stored, the transposed view is a copy."""
    tr = helper.make_node("Transpose", ["h"], ["t"], name="tr", perm=[0, 2, 1])
    sm = helper.make_node("Softmax", ["t"], ["y"], name="sm", axis=-1)
    ln = helper.make_node("Relu", ["h"], ["y2"], name="relu")
    trace = _layout_trace(tmp_path, [tr, sm, ln], [2, 8, 6])
    assert [op.kind for op in trace.ops] == ["gemm", "copy", "softmax", "eltwise"]
    copy = trace.ops[1]
    assert copy.inputs == ("h",) and (copy.rows, copy.length) == (16, 6)
    assert not any(t.transposed for t in trace.tensors)
    # two transposes that cancel read the stored order: free
    back = helper.make_node("Transpose", ["t"], ["u"], name="tr2", perm=[0, 2, 1])
    sm2 = helper.make_node("Softmax", ["u"], ["y"], name="sm", axis=-1)
    assert _layout_graph(tmp_path, [tr, back, sm2], [2, 6, 8]) == ["gemm", "softmax"]
    # [2, 6, 8] read as [8, 2, 6]: rows of the per-image transposed result in another order,
    # so the GEMM writes it transposed as [2, 8, 6] and the DMA gathers the rows
    odd = helper.make_node("Transpose", ["h"], ["t"], name="tr", perm=[2, 0, 1])
    gathered = _layout_trace(tmp_path, [odd, sm], [8, 2, 6])
    assert [op.kind for op in gathered.ops] == ["gemm", "softmax"]
    h = gathered.tensor("h")
    assert (h.shape, h.transposed) == ((2, 8, 6), True)
    # rows that are neither rows of the result nor of its transpose ([2, 6, 8] read as
    # [6, 8, 2]: rows of 2 across images) need a copy
    across = helper.make_node("Transpose", ["h"], ["t"], name="tr", perm=[1, 2, 0])
    assert _layout_graph(tmp_path, [across, sm], [6, 8, 2]) == ["gemm", "copy", "softmax"]


def test_roll_and_patch_merging_slices_are_free(tmp_path: Path) -> None:
    """torch.roll exports as Slice + Slice + Concat; Swin's patch merging as 4 strided Slices
    + Concat on the channels: both permute one tensor (the DMA gathers the rows)."""
    c = lambda name, v: numpy_helper.from_array(np.array(v, np.int64), name)  # noqa: E731
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h"], name="fc"),
             helper.make_node("Slice", ["h", "s1", "e1", "a1"], ["p1"], name="sl1"),
             helper.make_node("Slice", ["h", "s0", "e0", "a1"], ["p0"], name="sl0"),
             helper.make_node("Concat", ["p1", "p0"], ["rolled"], name="roll", axis=1),
             *[helper.make_node("Slice", ["rolled", f"ms{i}", "big", "ax12", "two"],
                                [f"q{i}"], name=f"m{i}") for i in range(4)],
             helper.make_node("Concat", [f"q{i}" for i in range(4)], ["cat"], name="merge",
                              axis=-1),
             helper.make_node("LayerNormalization", ["cat", "g", "b"], ["y"], name="norm")]
    inits = [_w("w", (8, 8)), _w("g", (32,)), _w("b", (32,)), c("s1", [2]), c("e1", [4]),
             c("s0", [0]), c("e0", [2]), c("a1", [1]), c("ax12", [1, 2]), c("two", [2, 2]),
             c("big", [99, 99]), c("ms0", [0, 0]), c("ms1", [1, 0]), c("ms2", [0, 1]),
             c("ms3", [1, 1])]
    model = _graph(nodes, [_vi("x", [1, 4, 4, 8])], [_vi("y", [1, 2, 2, 32])], inits)
    trace = import_onnx(save(model, tmp_path))
    assert [op.kind for op in trace.ops] == ["gemm", "layernorm"]
    assert (trace.ops[1].rows, trace.ops[1].length) == (4, 32)


def test_import_round_trips_through_a_trace_file(tmp_path: Path) -> None:
    trace = import_onnx(save(vit_block(quant="qdq", per_channel=True), tmp_path))
    save_trace(trace, tmp_path / "t.yaml")
    back = read_trace_yaml(tmp_path / "t.yaml")
    assert back.ops == trace.ops and back.tensors == trace.tensors


def test_without_onnx_one_line_says_how_to_install(tmp_path: Path, monkeypatch) -> None:
    path = save(vit_block(), tmp_path)
    real_import = builtins.__import__

    def no_onnx(name, *args, **kwargs):
        if name == "onnx" or name.startswith("onnx."):
            raise ImportError("No module named 'onnx'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnx)
    with pytest.raises(TraceError) as err:
        load_trace(str(path))
    assert str(err.value) == "ONNX import needs the onnx package: pip install 'accelsim[onnx]'"


def test_control_flow_is_refused_naming_the_node(tmp_path: Path) -> None:
    branch = helper.make_graph([helper.make_node("Identity", ["x"], ["y1"])], "b", [],
                               [_vi("y1", [4, 8])])
    cond = numpy_helper.from_array(np.array(True), "c")
    node = helper.make_node("If", ["c"], ["y"], name="maybe", then_branch=branch,
                            else_branch=branch)
    model = _graph([node], [_vi("x", [4, 8])], [_vi("y", [4, 8])], [cond])
    with pytest.raises(TraceError, match=r"m\.onnx: node 'maybe' \(If\) has a subgraph"):
        import_onnx(save(model, tmp_path))


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(dims=st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(2, 5)),
       perm=st.permutations([0, 1, 2]))
def test_a_free_transpose_reads_rows_that_are_stored(tmp_path: Path, dims, perm) -> None:
    """Whatever Transpose follows a GEMM, the softmax after it reads rows of ``length`` that
    sit contiguously in the tensor as stored (as the GEMM writes it, transposed or not): the
    DMA then gathers whole rows; otherwise the importer placed a copy, and only when the
    rows exist neither in the GEMM's own layout nor in its per-image transpose."""
    b, r, c = dims
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h"], name="fc"),
             helper.make_node("Transpose", ["h"], ["t"], name="tr", perm=list(perm)),
             helper.make_node("Softmax", ["t"], ["y"], name="sm", axis=-1)]
    out = tuple((b, r, c)[p] for p in perm)
    model = _graph(nodes, [_vi("x", [b, r, 4])], [_vi("y", list(out))], [_w("w", (4, c))])
    trace = import_onnx(save(model, tmp_path, f"t{b}{r}{c}{''.join(map(str, perm))}.onnx"))
    ids = np.arange(b * r * c).reshape(b, r, c)  # the GEMM result's elements
    wanted = ids.transpose(perm).reshape(-1, out[-1])  # the rows the softmax reads
    sm = trace.ops[-1]
    assert (sm.kind, sm.rows, sm.length) == ("softmax", *wanted.shape)
    natural = {tuple(row) for row in ids.reshape(-1, out[-1])} if c == out[-1] else set()
    swapped = ({tuple(row) for row in ids.reshape(-1, out[-1], c).swapaxes(-1, -2)
                .reshape(-1, out[-1])} if ids.size % (c * out[-1]) == 0 else set())
    feeder = trace.producers[sm.inputs[0]]
    if feeder.kind == "copy":
        rows = {tuple(row) for row in wanted}
        assert not (rows <= natural or rows <= swapped)
        return
    stored = trace.tensor(sm.inputs[0])
    layout = ids.reshape(stored.written_shape)
    if stored.transposed:
        layout = layout.swapaxes(-1, -2)
    assert {tuple(row) for row in wanted} <= {tuple(row) for row in
                                              layout.reshape(-1, stored.shape[-1])}
