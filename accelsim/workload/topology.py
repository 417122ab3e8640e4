"""SCALE-Sim topology CSVs (GEMM and convolution layouts) -> a Trace of independent GEMMs.

Columns are found by their header name, never by position, so a reordered header
(``Layer, K, N, M``) reads correctly, and a file without a header, or with a column this reader
does not know, is refused (naming file, line and column) instead of being read wrongly.

Two layouts, with SCALE-Sim 3.0.0's header spellings (its ``topologies/`` folder; case, spaces
and underscores are ignored when matching):

* GEMM: ``Layer, M, N, K,`` -- C[M x N] = A[M x K] @ B[K x N] (A = ifmap, B = filter), the
  letters of SCALE-Sim's ``topology_utils.load_arrays_gemm``.
* convolution: ``Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels,
  Num Filter, Strides,`` (or ``Stride Height, Stride Width`` in place of ``Strides``, as
  SCALE-Sim's own ``write_topo_file`` writes them) -- lowered by im2col exactly as SCALE-Sim
  3.0.0 does (``topology_utils.topo_calc_hyperparams`` and ``calc_spatio_temporal_params``; no
  padding; one ``Strides`` value is used on both axes): the ofmap is ceil((H - Fh + S) / S) x
  ceil((W - Fw + S) / S) pixels -- SCALE-Sim rounds *up*, so a stride that does not divide
  H - Fh gets one more output row than floor((H - Fh) / S) + 1 --, then GEMM M = ofmap pixels
  (SCALE-Sim's ``num_ofmap``, streamed in WS), N = filters, K = Fh x Fw x C (its
  ``window_sz``). A layer whose name contains ``DP`` is depthwise in SCALE-Sim
  (``load_arrays_conv``): it becomes C single-channel layers ``<name>Channel_<i>``, as there.
  The ifmap tensor is the im2col matrix (M x K): its DRAM bytes count each window once, as an
  accelerator fed by an explicit im2col would read them.

The first cell of the header names the layer column (``Layer``, ``Layer name``, ``Layer Name``).
SCALE-Sim's optional ``Sparsity`` column is refused (accelsim models dense GEMMs only).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
from pathlib import Path

from accelsim.errors import TraceError
from accelsim.fileio import read_input_text
from accelsim.workload.ops import Gemm, Op, Tensor
from accelsim.workload.trace import Trace

#: longest CSV field accepted (characters): layer names are short, numbers shorter
MAX_FIELD_CHARS = 256
#: most layers one topology may expand to (a depthwise ``DP`` row adds one per channel)
MAX_LAYERS = 100_000
#: largest integer a size column may hold (validation caps op dimensions at 2^40 too)
MAX_DIM = 2**40

_NAME_COLUMNS = ("layer", "layername")
_GEMM_COLUMNS = ("m", "n", "k")
_CONV_GEOMETRY = ("ifmapheight", "ifmapwidth", "filterheight", "filterwidth", "channels",
                  "numfilter")
#: one ``Strides`` column (SCALE-Sim's input files), or the pair SCALE-Sim's own
#: ``write_topo_file`` writes
_STRIDE_COLUMNS = ("strides", "strideheight", "stridewidth")
_CONV_COLUMNS = _CONV_GEOMETRY + _STRIDE_COLUMNS
#: header spelling of each column, for messages
_SPELLING = {"m": "M", "n": "N", "k": "K", "ifmapheight": "IFMAP Height",
             "ifmapwidth": "IFMAP Width", "filterheight": "Filter Height",
             "filterwidth": "Filter Width", "channels": "Channels", "numfilter": "Num Filter",
             "strides": "Strides", "strideheight": "Stride Height",
             "stridewidth": "Stride Width"}
GEMM_HEADER = "Layer, M, N, K,"
CONV_HEADER = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
               "Num Filter, Strides,")
_LAYOUTS = f"a GEMM header '{GEMM_HEADER}' or a conv header '{CONV_HEADER}'"
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class ConvLayer:
    """One SCALE-Sim convolution row and its im2col GEMM (SCALE-Sim's convention, no padding)."""

    ifmap_height: int
    ifmap_width: int
    filter_height: int
    filter_width: int
    channels: int
    filters: int
    stride: int  # along the height (and the width, unless stride_width is set)
    stride_width: int = 0  # 0: same as ``stride``

    @property
    def ofmap_height(self) -> int:
        """ceil((H - Fh + S) / S), SCALE-Sim's rounding (up)."""
        return -(-(self.ifmap_height - self.filter_height + self.stride) // self.stride)

    @property
    def ofmap_width(self) -> int:
        stride = self.stride_width or self.stride
        return -(-(self.ifmap_width - self.filter_width + stride) // stride)

    def gemm_mnk(self) -> tuple[int, int, int]:
        """(M, N, K) = (ofmap pixels, filters, window size Fh x Fw x C)."""
        return (self.ofmap_height * self.ofmap_width, self.filters,
                self.filter_height * self.filter_width * self.channels)


def _key(cell: str) -> str:
    """Header cell -> matching key: case, spaces and underscores ignored."""
    return re.sub(r"[\s_]+", "", cell).lower()


def _rows(text: str, src: str) -> list[tuple[int, list[str]]]:
    """(line number, stripped cells) of every non-blank CSV row; a trailing empty cell (the
    trailing comma SCALE-Sim's files carry) is dropped. Fields are bounded in length."""
    text = text.removeprefix("\ufeff")  # a spreadsheet's UTF-8 byte-order mark
    for line, raw in enumerate(text.split("\n"), start=1):  # before csv, whose own limit is 128 KiB
        if len(raw) > MAX_FIELD_CHARS * 16:
            column, cell = max(enumerate(raw.split(","), start=1), key=lambda c: len(c[1]))
            raise TraceError(f"line {line}, column {column}: field is {len(cell.strip()):,} "
                             f"characters long (limit {MAX_FIELD_CHARS})", file=src)
    out: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return out
        except csv.Error as exc:  # e.g. a field over the csv module's own limit
            raise TraceError(f"line {reader.line_num}: not a valid CSV row ({exc})",
                             file=src) from None
        line = reader.line_num
        cells = [c.strip() for c in row]
        for column, cell in enumerate(cells, start=1):
            if len(cell) > MAX_FIELD_CHARS:
                raise TraceError(f"line {line}, column {column}: field is {len(cell):,} "
                                 f"characters long (limit {MAX_FIELD_CHARS})", file=src)
        while cells and cells[-1] == "":
            cells.pop()
        if cells:
            out.append((line, cells))


def _layout(line: int, header: list[str], src: str) -> tuple[str, dict[str, int]]:
    """("gemm" | "conv", column index of each key) from the header row."""
    keys = [_key(c) for c in header]
    if keys[0] not in _NAME_COLUMNS:
        if all(_DIGITS.fullmatch(c) for c in header[1:]) and len(header) > 1:
            raise TraceError(f"line {line}: no header line (this row looks like a layer); "
                             f"expected {_LAYOUTS}", file=src)
        raise TraceError(f"line {line}, column 1: first header cell {header[0][:40]!r} is not "
                         f"the layer column; expected {_LAYOUTS}", file=src)
    index: dict[str, int] = {}
    for column, key in enumerate(keys[1:], start=1):
        if key == "sparsity":
            raise TraceError(f"line {line}, column {column + 1}: SCALE-Sim's 'Sparsity' column "
                             "is not supported (accelsim models dense GEMMs)", file=src)
        if key not in _GEMM_COLUMNS and key not in _CONV_COLUMNS:
            raise TraceError(f"line {line}, column {column + 1}: unknown column "
                             f"{header[column][:40]!r}; expected {_LAYOUTS}", file=src)
        if key in index:
            raise TraceError(f"line {line}, column {column + 1}: column "
                             f"{header[column][:40]!r} appears twice", file=src)
        index[key] = column
    layout = "conv" if any(k in _CONV_COLUMNS for k in index) else "gemm"
    wanted = _CONV_COLUMNS if layout == "conv" else _GEMM_COLUMNS
    required = (_CONV_GEOMETRY + (("strides",) if "strides" in index or not
                                  {"strideheight", "stridewidth"} & set(index)
                                  else ("strideheight", "stridewidth"))
                if layout == "conv" else _GEMM_COLUMNS)
    if "strides" in index and {"strideheight", "stridewidth"} & set(index):
        raise TraceError(f"line {line}: give 'Strides' or 'Stride Height' and 'Stride Width', "
                         "not both", file=src)
    missing = [_SPELLING[k] for k in required if k not in index]
    stray = [header[index[k]] for k in index if k not in wanted]
    if missing or stray:
        what = (f"missing column {missing[0]!r}" if missing
                else f"column {stray[0]!r} does not belong to a {layout} topology")
        raise TraceError(f"line {line}: {what}; expected {_LAYOUTS}", file=src)
    return layout, index


def _value(cells: list[str], column: int, key: str, line: int, src: str) -> int:
    cell = cells[column]
    if not _DIGITS.fullmatch(cell):
        raise TraceError(f"line {line}, column {column + 1} ({_SPELLING[key]}): expected a "
                         f"positive integer, got {cell!r}", file=src)
    value = int(cell)
    if not 0 < value <= MAX_DIM:
        raise TraceError(f"line {line}, column {column + 1} ({_SPELLING[key]}): must be in "
                         f"1..2^40, got {value}", file=src)
    return value


def _conv(values: dict[str, int], line: int, src: str) -> ConvLayer:
    if "strides" in values:
        strides = (values["strides"], 0)
    else:
        height, width = values["strideheight"], values["stridewidth"]
        strides = (height, 0 if width == height else width)
    conv = ConvLayer(*(values[k] for k in _CONV_GEOMETRY), *strides)
    for axis, size, window in (("Height", conv.ifmap_height, conv.filter_height),
                               ("Width", conv.ifmap_width, conv.filter_width)):
        if window > size:
            raise TraceError(f"line {line}: Filter {axis} {window} is larger than IFMAP {axis} "
                             f"{size} (SCALE-Sim convolutions have no padding)", file=src)
    return conv


def read_scalesim_topology(path: Path, bits: int = 8) -> Trace:
    """A SCALE-Sim topology CSV (GEMM or conv layout, see the module docstring) as independent
    ``bits``-bit GEMMs, each reading its own input from DRAM and writing an int32 output.

    ``meta``: ``topology_layout`` ("gemm" | "conv") and ``topology_rows``, the file's rows in
    order as (name, (M, N, K)) or (name, ConvLayer), before any depthwise split."""
    src = str(path)
    rows = _rows(read_input_text(Path(path), TraceError, "SCALE-Sim topology CSV"), src)
    if not rows:
        raise TraceError(f"empty topology CSV; expected {_LAYOUTS}", file=src)
    (header_line, header), body = rows[0], rows[1:]
    layout, index = _layout(header_line, header, src)
    if not body:
        raise TraceError("a topology CSV needs a header line and at least one layer", file=src)
    tensors: list[Tensor] = []
    ops: list[Op] = []
    seen: dict[str, int] = {}
    source_rows: list[tuple[str, ConvLayer | tuple[int, int, int]]] = []
    width = len(header)
    for line, cells in body:
        if len(cells) != width:
            raise TraceError(f"line {line}: {len(cells)} fields, the header has {width} "
                             f"({', '.join(header)})", file=src)
        name = cells[0]
        if not name or not name.isprintable():
            raise TraceError(f"line {line}, column 1: the layer name must be non-empty "
                             "printable text", file=src)
        if name in seen:
            raise TraceError(f"line {line}, column 1: layer {name!r} already named on line "
                             f"{seen[name]}", file=src)
        seen[name] = line
        if len(ops) >= MAX_LAYERS:
            raise TraceError(f"line {line}: more than {MAX_LAYERS:,} layers", file=src)
        values = {key: _value(cells, column, key, line, src) for key, column in index.items()}
        if layout == "gemm":
            layers = [(name, (values["m"], values["n"], values["k"]))]
            source_rows.append(layers[0])
        else:
            conv = _conv(values, line, src)
            source_rows.append((name, conv))
            if "DP" in name:  # SCALE-Sim's depthwise rule: one 1-channel layer per channel
                if len(ops) + conv.channels > MAX_LAYERS:
                    raise TraceError(f"line {line}: depthwise layer {name!r} splits into "
                                     f"{conv.channels:,} layers, over the {MAX_LAYERS:,}-layer "
                                     "limit of a topology", file=src)
                single = replace(conv, channels=1)
                layers = [(f"{name}Channel_{i}", single.gemm_mnk())
                          for i in range(conv.channels)]
            else:
                layers = [(name, conv.gemm_mnk())]
        for layer, (m, n, k) in layers:
            if layer in seen and layer != name:
                raise TraceError(f"line {line}, column 1: layer {layer!r} (depthwise split) "
                                 f"already named on line {seen[layer]}", file=src)
            seen[layer] = line
            tensors += [
                Tensor(f"{layer}.ifmap", (m, k), bits, role="input"),
                Tensor(f"{layer}.filter", (k, n), bits, role="weight"),
                Tensor(f"{layer}.ofmap", (m, n), 32),
            ]
            ops.append(Gemm(name=layer, block=layer, m=m, n=n, k=k,
                            inputs=(f"{layer}.ifmap", f"{layer}.filter"),
                            outputs=(f"{layer}.ofmap",)))
    stem = Path(path).stem
    return Trace(name=stem, tensors=tuple(tensors), ops=tuple(ops), model=stem,
                 quant=f"int{bits}", source=src,
                 meta={"topology_layout": layout, "topology_rows": tuple(source_rows)}).validate()
