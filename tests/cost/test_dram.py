"""Banked DRAM cost (cost/dram.py): hand-computed timing, closed form == per-request reference,
properties (more channels/banks never slower, never faster than the bandwidth model)."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.arch.dram_presets import DRAM_PRESETS
from accelsim.arch.spec import DramSpec
from accelsim.cost.dram import (
    AccessPattern,
    action_energy,
    dram_geometry,
    refresh_end_cycle,
    transfer_cost,
    turnaround_tck,
)

sys.path.insert(0, str(Path(__file__).parent))
import dram_reference as ref  # noqa: E402  (tests/cost/dram_reference.py)


def spec(preset: str = "LPDDR4-3200", mapping: str = "RoBaRaCoCh", page: str = "open",
         **timing: int) -> DramSpec:
    return DramSpec.model_validate({"model": "banked", "preset": preset, "timing": timing,
                                    "address_mapping": mapping, "page_policy": page})


def cost(s: DramSpec, base: int, run: int, stride: int, runs: int, write: bool = False):
    return transfer_cost(dram_geometry(s), AccessPattern(base, run, stride, runs), write)


# ---------------------------------------------------------------- hand-computed
def test_sequential_stream_is_tccd_limited() -> None:
    """One LPDDR4 channel, 64 rows of 2 KB streamed: every row switch goes to another bank and
    hides behind the previous row's 64 bursts; only the first tRCD shows. 4096 bursts x 8 nCK
    (tCCD = tBURST = 8) + tRCD 29."""
    s = spec(channels=1)
    c = cost(s, 0, 64 * 2048, 0, 1)
    assert c.bursts == 4096 and c.activates == 64
    assert c.busy_tck == 29 + 4095 * 8 + 8
    assert c.row_hits == 4096 - 64 and c.row_misses == 8 and c.row_conflicts == 56


def test_sequential_stream_minus_refresh() -> None:
    """With refresh the long stream reaches (tCCD-limited efficiency) x (1 - tRFC/tREFI)."""
    s = spec(channels=1)
    t = s.timing
    c = cost(s, 0, 1024 * 2048, 0, 1)
    busy = c.busy_tck
    end = refresh_end_cycle(0, busy, t.tREFI, t.tRFC)
    refreshes = end // t.tREFI
    assert end == busy + refreshes * t.tRFC
    ideal = c.bursts * t.burst_tck
    efficiency = ideal / end
    expected = (1 - t.tRFC / t.tREFI)
    assert abs(efficiency - expected) < 0.002
    # the stream alone (no refresh) is within 0.1% of the tCCD limit
    assert ideal / busy > 0.999


def test_row_conflict_loses_trtp_trp_trcd() -> None:
    """Two rows of the same bank alternately, a 2 KB row segment each (RoBaRaCoCh, 1 channel: a
    bank's next row is 8 banks x 2 KB further). Each switch cannot hide (same bank): PRE
    waits tRTP after the last read, ACT tRP later, the column tRCD after it."""
    s = spec(channels=1)
    t = s.timing
    stripe = 8 * 2048
    c = cost(s, 0, 2048, stripe, 4)  # rows 0,1,2,3 of bank 0
    per_row = 63 * 8
    # first: tRCD then 64 bursts; each next: last col + tRTP + tRP + tRCD
    expected = t.tRCD + per_row + 3 * (t.tRTP + t.tRP + t.tRCD + per_row) + 8
    assert c.busy_tck == expected
    assert c.row_conflicts == 3 and c.row_misses == 1
    stream = cost(s, 0, 4 * 2048, 0, 1).busy_tck  # same bytes, banks 0..3: hidden
    assert c.busy_tck - stream == 3 * (t.tRTP + t.tRP + t.tRCD - 8)


def test_strided_short_runs_pay_trc() -> None:
    """One burst per row of the same bank: each access pays the bank's full cycle, PRE at
    max(col + tRTP, ACT + tRAS), i.e. tRAS + tRP = tRC apart."""
    s = spec(channels=1)
    t = s.timing
    c = cost(s, 0, 32, 8 * 2048, 5)
    assert c.busy_tck == t.tRCD + 4 * (t.tRAS + t.tRP) + 8
    assert c.row_hits == 0


def test_strided_pattern_loses_trp_plus_trcd_per_conflict() -> None:
    """Runs of 2 bursts (64 B), one per 2 KB row stride = the next bank (RoBaRaCoCh, 1 channel).
    Each new segment's ACT waits for the previous segment's column (one segment of lookahead),
    so a row miss exposes tRCD: columns at 29, 58, ..., 232 for banks 0-7. The ninth run is bank
    0's next row, a conflict: PRE at the previous column (232; tRTP and tRAS long past), ACT tRP
    later, its column tRCD after that: 232 + tRP + tRCD = 290, then one more burst + tBURST."""
    s = spec(channels=1)
    t = s.timing
    c = cost(s, 0, 64, 2048, 9)
    assert c.busy_tck == t.tRCD + 7 * t.tRCD + (t.tRP + t.tRCD) + 8 + 8 == 306
    assert (c.row_misses, c.row_conflicts, c.row_hits) == (8, 1, 9)


def test_one_burst_per_bank_exposes_trcd() -> None:
    """One burst in each of 8 banks: the controller looks one row segment ahead, so each ACT
    issues when the previous segment's column command does and waits tRCD (29 > tRRD 16, and
    four ACTs span 87 > tFAW 64): 8 x tRCD + tBURST."""
    s = spec(channels=1)
    t = s.timing
    c = cost(s, 0, 32, 2048, 8)
    assert c.busy_tck == 8 * t.tRCD + 8
    assert c.activates == 8 and c.row_misses == 8


def test_tfaw_limits_activates() -> None:
    """tRCD = 1 so that only tRRD / tFAW bind: ACTs at 0, 16, 32, 48, then the fifth waits for
    the first + tFAW = 100 (set tFAW 100)."""
    s = spec(channels=1, tRCD=1, tFAW=100)
    c = cost(s, 0, 32, 2048, 5)
    assert c.busy_tck == 100 + 1 + 8


def test_turnaround_and_tck_conversion() -> None:
    g = dram_geometry(spec())
    assert turnaround_tck(g, True, False) == 14 + 16
    assert turnaround_tck(g, False, True) == 28 + 2 - 14
    assert turnaround_tck(g, None, True) == 0 and turnaround_tck(g, True, True) == 0


def test_refresh_pauses_work() -> None:
    assert refresh_end_cycle(0, 50, 100, 10) == 50
    assert refresh_end_cycle(95, 10, 100, 10) == 115  # 5 before, refresh 100..110, 5 after
    assert refresh_end_cycle(103, 5, 100, 10) == 115  # starts inside a refresh
    assert refresh_end_cycle(0, 300, 100, 10) == 330


def test_energy_per_action_from_currents() -> None:
    s = spec("DDR4-3200")
    e = action_energy(s)
    t = s.timing
    k = 1.2 * 4 * 0.625
    assert e.read_burst_pj == pytest.approx(k * (302 - 56) * 4)
    assert e.activate_pj == pytest.approx(k * (95 * 74 - 56 * 52 - 37 * 22))
    assert e.refresh_pj == pytest.approx(k * (280 - 56) * t.tRFC)


# ---------------------------------------------------------------- closed form == reference
MAPPINGS = ("RoBaRaCoCh", "RoBaBgRaCoCh", "RoRaBgBaChCo", "ChRaBaRoCo",
            "RoChRaBaBgCo")


def _random_case(rng: random.Random) -> tuple[DramSpec, int, int, int, int, bool]:
    preset = rng.choice(sorted(DRAM_PRESETS))
    overrides = {"channels": rng.choice([1, 2, 4]), "ranks": rng.choice([1, 2]),
                 "rows": 256}
    if rng.random() < 0.3:
        overrides["row_bytes"] = DRAM_PRESETS[preset]["bus_width_bits"] // 8 * \
            DRAM_PRESETS[preset]["BL"] * rng.choice([2, 4, 8])
    s = spec(preset, rng.choice(MAPPINGS), rng.choice(["open", "open", "closed"]),
             **overrides)
    b = s.timing.burst_bytes
    run = rng.choice([1, 7, b, 2 * b, 3 * b + 5, 5 * b, 64 * b, rng.randrange(1, 40 * b)])
    stride = b * rng.randrange(1, 300)
    runs = rng.randrange(1, 40)
    base = rng.randrange(0, 1 << 20)
    return s, base, run, stride, runs, rng.random() < 0.4


@pytest.mark.parametrize("seed", range(4))
def test_closed_form_equals_reference_on_random_patterns(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(60):  # 4 x 60 = 240 patterns
        s, base, run, stride, runs, write = _random_case(rng)
        got = cost(s, base, run, stride, runs, write)
        want = ref.simulate(s, base, run, stride, runs, write)
        case = (s.preset, s.address_mapping, s.page_policy, base, run, stride, runs, write)
        assert got.busy_tck == want["busy"], case
        assert got.bursts == want["bursts"], case
        assert got.row_hits == want["hits"], case
        assert got.row_misses == want["misses"], case
        assert got.row_conflicts == want["conflicts"], case


def _segments_burst_by_burst(columns: int, below: int, channels: int, x0: int, nb: int,
                             sb: int, runs: int, channel: int) -> list[list[int]]:
    """Row segments of one channel listed burst by burst: burst x is in channel
    (x // below) % channels at channel-local index (x // (below * channels)) * below + x % below;
    consecutive bursts of one row stripe (local // columns) form one segment."""
    segs: list[list[int]] = []
    for i in range(runs):
        for x in range(x0 + i * sb, x0 + i * sb + nb):
            if (x // below) % channels != channel:
                continue
            q = ((x // (below * channels)) * below + x % below) // columns
            if segs and segs[-1][0] == q:
                segs[-1][1] += 1
            else:
                segs.append([q, 1])
    return segs


def test_row_segments_equal_the_burst_by_burst_listing() -> None:
    """_segments' shortcuts (a stride of whole interleave periods shifts every run's range; any
    other stride repeats every span / gcd(stride, span) runs) against the plain listing, on
    small geometries where every case is cheap: 3,000 random patterns, every channel."""
    from accelsim.cost.dram import DramGeometry, _segments

    rng = random.Random(7)
    checked = 0
    for _ in range(3000):
        columns, below, channels = rng.choice([1, 3, 8, 64]), rng.choice([1, 2, 4]), \
            rng.choice([1, 2, 3, 4])
        g = DramGeometry(32, 2, channels, columns, below, (), 0, True, *([1] * 16), 1.0)
        x0, nb, runs = rng.randrange(0, 400), rng.randrange(0, 30), rng.randrange(1, 25)
        sb = rng.choice([0, nb, rng.randrange(1, 200), below * channels * rng.randrange(1, 9)])
        for ch in range(channels):
            want = _segments_burst_by_burst(columns, below, channels, x0, nb, sb, runs, ch)
            assert _segments(g, x0, nb, sb, runs, ch, 0) == want, (columns, below, channels,
                                                                  x0, nb, sb, runs, ch)
            checked += sum(n for _, n in want)
        # channel-aligned patterns come in channel-local bursts already (divide=1)
        local = _segments_burst_by_burst(columns, 1, 1, x0, nb, sb, runs, 0)
        assert _segments(g, x0, nb, sb, runs, 0, 1) == local
    assert checked > 100_000  # the cases are not all empty


# ---------------------------------------------------------------- properties
CHANNEL_ABOVE_BANKS = ("RoChRaBaBgCo", "RoChBaRaCo", "RoChBgBaRaCo", "ChRaBaRoCo")
patterns = st.tuples(st.integers(0, 1 << 18), st.integers(1, 8192), st.integers(1, 64),
                     st.integers(1, 32), st.booleans())


def test_channel_doubling_remaps_banks() -> None:
    """Why "more channels never slower" is not a law of DRAM under a low-order channel
    interleave (...CoCh): a system of 2c channels with the same per-channel geometry puts burst
    x at channel-local address x // 2c instead of x // c, so every field above Co (bank group,
    bank, row) is renumbered, and two bursts in different banks can meet in one bank. Both
    cases are the same in the per-request reference (a property of the timing rules, not of the
    closed form), and any controller has to pay them: a conflict in one bank costs
    tRAS + tRP + tRCD whatever the command order.

    LPDDR4 (no bank groups), two 1-byte reads 1,088 bursts apart. One channel: bursts 0 and
    1,088 are row stripes 0 and 17 = bank 0 row 0 and bank 1 row 2, two hidden ACTs:
    tRCD + tRCD + tBURST = 66. Two channels: both land on channel 0 at local 0 and 544 =
    stripes 0 and 8 = bank 0 rows 0 and 1, a conflict: PRE at tRAS, ACT tRP later, column tRCD
    after it: 68 + 29 + 29 + 8 = 134.

    DDR4 (bank groups), nine 1-byte reads 32 bursts apart (the counterexample hypothesis found):
    with 4 channels all nine fall in one row of bank group 0, column commands tCCD_L = 8 apart:
    22 + 8 x 8 + 4 = 90; with 2 channels the ninth is row stripe 1 = bank group 1, tCCD_S after
    the eighth: 22 + 7 x 8 + 4 + 4 = 86 (bank-group camping)."""
    lp = [spec("LPDDR4-3200", channels=c) for c in (1, 2)]
    assert [cost(s, 0, 1, 1088 * 32, 2).busy_tck for s in lp] == [66, 134]
    assert [ref.simulate(s, 0, 1, 1088 * 32, 2, False)["busy"] for s in lp] == [66, 134]
    assert [cost(s, 0, 1, 1088 * 32, 2).row_conflicts for s in lp] == [0, 1]
    ddr = [spec("DDR4-3200", channels=c) for c in (2, 4)]
    assert [cost(s, 0, 1, 32 * 64, 9).busy_tck for s in ddr] == [86, 90]
    assert [ref.simulate(s, 0, 1, 32 * 64, 9, False)["busy"] for s in ddr] == [86, 90]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(patterns, st.sampled_from(sorted(DRAM_PRESETS)), st.sampled_from(("open", "closed")),
       st.sampled_from((1, 2)))
def test_more_channels_never_slower_on_streams(p, preset, page, channels) -> None:
    """A contiguous transfer (any base, any length: the DMA of a whole tensor or of a
    pre-tiled weight panel) on the default interleave: each channel's share is one contiguous
    range of its local addresses, about half as long with twice the channels, and its row
    boundaries are a subset of the ones before. Checked on 10,000 random cases, not proven, so
    derandomized (a model change that breaks it fails here deterministically)."""
    base, run, stride_bursts, runs, write = p
    nbytes = run * runs * stride_bursts
    few = cost(spec(preset, page=page, channels=channels), base, nbytes, 0, 1, write)
    many = cost(spec(preset, page=page, channels=2 * channels), base, nbytes, 0, 1, write)
    assert many.busy_tck <= few.busy_tck


@settings(max_examples=60, deadline=None)
@given(patterns, st.sampled_from(sorted(DRAM_PRESETS)), st.sampled_from(CHANNEL_ABOVE_BANKS),
       st.sampled_from(("open", "closed")), st.sampled_from((1, 2)))
def test_more_channels_never_slower(p, preset, mapping, page, channels) -> None:
    """Any pattern, with the channel field above the bank fields (only Ro above Ch): doubling
    the channels splits each channel's burst stream into two subsequences that keep every
    burst's rank, bank group, bank and column and only renumber rows injectively, and the
    schedule of a subsequence is never later (every rule is a max of earlier times plus
    constants, and tCCD_L <= 2 tCCD_S, tRRD_L <= 2 tRRD_S in every preset). Under a low-order
    interleave the law does not hold (test_channel_doubling_remaps_banks)."""
    base, run, stride_bursts, runs, write = p
    b = DRAM_PRESETS[preset]["bus_width_bits"] // 8 * DRAM_PRESETS[preset]["BL"]
    few = cost(spec(preset, mapping, page, channels=channels), base, run, stride_bursts * b,
               runs, write)
    many = cost(spec(preset, mapping, page, channels=2 * channels), base, run,
                stride_bursts * b, runs, write)
    assert many.busy_tck <= few.busy_tck


@settings(max_examples=60, deadline=None)
@given(patterns, st.sampled_from(sorted(DRAM_PRESETS)))
def test_more_banks_never_slower(p, preset) -> None:
    """Twice the banks per group on the default mapping (only Ro above Ba): every burst keeps
    its channel, bank group and column, bank ids refine (same bank with more banks => same bank
    with fewer) and rows merge, so conflicts can only turn into hits."""
    base, run, stride_bursts, runs, write = p
    b = DRAM_PRESETS[preset]["bus_width_bits"] // 8 * DRAM_PRESETS[preset]["BL"]
    banks = DRAM_PRESETS[preset]["banks_per_group"]
    few = cost(spec(preset, channels=1, banks_per_group=banks), base, run, stride_bursts * b,
               runs, write)
    many = cost(spec(preset, channels=1, banks_per_group=2 * banks), base, run,
                stride_bursts * b, runs, write)
    assert many.busy_tck <= few.busy_tck


@settings(max_examples=80, deadline=None)
@given(patterns, st.sampled_from(sorted(DRAM_PRESETS)))
def test_never_faster_than_peak_bandwidth(p, preset) -> None:
    base, run, stride_bursts, runs, write = p
    s = spec(preset)
    t = s.timing
    b = t.burst_bytes
    c = cost(s, base, run, stride_bursts * b, runs, write)
    nbytes = run * runs
    bandwidth_tck = nbytes / (t.channels * b / t.burst_tck)  # the bandwidth model's time
    assert c.busy_tck >= bandwidth_tck - 1e-9
