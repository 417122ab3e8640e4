"""Search efficiency of `accelsim explore`: share of the full grid's hypervolume each sampler
reaches with a fifth of the grid's evaluations, over seeds, on the enumerable space of
tests/dse (180 designs within the joint constraint, two-GEMM workload, area_mm2 <= 1.5).

    python benchmarks/explore_efficiency.py [--seeds 10] [--budget 0.2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from accelsim.dse.explore import run_explore
from accelsim.dse.pareto import hypervolume
from accelsim.dse.results import candidates, minimized

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "dse"))
from conftest import SPACE, WORKLOAD  # noqa: E402 - the test's space, not a copy

BUDGET = ["area_mm2<=1.5"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=float, default=0.2, help="share of the grid")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="explore_efficiency_"))
    workload, space = folder / "two_gemms.csv", folder / "space.yaml"
    workload.write_text(WORKLOAD, encoding="utf-8")
    space.write_text(SPACE, encoding="utf-8")
    grid = run_explore("sole", str(workload), space, constraints=BUDGET, trials=10 ** 6,
                       sampler="grid", jobs=1)
    full = hypervolume([minimized(r, grid.objectives) for r in candidates(grid.rows)],
                       grid.reference)
    trials = int(args.budget * grid.evaluations)
    print(f"grid: {grid.evaluations} designs, {len(grid.pareto)} on the front; "
          f"searches get {trials} trials each")
    for sampler in ("tpe", "random", "nsga2"):
        shares, evaluations = [], []
        for seed in range(args.seeds):
            study = run_explore("sole", str(workload), space, constraints=BUDGET,
                                trials=trials, sampler=sampler, seed=seed, jobs=1)
            found = hypervolume([minimized(r, study.objectives)
                                 for r in candidates(study.rows)], grid.reference)
            shares.append(found / full)
            evaluations.append(study.evaluations)
        passed = sum(s >= 0.95 for s in shares)
        print(f"{sampler:>6}: {min(shares):.1%} .. {max(shares):.1%} of the grid's hypervolume "
              f"({passed}/{args.seeds} seeds >= 95 %), {min(evaluations)}..{max(evaluations)} "
              f"designs simulated")


if __name__ == "__main__":
    main()
