"""A GEMM's output tile written into a tensor stored transposed: its access pattern by hand."""

from __future__ import annotations

from accelsim.cost.dram import AccessPattern
from accelsim.mapping.placement import TensorPlacement, transposed_tile_access


def test_transposed_tile_access_by_hand() -> None:
    # the GEMM's [2 x 6, 8] int8 result stored per image transposed as [2, 8, 6]: 16 rows of
    # 6 B, each padded to a 64 B pitch; image g's column j is stored row 8g + j
    p = TensorPlacement(base_bytes=4096, rows=16, cols=6, bits=8, pitch_bytes=64)
    # all of image 0: its 8 columns are 8 runs of its 6 rows
    assert transposed_tile_access(p, 8, 0, 6, 0, 8) == AccessPattern(4096, 6, 64, 8)
    # rows 2..3 x columns 1..2 of image 0: stored rows 1..2, bytes 2..3 of each
    assert transposed_tile_access(p, 8, 2, 2, 1, 2) == AccessPattern(4096 + 64 + 2, 2, 64, 2)
    # columns 2..4 of image 1: stored rows 10..12
    assert transposed_tile_access(p, 8, 6, 6, 2, 3) == AccessPattern(4096 + 640, 6, 64, 3)
    # rows 3..8 span both images: priced as the whole stored rows 0..15 (an upper bound)
    assert transposed_tile_access(p, 8, 3, 6, 0, 8) == AccessPattern(4096, 6, 64, 16)
    # unpadded rows make whole images one contiguous run
    dense = TensorPlacement(base_bytes=0, rows=16, cols=64, bits=8, pitch_bytes=64)
    assert transposed_tile_access(dense, 8, 0, 128, 0, 8) == AccessPattern(0, 1024, 0, 1)
