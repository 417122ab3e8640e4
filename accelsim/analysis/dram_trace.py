"""A run's DRAM request stream in Ramulator 2's LoadStoreTrace format, for offline cross-checks.

One line per burst, in issue order: ``LD 0x<address>`` for a read, ``ST 0x<address>`` for a
write (Ramulator 2, src/frontend/impl/memory_trace/loadstore_trace.cpp reads exactly two
tokens, LD/ST and a hex or decimal address). Addresses are the placement's
(mapping/placement.py) byte addresses, aligned down to the burst.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from accelsim.analysis.records import SimResult

#: burst granularity of the trace when the run used the bandwidth model (a 64 B line)
DEFAULT_BURST_BYTES = 64


def burst_bytes_of(result: SimResult) -> int:
    timing = (result.arch.get("dram") or {}).get("timing")
    if (result.arch.get("dram") or {}).get("model") == "banked" and timing:
        return int(timing["bus_width_bits"]) * int(timing["BL"]) // 8
    return DEFAULT_BURST_BYTES


def trace_lines(requests: Iterable[tuple[int, int, int, int, bool]],
                burst_bytes: int) -> Iterator[str]:
    """Lines of the trace for (base, run, stride, runs, is_write) transfers."""
    for base, run, stride, runs, write in requests:
        op = "ST" if write else "LD"
        for i in range(max(runs, 1)):
            start = base + i * stride
            first, last = start // burst_bytes, (start + run - 1) // burst_bytes
            for burst in range(first, last + 1):
                yield f"{op} 0x{burst * burst_bytes:x}"


def ramulator_trace(result: SimResult) -> str:
    """The whole trace of a run simulated with ``dram_requests=True``."""
    requests = result.extra.get("dram_requests")
    if requests is None:
        raise ValueError("the run kept no DRAM requests: simulate(..., dram_requests=True)")
    text = "\n".join(trace_lines(requests, burst_bytes_of(result)))
    return text + "\n" if text else ""
