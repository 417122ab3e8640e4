"""Issue 16 guarantees on the mapping search (pure, fast) and its estimate vs the engine.

(b) more capacity in any buffer, more banks or wider ports never make the search's chosen
    mapping slower by its own estimate (the feasible set only grows; the pick is within the
    tie band TIE of the best); and, simulated, doubling the buffers never slows a lone GEMM
    where engine.replay plays both sizes' choices;
(d) the estimate the search used and the simulated cycles of a lone GEMM agree within the
    documented bound SIM_OVER_EST (measured over 300 random single-GEMM archs of
    benchmarks/buffer_monotonicity.py's generator: simulated / estimated 0.734 .. 1.257,
    median 1.000, 90% within 0.890 .. 1.049)."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.arch.load import arch_from_dict
from accelsim.engine.simulator import simulate
from accelsim.errors import MappingError
from accelsim.mapping.search import TIE, search
from accelsim.mapping.space import GemmProblem
from accelsim.workload.topology import read_scalesim_topology

SIM_OVER_EST = (0.7, 1.3)
FAST = settings(derandomize=True, deadline=None, max_examples=150, database=None)

problems = st.builds(
    GemmProblem, rows=st.integers(2, 32), cols=st.integers(2, 32),
    dataflow=st.sampled_from(["ws", "os", "is"]), m=st.integers(1, 300), n=st.integers(1, 300),
    k=st.integers(1, 300), a_bits=st.sampled_from([4, 8]), b_bits=st.sampled_from([4, 8]),
    acc_bits=st.just(32), out_bits=st.sampled_from([8, 32]),
    input_bank_bytes=st.integers(64, 1 << 17), weight_bank_bytes=st.integers(64, 1 << 17),
    output_bank_bytes=st.integers(64, 1 << 17), macs_per_pe_per_cycle=st.sampled_from([1, 2]),
    overlap_weight_load=st.booleans(), dram_bytes_per_cycle=st.floats(1, 100),
    batch=st.integers(1, 4),
    ports=st.tuples(*[st.sampled_from([8, 32, 128, 1 << 30])] * 4))


@FAST
@given(p=problems, which=st.sampled_from(["input", "weight", "output", "all", "ports",
                                          "double"]))
def test_more_capacity_or_wider_ports_never_slower_by_the_estimate(p: GemmProblem,
                                                                    which: str) -> None:
    if which == "ports":
        bigger = dataclasses.replace(p, ports=tuple(2 * x for x in p.ports))
    elif which == "double":  # a second bank everywhere (single -> double buffered)
        p = dataclasses.replace(p, double_buffered=False)
        bigger = dataclasses.replace(p, double_buffered=True)
    else:
        roles = ("input", "weight", "output") if which == "all" else (which,)
        bigger = dataclasses.replace(p, **{f"{r}_bank_bytes": 2 * getattr(p, f"{r}_bank_bytes")
                                           for r in roles})
    small, big = search(p), search(bigger)
    if small is None:
        return
    assert big is not None
    assert big.est_cycles <= small.est_cycles * TIE * (1 + 1e-9)


def _lone_gemm(m: int, n: int, k: int):
    """A one-GEMM trace read from a SCALE-Sim topology (M, N, K)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        path.write_text(f"Layer, M, N, K,\ng, {m}, {n}, {k},\n")
        return read_scalesim_topology(path)


def _lone_run(arch, trace):
    """The simulated result and the GEMM's tiling, or None when no tile fits the buffers."""
    planned: list = []
    try:
        result = simulate(arch, trace, record=False, planned=planned)
    except MappingError:
        return None
    (tiling,) = planned[0].mappings.values()
    return result, tiling


@settings(derandomize=True, deadline=None, max_examples=25, database=None)
@given(rows=st.integers(2, 48), cols=st.integers(2, 48),
       dataflow=st.sampled_from(["ws", "os", "is"]),
       m=st.integers(1, 300), n=st.integers(1, 300), k=st.integers(1, 300),
       kib=st.integers(4, 512), banks=st.integers(1, 2), gbps=st.floats(1, 100),
       overlap=st.booleans())
def test_estimate_and_simulation_agree_within_the_documented_bound(
        rows, cols, dataflow, m, n, k, kib, banks, gbps, overlap) -> None:
    buf = {"size_bytes": kib * 1024, "banks": banks}
    arch = arch_from_dict({
        "name": "p", "clock_hz": 1e9,
        "array": {"rows": rows, "cols": cols, "dataflow": dataflow,
                  "overlap_weight_load": overlap},
        "buffers": {"input": buf, "weight": buf, "output": buf},
        "dram": {"bandwidth_gbps": gbps}}, "<test>")
    run = _lone_run(arch, _lone_gemm(m, n, k))
    if run is None:
        return
    result, tiling = run
    low, high = SIM_OVER_EST
    assert low * tiling.est_cycles <= result.total_cycles <= high * tiling.est_cycles


@settings(derandomize=True, deadline=None, max_examples=40, database=None)
@given(rows=st.integers(2, 32), cols=st.integers(2, 32),
       dataflow=st.sampled_from(["ws", "os", "is"]),
       m=st.integers(1, 160), n=st.integers(1, 160), k=st.integers(1, 160),
       kib=st.tuples(*[st.integers(2, 64)] * 3), banks=st.integers(1, 2),
       dram=st.sampled_from(["flat", "LPDDR4-3200", "HBM2"]), overlap=st.booleans())
def test_doubled_buffers_never_slow_a_lone_gemm_the_replay_covers(
        rows, cols, dataflow, m, n, k, kib, banks, dram, overlap) -> None:
    """(b) simulated, for a lone GEMM: doubling every buffer never makes it slower whenever
    engine.replay covers both sizes (the smaller size's choice has at most CHAIN_STEPS
    steps and the bigger size's at most REPLAY_STEPS): the bigger size replays the smaller
    size's choice, its lone cycles are exactly the simulated ones, and it keeps the faster."""
    from accelsim.engine.replay import CHAIN_STEPS, REPLAY_STEPS

    base = {"name": "p", "clock_hz": 1e9, "mapper": {"replay": True},
            "array": {"rows": rows, "cols": cols, "dataflow": dataflow,
                      "overlap_weight_load": overlap},
            "dram": ({"bandwidth_gbps": 20.0} if dram == "flat"
                     else {"model": "banked", "preset": dram})}
    trace = _lone_gemm(m, n, k)
    runs = []
    for scale in (1, 2):
        buffers = {r: {"size_bytes": x * 1024 * scale, "banks": banks}
                   for r, x in zip(("input", "weight", "output"), kib, strict=True)}
        run = _lone_run(arch_from_dict({**base, "buffers": buffers}, "<test>"), trace)
        if run is None:
            return
        result, tiling = run
        runs.append((result.total_cycles, tiling.steps))
    (small, small_steps), (big, big_steps) = runs
    if small_steps <= CHAIN_STEPS and big_steps <= REPLAY_STEPS:
        assert big <= small
