"""Time loading and validating a large accelsim.trace/1 file (issue: 100k ops in seconds).

Usage: python benchmarks/bench_trace_load.py [--ops 100000]

Writes a chain of N int8 GEMMs (2N + 1 tensors, the layout ``accelsim trace`` writes) to a
temporary file, then times ``load_trace`` (read, YAML 1.2 typing, validation) in CPU and wall
seconds.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from accelsim.workload.load import load_trace


def write_chain(path: Path, ops: int) -> None:
    tensors = ["- {name: x0, shape: [64, 64], bits: 8, dtype: int, role: input}"]
    body = []
    for i in range(ops):
        tensors.append(f"- {{name: w{i}, shape: [64, 64], bits: 8, dtype: int, role: weight}}")
        tensors.append(f"- {{name: x{i + 1}, shape: [64, 64], bits: 8, dtype: int, "
                       "role: activation}")
        body.append(f"- {{name: g{i}, kind: gemm, block: b{i % 100}, m: 64, n: 64, k: 64, "
                    f"inputs: [x{i}, w{i}], outputs: [x{i + 1}]}}")
    text = "\n".join(["schema: accelsim.trace/1", "name: chain", "tensors:", *tensors, "ops:",
                      *body]) + "\n"
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=100_000, help="GEMMs in the chain")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "chain.yaml"
        write_chain(path, args.ops)
        wall, cpu = time.perf_counter(), time.process_time()
        trace = load_trace(path)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        size = path.stat().st_size
    print(f"{len(trace.ops):,} ops, {size / 1e6:.1f} MB: {cpu:.2f} s CPU, {wall:.2f} s wall, "
          f"{cpu / len(trace.ops) * 1e3:.3f} ms/op (CPU)")


if __name__ == "__main__":
    main()
