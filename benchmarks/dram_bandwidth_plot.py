"""Achieved DRAM bandwidth of a tile vs its width and row stride (banked model, cost.dram).

A tile of 64 rows x W bytes read from a row-major tensor whose rows are S bytes apart (one run
of W bytes per row, S apart), priced by accelsim.cost.dram.transfer_cost, achieved GB/s =
bytes / busy time (no refresh). Left: LPDDR4-3200 as in sole.yaml (4 x16 channels, RoBaRaCoCh,
25.6 GB/s peak) for several strides. Right: every preset at a 3,072 B stride (a 768-wide int32
row), as a fraction of its own peak. Writes docs/dram_bandwidth.png and prints the table.

    python3 benchmarks/dram_bandwidth_plot.py [--out docs/dram_bandwidth.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from accelsim.arch.dram_presets import DRAM_PRESETS  # noqa: E402
from accelsim.arch.spec import DramSpec  # noqa: E402
from accelsim.cost.dram import AccessPattern, dram_geometry, transfer_cost  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ROWS = 64
WIDTHS = (32, 64, 128, 256, 512, 1024, 2048, 4096, 8192)
STRIDES = (768, 3072, 8192, 65536)


def achieved_gbps(spec: DramSpec, width: int, stride: int) -> float:
    t = spec.timing
    assert t is not None
    stride = max(stride, width)
    cost = transfer_cost(dram_geometry(spec), AccessPattern(0, width, stride, ROWS), False)
    return width * ROWS / (cost.busy_tck * t.tCK_ns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "dram_bandwidth.png")
    args = parser.parse_args()
    lpddr4 = DramSpec.model_validate({"model": "banked", "preset": "LPDDR4-3200"})
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    print("LPDDR4-3200 (sole.yaml), achieved GB/s, 64 rows x width, rows stride apart")
    print("width B  " + "  ".join(f"stride {s:>6}" for s in STRIDES))
    for stride in STRIDES:
        values = [achieved_gbps(lpddr4, w, stride) for w in WIDTHS]
        left.plot(WIDTHS, values, marker="o", label=f"stride {stride:,} B")
    for w in WIDTHS:
        print(f"{w:>7}  " + "  ".join(f"{achieved_gbps(lpddr4, w, s):>13.2f}" for s in STRIDES))
    left.axhline(lpddr4.timing.peak_gbps, color="grey", ls="--", lw=1, label="peak 25.6 GB/s")
    left.set(xscale="log", xlabel="tile width (bytes per row)", ylabel="achieved GB/s",
             title="LPDDR4-3200, 4 x16 channels (sole.yaml)")
    left.set_xticks(WIDTHS, [str(w) for w in WIDTHS])
    left.legend(fontsize=8)
    print("\nfraction of peak at stride 3072 B")
    for name in DRAM_PRESETS:
        spec = DramSpec.model_validate({"model": "banked", "preset": name})
        peak = spec.timing.peak_gbps
        values = [achieved_gbps(spec, w, 3072) / peak for w in WIDTHS]
        right.plot(WIDTHS, values, marker="o", label=f"{name} ({peak:g} GB/s)")
        print(f"{name:>12}: " + " ".join(f"{v:.2f}" for v in values))
    right.set(xscale="log", xlabel="tile width (bytes per row)", ylabel="fraction of peak",
              title="every preset, stride 3,072 B", ylim=(0, 1.05))
    right.set_xticks(WIDTHS, [str(w) for w in WIDTHS])
    right.legend(fontsize=8)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=120, metadata={"Software": None})
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
