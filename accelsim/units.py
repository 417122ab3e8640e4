"""Unit aliases and parsers for human-friendly quantities ("512KiB", "1.2GHz", "25.6GB/s").

Conventions: time inside the engine is an integer number of cycles; sizes are bytes; SI prefixes
(k, M, G) are powers of 10 and binary prefixes (Ki, Mi, Gi) powers of 2, as in IEC 80000-13.
"""

from __future__ import annotations

import math
import re

from accelsim.yamlio import as_number

Cycles = int
Bytes = int
Bits = int
Hz = float

_PREFIX = {
    "": 1.0,
    "p": 1e-12,
    "n": 1e-9,
    "u": 1e-6,
    "m": 1e-3,
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
    r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([KMGT]i|[pnumkKMGT]?)\s*([A-Za-z/]*)\s*$"
)


def parse_quantity(text: str | int | float, unit: str, scale: float = 1.0) -> float:
    """A field's value in the field's own unit (accelsim's numeric policy, README "Reliability:
    inputs").

    ``unit`` is the field's base unit without prefix ("B", "Hz", "B/s", "s") and ``scale``
    converts it to the unit the key names (``bandwidth_gbps``: B/s -> GB/s is 1e-9). A number,
    or a string holding only a YAML 1.2 number ("10", "1e3"), is already in the key's unit; a
    string with a unit ("1.2GHz", "256KiB", "25.6GB/s") must carry exactly ``unit`` after its
    prefix (a bandwidth needs "/s"). Booleans are never numbers. Raises ValueError with the
    accepted form."""
    if isinstance(text, bool):
        raise ValueError(f"expected a number or a quantity in {unit}, got a boolean")
    if isinstance(text, (int, float)):
        return float(text)
    if not isinstance(text, str):
        raise ValueError(f"expected a number or a quantity in {unit}, got a "
                         f"{type(text).__name__}")
    number = as_number(text)
    if number is not None:
        return float(number)
    match = _QUANTITY.match(text)
    if not match:
        raise ValueError(f"cannot parse {text!r} as a quantity in {unit}")
    digits, prefix, suffix = match.groups()
    if prefix + suffix == unit:  # "1m" in a metre field: no prefix
        prefix, suffix = "", unit
    if suffix != unit:
        if not suffix:
            raise ValueError(f"{text!r} has no unit: write a number in the key's unit, or a "
                             f"quantity in {unit} (e.g. 1.5G{unit})")
        raise ValueError(f"unit of {text!r} is {suffix!r}, expected {unit!r}")
    return float(digits) * _PREFIX[prefix] * scale


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
