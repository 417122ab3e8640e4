"""Traces: shapes compared (not element counts), an add needs two operands, work that cannot
finish refused up front with the estimate, and the fast trace-layout YAML path equal to the full
parser."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim import yamlio
from accelsim.arch.load import load_arch
from accelsim.engine.budget import DEFAULT_MAX_EVENTS, check_work, max_events
from accelsim.engine.simulator import simulate
from accelsim.errors import SimulationError, TraceError
from accelsim.workload.models import build_trace
from accelsim.workload.ops import Add, Gemm, Matmul, Tensor
from accelsim.workload.trace import Trace, dump_trace
from accelsim.yamlio import _load_flow_lines, _Yaml12Loader, load_yaml_text


def _gemm_trace(m: int, n: int, k: int, w_shape: tuple[int, ...] | None = None) -> Trace:
    return Trace("g", (Tensor("a", (m, k), 8, role="input"),
                       Tensor("w", w_shape or (k, n), 8, role="weight"),
                       Tensor("c", (m, n), 32)),
                 (Gemm("g", ("a", "w"), ("c",), m=m, n=n, k=k),), source="g.yaml")


def test_a_transposed_weight_is_refused() -> None:
    _gemm_trace(4, 16, 8).validate()
    with pytest.raises(TraceError) as info:
        _gemm_trace(4, 16, 8, w_shape=(16, 8)).validate()  # same 128 elements
    assert str(info.value).startswith("g.yaml: ops.g.inputs[1]: inconsistent shape: tensor "
                                      "'w' is [16, 8], the gemm needs [k, n] = [8, 16]")


def test_a_transposed_matmul_output_is_refused() -> None:
    tensors = (Tensor("q", (2, 5, 3), 8, role="input"), Tensor("k", (2, 3, 7), 8, role="input"),
               Tensor("s", (2, 7, 5), 32))
    op = Matmul("qk", ("q", "k"), ("s",), batch=2, m=5, n=7, k=3)
    with pytest.raises(TraceError, match=r"ops.qk.outputs\[0\]: inconsistent shape"):
        Trace("t", tensors, (op,)).validate()


def test_an_add_with_one_operand_is_refused() -> None:
    tensors = (Tensor("x", (4, 8), 8, role="input"), Tensor("y", (4, 8), 8))
    with pytest.raises(TraceError, match=r"ops.add.inputs: add needs at least 2 inputs"):
        Trace("t", tensors, (Add("add", ("x",), ("y",), rows=4, length=8),)).validate()


@pytest.mark.parametrize("model", ["vit_tiny", "deit_small", "swin_tiny"])
@pytest.mark.parametrize("batch", [1, 2])
def test_built_in_models_pass_the_shape_checks(model: str, batch: int) -> None:
    build_trace(model, 224, batch, "sole").validate()


@pytest.mark.parametrize(("trace", "op", "tiles"), [
    (_gemm_trace(65536, 65536, 65536), "g", 16_777_216),
    (_gemm_trace(2**40, 64, 64), "g", 4_294_967_296),
])
def test_work_that_cannot_finish_is_refused_with_the_estimate(trace: Trace, op: str,
                                                              tiles: int) -> None:
    arch = load_arch("sole")
    with pytest.raises(SimulationError) as info:
        simulate(arch, trace.validate())
    line = str(info.value)
    assert line.startswith("g.yaml: --max-events: too much work: at least")
    assert f"op '{op}': {tiles:,} tiles" in line and "ACCELSIM_MAX_EVENTS" in line


def test_two_to_the_twenty_heads_are_refused() -> None:
    b = 2**20
    tensors = (Tensor("q", (b, 197, 64), 8, role="input"),
               Tensor("k", (b, 64, 197), 8, role="input"), Tensor("s", (b, 197, 197), 32))
    trace = Trace("h", tensors, (Matmul("qk", ("q", "k"), ("s",), batch=b, m=197, n=197,
                                        k=64),)).validate()
    with pytest.raises(SimulationError, match=r"--max-events: too much work: at least "
                                              r"3,145,728 tiles"):
        simulate(load_arch("sole"), trace)


def test_the_estimate_is_a_lower_bound_of_the_real_run() -> None:
    arch = load_arch("sole")
    for trace in (_gemm_trace(512, 384, 1024).validate(), build_trace("vit_tiny", 224, 1, "sole")):
        estimate = check_work(arch, trace)
        assert 0 < estimate <= simulate(arch, trace, record=False).events


def test_the_limit_is_raised_by_flag_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    trace = _gemm_trace(512, 384, 1024).validate()
    arch = load_arch("sole")
    with pytest.raises(SimulationError, match="over the limit of 10 events"):
        simulate(arch, trace, max_events=10)
    monkeypatch.setenv("ACCELSIM_MAX_EVENTS", "10")
    assert max_events() == 10
    with pytest.raises(SimulationError, match="over the limit of 10 events"):
        check_work(arch, trace)
    monkeypatch.setenv("ACCELSIM_MAX_EVENTS", "many")
    with pytest.raises(SimulationError, match="ACCELSIM_MAX_EVENTS: must be a positive"):
        max_events()
    monkeypatch.delenv("ACCELSIM_MAX_EVENTS")
    assert max_events() == DEFAULT_MAX_EVENTS


def test_the_fast_path_reads_real_traces_like_the_full_parser() -> None:
    text = dump_trace(build_trace("swin_tiny", 224, 2, "w4a8"))
    fast = _load_flow_lines(text)
    assert fast is not None
    assert fast == yaml.load(text, Loader=_Yaml12Loader)  # noqa: S506


_SCALAR = st.one_of(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_.]{0,6}", fullmatch=True),
    st.integers(0, 10**6).map(str),
    st.sampled_from(["true", "False", "null", "1e3", "1.5", "0x1F", "0o17", "010", "yes", "on",
                     "nan", "inf", "1.0.0", "Null", "TRUE"]))
_VALUE = st.one_of(_SCALAR, st.lists(_SCALAR, max_size=4).map(lambda xs: f"[{', '.join(xs)}]"))
_ITEM = st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_]{0,5}", fullmatch=True), _VALUE,
                        min_size=1, max_size=5)


@settings(max_examples=25, deadline=None)
@given(st.lists(_ITEM, min_size=1, max_size=5))
def test_the_fast_path_types_scalars_like_yaml_1_2(items: list[dict[str, str]]) -> None:
    body = ["schema: accelsim.trace/1", "tensors:"]
    body += ["- {" + ", ".join(f"{k}: {v}" for k, v in item.items()) + "}" for item in items]
    text = "\n".join(body) + "\n"
    floor, yamlio._MIN_FAST_LINES = yamlio._MIN_FAST_LINES, 1  # small documents too
    try:
        fast = _load_flow_lines(text)
        assert fast is not None
        assert fast == yaml.load(text, Loader=_Yaml12Loader)  # noqa: S506
        assert load_yaml_text(text) == fast
    finally:
        yamlio._MIN_FAST_LINES = floor


@pytest.mark.parametrize(("old", "new", "needle"), [
    ("name: two", "name: [a, b]", "name: expected a name (a string) (got 'list')"),
    ("{name: x,", "{name: {a: 1},", "tensors[0].name: expected a name"),
    ("inputs: [x, w1]", "inputs: [[x], w1]", "ops[0].inputs[0]: expected a name"),
    ("name: two", "name: " + "[" * 990 + "]" * 990, "nested more than 64 levels deep"),
    ("m: 4,", "m: true,", "ops.g1.m: dimension must be a non-negative integer"),
    ("m: 4,", "m: 4.5,", "ops.g1.m: dimension must be a non-negative integer"),
])
def test_bad_trace_fields_are_one_line(tmp_path, old: str, new: str, needle: str) -> None:
    from accelsim.workload.load import load_trace

    text = ("schema: accelsim.trace/1\nname: two\ntensors:\n"
            "- {name: x, shape: [4, 8], bits: 8, role: input}\n"
            "- {name: w1, shape: [8, 16], bits: 8, role: weight}\n"
            "- {name: y1, shape: [4, 16], bits: 8}\n"
            "ops:\n- {name: g1, kind: gemm, m: 4, n: 16, k: 8, inputs: [x, w1], outputs: [y1]}\n")
    assert old in text
    path = tmp_path / "t.yaml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(TraceError) as info:
        load_trace(path)
    line = str(info.value)
    assert line.startswith(str(path)) and needle in line and "\n" not in line
