"""``--model`` resolution: a built-in model name or a trace file path."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from accelsim.errors import TraceError
from accelsim.suggest import did_you_mean
from accelsim.workload.models import MODELS, build_trace
from accelsim.workload.trace import Trace, load_trace_file


def load_trace(model_or_path: str | Path, image_size: int | None = None, batch: int = 1,
               quant: str = "sole", overrides: Mapping[str, str] | None = None,
               seq_len: int | None = None) -> Trace:
    """A built-in model (generated with the given size, batch and scheme) or a trace file
    (.yaml accelsim.trace/1, or a SCALE-Sim topology .csv), whose own bit widths are kept.
    ``image_size`` (vision, default 224) and ``seq_len`` (BERT, default 128): see build_trace."""
    text = str(model_or_path)
    if text in MODELS:
        return build_trace(text, image_size, batch, quant, overrides, seq_len)
    path = Path(text)
    if path.suffix.lower() in (".yaml", ".yml", ".csv"):
        if not path.exists():
            raise TraceError("file not found", file=text)
        return load_trace_file(path)
    raise TraceError(f"unknown model {text!r}: {did_you_mean(text, MODELS)} "
                     "(or give a trace file .yaml / SCALE-Sim topology .csv)", key="--model")
