"""What a DMA tile costs on banked DRAM: closed form over row segments (pure, no simpy).

A tile's access pattern (AccessPattern: ``runs`` contiguous runs of ``run_bytes``, ``stride_bytes``
apart, from ``base_bytes``) is cut into bursts (``bus_width_bits / 8 x BL`` bytes) and mapped to
(channel, rank, bank group, bank, row, column) by the address-mapping string (Ramulator
spelling, MSB -> LSB, e.g. RoBaRaCoCh). Channels work in parallel; each serves its bursts in
order with one in-order, open-page controller (closed page as an option). The timing rules
(JEDEC names, nCK):

* column commands: same bank group ``max(tBURST, tCCD_L)`` apart, other bank group
  ``max(tBURST, tCCD_S)``, other rank ``tBURST + tRTRS`` (tBURST = BL / beats per nCK);
* a burst to a bank whose open row differs needs ACT (row miss: bank closed) or PRE + ACT (row
  conflict), then ``tRCD`` to its column command. The controller sees one row segment ahead:
  the PRE/ACT of a segment may issue once the previous segment's first column command has
  (so a stream of long segments hides them behind the data of other banks; a conflict in the
  bank just used cannot hide). PRE waits ``tRTP`` after the bank's last read (``WL + tBURST +
  tWR`` after a write) and ``tRAS`` after its ACT; ACT waits ``tRP`` after PRE, ``tRRD_S/L``
  after the previous ACT of the rank and ``tFAW`` after the fourth-last;
* every transfer starts with all banks precharged (the controller closes idle banks between
  DMA transfers); the channel is busy until the last burst's data has left the bus.

A *row segment* is a maximal sequence of a channel's consecutive bursts to one (bank, row); the
cost walks segments, never bursts: per run and channel the bursts form one contiguous range of
the channel-local address (the Ch digit removed), so the segments come from integer arithmetic.
The per-burst reference model in tests/cost/dram_reference.py issues every burst with the same
rules; the two agree exactly (tests/cost/test_dram.py). Refresh (all-bank, tRFC every tREFI)
and read/write turnarounds depend on the channel's history and are applied by the engine
(engine/dram.py) with ``refresh_end_cycle`` and ``turnaround_tck``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from accelsim.arch.spec import DramSpec
from accelsim.units import ceil_div


@dataclass(frozen=True, slots=True)
class AccessPattern:
    """``runs`` contiguous runs of ``run_bytes`` starting ``stride_bytes`` apart at
    ``base_bytes`` (a row-major tile: one run per tile row)."""

    base_bytes: int
    run_bytes: int
    stride_bytes: int
    runs: int

    @property
    def total_bytes(self) -> int:
        return self.run_bytes * self.runs


@dataclass(frozen=True)
class DramGeometry:
    """The banked DRAM as the cost needs it: integers only, hashable (memo key)."""

    burst_bytes: int
    burst_tck: int
    channels: int
    columns: int  # bursts per row
    below_ch: int  # product of the radices below Ch (bursts)
    upper: tuple[tuple[str, int], ...]  # channel-local fields above Co, LSB -> MSB (top: 0)
    period_bytes: int  # shifting a pattern by this only renames rows (0: no such period)
    open_page: bool
    RL: int
    WL: int
    tRCD: int
    tRP: int
    tRAS: int
    tCCD_S: int
    tCCD_L: int
    tRRD_S: int
    tRRD_L: int
    tFAW: int
    tWR: int
    tWTR_S: int
    tRTP: int
    tRTRS: int
    tRFC: int
    tREFI: int
    tCK_ns: float


def dram_geometry(spec: DramSpec) -> DramGeometry:
    """The geometry of a ``banked`` DramSpec."""
    t = spec.timing
    assert t is not None, "a banked DramSpec has a timing (validated)"
    radix = {"Ch": t.channels, "Ra": t.ranks, "Bg": t.bankgroups, "Ba": t.banks_per_group,
             "Co": t.row_bytes // t.burst_bytes, "Ro": t.rows}
    lsb_first = list(reversed(spec.mapping_fields))
    below_ch = 1
    for name in lsb_first[:lsb_first.index("Ch")]:
        below_ch *= radix[name]
    local = [f for f in lsb_first if f != "Ch"]
    above = local[local.index("Co") + 1:]
    # the topmost field takes whatever is left (addresses past the capacity wrap into it)
    upper = tuple((f, radix[f] if f != above[-1] else 0) for f in above)
    period = 0
    if spec.mapping_fields[0] == "Ro":
        period = t.burst_bytes
        for name, r in radix.items():
            period *= r if name != "Ro" else 1
    return DramGeometry(
        burst_bytes=t.burst_bytes, burst_tck=t.burst_tck, channels=t.channels,
        columns=radix["Co"], below_ch=below_ch, upper=upper, period_bytes=period,
        open_page=spec.page_policy == "open", RL=t.RL, WL=t.WL, tRCD=t.tRCD, tRP=t.tRP,
        tRAS=t.tRAS, tCCD_S=t.tCCD_S, tCCD_L=t.tCCD_L, tRRD_S=t.tRRD_S, tRRD_L=t.tRRD_L,
        tFAW=t.tFAW, tWR=t.tWR, tWTR_S=t.tWTR_S, tRTP=t.tRTP, tRTRS=t.tRTRS, tRFC=t.tRFC,
        tREFI=t.tREFI, tCK_ns=t.tCK_ns)


@dataclass(frozen=True, slots=True)
class DramCost:
    """One transfer on banked DRAM. ``busy_tck``: nCK from its first command until the last
    burst has left the bus (the slowest channel); ``first_column_tck``: when its first column
    command issues (hides a turnaround). Counts sum over channels; a burst is a row hit unless
    it needed an ACT (miss: bank closed, conflict: another row open)."""

    busy_tck: int
    first_column_tck: int
    bursts: int
    activates: int
    row_hits: int
    row_misses: int
    row_conflicts: int


def _local(x: int, channel: int, below: int, channels: int) -> int:
    """Channel-local index of the first burst >= x that lies in ``channel`` (Ch digit removed):
    a channel's bursts among consecutive ones are consecutive channel-local indices."""
    span = below * channels
    return (x // span) * below + min(max(x % span - channel * below, 0), below)


def _segments(g: DramGeometry, x0: int, nb: int, sb: int, runs: int, channel: int,
              divide: int) -> list[list[int]]:
    """[row-stripe index q, bursts] of one channel's row segments, in issue order; ``divide``:
    the pattern is channel-aligned and already given in channel-local bursts.

    The cost's hot path (once per run of every distinct pattern). ``_local(x + span) ==
    _local(x) + below`` (``span``: the bursts of one channel interleave period), so when the
    stride is a whole number of spans run i's channel-local range is the first run's shifted by
    ``i * step`` (no modular arithmetic per run; a channel the first run misses gets no burst),
    and otherwise the ranges repeat, shifted, every ``span / gcd(stride, span)`` runs."""
    below, channels = g.below_ch, g.channels
    span = below * channels
    if divide:
        first, length, step = x0, nb, sb
    elif runs == 1 or sb % span == 0:
        first = _local(x0, channel, below, channels)
        length = _local(x0 + nb, channel, below, channels) - first
        step = (sb // span) * below
    else:  # the ranges repeat, shifted, every `period` runs (period * sb % span == 0)
        period = span // math.gcd(sb, span)
        shift = (period * sb // span) * below
        head = [(_local(x0 + i * sb, channel, below, channels),
                 _local(x0 + i * sb + nb, channel, below, channels))
                for i in range(min(period, runs))]
        return _split([(head[i % period][0] + (i // period) * shift,
                        head[i % period][1] + (i // period) * shift) for i in range(runs)],
                      g.columns)
    if length <= 0:
        return []
    if runs == 1 or step == length:  # one run, or runs that touch: one range
        return _split([(first, first + length * runs)], g.columns)
    return _split([(za, za + length) for za in
                   (first + i * step for i in range(runs))], g.columns)


def _split(ranges: list[tuple[int, int]], cols: int) -> list[list[int]]:
    """Channel-local burst ranges, in issue order, cut at row stripes of ``cols`` bursts:
    [row-stripe index q, bursts], consecutive bursts in one stripe merged into one segment."""
    segs: list[list[int]] = []
    last_q = -1  # stripe indices are >= 0
    for za, zb in ranges:
        while za < zb:
            q = za // cols
            hi = (q + 1) * cols
            if hi > zb:
                hi = zb
            if q == last_q:
                segs[-1][1] += hi - za
            else:
                segs.append([q, hi - za])
                last_q = q
            za = hi
    return segs


def _decode(g: DramGeometry, q: int) -> tuple[int, int, int, int]:
    """(rank, bank group, bank id, row) of a channel-local row-stripe index."""
    rank = bg = ba = row = 0
    for name, radix in g.upper:  # Ra, Bg, Ba, Ro in some order, LSB -> MSB
        if radix:
            q, digit = divmod(q, radix)
        else:
            digit = q
        if name == "Ro":
            row = digit
        elif name == "Ba":
            ba = digit
        elif name == "Bg":
            bg = digit
        else:
            rank = digit
    return rank, bg, (rank * 64 + bg) * 64 + ba, row


def channel_schedule(g: DramGeometry, segments: list[tuple[int, int, int, int, int]],
                     write: bool) -> tuple[int, int, int, int, int, int]:
    """Play one channel's row segments (rank, bank group, bank, row, bursts) with the timing
    rules of the module docstring: (busy nCK, first column nCK, activates, hits, misses,
    conflicts)."""
    tb = g.burst_tck
    same = max(tb, g.tCCD_L)
    other_bg = max(tb, g.tCCD_S)
    recovery = g.WL + tb + g.tWR if write else g.tRTP
    open_row: dict[int, int] = {}
    act_at: dict[int, int] = {}
    last_col_at: dict[int, int] = {}
    ready_at: dict[int, int] = {}  # closed page: earliest ACT after the auto-precharge
    acts: dict[int, list[tuple[int, int]]] = {}  # rank -> [(ACT time, bank group)]
    t_last = -1
    first_col = 0
    look = 0
    prev_rank = prev_bg = -1
    hits = misses = conflicts = 0
    for rank, bg, bank, row, n in segments:
        if t_last < 0:
            earliest = 0
        elif rank != prev_rank:
            earliest = t_last + tb + g.tRTRS
        else:
            earliest = t_last + (same if bg == prev_bg else other_bg)
        if open_row.get(bank, -1) == row:
            col = earliest
            hits += n
        else:
            if bank in open_row:
                conflicts += 1
                pre = max(look, last_col_at[bank] + recovery, act_at[bank] + g.tRAS)
                act = pre + g.tRP
            else:
                misses += 1
                act = max(look, ready_at.get(bank, 0))
            history = acts.setdefault(rank, [])
            if history:
                last, last_bg = history[-1]
                act = max(act, last + (g.tRRD_L if last_bg == bg else g.tRRD_S))
                if len(history) >= 4:
                    act = max(act, history[-4][0] + g.tFAW)
            history.append((act, bg))
            act_at[bank] = act
            col = max(earliest, act + g.tRCD)
            hits += n - 1
        last_col = col + (n - 1) * same
        if t_last < 0:
            first_col = col
        if g.open_page:
            open_row[bank] = row
        else:
            ready_at[bank] = max(last_col + recovery, act_at[bank] + g.tRAS) + g.tRP
        last_col_at[bank] = last_col
        t_last, look, prev_rank, prev_bg = last_col, col, rank, bg
    activates = misses + conflicts
    return (t_last + tb if t_last >= 0 else 0), first_col, activates, hits, misses, conflicts


def pattern_shape(g: DramGeometry, pattern: AccessPattern) -> tuple[int, int, int, int]:
    """(base, run, stride, runs) of ``pattern`` with equal-cost patterns made equal: one run
    when the runs touch (or there is one), the base reduced modulo ``period_bytes`` (a shift
    that only renames rows). Two patterns of one shape cost the same; a memo key."""
    p = pattern
    if p.runs <= 1 or p.stride_bytes == p.run_bytes:
        run, stride, runs = p.run_bytes * max(p.runs, 1), 0, 1
    else:
        run, stride, runs = p.run_bytes, p.stride_bytes, p.runs
    base = p.base_bytes % g.period_bytes if g.period_bytes else p.base_bytes
    return base, run, stride, runs


def transfer_cost(g: DramGeometry, pattern: AccessPattern, write: bool) -> DramCost:
    """Cost of moving ``pattern`` (module docstring); memoised by shape (pattern_shape)."""
    return _transfer_cost(g, *pattern_shape(g, pattern), write)


@lru_cache(maxsize=65536)
def _transfer_cost(g: DramGeometry, base: int, run: int, stride: int, runs: int,
                   write: bool) -> DramCost:
    if run <= 0:
        return DramCost(0, 0, 0, 0, 0, 0, 0)
    b = g.burst_bytes
    if runs > 1 and stride % b:
        raise ValueError(f"stride {stride} B is not a multiple of the {b} B burst (the "
                         "placement pads row pitches to whole bursts)")
    x0 = base // b
    nb = ceil_div(base % b + run, b)
    sb = stride // b
    if runs > 1 and sb == nb:
        nb, runs = nb * runs, 1
    c = g.channels
    aligned = (g.below_ch == 1 and x0 % c == 0 and nb % c == 0 and (runs == 1 or sb % c == 0))
    if aligned:
        # every channel gets the same channel-local pattern: play one, count it c times
        segs = _segments(g, x0 // c, nb // c, sb // c, runs, 0, 1)
        one = channel_schedule(g, [(*_decode(g, q), n) for q, n in segs], write)
        results = [one] * c
    else:
        results = []
        for ch in range(c):
            segs = _segments(g, x0, nb, sb, runs, ch, 0)
            if segs:
                results.append(channel_schedule(g, [(*_decode(g, q), n) for q, n in segs],
                                                write))
    busy = max(r[0] for r in results)
    first = min(r[1] for r in results)
    return DramCost(busy_tck=busy, first_column_tck=first, bursts=sum(r[3] + r[2] for r in
                                                                      results),
                    activates=sum(r[2] for r in results), row_hits=sum(r[3] for r in results),
                    row_misses=sum(r[4] for r in results),
                    row_conflicts=sum(r[5] for r in results))


def turnaround_tck(g: DramGeometry, previous_write: bool | None, write: bool) -> int:
    """nCK the bus needs between the last burst of one transfer and the first column command of
    the next when the direction changes (JESD79-4 tWTR / read-to-write): write -> read
    ``WL + tWTR_S`` after the write data, read -> write ``RL + 2 - WL`` (preamble)."""
    if previous_write is None or previous_write == write:
        return 0
    return g.WL + g.tWTR_S if previous_write else max(g.RL + 2 - g.WL, 0)


def tck_to_cycles(tck: int, tck_ns: float, clock_hz: float) -> int:
    """nCK of the DRAM clock rounded up to accelerator cycles."""
    return ceil_div(round(tck * tck_ns * clock_hz * 1000), 10**12) if tck > 0 else 0


def refresh_end_cycle(start: int, busy: int, period: int, rfc: int) -> int:
    """End cycle of ``busy`` cycles of work from ``start`` when an all-bank refresh takes the
    channel for ``rfc`` cycles at every multiple of ``period`` (work pauses, then resumes)."""
    t, left = start, busy
    while True:
        k, into = divmod(t, period)
        if k > 0 and into < rfc:
            t = k * period + rfc
        window = (t // period + 1) * period
        if t + left <= window:
            return t + left
        left -= window - t
        t = window + rfc


@dataclass(frozen=True, slots=True)
class DramEnergy:
    """Energy per DRAM action of one channel (pJ) and its background power (mW), from the
    preset's IDD currents (DRAMPower: Chandrasekar et al., DATE 2012; Micron TN-41-01)."""

    activate_pj: float  # one ACT + its PRE
    read_burst_pj: float
    write_burst_pj: float
    refresh_pj: float  # one all-bank refresh
    background_mw: float  # active standby (IDD3N), per channel


def action_energy(spec: DramSpec) -> DramEnergy:
    """E_ACT = VDD (IDD0 tRC - IDD3N tRAS - IDD2N (tRC - tRAS)); E_RD = VDD (IDD4R - IDD3N)
    tBURST; E_WR likewise with IDD4W; E_REF = VDD (IDD5 - IDD3N) tRFC; times in ns, currents
    in mA, times devices per channel (mA x V x ns = pJ)."""
    t = spec.timing
    assert t is not None
    k = t.vdd_v * t.devices_per_channel * t.tCK_ns
    trc = t.tRAS + t.tRP
    act = k * max(t.IDD0_mA * trc - t.IDD3N_mA * t.tRAS - t.IDD2N_mA * t.tRP, 0.0)
    rd = k * max(t.IDD4R_mA - t.IDD3N_mA, 0.0) * t.burst_tck
    wr = k * max(t.IDD4W_mA - t.IDD3N_mA, 0.0) * t.burst_tck
    ref = k * max(t.IDD5_mA - t.IDD3N_mA, 0.0) * t.tRFC
    return DramEnergy(act, rd, wr, ref, t.vdd_v * t.devices_per_channel * t.IDD3N_mA)
