"""Up-front work estimate of a simulation, refused above a limit before anything is planned.

Why: the engine costs about 5 simpy events per tile (step) and runs ~30-60k events/s, and a
planned tile costs memory, so a 65536^3 GEMM, a matmul over 2^20 heads or a CSV layer with
M = 2^40 would run (or allocate) until killed. Each op's step count has a cheap lower bound:
every tile's operand blocks must fit one bank (Mt x Kt of A in the input bank, Kt x Nt of B in
the weight bank, Mt x Nt partial sums in the output bank; row ops: their rows in a bank), so
steps >= max(bytes of each operand / its bank, m n k / sqrt(product of the three bank
capacities in elements)) per GEMM instance. The estimate is a lower bound:
a run refused by it could never have fitted the limit. Pure function, no simpy.
"""

from __future__ import annotations

import math
import os

from accelsim.arch.spec import ArchSpec
from accelsim.errors import SimulationError
from accelsim.units import ceil_div
from accelsim.workload.ops import GEMM_KINDS
from accelsim.workload.trace import Trace

#: default limit on the estimated simpy events of one simulation: about a minute of engine
#: time (estimates: ViT-B 10 k, Swin-B at batch 32 0.9 M, ViT-H at batch 64 3.4 M: raise it).
#: ``ACCELSIM_MAX_EVENTS`` or ``--max-events`` raise it.
DEFAULT_MAX_EVENTS = 2_000_000
#: simpy events per planned step (measured: 4.3 for a tiled GEMM, 6.7 over ViT-B; the bound
#: takes the lower figure)
EVENTS_PER_STEP = 4


def max_events(limit: int | None = None) -> int:
    """The event limit in force: ``limit`` if given, else ``ACCELSIM_MAX_EVENTS``, else the
    default."""
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise SimulationError("the event limit must be a positive integer",
                                  key="--max-events", value=limit)
        return limit
    raw = os.environ.get("ACCELSIM_MAX_EVENTS", "").strip().replace("_", "")
    if not raw:
        return DEFAULT_MAX_EVENTS
    if not raw.isdigit() or int(raw) < 1:
        raise SimulationError("must be a positive integer", key="ACCELSIM_MAX_EVENTS",
                              value=os.environ["ACCELSIM_MAX_EVENTS"])
    return int(raw)


def op_steps_lower_bound(arch: ArchSpec, trace: Trace, op: object,
                         banks: dict[str, int] | None = None) -> int:
    """Fewest steps (tiles) the scheduler can cut ``op`` into on ``arch``'s banks (``banks``:
    role -> bank bytes, ``_bank_bytes(arch)``; check_work passes them once for every op)."""
    assert arch.buffers is not None and arch.array is not None
    if banks is None:
        banks = _bank_bytes(arch)
    if op.kind in GEMM_KINDS:  # type: ignore[attr-defined]
        m, n, k = op.m, op.n, op.k  # type: ignore[attr-defined]
        a, b = (trace.tensor(name) for name in op.inputs[:2])  # type: ignore[attr-defined]
        acc_bits = max(trace.tensor(op.outputs[0]).bits,  # type: ignore[attr-defined]
                       arch.array.accumulator_bits)
        # elements of each operand one bank holds
        fit_a = max(1, banks["input"] * 8 // a.bits)
        fit_b = max(1, banks["weight"] * 8 // b.bits)
        fit_c = max(1, banks["output"] * 8 // acc_bits)
        # (Mt Kt)(Kt Nt)(Mt Nt) <= fit_a fit_b fit_c, so a tile covers at most the square root
        # of that product of the m x n x k iteration space
        volume = math.isqrt(fit_a * fit_b * fit_c)
        per_instance = max(1, ceil_div(m * k, fit_a), ceil_div(k * n, fit_b),
                           ceil_div(m * n, fit_c), ceil_div(m * n * k, volume))
        return getattr(op, "batch", 1) * per_instance
    out = trace.tensor(op.outputs[0])  # type: ignore[attr-defined]
    return max(1, ceil_div(out.size_bytes, banks["output"]))


def _bank_bytes(arch: ArchSpec) -> dict[str, int]:
    """Bytes of one bank of each operand buffer."""
    assert arch.buffers is not None
    return {role: arch.buffers.role(role).bank_bytes for role in ("input", "weight", "output")}


def check_work(arch: ArchSpec, trace: Trace, limit: int | None = None) -> int:
    """Estimated events of simulating ``trace`` on ``arch``; SimulationError naming the
    estimate, the largest op and how to raise the limit when it is over ``max_events(limit)``."""
    cap = max_events(limit)
    if arch.buffers is None or arch.array is None:
        return 0  # a reference device is evaluated analytically
    total = 0
    biggest, biggest_steps = None, 0
    banks = _bank_bytes(arch)
    for op in trace.ops:
        steps = op_steps_lower_bound(arch, trace, op, banks)
        total += steps
        if steps > biggest_steps:
            biggest, biggest_steps = op, steps
    events = total * EVENTS_PER_STEP
    if events > cap:
        raise SimulationError(
            f"too much work: at least {total:,} tiles, ~{events:,} engine events (op "
            f"{getattr(biggest, 'name', '?')!r}: {biggest_steps:,} tiles), over the limit of "
            f"{cap:,} events; "
            "raise it with --max-events N or ACCELSIM_MAX_EVENTS, or shrink the workload",
            file=None if trace.source.startswith("<") else trace.source, key="--max-events")
    return events
