"""How often do bigger buffers make a workload slower?

Random archs (array 2..64 x 2..64, any dataflow, 1 or 2 banks, 4 KiB..1 MiB buffers, 1..100 GB/s,
0.2..2 GHz, weight-load overlap on or off) x 1-3 random GEMMs (M, N, K in 1..300); every buffer
is doubled and the end-to-end latencies compared. Prints the worst slowdown ratio, the 99th
percentile and how many cases move by more than 1% either way. Deterministic (seed 1); about a
minute for the default 500 cases.

``--dram banked`` draws the same cases on banked DRAM instead (a random preset, Ramulator's
default RoBaRaCoCh mapping, open page): tiles then cost what their access patterns cost.

Usage: python benchmarks/buffer_monotonicity.py [--cases N] [--seed S] [--dram bandwidth|banked]
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path

from accelsim.arch.load import arch_from_dict
from accelsim.arch.spec import ArchSpec
from accelsim.engine.simulator import simulate
from accelsim.errors import MappingError
from accelsim.workload.topology import read_scalesim_topology
from accelsim.workload.trace import Trace

ROLES = ("input", "weight", "output")


PRESETS = ("LPDDR4-3200", "LPDDR5-6400", "DDR4-3200", "HBM2")


def random_case(rng: random.Random, folder: Path, dram: str = "bandwidth"
                ) -> tuple[dict, Trace]:
    """A raw arch description (buffer sizes at scale 1) and a random GEMM topology; ``dram``
    banked swaps the flat pipe for a preset after the same draws (the cases stay the same)."""
    raw = {
        "name": "random", "clock_hz": rng.uniform(0.2e9, 2e9),
        "array": {"rows": rng.randint(2, 64), "cols": rng.randint(2, 64),
                  "dataflow": rng.choice(["ws", "os", "is"]),
                  "overlap_weight_load": rng.random() < 0.5},
        "buffers": {},
        "dram": {"bandwidth_gbps": rng.uniform(1, 100)},
    }
    banks = rng.randint(1, 2)
    for role in ROLES:
        raw["buffers"][role] = {"size_bytes": rng.randint(4096, 1 << 20), "banks": banks}
    layers = [(rng.randint(1, 300), rng.randint(1, 300), rng.randint(1, 300))
              for _ in range(rng.randint(1, 3))]
    if dram == "banked":
        # no extra draw: the preset follows from the shapes, so the cases stay the same
        preset = PRESETS[sum(map(sum, layers)) % len(PRESETS)]
        raw["dram"] = {"model": "banked", "preset": preset}
    path = folder / "topology.csv"
    path.write_text("Layer, M, N, K,\n" + "".join(
        f"l{i}, {m}, {n}, {k},\n" for i, (m, n, k) in enumerate(layers)))
    return raw, read_scalesim_topology(path)


def scaled(raw: dict, factor: int) -> ArchSpec:
    buffers = {role: {**spec, "size_bytes": spec["size_bytes"] * factor}
               for role, spec in raw["buffers"].items()}
    return arch_from_dict({**raw, "buffers": buffers}, "<random>")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dram", choices=("bandwidth", "banked"), default="bandwidth")
    parser.add_argument("--replay", action="store_true",
                        help="mapper.replay: play the near-best tilings lone (engine.replay)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    ratios: list[float] = []
    worst: tuple[float, object] = (1.0, None)
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.cases):
            raw, trace = random_case(rng, Path(tmp), args.dram)
            if args.replay:
                raw["mapper"] = {"replay": True}
            try:
                base = simulate(scaled(raw, 1), trace, record=False).total_cycles
                big = simulate(scaled(raw, 2), trace, record=False).total_cycles
            except MappingError:
                continue
            ratios.append(big / base)
            if big / base > worst[0]:
                worst = (big / base, (raw["array"], raw["buffers"], trace.name))
    ratios.sort()
    print(f"{len(ratios)} cases; worst slowdown {worst[0]:.4f}x ({worst[1]})")
    print(f"99th percentile {ratios[int(0.99 * (len(ratios) - 1))]:.3f}x; "
          f"slower at all: {sum(r > 1 for r in ratios)}; "
          f"slower by > 1%: {sum(r > 1.01 for r in ratios)}; "
          f"faster by > 1%: {sum(r < 0.99 for r in ratios)}")


if __name__ == "__main__":
    main()
