"""Engine properties over random architectures and small workloads (hypothesis, derandomized).

Every run uses ``simulate(..., check=True)``, so the invariants of accelsim.engine.invariants
(MACs and bytes conserved, every step consumed once per stage, banks never over-subscribed,
latency above every lower bound) hold on each example, or the mapping fails cleanly with a
MappingError naming a buffer.
"""

from __future__ import annotations

import tempfile
from functools import cache, lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accelsim.arch.load import arch_from_dict
from accelsim.arch.spec import ArchSpec
from accelsim.engine.simulator import simulate
from accelsim.errors import MappingError, SimulationError
from accelsim.workload.models import build_trace
from accelsim.workload.topology import read_scalesim_topology
from accelsim.workload.trace import Trace

SETTINGS = settings(derandomize=True, deadline=None, max_examples=40, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
ROLES = ("input", "weight", "output")

#: bigger buffers may make a workload slower by at most this factor (measured: 1.135 over 499
#: random single- and multi-GEMM cases; see test_bigger_buffers_never_add_traffic)
BIGGER_BUFFER_SLOWDOWN = 1.2


def make_arch(rows: int, cols: int, dataflow: str, sizes: tuple[int, int, int], banks: int,
              bandwidth_gbps: float, clock_hz: float, overlap: bool = True,
              fusion: bool = True) -> ArchSpec:
    return arch_from_dict({
        "name": "hypothesis", "clock_hz": clock_hz,
        "array": {"rows": rows, "cols": cols, "dataflow": dataflow,
                  "overlap_weight_load": overlap},
        "buffers": {role: {"size_bytes": size, "banks": banks}
                    for role, size in zip(ROLES, sizes, strict=True)},
        "dram": {"bandwidth_gbps": bandwidth_gbps},
        "fusion": {"epilogue": fusion, "attention": fusion, "layernorm": fusion,
                   "residual": fusion},
    }, "<hypothesis>")


archs = st.builds(
    make_arch,
    rows=st.integers(2, 64), cols=st.integers(2, 64), dataflow=st.sampled_from(["ws", "os", "is"]),
    sizes=st.tuples(*[st.integers(4 * 1024, 1024 * 1024)] * 3), banks=st.integers(1, 2),
    bandwidth_gbps=st.floats(1, 100), clock_hz=st.floats(0.2e9, 2e9),
    overlap=st.booleans(), fusion=st.booleans())
gemm = st.tuples(st.integers(1, 300), st.integers(1, 300), st.integers(1, 300))
gemm_lists = st.lists(gemm, min_size=1, max_size=3)


@cache
def topology_trace(layers: tuple[tuple[int, int, int], ...]) -> Trace:
    """Independent GEMMs through a SCALE-Sim topology CSV (the real import path)."""
    folder = Path(tempfile.mkdtemp(prefix="accelsim-prop-"))
    path = folder / "topology.csv"
    path.write_text("Layer, M, N, K,\n" + "".join(f"l{i}, {m}, {n}, {k},\n"
                                                  for i, (m, n, k) in enumerate(layers)))
    return read_scalesim_topology(path)


@lru_cache(maxsize=1)
def vit_tiny() -> Trace:
    return build_trace("vit_tiny", 224, 1, "sole")


def run_or_mapping_error(arch: ArchSpec, trace: Trace):
    """The checked result, or None when the mapping is impossible (a clean MappingError)."""
    try:
        return simulate(arch, trace, record=False, check=True)
    except MappingError as exc:
        assert "buffer '" in str(exc) and exc.key and exc.key.startswith("buffers."), str(exc)
        event("mapping error")
        return None


@SETTINGS
@given(arch=archs, layers=gemm_lists)
def test_invariants_hold_on_gemms(arch: ArchSpec, layers: list[tuple[int, int, int]]) -> None:
    result = run_or_mapping_error(arch, topology_trace(tuple(layers)))
    if result is not None:
        assert result.total_cycles > 0


@settings(SETTINGS, max_examples=15)
@given(arch=archs)
def test_invariants_hold_on_vit_tiny(arch: ArchSpec) -> None:
    run_or_mapping_error(arch, vit_tiny())


@SETTINGS
@given(arch=archs, layers=gemm_lists)
def test_more_bandwidth_never_slower(arch: ArchSpec, layers: list[tuple[int, int, int]]) -> None:
    """Doubling the DRAM bandwidth never makes the workload slower (measured: never, over 1,500
    random cases). Single layers' spans may grow by ~12%: a layer whose loads start earlier can
    then wait longer for the array, still busy with the previous layer; so only the end-to-end
    latency is compared."""
    trace = topology_trace(tuple(layers))
    base = run_or_mapping_error(arch, trace)
    if base is None:
        return
    faster = arch.model_copy(update={"dram": arch.dram.model_copy(
        update={"bandwidth_gbps": arch.dram.bandwidth_gbps * 2})})
    assert simulate(faster, trace, record=False, check=True).total_cycles <= base.total_cycles


@SETTINGS
@given(arch=archs, layers=gemm_lists)
def test_bigger_buffers_never_add_traffic(arch: ArchSpec,
                                          layers: list[tuple[int, int, int]]) -> None:
    """Doubling every buffer never adds DRAM traffic on these cases, and slows the workload
    by at most BIGGER_BUFFER_SLOWDOWN.

    Bigger buffers are not *exactly* monotone in simulation. The mapping search picks the
    best estimated latency (mapping.estimate; within a 1% tie band the fewest DRAM bytes), and
    the estimate leaves out what the engine adds between groups. With the search:
    benchmarks/buffer_monotonicity.py finds 1.034x at worst, 2 of 499 above 1% (the
    DRAM-bytes-first tiler before it: 1.135x, 5 of 499; before any latency estimate 1.42x,
    60 of 500)."""
    trace = topology_trace(tuple(layers))
    base = run_or_mapping_error(arch, trace)
    if base is None:
        return
    assert arch.buffers is not None
    bigger = arch.model_copy(update={"buffers": arch.buffers.model_copy(update={
        role: getattr(arch.buffers, role).model_copy(
            update={"size_bytes": getattr(arch.buffers, role).size_bytes * 2})
        for role in ROLES})})
    big = simulate(bigger, trace, record=False, check=True)

    def traffic(result) -> int:
        return sum(layer.dram_read_bytes + layer.dram_write_bytes for layer in result.layers)

    assert traffic(big) <= traffic(base)
    assert big.total_cycles <= base.total_cycles * BIGGER_BUFFER_SLOWDOWN


@SETTINGS
@given(rows=st.integers(2, 64), cols=st.integers(2, 64),
       dataflow=st.sampled_from(["ws", "os", "is"]), m_blocks=st.integers(32, 64),
       n=st.integers(1, 128), k=st.integers(1, 128))
def test_doubling_macs_of_a_compute_bound_gemm_doubles_compute(
        rows: int, cols: int, dataflow: str, m_blocks: int, n: int, k: int) -> None:
    """Doubling M (a multiple of 64, >= 2048, so the array's fill and drain are small next to
    the streamed work) with a huge bandwidth doubles the compute cycles within 10% (measured:
    1.935..2.0)."""
    arch = make_arch(rows, cols, dataflow, (1024 * 1024,) * 3, 2, 1e6, 1e9)
    m = 64 * m_blocks
    once = simulate(arch, topology_trace(((m, n, k),)), record=False, check=True)
    twice = simulate(arch, topology_trace(((2 * m, n, k),)), record=False, check=True)
    ratio = twice.layers[0].compute_cycles / once.layers[0].compute_cycles
    assert 1.9 <= ratio <= 2.1, ratio


def test_same_input_same_output() -> None:
    arch = make_arch(16, 16, "ws", (65536, 65536, 32768), 2, 25.6, 1e9)
    a = simulate(arch, vit_tiny(), record=False, check=True)
    b = simulate(arch, vit_tiny(), record=False, check=True)
    assert a.layers == b.layers and a.total_cycles == b.total_cycles


def test_check_flag_reports_a_broken_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan that loses a step's MACs is caught by --check (the invariants are not vacuous)."""
    from accelsim.engine import scheduler

    original = scheduler.Scheduler.plan

    def lossy(self):
        groups = original(self)
        steps = groups[0].steps
        groups[0].steps = steps[:-1] if len(steps) > 1 else steps
        return groups

    monkeypatch.setattr(scheduler.Scheduler, "plan", lossy)
    arch = make_arch(8, 8, "ws", (4096, 4096, 4096), 2, 10, 1e9)
    with pytest.raises(SimulationError, match="MACs not conserved"):
        simulate(arch, topology_trace(((64, 64, 64),)), record=False, check=True)
