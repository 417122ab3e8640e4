"""Unit rules behind the CLI's one-line errors and the sweep file layout (README "Reliability")."""

from __future__ import annotations

import pytest

from accelsim.cli.app import MAX_ERROR_CHARS, error_line
from accelsim.dse.sweep_files import _uncell, columns, render_records, row_check
from accelsim.dse.sweep_spec import _cell


def test_error_line_is_one_bounded_line():
    assert error_line("a\nb\r\nc\td\x00e\u2028f") == "a b  c d e f"
    long = error_line("x" * 10_000)
    assert len(long) <= MAX_ERROR_CHARS and long.endswith("[10,000 characters]")
    assert len(error_line("y" * 100).splitlines()) == 1




@pytest.mark.parametrize("exc, code, start", [
    (RuntimeError("boom\nsecond line"), 1, "accelsim: internal error: RuntimeError: boom second"),
    (KeyboardInterrupt(), 130, "accelsim: aborted"),
    (MemoryError(), 1, "accelsim: internal error: MemoryError"),
    (RecursionError("deep"), 1, "accelsim: internal error: RecursionError: deep"),
])
def test_an_unexpected_failure_is_still_one_line(exc, code, start, monkeypatch, run_cli):
    import accelsim.arch.load as load

    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr(load, "load_arch", fail)
    got, _, err = run_cli(["simulate", "--model", "vit_tiny"])
    assert got == code
    (line,) = err.splitlines()
    assert line.startswith(start) and "Traceback" not in err


def test_cells_read_back_exactly_as_written():
    for value in [0, 16, -3, 1.0, 0.1, 25.6, 1e-300, 2.5e20, True, False, None, "sole",
                  "1e3", "010", "0x10", "16.50", "true ", "nan-model", "12345678901234567890"]:
        assert _cell(_uncell(_cell(value))) == _cell(value), value
    assert _uncell("1e3") == "1e3" and _uncell("010") == "010"  # strings that look numeric
    assert _uncell("16") == 16 and _uncell("25.6") == 25.6


def test_columns_do_not_depend_on_the_order_records_arrive_in():
    base = {"index": 0, "arch": "sole", "model": "m", "pe": "8x8", "status": "ok",
            "error_type": None, "error": None}
    a = {**base, "pe_count": 64, "busy_share_vector": 0.1, "busy_share_array": 0.5,
         "busy_share_dram": 0.2, "energy_mj": 1.0}
    b = {**base, "index": 1, "pe": "16x16", "status": "error", "error_type": "MappingError",
         "error": "too small"}
    c = {**a, "index": 2, "pe": "32x32", "busy_share_fp32": 0.0}
    orders = [columns(rs) for rs in ([a, b, c], [b, c, a], [c, a, b])]
    assert orders[0] == orders[1] == orders[2]
    assert orders[0][:7] == ["index", "arch", "model", "pe", "status", "error_type", "error"]
    assert orders[0][7:] == ["pe_count", "busy_share_dram", "busy_share_array",
                             "busy_share_fp32", "busy_share_vector", "energy_mj"]
    text = render_records([a, b, c], ".csv")
    assert text.splitlines()[0].endswith(",row_check")


def test_row_check_sees_every_cell_and_ignores_key_order():
    row = {"index": 0, "arch": "sole", "status": "ok", "total_cycles": 453, "error": None}
    same = dict(reversed(list(row.items())))
    assert row_check(row) == row_check(same)
    assert row_check(row) != row_check({**row, "total_cycles": 454})
    assert row_check(row) != row_check({**row, "status": "error"})
    assert row_check(row) == row_check({**row, "resumed": True})  # bookkeeping, not a cell
