"""Per-request reference model of banked DRAM (slow, plain Python, tests only).

Expands an access pattern into every burst, decodes each burst's physical address digit by digit
with the mapping string, and issues the bursts of each channel one by one with the timing rules
of accelsim/cost/dram.py's docstring (per-bank open row, ACT/PRE constraints, tCCD, tRRD, tFAW).
Shares no code with the closed form beyond the spec objects.
"""

from __future__ import annotations

from accelsim.arch.spec import DramSpec


def decode(spec: DramSpec, burst: int) -> dict[str, int]:
    t = spec.timing
    assert t is not None
    radix = {"Ch": t.channels, "Ra": t.ranks, "Bg": t.bankgroups, "Ba": t.banks_per_group,
             "Co": t.row_bytes // t.burst_bytes, "Ro": t.rows}
    fields = list(reversed(spec.mapping_fields))
    out = {}
    for i, name in enumerate(fields):
        if i == len(fields) - 1:
            out[name] = burst
        else:
            burst, out[name] = divmod(burst, radix[name])
    return out


def bursts_of(spec: DramSpec, base: int, run: int, stride: int, runs: int) -> list[int]:
    b = spec.timing.burst_bytes  # type: ignore[union-attr]
    out = []
    for i in range(runs):
        start = base + i * stride
        out.extend(range(start // b, (start + run - 1) // b + 1))
    return out


def simulate(spec: DramSpec, base: int, run: int, stride: int, runs: int,
             write: bool) -> dict[str, int]:
    """Busy nCK (slowest channel) and per-burst hit / miss / conflict counts."""
    t = spec.timing
    assert t is not None
    tb = t.burst_tck
    same, other_bg = max(tb, t.tCCD_L), max(tb, t.tCCD_S)
    recovery = t.WL + tb + t.tWR if write else t.tRTP
    by_channel: dict[int, list[dict[str, int]]] = {}
    for x in bursts_of(spec, base, run, stride, runs):
        d = decode(spec, x)
        by_channel.setdefault(d["Ch"], []).append(d)
    total = {"busy": 0, "hits": 0, "misses": 0, "conflicts": 0, "bursts": 0}
    for reqs in by_channel.values():
        open_row: dict[tuple, int] = {}
        act_at: dict[tuple, int] = {}
        last_col: dict[tuple, int] = {}
        ready: dict[tuple, int] = {}
        acts: dict[int, list[tuple[int, int]]] = {}
        t_last, look, prev = -1, 0, None
        for d in reqs:
            bank = (d["Ra"], d["Bg"], d["Ba"])
            row = d["Ro"]
            if prev is None:
                earliest = 0
            elif d["Ra"] != prev[0][0]:
                earliest = t_last + tb + t.tRTRS
            else:
                earliest = t_last + (same if d["Bg"] == prev[0][1] else other_bg)
            new_segment = prev != (bank, row)
            if not new_segment:
                col = earliest
                total["hits"] += 1
            elif open_row.get(bank) == row:
                col = earliest
                total["hits"] += 1
            else:
                if bank in open_row:
                    total["conflicts"] += 1
                    pre = max(look, last_col[bank] + recovery, act_at[bank] + t.tRAS)
                    act = pre + t.tRP
                else:
                    total["misses"] += 1
                    act = max(look, ready.get(bank, 0))
                hist = acts.setdefault(d["Ra"], [])
                if hist:
                    act = max(act, hist[-1][0] + (t.tRRD_L if hist[-1][1] == d["Bg"]
                                                  else t.tRRD_S))
                    if len(hist) >= 4:
                        act = max(act, hist[-4][0] + t.tFAW)
                hist.append((act, d["Bg"]))
                act_at[bank] = act
                col = max(earliest, act + t.tRCD)
            if new_segment:
                look = col
            last_col[bank] = col
            if spec.page_policy == "open":
                open_row[bank] = row
            else:
                ready[bank] = max(col + recovery, act_at[bank] + t.tRAS) + t.tRP
            t_last, prev = col, (bank, row)
            total["bursts"] += 1
        total["busy"] = max(total["busy"], t_last + tb)
    return total
