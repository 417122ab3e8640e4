"""Random-configuration campaign: simulate many random (arch, workload) pairs with the engine
invariants on (``simulate(check=True)``) and report anything but a clean MappingError.

The property tests (tests/property) run a few dozen derandomized examples in CI; this script
runs for as long as you give it, over a wider space: array 2..32 per side, every dataflow,
1 or 2 banks per buffer, 2 KiB..256 KiB buffers, read ports 2..128 B/cycle, DRAM 1..200 GB/s,
every fusion switch (residual included), SOLE or FP32 units, ViT/DeiT at 32-96 px and Swin-T
at 224, batch 1-2, every scheme. ``--engines`` also runs the fast engine on every case and
reports any byte of JSON in which it differs from simpy (or a different error). ``--matrix``
instead compares the two engines on the whole bundled arch x model matrix, as shipped and with
the bandwidth pipe (tests/engine/test_fast_engine.py plays a deterministic sample of it).

    python benchmarks/fuzz_engine.py --seed 1 --seconds 240 [--engines]
    python benchmarks/fuzz_engine.py --matrix
"""

from __future__ import annotations

import argparse
import random
import time

from accelsim import build_trace
from accelsim.analysis.report import result_json
from accelsim.arch.dram_presets import DRAM_PRESETS
from accelsim.arch.load import arch_from_dict
from accelsim.engine.simulator import simulate
from accelsim.errors import MappingError


def random_dram(rng: random.Random) -> dict:
    """A flat bandwidth pipe, or (one case in three) banked DRAM of a random preset, channel
    count, address mapping and page policy."""
    latency = {"latency_ns": rng.choice([0, 50, 200])}
    if rng.random() < 2 / 3:
        return {"bandwidth_gbps": rng.choice([1, 6.4, 25.6, 200]), **latency}
    return {"model": "banked", "preset": rng.choice(sorted(DRAM_PRESETS)),
            "timing": {"channels": rng.choice([1, 2, 4, 8])},
            "address_mapping": rng.choice(["RoBaRaCoCh", "RoRaBgBaChCo", "ChRaBaRoCo"]),
            "page_policy": rng.choice(["open", "closed"]), **latency}


def random_arch(rng: random.Random) -> dict:
    return {
        "name": "fuzz", "clock_hz": 1e9,
        "array": {"rows": rng.choice([2, 4, 8, 16, 32]), "cols": rng.choice([2, 4, 8, 16, 32]),
                  "dataflow": rng.choice(["ws", "os", "is"]),
                  "overlap_weight_load": rng.random() < 0.5},
        "buffers": {role: {"size_bytes": rng.choice([2048, 8192, 32768, 262144]),
                           "banks": rng.choice([1, 2]),
                           "read_bytes_per_cycle": rng.choice([2, 8, 32, 128])}
                    for role in ("input", "weight", "output")},
        "dram": random_dram(rng),
        "fusion": {k: rng.random() < 0.6 for k in ("epilogue", "attention", "layernorm",
                                                   "residual")},
        "sfu": {"kind": rng.choice(["sole", "sole", "fp32"])},
    }


#: the bundled simulated archs and the models of the engine matrix
MATRIX_ARCHS = ("sole", "edge_16x16", "tpu_v1_like")
MATRIX_MODELS = (("vit_tiny", 224), ("deit_small", 64), ("swin_tiny", 224), ("bert_base", None),
                 ("vit_base", 224))


def matrix() -> int:
    """Both engines on every bundled arch x model, as shipped and (banked archs) with the
    bandwidth pipe; prints each pair, returns how many differ."""
    from accelsim import load_arch

    differ = 0
    for name, size in MATRIX_MODELS:
        trace = build_trace(name, image_size=size, seq_len=32 if name == "bert_base" else None)
        for arch_name in MATRIX_ARCHS:
            for overrides in ({}, {"dram.model": "bandwidth"}):
                arch = load_arch(arch_name, overrides)
                if overrides and arch_name == "tpu_v1_like":
                    continue  # ships the bandwidth pipe
                want = result_json(simulate(arch, trace, record=False, engine="simpy"))
                same = result_json(simulate(arch, trace, engine="fast")) == want
                differ += not same
                print(f"{'same' if same else 'DIFFER'} {arch_name} {arch.dram.model} {name}",
                      flush=True)
    print(f"matrix: {differ} fast-engine differences")
    return differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--engines", action="store_true",
                        help="compare the fast engine's JSON with simpy's on every case")
    parser.add_argument("--matrix", action="store_true",
                        help="compare both engines on the bundled arch x model matrix instead")
    args = parser.parse_args()
    if args.matrix:
        raise SystemExit(1 if matrix() else 0)
    rng = random.Random(args.seed)
    traces: dict[tuple, object] = {}
    runs = ok = mapping = failed = differ = 0
    start = time.time()
    while time.time() - start < args.seconds:
        model = rng.choice(["vit_tiny", "deit_tiny", "swin_tiny"])
        size = 224 if model == "swin_tiny" else rng.choice([32, 64, 96])  # Swin: windows of 7
        key = (model, size, rng.choice([1, 1, 2]),
               rng.choice(["sole", "w8a8", "w4a4", "fp16", "w4a8"]))
        if key not in traces:
            traces[key] = build_trace(*key)
        arch = random_arch(rng)
        runs += 1
        spec = arch_from_dict(arch, "<fuzz>")
        try:
            result = simulate(spec, traces[key], record=False, check=True, engine="simpy")
            ok += 1
            if args.engines and result_json(simulate(spec, traces[key], engine="fast",
                                                     check=True)) != result_json(result):
                differ += 1
                print(f"DIFFER {key} {arch}", flush=True)
        except MappingError as exc:
            mapping += 1
            if args.engines:
                try:
                    simulate(spec, traces[key], engine="fast")
                    differ += 1
                    print(f"DIFFER {key} {arch}: fast ran, simpy refused: {exc}", flush=True)
                except MappingError:
                    pass
        except Exception as exc:  # anything else is a finding
            failed += 1
            print(f"FAIL {key} {arch}: {type(exc).__name__}: {exc}", flush=True)
    print(f"seed {args.seed}: {runs} runs in {time.time() - start:.0f} s: {ok} ok, {mapping} "
          f"clean mapping errors (buffers too small), {failed} failures"
          + (f", {differ} fast-engine differences" if args.engines else ""))


if __name__ == "__main__":
    main()
