"""Regenerate the committed traces of this folder: ``python3 workloads/regenerate.py``.

Every built-in vision model at 224x224 and BERT at 128 tokens, batch 1, scheme ``sole``; plus
ViT-B/16 at 384 and under the other schemes, and BERT-Base in fp16 (the survey's Table 3 setting). tests/workload/test_workloads.py checks that the committed files equal what this
script writes now, so run it (and commit the result) whenever the generators change.
"""

from __future__ import annotations

import sys
from pathlib import Path

from accelsim.workload.models import MODELS, build_trace, is_text_model
from accelsim.workload.trace import Trace, save_trace

HERE = Path(__file__).resolve().parent

#: (model, size, scheme) of every committed trace -- size: image pixels, or tokens for a text
#: model (BERT); batch is always 1
WORKLOADS: tuple[tuple[str, int, str], ...] = (
    *((model, 128 if is_text_model(model) else 224, "sole") for model in MODELS),
    ("vit_base", 384, "sole"),
    *(("vit_base", 224, quant) for quant in ("w8a8", "w4a8", "w4a4", "fp16")),
    ("bert_base", 128, "fp16"),
)


def build(model: str, size: int, quant: str) -> Trace:
    """The trace of one WORKLOADS entry."""
    if is_text_model(model):
        return build_trace(model, batch=1, quant=quant, seq_len=size)
    return build_trace(model, image_size=size, batch=1, quant=quant)


def regenerate(out_dir: Path = HERE) -> list[Path]:
    """Write every trace of WORKLOADS into ``out_dir`` as ``<trace name>.yaml``."""
    paths = []
    for model, size, quant in WORKLOADS:
        trace = build(model, size, quant)
        path = out_dir / f"{trace.name}.yaml"
        save_trace(trace, path)
        paths.append(path)
    return paths


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for written in regenerate(out):
        print(written)
