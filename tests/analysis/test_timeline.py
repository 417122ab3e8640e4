"""The Chrome-trace timeline against the event log it is drawn from: every unit hold is one op
slice with the log's start and end, every DRAM transfer one slice on the channel (busy time
conserved), bank holds within each buffer's banks, stall slices summing to the stall counters."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import pytest

from accelsim.analysis.timeline import NoEventLog, chrome_trace, timeline_json
from accelsim.arch.load import load_arch
from accelsim.engine.simulator import simulate
from accelsim.workload.load import load_trace


@pytest.fixture(scope="module")
def run():
    return simulate(load_arch("sole"), load_trace("vit_tiny", 64, 1, "sole"), record=True)


def _slices(result):
    trace = chrome_trace(result)
    names = {e["tid"]: e["args"]["name"] for e in trace["traceEvents"]
             if e["ph"] == "M" and e["name"] == "thread_name"}
    return [(names[e["tid"]], e) for e in trace["traceEvents"] if e["ph"] == "X"]


def _log_holds(log):
    """(op, start, end) of each start/end pair, paired per (component, op) in order."""
    opened = defaultdict(list)
    holds = []
    for cycle, component, event, op in log:
        if event == "start":
            opened[(component, op)].append(cycle)
        elif event == "end":
            holds.append((op, opened[(component, op)].pop(0), cycle))
    return holds


def test_op_slices_are_the_event_logs_holds(run):
    log = run.extra["event_log"]
    ops = [e for _, e in _slices(run) if e["cat"] == "op"]
    starts = sum(1 for row in log if row[2] == "start")
    # (a non-trivial run: hundreds of tile holds; the mapping search picks few, large tiles)
    assert len(ops) == starts == sum(1 for row in log if row[2] == "end") > 500
    got = Counter((e["name"].split(" (fused")[0], e["args"]["start_cycle"],
                   e["args"]["end_cycle"]) for e in ops)
    assert got == Counter(_log_holds(log))
    us = 1e6 / run.clock_hz
    for e in ops:
        assert e["ts"] == pytest.approx(e["args"]["start_cycle"] * us, abs=1e-6)
        assert e["dur"] == pytest.approx((e["args"]["end_cycle"] - e["args"]["start_cycle"])
                                         * us, abs=1e-6)
    # epilogues are named as fused into their host
    fused = {x.name: x.fused_into for x in run.layers if x.fused_into}
    assert any(e["name"] == f"{op} (fused into {host})" for e in ops
               for op, host in list(fused.items())[:1])


def test_dram_slices_match_the_dma_rows_and_the_busy_counter(run):
    log = run.extra["event_log"]
    dma = [row for row in log if row[1] == "dma"]
    channel = sorted((e for track, e in _slices(run) if track == "DRAM channel"),
                     key=lambda e: e["args"]["start_cycle"])
    assert len(channel) == len(dma)
    assert Counter(e["name"].split()[0] for e in channel) == Counter(row[2] for row in dma)
    assert sum(e["args"]["end_cycle"] - e["args"]["start_cycle"] for e in channel) == \
        run.dram_busy_cycles
    # one channel: transfers never overlap
    for before, after in zip(channel, channel[1:], strict=False):
        assert after["args"]["start_cycle"] >= before["args"]["end_cycle"]
    # a transfer holds the channel no earlier than the DMA asked for it
    asked = defaultdict(list)
    for cycle, _, event, op in dma:
        asked[(event, op)].append(cycle)
    held = defaultdict(list)
    for e in channel:
        event, op = e["name"].split(" ", 1)
        held[(event, op)].append(e["args"]["start_cycle"])
    for key, cycles in asked.items():
        assert all(h >= a for h, a in zip(sorted(held[key]), sorted(cycles), strict=True))


def test_bank_tracks_stay_within_each_buffers_banks(run):
    banks = {role: run.arch["buffers"][role]["banks"] for role in ("input", "weight", "output")}
    by_track = defaultdict(list)
    for track, e in _slices(run):
        if e["cat"] == "bank":
            by_track[track].append((e["args"]["start_cycle"], e["args"]["end_cycle"]))
    assert by_track
    for track, spans in by_track.items():
        role, _, lane = track.split()
        assert int(lane) < banks[role]
        spans.sort()
        assert all(b[0] >= a[1] for a, b in zip(spans, spans[1:], strict=False))
    for role in banks:  # the busiest moment uses as many banks as the engine counted
        edges = sorted((c, d) for t, spans in by_track.items() if t.startswith(role)
                       for s, e in spans for c, d in ((s, 1), (e, -1)))
        level = peak = 0
        for _, d in edges:
            level += d
            peak = max(peak, level)
        assert peak == run.peak_bank_use[role]


def test_stall_slices_sum_to_the_layers_stall_counters(run):
    spans = defaultdict(int)
    for track, label, start, end, op in run.extra["spans"]:
        if track.endswith(" stalls"):
            spans[(op, label)] += end - start
    layers = {x.name: x for x in run.layers}
    assert spans
    for cause in ("unit", "sram", "bank", "dram"):
        for name, x in layers.items():
            assert spans.get((name, cause), 0) == x.stalls[cause], (name, cause)
    for (name, cause), cycles in spans.items():  # dependency: the engine adds queueing
        assert cycles <= layers[name].stalls[cause]


def test_timeline_json_is_a_deterministic_trace_object(run):
    text = timeline_json(run, "accelsim simulate")
    data = json.loads(text)
    assert data["otherData"]["schema"] == "accelsim.timeline/1"
    assert data["otherData"]["total_cycles"] == run.total_cycles
    again = simulate(load_arch("sole"), load_trace("vit_tiny", 64, 1, "sole"), record=True)
    assert timeline_json(again, "accelsim simulate") == text
    tracks = [e["args"]["name"] for e in data["traceEvents"] if e["name"] == "thread_name"]
    assert tracks[0] == "ailayernorm" and "DRAM channel" in tracks and "input bank 0" in tracks


def test_no_event_log_is_an_error():
    result = simulate(load_arch("sole"), load_trace("vit_tiny", 64, 1, "sole"), record=False)
    with pytest.raises(NoEventLog):
        chrome_trace(result)
