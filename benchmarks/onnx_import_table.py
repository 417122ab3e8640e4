"""Imported ONNX models vs the built-in generators: MACs, op counts and simulated cycles on
the ``sole`` arch, and the import time of ViT-B/16 (weights inline, and the external weight
file missing). Needs only accelsim[onnx]; the models come from benchmarks/export_onnx.py.

    python benchmarks/onnx_import_table.py [--dir out/onnx] [--arch sole]

Prints a Markdown table (the README's; its last column is the same pair on the bandwidth DRAM
model, ``--set dram.model=bandwidth``, which separates what the graph says from where its bytes
sit on banked DRAM) and, per model, the cycles by op kind of both traces, which is where every
difference is explained from.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from accelsim.arch.load import load_arch
from accelsim.engine.simulator import simulate
from accelsim.workload.models import build_trace
from accelsim.workload.onnx import import_onnx

MODELS = {"vit_b16": ("vit_base", 224), "deit_s": ("deit_small", 224),
          "swin_t": ("swin_tiny", 224), "vit_b16_384": ("vit_base", 384)}
FORMS = {"float": ("", "sole"), "qdq": (".qdq", None), "qop": (".qop", None)}

TIMING = """
import time, resource
t0 = time.perf_counter(); c0 = time.process_time()
from accelsim.workload.onnx import import_onnx
t = import_onnx({path!r}, input_shape="1x3x224x224")
print(f"{{time.perf_counter() - t0:.2f}} {{time.process_time() - c0:.2f}} {{t.total_macs}}")
"""


def by_kind(result) -> dict[str, int]:
    acc: dict[str, int] = defaultdict(int)
    for layer in result.layers:
        acc[layer.kind] += layer.cycles
    return dict(acc)


def time_import(path: Path) -> str:
    runs = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", TIMING.format(path=str(path))],
                             capture_output=True, text=True, check=True).stdout.split()
        runs.append((float(out[0]), float(out[1])))
    wall, cpu = min(runs)
    return f"{wall:.2f} s wall, {cpu:.2f} s CPU (best of 3, fresh process, `import onnx` incl.)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("out/onnx"))
    parser.add_argument("--arch", default="sole")
    parser.add_argument("--no-timing", action="store_true")
    args = parser.parse_args()
    arch = load_arch(args.arch)
    flat = load_arch(args.arch, ["dram.model=bandwidth"])
    rows = ["| model | graph | ops imported / built-in | MACs imported | MACs built-in | "
            "MACs diff | cycles imported | cycles built-in (sole) | cycles diff | "
            "diff, bandwidth model |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    details = []
    for name, (builtin, size) in MODELS.items():
        ref = build_trace(builtin, image_size=size, quant="sole")
        ref_result = simulate(arch, ref)
        ref_flat = simulate(flat, ref).total_cycles
        for form, (suffix, quant) in FORMS.items():
            path = args.dir / f"{name}{suffix}.onnx"
            if not path.exists():
                continue
            trace = import_onnx(path, input_shape=f"1x3x{size}x{size}", quant=quant)
            result = simulate(arch, trace)
            label = f"{form}{' --quant sole' if quant else ''}"
            dmacs = trace.total_macs / ref.total_macs - 1
            dcyc = result.total_cycles / ref_result.total_cycles - 1
            flat_cycles = simulate(flat, trace).total_cycles
            rows.append(f"| {name} | {label} | {len(trace.ops)} / {len(ref.ops)} | "
                        f"{trace.total_macs:,} | {ref.total_macs:,} | {dmacs:+.4%} | "
                        f"{result.total_cycles:,} | {ref_result.total_cycles:,} | {dcyc:+.2%} | "
                        f"{flat_cycles - ref_flat:+,} cycles ({flat_cycles / ref_flat - 1:+.4%}, "
                        f"{ref_flat:,} built-in) |")
            mine, theirs = by_kind(result), by_kind(ref_result)
            details.append(f"{name} {label}: " + ", ".join(
                f"{k} {mine.get(k, 0) - theirs.get(k, 0):+,}"
                for k in sorted(set(mine) | set(theirs)) if mine.get(k, 0) != theirs.get(k, 0)))
    print("\n".join(rows))
    print("\ncycle differences by op kind (imported - built-in):")
    print("\n".join(details))
    if args.no_timing:
        return
    vit = args.dir / "vit_b16.onnx"
    if vit.exists():
        print(f"\nimport of {vit} ({vit.stat().st_size / 1e6:.0f} MB, weights inline): "
              f"{time_import(vit)}")
        import onnx

        with tempfile.TemporaryDirectory() as tmp:
            ext = Path(tmp) / "vit_b16_ext.onnx"
            onnx.save(onnx.load(str(vit)), str(ext), save_as_external_data=True,
                      location="vit_b16_ext.onnx.data")
            (Path(tmp) / "vit_b16_ext.onnx.data").unlink()
            print(f"import with the external weight file missing: {time_import(ext)}")


if __name__ == "__main__":
    main()
