"""Parity with SCALE-Sim 3.0.0: every row of tests/golden/scalesim_compute.csv."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from accelsim.cost.systolic import (
    compute_utilization,
    gemm_compute_cycles,
    mapping_efficiency,
    utilization,
)

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "scalesim_compute.csv"
ROWS = list(csv.DictReader(GOLDEN.open())) if GOLDEN.exists() else []


@pytest.mark.skipif(not GOLDEN.exists(), reason="tests/golden/scalesim_compute.csv not generated")
@pytest.mark.parametrize("row", ROWS, ids=[row["case"] for row in ROWS])
def test_matches_scalesim(row):
    rows, cols = int(row["rows"]), int(row["cols"])
    m, n, k = int(row["m"]), int(row["n"]), int(row["k"])
    dataflow = row["dataflow"]
    assert int(row["stall_cycles"]) == 0, "golden cycles include memory stalls"
    cycles = gemm_compute_cycles(rows, cols, dataflow, m, n, k)
    assert cycles == int(row["total_cycles"])
    assert 100 * utilization(m * n * k, rows, cols, cycles) == pytest.approx(
        float(row["overall_util_pct"]), rel=1e-9)
    assert 100 * mapping_efficiency(rows, cols, dataflow, m, n, k) == pytest.approx(
        float(row["mapping_efficiency_pct"]), rel=1e-9)
    assert 100 * compute_utilization(rows, cols, dataflow, m, n, k) == pytest.approx(
        float(row["compute_util_pct"]), rel=1e-9)
