"""Unit aliases and parsers for human-friendly quantities ("512KiB", "1.2GHz", "25.6GB/s").

Conventions: time inside the engine is an integer number of cycles; sizes are bytes; SI prefixes
(k, M, G) are powers of 10 and binary prefixes (Ki, Mi, Gi) powers of 2, as in IEC 80000-13.
"""

from __future__ import annotations

import math
import re

Cycles = int
Bytes = int
Bits = int
Hz = float

_PREFIX = {
    "": 1.0,
    "k": 1e3,
    "K": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "Ki": 2.0**10,
    "Mi": 2.0**20,
    "Gi": 2.0**30,
    "Ti": 2.0**40,
}
_QUANTITY = re.compile(
    r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([KMGT]i|[kKMGT]?)\s*([A-Za-z/]*)\s*$"
)


def parse_quantity(text: str | int | float, unit: str) -> float:
    """Parse ``text`` ("512KiB", "1.2 GHz", "25.6GB/s", or a bare number) in ``unit``.

    ``unit`` is the base unit without prefix ("B", "Hz", "B/s"); a bare number is taken as-is.
    Raises ValueError with the accepted form when the text does not parse.
    """
    if isinstance(text, bool):
        raise ValueError(f"expected a number or a quantity in {unit}, got a boolean")
    if isinstance(text, (int, float)):
        return float(text)
    match = _QUANTITY.match(text)
    if not match:
        raise ValueError(f"cannot parse {text!r} as a quantity in {unit}")
    number, prefix, suffix = match.groups()
    if suffix and suffix != unit:
        raise ValueError(f"unit of {text!r} is {suffix!r}, expected {unit!r}")
    return float(number) * _PREFIX[prefix]


def ceil_div(a: int, b: int) -> int:
    """Integer ceil(a / b) for non-negative a and positive b."""
    return -(-a // b)


def tensor_bytes(elements: int, bits: int) -> Bytes:
    """Bytes of a packed tensor: ceil(elements x bits / 8) (DESIGN.md conventions)."""
    return ceil_div(elements * bits, 8)


def bytes_per_cycle(bandwidth_gbps: float, clock_hz: float) -> float:
    """DRAM bandwidth in GB/s (10^9 bytes/s) expressed in bytes per accelerator cycle."""
    return bandwidth_gbps * 1e9 / clock_hz


def ns_to_cycles(latency_ns: float, clock_hz: float) -> Cycles:
    """A latency in ns rounded up to whole cycles at ``clock_hz``."""
    return math.ceil(latency_ns * 1e-9 * clock_hz - 1e-9)
