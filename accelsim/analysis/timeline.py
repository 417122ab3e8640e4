"""A run's timeline in the Chrome trace event format (JSON object form), which Perfetto
(ui.perfetto.dev) and chrome://tracing open. Built from the event log and the recorder's spans
of a ``simulate(record=True)`` run; formatting only, no physics.

Tracks (one "thread" each, in this order): every unit (array, vector, SFUs), each unit's stall
track, the DRAM channel, and one track per bank of each buffer. Slices:
  * ops: one slice per hold of a unit (an event-log ``start``/``end`` pair of one op), named by
    the op; an epilogue (requant, GELU, residual add in a GEMM's output path) is drawn on the
    unit that runs it and named "op (fused into host)";
  * stalls: waits for DRAM data, a producer (dependency), a free bank, the unit itself, and the
    SRAM-port cycles a hold spends beyond its compute, named "stall: cause";
  * DRAM: each transfer while it holds the channel (reads and write-backs);
  * banks: each tile's occupancy of a bank, from the DMA taking it to its release.
Overlapping slices of one track (two groups' stages waiting at once) are packed on extra lanes
("array stalls #2"), since a trace viewer nests slices of one thread.
Times: ``ts``/``dur`` in microseconds (the format's unit) at the arch's clock; every slice's
``args`` also carry its exact start and end cycle.
"""

from __future__ import annotations

import json
from typing import Any

from accelsim.analysis.records import SimResult
from accelsim.analysis.views import run_title

TRACE_SCHEMA = "accelsim.timeline/1"


class NoEventLog(ValueError):
    """The run kept no event log (simulate(record=False)): there is nothing to draw."""


def op_slices(result: SimResult) -> list[tuple[str, str, int, int, str]]:
    """(track, name, start_cycle, end_cycle, category) of every unit hold in the event log:
    each ``start`` row is paired with the next ``end`` row of the same component and op."""
    log = _log(result)
    layers = {x.name: x for x in result.layers}
    open_at: dict[tuple[str, str], list[int]] = {}
    out = []
    for cycle, component, event, op in log:
        if event == "start":
            open_at.setdefault((component, op), []).append(int(cycle))
        elif event == "end" and open_at.get((component, op)):
            start = open_at[(component, op)].pop(0)
            layer = layers[op]
            track = layer.unit if component == "epilogue" else component
            name = f"{op} (fused into {layer.fused_into})" if layer.fused_into else op
            out.append((track, name, start, int(cycle), "op"))
    return out


def span_slices(result: SimResult) -> list[tuple[str, str, int, int, str]]:
    """(track, name, start_cycle, end_cycle, category) of the recorder's spans: stalls,
    DRAM transfers, bank holds."""
    _log(result)
    out = []
    for track, label, start, end, op in result.extra.get("spans", []):
        if track.endswith(" stalls"):
            out.append((track, f"stall: {label}", start, end, "stall"))
        elif track == "DRAM channel":
            out.append((track, f"{label} {op}", start, end, "dram"))
        else:
            out.append((track, op, start, end, "bank"))
    return out


def _log(result: SimResult) -> list[tuple[int, str, str, str]]:
    log = result.extra.get("event_log")
    if log is None:
        raise NoEventLog("the run kept no event log: simulate(..., record=True)")
    return log


def _track_order(track: str, units: list[str]) -> tuple[int, int, str]:
    base = track.removesuffix(" stalls")
    if base in units:
        return (0, 2 * units.index(base) + track.endswith(" stalls"), track)
    if track.endswith(" stalls"):
        return (1, 0, track)
    if track == "DRAM channel":
        return (2, 0, track)
    return (3, ("input", "weight", "output").index(track.split()[0])
            if track.split()[0] in ("input", "weight", "output") else 9, track)


def _pack(slices: list[tuple[str, str, int, int, str]]) -> list[tuple[str, str, int, int, str]]:
    """Move slices that overlap an earlier one of their track to lanes '#2', '#3', ..."""
    ends: dict[str, list[int]] = {}
    out = []
    for track, name, start, end, cat in sorted(slices, key=lambda s: (s[0], s[2], -s[3])):
        lanes = ends.setdefault(track, [])
        lane = next((i for i, free_at in enumerate(lanes) if free_at <= start), len(lanes))
        if lane == len(lanes):
            lanes.append(end)
        else:
            lanes[lane] = end
        out.append((track if lane == 0 else f"{track} #{lane + 1}", name, start, end, cat))
    return out


def chrome_trace(result: SimResult, command: str = "") -> dict[str, Any]:
    """The run as a Chrome trace object ({"traceEvents": [...], ...})."""
    slices = _pack(op_slices(result) + span_slices(result))
    units = list(result.unit_busy_cycles)
    tracks = sorted({s[0] for s in slices},
                    key=lambda t: (*_track_order(t.split(" #")[0], units), t))
    tid = {track: i + 1 for i, track in enumerate(tracks)}
    us = 1e6 / result.clock_hz
    events: list[dict[str, Any]] = [
        {"ph": "M", "pid": 1, "tid": 0, "name": "process_name",
         "args": {"name": run_title(result)}}]
    for track in tracks:
        events.append({"ph": "M", "pid": 1, "tid": tid[track], "name": "thread_name",
                       "args": {"name": track}})
        events.append({"ph": "M", "pid": 1, "tid": tid[track], "name": "thread_sort_index",
                       "args": {"sort_index": tid[track]}})
    for track, name, start, end, cat in sorted(slices, key=lambda s: (tid[s[0]], s[2], s[3])):
        events.append({"ph": "X", "pid": 1, "tid": tid[track], "name": name, "cat": cat,
                       "ts": round(start * us, 6), "dur": round((end - start) * us, 6),
                       "args": {"start_cycle": start, "end_cycle": end}})
    return {"traceEvents": events, "displayTimeUnit": "ns",
            "otherData": {"schema": TRACE_SCHEMA, "run": run_title(result),
                          "clock_hz": result.clock_hz, "total_cycles": result.total_cycles,
                          "command": command}}


def timeline_json(result: SimResult, command: str = "") -> str:
    """``chrome_trace`` as compact, deterministic JSON text."""
    return json.dumps(chrome_trace(result, command), sort_keys=True, separators=(",", ":"))
