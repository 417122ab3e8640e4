"""Print the operator-level accuracy table of the integer non-linear units as markdown.

Usage: python benchmarks/accuracy_sole.py [--seed N]

Deterministic for a given seed; the table in README.md ("Accuracy of the non-linear units") is
seed 0. Operator-level errors against float64 references, not model top-1 accuracy.
"""

from __future__ import annotations

import argparse

from accelsim.functional.accuracy import accuracy_table, table_markdown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="RNG seed of the synthetic inputs")
    args = parser.parse_args()
    print(table_markdown(accuracy_table(seed=args.seed)))


if __name__ == "__main__":
    main()
