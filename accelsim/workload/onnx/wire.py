"""Read an ONNX file's structure without its weights, straight from the protobuf wire format.

``onnx.load(..., load_external_data=False)`` still parses weights stored *inside* the file
(a 346 MB ViT-B/16 takes about 2 s just to parse). This walks the wire format over a memory
map, copies every field but the data of large initializers (TensorProto fields raw_data,
float_data, ... : only their headers are touched, so the weight pages are never read), and
hands the small remainder to protobuf. Dims, types and small inline constants are kept.
"""

from __future__ import annotations

import mmap
from pathlib import Path

#: TensorProto data fields: float, int32, string, int64, raw, double, uint64
_DATA_FIELDS = frozenset({4, 5, 6, 7, 9, 10, 11})
_GRAPH_FIELD = 7  # ModelProto.graph
_INITIALIZER_FIELD = 5  # GraphProto.initializer
#: data of an initializer up to this many bytes is kept (shape vectors, axes, pads)
KEEP_BYTES = 32 * 1024


class WireError(ValueError):
    """The bytes are not a well-formed protobuf message."""


def _varint(buf: memoryview, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end or shift > 63:
            raise WireError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _fields(buf: memoryview, start: int, end: int):
    """(field number, wire type, header start, value start, value end) of each field."""
    pos = start
    while pos < end:
        head = pos
        key, pos = _varint(buf, pos, end)
        field, wire = key >> 3, key & 7
        if wire == 0:
            _, pos2 = _varint(buf, pos, end)
        elif wire == 1:
            pos2 = pos + 8
        elif wire == 2:
            length, pos = _varint(buf, pos, end)
            pos2 = pos + length
        elif wire == 5:
            pos2 = pos + 4
        else:
            raise WireError(f"unsupported wire type {wire}")
        if pos2 > end:
            raise WireError("field runs past the end of its message")
        yield field, wire, head, pos, pos2
        pos = pos2


def _strip_tensor(buf: memoryview, start: int, end: int) -> bytes:
    big = sum(v1 - v0 for f, _w, _h, v0, v1 in _fields(buf, start, end)
              if f in _DATA_FIELDS) > KEEP_BYTES
    if not big:
        return bytes(buf[start:end])
    return b"".join(bytes(buf[h:v1]) for f, _w, h, _v0, v1 in _fields(buf, start, end)
                    if f not in _DATA_FIELDS)


def _submessage(field: int, body: bytes) -> bytes:
    return _encode_varint(field << 3 | 2) + _encode_varint(len(body)) + body


def _strip_graph(buf: memoryview, start: int, end: int) -> bytes:
    parts = []
    for f, w, h, v0, v1 in _fields(buf, start, end):
        if f == _INITIALIZER_FIELD and w == 2:
            parts.append(_submessage(f, _strip_tensor(buf, v0, v1)))
        else:
            parts.append(bytes(buf[h:v1]))
    return b"".join(parts)


def model_bytes_without_weights(path: Path) -> bytes:
    """The serialized ModelProto with large initializer data left out."""
    with path.open("rb") as fh:
        if path.stat().st_size == 0:
            raise WireError("empty file")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            buf = memoryview(mm)
            try:
                parts = []
                for f, w, h, v0, v1 in _fields(buf, 0, len(buf)):
                    if f == _GRAPH_FIELD and w == 2:
                        parts.append(_submessage(f, _strip_graph(buf, v0, v1)))
                    else:
                        parts.append(bytes(buf[h:v1]))
                return b"".join(parts)
            finally:
                buf.release()
