"""ViT-B/16 @224 on sole.yaml with both DRAM models: totals and the weight-streaming layers.

Prints the Markdown tables of the README's "Banked DRAM" section: total cycles, DRAM busy
cycles and energy per inference for `dram.model: banked` (sole.yaml's default, LPDDR4-3200) and
`dram.model: bandwidth` (a flat 25.6 GB/s pipe, the same peak); then per layer of block 0 the
DRAM bytes, busy cycles, achieved GB/s and row-buffer hit rate.

    python3 benchmarks/dram_models_vit.py [--block block0]
"""

from __future__ import annotations

import argparse

from accelsim import build_trace, load_arch, simulate
from accelsim.analysis.energy import energy_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--block", default="block0")
    args = parser.parse_args()
    trace = build_trace("vit_base", image_size=224, batch=1, quant="sole")
    runs = {model: simulate(load_arch("sole", [f"dram.model={model}"]), trace, record=False)
            for model in ("banked", "bandwidth")}
    print("| `dram.model` | total cycles | latency | DRAM busy cycles | DRAM energy "
          "| energy/inference |")
    print("|---|---:|---:|---:|---:|---:|")
    for model, r in runs.items():
        e = energy_report(r)
        comp = e.dynamic_pj_by_component
        dram_mj = (comp.get("dram", 0) + comp.get("dram.refresh", 0)
                   + e.static_pj_by_component().get("dram", 0)) * 1e-9
        print(f"| {model} | {r.total_cycles:,} | {r.latency_s * 1e3:.2f} ms | "
              f"{r.dram_busy_cycles:,} | {dram_mj:.1f} mJ | {e.energy_per_inference_mj:.1f} mJ |")
    banked, flat = runs["banked"], runs["bandwidth"]
    print()
    print(f"| {args.block} layer | DRAM bytes | busy cycles banked / bandwidth | achieved GB/s "
          "banked / bandwidth | row hit rate |")
    print("|---|---:|---:|---:|---:|")
    for layer in banked.layers:
        if layer.block != args.block or not layer.dram_bytes:
            continue
        other = flat.layer(layer.name)
        print(f"| {layer.name} ({layer.kind}) | {layer.dram_bytes:,} | "
              f"{layer.dram_busy_cycles:,} / {other.dram_busy_cycles:,} | "
              f"{layer.dram_achieved_gbps:.1f} / {other.dram_achieved_gbps:.1f} | "
              f"{layer.dram_row_hit_rate:.1%} |")


if __name__ == "__main__":
    main()
