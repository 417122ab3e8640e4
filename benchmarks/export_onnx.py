"""Export ViT-B/16, DeiT-S (distilled), Swin-T and ViT-B@384 to ONNX with random weights, and
quantize them with onnxruntime's quantize_static (QDQ and QOperator).

Optional script (not part of the test command): needs torch (CPU), transformers, onnx and
onnxruntime. Nothing is downloaded: the Hugging Face models are built from their configs
(``ViTConfig()``, ``DeiTConfig(...)``, ``SwinConfig()``) with random weights, and calibration
uses random images. Outputs go to ``out/onnx/`` (git-ignored; never commit .onnx files).
``onnx`` is needed besides onnxruntime: torch's TorchScript exporter serialises through it
(without it ``torch.onnx.export`` fails with "Module onnx is not installed!"); onnxscript is
not (``dynamo=False``). Measured on a fresh venv (torch 2.13.0+cpu, transformers 5.24,
onnxruntime 1.32, onnx 1.23): all twelve files in 2 min 22 s on 2 cores; DeiT-S's three
files came out byte-identical from two such venvs.

    pip install torch==2.13.0 onnx transformers onnxruntime   # in a venv of its own
    python benchmarks/export_onnx.py [--out out/onnx] [--models vit_b16,deit_s,swin_t,vit_b16_384]
    python benchmarks/onnx_import_table.py   # imported vs built-in MACs and cycles (README)

Each model is exported with a dynamic batch axis (torch.onnx.export, TorchScript exporter,
opset 17), so its Reshape targets come from Shape -> Gather -> Concat subgraphs, as in real
exports; ``*.qdq.onnx`` is quantized per-channel (QDQ), ``*.qop.onnx`` per-tensor (QOperator).
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np


def build(name: str):
    """(model, image size, built-in accelsim model) with random weights from a config."""
    import torch
    from transformers import (
        DeiTConfig,
        DeiTForImageClassificationWithTeacher,
        SwinConfig,
        SwinForImageClassification,
        ViTConfig,
        ViTForImageClassification,
    )

    torch.manual_seed(0)
    eager = {"attn_implementation": "eager"}
    if name == "vit_b16":
        return ViTForImageClassification(ViTConfig(num_labels=1000, **eager)), 224, "vit_base"
    if name == "vit_b16_384":
        cfg = ViTConfig(image_size=384, num_labels=1000, **eager)
        return ViTForImageClassification(cfg), 384, "vit_base"
    if name == "deit_s":
        cfg = DeiTConfig(hidden_size=384, num_attention_heads=6, intermediate_size=1536,
                         num_labels=1000, **eager)
        return DeiTForImageClassificationWithTeacher(cfg), 224, "deit_small"
    if name == "swin_t":
        return SwinForImageClassification(SwinConfig(num_labels=1000, **eager)), 224, \
            "swin_tiny"
    raise SystemExit(f"unknown model {name}")


MODELS = ("vit_b16", "deit_s", "swin_t", "vit_b16_384")


def export(name: str, out: Path) -> Path:
    import torch

    model, size, _builtin = build(name)
    model.eval()
    path = out / f"{name}.onnx"
    x = torch.randn(1, 3, size, size)
    t0 = time.perf_counter()
    with torch.no_grad():
        torch.onnx.export(model, (x,), str(path), input_names=["pixel_values"],
                          output_names=["logits"], dynamic_axes={"pixel_values": {0: "batch"}},
                          opset_version=17, dynamo=False)
    print(f"exported {path} ({path.stat().st_size / 1e6:.1f} MB, "
          f"{time.perf_counter() - t0:.1f} s)")
    return path


class RandomImages:
    """onnxruntime CalibrationDataReader over a few random images (no data set)."""

    def __init__(self, size: int, count: int = 4) -> None:
        rng = np.random.default_rng(0)
        self.items = iter([{"pixel_values": rng.standard_normal((1, 3, size, size))
                            .astype(np.float32)} for _ in range(count)])

    def get_next(self):
        return next(self.items, None)


def quantize(path: Path, size: int) -> None:
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    for fmt, suffix, per_channel in ((QuantFormat.QDQ, "qdq", True),
                                     (QuantFormat.QOperator, "qop", False)):
        target = path.with_suffix(f".{suffix}.onnx")
        t0 = time.perf_counter()
        quantize_static(str(path), str(target), RandomImages(size), quant_format=fmt,
                        per_channel=per_channel, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8)
        print(f"quantized {target} ({time.perf_counter() - t0:.1f} s)")


NEEDS = ("torch", "transformers", "onnx", "onnxruntime")


def check_modules() -> None:
    """One line naming what to install, instead of a traceback deep inside torch.onnx."""
    missing = [name for name in NEEDS if importlib.util.find_spec(name) is None]
    if missing:
        raise SystemExit(f"export_onnx.py: missing {', '.join(missing)}: pip install "
                         "torch==2.13.0 onnx transformers onnxruntime (CPU; a venv of its own)")


def main() -> None:
    check_modules()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/onnx"))
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--no-quant", action="store_true")
    parser.add_argument("--quant-only", action="store_true", help="quantize existing exports")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.models.split(","):
        path = args.out / f"{name}.onnx"
        if not (args.quant_only and path.exists()):
            path = export(name, args.out)
        if not args.no_quant:
            quantize(path, build(name)[1])


if __name__ == "__main__":
    main()
