"""``--model`` resolution: a built-in model name, a trace file path or an ONNX model."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from accelsim.errors import TraceError
from accelsim.fileio import check_input_file
from accelsim.suggest import did_you_mean
from accelsim.workload.models import MODELS, build_trace
from accelsim.workload.trace import Trace, load_trace_file

#: Largest ONNX file accepted: protobuf's 2 GiB message limit (weights are skipped while
#: reading, so a 346 MB ViT-B costs no more than its graph)
ONNX_MAX_BYTES = 2**31

#: ``quant`` value that keeps an ONNX graph's own bit widths
GRAPH_QUANT = "graph"


def is_onnx(model_or_path: str | Path) -> bool:
    return Path(str(model_or_path)).suffix.lower() == ".onnx"


def load_trace(model_or_path: str | Path, image_size: int | None = None, batch: int = 1,
               quant: str | None = "sole", overrides: Mapping[str, str] | None = None,
               seq_len: int | None = None, input_shape: str | None = None,
               unknown_ops: str = "error") -> Trace:
    """A built-in model (generated with the given size, batch and scheme), a trace file
    (.yaml accelsim.trace/1, or a SCALE-Sim topology .csv), whose own bit widths are kept, or
    an ONNX model (.onnx; its graph's bit widths unless ``quant`` names a scheme; ``None`` or
    "graph" keeps them; ``input_shape`` fixes dynamic input dims). ``image_size`` (vision,
    default 224) and ``seq_len`` (BERT, default 128): see build_trace."""
    text = str(model_or_path)
    if text in MODELS:
        return build_trace(text, image_size, batch, quant or "sole", overrides, seq_len)
    path = Path(text)
    if is_onnx(path):
        from accelsim.workload.onnx import import_onnx

        check_input_file(path, TraceError, "ONNX model", max_bytes=ONNX_MAX_BYTES)
        scheme = None if quant in (None, GRAPH_QUANT) else quant
        return import_onnx(path, input_shape, unknown_ops, scheme)
    if path.suffix.lower() in (".yaml", ".yml", ".csv") or os.path.lexists(path):
        # a FIFO, a device, a directory or a symbolic link loop is named as what it is
        check_input_file(path, TraceError, "trace file")
        return load_trace_file(path)
    raise TraceError(f"unknown model {text!r}: {did_you_mean(text, MODELS)} "
                     "(or give a trace file .yaml / SCALE-Sim topology .csv / ONNX model "
                     ".onnx)", key="--model")
