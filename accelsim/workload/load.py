"""``--model`` resolution: a built-in model name or a trace file path."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from accelsim.errors import TraceError
from accelsim.fileio import check_input_file
from accelsim.suggest import did_you_mean
from accelsim.workload.models import MODELS, build_trace
from accelsim.workload.trace import Trace, load_trace_file


def load_trace(model_or_path: str | Path, image_size: int = 224, batch: int = 1,
               quant: str = "sole", overrides: Mapping[str, str] | None = None) -> Trace:
    """A built-in model (generated with the given size, batch and scheme) or a trace file
    (.yaml accelsim.trace/1, or a SCALE-Sim topology .csv), whose own bit widths are kept."""
    text = str(model_or_path)
    if text in MODELS:
        return build_trace(text, image_size, batch, quant, overrides)
    path = Path(text)
    if path.suffix.lower() in (".yaml", ".yml", ".csv") or os.path.lexists(path):
        # a FIFO, a device, a directory or a symbolic link loop is named as what it is
        check_input_file(path, TraceError, "trace file")
        return load_trace_file(path)
    raise TraceError(f"unknown model {text!r}: {did_you_mean(text, MODELS)} "
                     "(or give a trace file .yaml / SCALE-Sim topology .csv)", key="--model")
