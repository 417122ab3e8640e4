"""accuracy_table: shape, sane metric ranges, determinism; metric helpers on known inputs."""

from __future__ import annotations

import numpy as np
import pytest

from accelsim.functional import accuracy


@pytest.fixture(scope="module")
def table() -> list[dict[str, object]]:
    return accuracy.accuracy_table(seed=0)


def test_table_shape(table):
    # 5 softmax units x 2 lengths, 5 LayerNorm rows, 2 GELU rows
    assert len(table) == 5 * len(accuracy.SOFTMAX_LENGTHS) + 5 + 2
    for row in table:
        assert set(row) == {"unit", "input", *accuracy.METRIC_KEYS}
        assert isinstance(row["unit"], str) and isinstance(row["input"], str)
    units = {row["unit"] for row in table}
    assert {"E2Softmax, uint8 out", "AILayerNorm", "I-ViT Shiftmax, 8-bit out"} <= units
    assert any("577" in str(row["input"]) for row in table)


def test_metrics_in_sane_ranges(table):
    for row in table:
        assert 0 <= row["mean_abs_error"] <= row["max_abs_error"]
        assert 0.99 < row["cosine"] <= 1.0 + 1e-12
        if str(row["input"]).startswith("attention"):
            assert 0 <= row["kl_divergence"] < 0.2
            assert 0.95 <= row["top1_agreement"] <= 1.0
            assert row["max_abs_error"] < 0.7
        else:
            assert row["kl_divergence"] is None and row["top1_agreement"] is None


def test_e2softmax_close_to_quantization_floor(table):
    by_key = {(r["unit"], r["input"]): r for r in table}
    for row in table:
        if row["unit"] == "E2Softmax, uint8 out":
            floor = by_key[("float softmax, int8 in, uint8 out (quantization floor)", row["input"])]
            assert row["mean_abs_error"] < 10 * floor["mean_abs_error"]
            assert row["mean_abs_error"] < 2e-3


def test_deterministic(table):
    assert accuracy.accuracy_table(seed=0) == table
    other = accuracy.accuracy_table(seed=1)
    assert [r["unit"] for r in other] == [r["unit"] for r in table]
    assert other != table


def test_softmax_metrics_by_hand():
    exact = np.array([[0.5, 0.25, 0.25]])
    approx = np.array([[0.5, 0.5, 0.0]])
    m = accuracy.softmax_metrics(approx, exact)
    assert m["max_abs_error"] == pytest.approx(0.25)
    assert m["mean_abs_error"] == pytest.approx(0.5 / 3)
    # KL(q || p), q = (0.5, 0.5, 0): 0.5 ln(0.5/0.5) + 0.5 ln(0.5/0.25) = 0.5 ln 2
    assert m["kl_divergence"] == pytest.approx(0.5 * np.log(2.0))
    assert m["top1_agreement"] == 1.0  # tie at the top counts as agreement
    assert m["cosine"] == pytest.approx(0.375 / (np.sqrt(0.375) * np.sqrt(0.5)))
    assert accuracy.softmax_metrics(np.array([[0.1, 0.9, 0.0]]), exact)["top1_agreement"] == 0.0


def test_markdown_rendering(table):
    text = accuracy.table_markdown(table)
    lines = text.splitlines()
    assert lines[0].startswith("| unit | input |")
    assert len(lines) == len(table) + 2
    assert "| - | - |" in text  # None metrics of non-softmax rows
