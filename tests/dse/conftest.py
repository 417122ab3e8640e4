"""A small enumerable design space and a two-GEMM workload: every design simulates in a few
tens of milliseconds, so the full grid can be evaluated inside the suite."""

from __future__ import annotations

import pytest

WORKLOAD = "Layer, M, N, K,\nproj, 64, 256, 256,\nfc, 64, 512, 128,\n"
SPACE = """\
array.rows: [8, 16, 32, 64]
array.cols: [8, 16, 32, 64]
buffers.weight.size_bytes: [32KiB, 256KiB]
dram.timing.channels: [2, 4, 8]     # banked LPDDR4-3200: 12.8, 25.6, 51.2 GB/s
clock_hz: [5.0e8, 1.0e9]
constraints:
  - array.rows * array.cols <= 2048
"""


@pytest.fixture(scope="session")
def small_study(tmp_path_factory):
    """(workload file, space file) of the enumerable space: 4 x 4 x 2 x 3 x 2 = 192 designs,
    180 of them within the joint constraint."""
    folder = tmp_path_factory.mktemp("dse")
    workload, space = folder / "two_gemms.csv", folder / "space.yaml"
    workload.write_text(WORKLOAD, encoding="utf-8")
    space.write_text(SPACE, encoding="utf-8")
    return workload, space
