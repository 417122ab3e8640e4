"""Regenerate the committed traces of this folder: ``python3 workloads/regenerate.py``.

Every built-in model at 224x224, batch 1, scheme ``sole``; plus ViT-B/16 at 384 and under the
other schemes. tests/workload/test_workloads.py checks that the committed files equal what this
script writes now, so run it (and commit the result) whenever the generators change.
"""

from __future__ import annotations

import sys
from pathlib import Path

from accelsim.workload.models import MODELS, build_trace
from accelsim.workload.trace import save_trace

HERE = Path(__file__).resolve().parent

#: (model, image size, scheme) of every committed trace; batch is always 1
WORKLOADS: tuple[tuple[str, int, str], ...] = (
    *((model, 224, "sole") for model in MODELS),
    ("vit_base", 384, "sole"),
    *(("vit_base", 224, quant) for quant in ("w8a8", "w4a8", "w4a4", "fp16")),
)


def regenerate(out_dir: Path = HERE) -> list[Path]:
    """Write every trace of WORKLOADS into ``out_dir`` as ``<trace name>.yaml``."""
    paths = []
    for model, image_size, quant in WORKLOADS:
        trace = build_trace(model, image_size=image_size, batch=1, quant=quant)
        path = out_dir / f"{trace.name}.yaml"
        save_trace(trace, path)
        paths.append(path)
    return paths


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for written in regenerate(out):
        print(written)
