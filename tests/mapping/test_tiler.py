"""Tiler: hand-computed tilings and traffic, and errors naming the buffer and op."""

from __future__ import annotations

import pytest

from accelsim.errors import MappingError
from accelsim.mapping.tiler import PipelineModel, tile_gemm, tile_rows


def test_two_weight_tiles_when_b_is_twice_a_bank() -> None:
    # WS 4x4, C[8x8] = A[8x8] @ B[8x8] int8, int32 partial sums. B = 64 B, weight bank 32 B:
    # B blocks must be cut at fold boundaries (K by R = 4, N by C = 4) into 32-byte halves.
    # 8x4x8 (N cut) and 8x8x4 (K cut) both fetch A and B once (64 + 64 = 128 B) in 2 steps and
    # do not cut the streamed M; under the energy objective the first candidate in grid order,
    # N cut, wins. (The latency objective takes 8x4x4, tested below: its first step waits for
    # 32 + 16 B instead of 64 + 32 B.)
    t = tile_gemm("g", 4, 4, "ws", 8, 8, 8, 8, 8, 32, 512, 32, 4096,
                  pipeline=PipelineModel(False, 32.0, 32, objective="energy"))
    assert (t.mt, t.nt, t.kt, t.order) == (8, 4, 8, "mnk")
    assert (t.tiles_m, t.tiles_n, t.tiles_k, t.steps) == (1, 2, 1, 2)
    assert (t.a_dram_bytes, t.b_dram_bytes) == (64, 64)


def test_small_input_bank_prefers_cutting_k_over_refetching_b() -> None:
    # input bank also 32 B. Keeping K whole (kt = 8) allows only 4x4x8 tiles: 2 x 2 blocks,
    # B refetched for each of the 2 M blocks -> 64 + 2 * 64 = 192 B. Cutting K (kt = 4) fits
    # A[8x4] = 32 B and B[4x8] = 32 B: 2 steps, each block fetched once -> 128 B; the energy
    # objective (DRAM bytes dominate) takes it.
    energy = PipelineModel(False, 32.0, 32, objective="energy")
    t = tile_gemm("g", 4, 4, "ws", 8, 8, 8, 8, 8, 32, 32, 32, 4096, pipeline=energy)
    assert (t.mt, t.nt, t.kt, t.tiles_k) == (8, 8, 4, 2)
    assert t.a_dram_bytes + t.b_dram_bytes == 128
    # the latency objective pays 64 B more (A fetched per N half: 2 x 64 + 64 = 192 B) for
    # two output tiles whose first write-back (8 x 4 x 4 B = 128 B, 4 cycles) hides under the
    # second's compute: estimated 76.5 cycles
    fast = tile_gemm("g", 4, 4, "ws", 8, 8, 8, 8, 8, 32, 32, 32, 4096)
    assert (fast.mt, fast.nt, fast.kt) == (8, 4, 4)
    assert fast.a_dram_bytes + fast.b_dram_bytes == 192 and fast.est_cycles == 76.5
    assert fast.est_cycles < t.est_cycles


def test_refetch_traffic_when_nothing_fits() -> None:
    # OS 4x4, C[16x16] = A[16x16] @ B[16x16] int8; all banks 64 B (output int32: 16 outputs).
    # Output tile <= 16 elements -> mt x nt = 4x4 (units R = C = 4); A block 4 x kt <= 64 B and
    # B block kt x 4 <= 64 B -> kt = 16 fits. 4 x 4 output tiles, k uncut: with m outer, each
    # A row block is fetched once (256 B) and B (256 B) once per M block -> 256 + 4 * 256.
    t = tile_gemm("g", 4, 4, "os", 16, 16, 16, 8, 8, 32, 64, 64, 64)
    assert (t.mt, t.nt, t.kt) == (4, 4, 16)
    assert t.a_dram_bytes + t.b_dram_bytes == 256 + 4 * 256


def test_resident_a_costs_nothing() -> None:
    t = tile_gemm("g", 4, 4, "ws", 8, 8, 8, 8, 8, 32, 0, 32, 4096, a_resident=True)
    assert t.a_dram_bytes == 0 and t.b_dram_bytes == 64


@pytest.mark.parametrize("bank, sizes", [
    # the space includes sub-fold tiles (idle rows or columns), so the smallest tile is 1x1x1
    ("weight", (512, 0, 4096)),  # smallest B block: 1 int8 = 1 B > 0
    ("input", (0, 512, 4096)),   # smallest A block: 1 int8 = 1 B > 0
    ("output", (512, 512, 3)),   # smallest C block: 1 int32 = 4 B > 3
])
def test_too_small_bank_names_buffer_and_op(bank, sizes) -> None:
    with pytest.raises(MappingError) as info:
        tile_gemm("block3.fc1", 4, 4, "ws", 8, 8, 8, 8, 8, 32, *sizes)
    assert info.value.key == f"buffers.{bank}.size_bytes"
    assert f"buffer '{bank}'" in str(info.value) and "'block3.fc1'" in str(info.value)


def test_tile_rows_balances_tiles() -> None:
    # 9 rows of 100 B into a 400 B bank: 4 fit, so 3 tiles; balanced: 3 rows each (not 4+4+1)
    assert tile_rows("ln", 9, 100, 50, 400, 10_000) == 3
    # the output bank can be the limit: 50 B rows into 120 B -> 2 rows, 5 tiles of ceil(9/5) = 2
    assert tile_rows("ln", 9, 100, 50, 10_000, 120) == 2
    assert tile_rows("ln", 9, 100, 50, 10_000, 10_000) == 9
    assert tile_rows("ln", 9, 100, 50, 10_000, 10_000, max_rows=5) == 5


def test_tile_rows_names_the_short_buffer() -> None:
    with pytest.raises(MappingError, match="buffer 'input' is too small for one row of op 'sm'"):
        tile_rows("sm", 4, 197, 197, 100, 10_000)
    with pytest.raises(MappingError, match="buffer 'output'") as info:
        tile_rows("sm", 4, 197, 788, 1000, 500)
    assert info.value.key == "buffers.output.size_bytes"
