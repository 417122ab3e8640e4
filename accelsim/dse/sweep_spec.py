"""Sweep specifications: parse ``--pe`` / ``--set`` / workload lists into axes, expand them into
grid points (cartesian product or ``--zip``), and validate every swept value and workload before
anything runs (validate_axes), so that a bad spec fails once, clearly, naming the flag; the
workers build each point's arch (ArchSource.spec)."""

from __future__ import annotations

import functools
import itertools
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accelsim.errors import ConfigError
from accelsim.yamlio import parse_scalar

#: significant digits of float cells (results and parameters), so resume keys match the file
FLOAT_DIGITS = 10


def round_float(value: Any) -> Any:
    """A float rounded to FLOAT_DIGITS significant digits; anything else unchanged."""
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.{FLOAT_DIGITS}g}")
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return repr(round_float(value))
    return str(value)


#: workload axes: flag -> record column; every record carries these, swept or not
WORKLOAD_AXES = {"--model": "model", "--image-size": "image_size", "--batch": "batch",
                 "--quant": "quant"}
#: columns that never identify a point (results, bookkeeping)
STATUS_COLUMNS = ("status", "error_type", "error")
#: record columns a ``--set`` key may not take
RESERVED_COLUMNS = frozenset({"index", "arch", "pe", "resumed", *STATUS_COLUMNS})


@dataclass(frozen=True)
class Axis:
    """One swept parameter: the flag it came from, its record column(s) and its values."""

    flag: str
    name: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class SweepPoint:
    """One point of the grid: its index and parameter values (record columns, in order)."""

    index: int
    params: tuple[tuple[str, Any], ...]

    @property
    def values(self) -> dict[str, Any]:
        return dict(self.params)

    def arch_overrides(self) -> dict[str, Any]:
        """``--set``-style overrides of this point (``pe`` expands to array.rows/cols)."""
        out: dict[str, Any] = {}
        for name, value in self.params:
            if name == "pe":
                rows, cols = (int(x) for x in str(value).split("x"))
                out["array.rows"], out["array.cols"] = rows, cols
            elif name not in WORKLOAD_AXES.values():
                out[name] = value  # an arch field: "array.rows", or a top-level "clock_hz"
        return out

    def key(self) -> tuple[tuple[str, str], ...]:
        """Identity used by ``resume``: every parameter, as the CSV spells it."""
        return tuple((name, _cell(value)) for name, value in self.params if name != "index")


# ---------------------------------------------------------------------------------- parsing
def _split(flag: str, text: str) -> list[str]:
    items = [item.strip() for item in str(text).split(",")]
    if not str(text).strip() or any(not item for item in items):
        raise ConfigError("empty value in the list", key=flag, value=text,
                          expected="comma-separated values, e.g. 8x8,16x16")
    if len(set(items)) != len(items):
        raise ConfigError("duplicate value in the list", key=flag, value=text)
    return items


def _listify(flag: str, value: Any) -> list[str]:
    """A single value, a comma-separated string or a sequence of either -> list of strings."""
    if isinstance(value, str):
        return _split(flag, value)
    if isinstance(value, Iterable):
        items = [str(v) for v in value]
        return _split(flag, ",".join(items)) if items else _split(flag, "")
    return [str(value)]


def parse_pe(text: str | Sequence[Any]) -> Axis:
    """``"8x8,16x16"`` -> Axis("--pe", "pe", ("8x8", "16x16")); sets array.rows and array.cols."""
    values = []
    for item in _listify("--pe", text):
        rows, sep, cols = item.lower().partition("x")
        if not sep or not rows.isdigit() or not cols.isdigit() or int(rows) < 1 or int(cols) < 1:
            raise ConfigError("bad PE array size", key="--pe", value=item,
                              expected="ROWSxCOLS with positive integers, e.g. 16x16")
        value = f"{int(rows)}x{int(cols)}"
        if value in values:  # "8x8,08x8": one size spelled twice
            raise ConfigError(f"duplicate value in the list: {item!r} is {value}", key="--pe",
                              value=text, expected="distinct sizes")
        values.append(value)
    return Axis("--pe", "pe", tuple(values))


def parse_set(item: str) -> Axis:
    """``"array.rows=16,32,64"`` -> Axis over the arch field ``array.rows``."""
    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError("bad sweep override", key="--set", value=item,
                          expected="KEY.PATH=V1,V2,..., e.g. array.rows=16,32,64 or "
                                   "clock_hz=1GHz,2GHz")
    flag = next((f for f, column in WORKLOAD_AXES.items() if column == key), None)
    if flag is not None or key in RESERVED_COLUMNS:
        raise ConfigError(f"{key!r} is not an arch field", key="--set", value=item,
                          expected=f"{flag} for the workload axis" if flag
                          else "an arch field, e.g. array.rows or clock_hz")
    raw = _split(f"--set {key}", text)
    values = tuple(parse_scalar(v) for v in raw)
    seen: dict[str, str] = {}
    for item, value in zip(raw, values, strict=True):  # "16,0x10": one value spelled twice
        first = seen.setdefault(_cell(value), item)
        if first != item:
            raise ConfigError(f"duplicate value in the list: {first!r} and {item!r} are both "
                              f"{_cell(value)}", key=f"--set {key}", value=text,
                              expected="distinct values")
    return Axis(f"--set {key}", key, values)


def parse_positive_ints(flag: str, value: Any) -> tuple[int, ...]:
    """``"224,384"`` (or a value, or a sequence) -> (224, 384): distinct positive integers."""
    values = []
    for item in _listify(flag, value):
        if not item.isdigit() or int(item) < 1:
            raise ConfigError(f"not a positive integer in {str(value)!r}", key=flag, value=item)
        values.append(int(item))
    return tuple(values)


def _int_axis(flag: str, value: Any) -> Axis:
    return Axis(flag, WORKLOAD_AXES[flag], parse_positive_ints(flag, value))


def build_axes(model: Any = "vit_base", image_size: Any = 224, batch: Any = 1,
               quant: Any = "sole", pe: Any = None,
               overrides: Mapping[str, Any] | Iterable[str] | None = None) -> list[Axis]:
    """Parse every sweep flag into axes (workload axes first, then PE, then ``--set``)."""
    axes = [Axis("--model", "model", tuple(_listify("--model", model))),
            _int_axis("--image-size", image_size), _int_axis("--batch", batch),
            Axis("--quant", "quant", tuple(_listify("--quant", quant)))]
    if pe is not None:
        axes.append(parse_pe(pe))
    if isinstance(overrides, Mapping):
        items = [f"{k}={','.join(str(v) for v in _listify(k, vals))}"
                 for k, vals in overrides.items()]
    else:
        items = list(overrides or [])
    for item in items:
        axis = parse_set(item)
        taken = {a.name for a in axes} | ({"array.rows", "array.cols"} if pe is not None else set())
        if axis.name in taken:
            raise ConfigError("parameter swept twice", key=axis.flag, value=item,
                              expected="each parameter once (--pe already sets array.rows/cols)")
        axes.append(axis)
    return axes


#: Most points a sweep grid may have (the parent holds each point and its record);
#: ``ACCELSIM_MAX_SWEEP_POINTS`` raises it.
DEFAULT_MAX_SWEEP_POINTS = 100_000


def max_sweep_points() -> int:
    raw = os.environ.get("ACCELSIM_MAX_SWEEP_POINTS", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_MAX_SWEEP_POINTS


def grid_points(axes: Sequence[Axis], zip_axes: bool = False) -> list[SweepPoint]:
    """Cartesian product of the axes (last varies fastest), or with ``zip_axes`` the i-th values
    of every multi-valued axis together (single values broadcast; lengths must match). A grid
    over ``max_sweep_points()`` is refused before any point is built or validated."""
    if not zip_axes:
        size = math.prod(len(a.values) for a in axes)
        cap = max_sweep_points()
        if size > cap:
            biggest = max(axes, key=lambda a: len(a.values))
            raise ConfigError(f"the grid has {size:,} points, over the {cap:,}-point limit "
                              "(set ACCELSIM_MAX_SWEEP_POINTS to raise it)", key=biggest.flag,
                              value=f"{len(biggest.values)} values")
    if zip_axes:
        lengths = {a.flag: len(a.values) for a in axes if len(a.values) > 1}
        if len(set(lengths.values())) > 1:
            raise ConfigError("--zip needs lists of equal length", key="--zip",
                              value=", ".join(f"{f}: {n}" for f, n in lengths.items()))
        n = max(lengths.values(), default=1)
        combos = [tuple(a.values[i] if len(a.values) > 1 else a.values[0] for a in axes)
                  for i in range(n)]
    else:
        combos = list(itertools.product(*(a.values for a in axes)))
    return [SweepPoint(i, tuple(zip((a.name for a in axes), combo, strict=True)))
            for i, combo in enumerate(combos)]


@dataclass(frozen=True)
class ArchSource:
    """What a worker needs to build any point's ArchSpec: the arch file's raw mapping, its
    path, the axes' flags (for error messages) and the arch's name."""

    raw: Any
    path: str
    flags: tuple[tuple[str, str], ...]
    name: str

    def spec(self, point: SweepPoint) -> Any:
        """``point``'s ArchSpec; a ConfigError names the point and the flag."""
        from accelsim.arch.load import arch_from_dict

        try:
            return arch_from_dict(self.raw, self.path, point.arch_overrides())
        except ConfigError as exc:
            raise _point_error(exc, point, dict(self.flags)) from None


def _point_error(exc: ConfigError, point: SweepPoint, flags: Mapping[str, str]) -> ConfigError:
    key = (exc.key or "").removeprefix("--set ")
    flag = flags.get(key) or ("--pe" if key in ("array.rows", "array.cols")
                              and "pe" in flags else f"--set {key}")
    return ConfigError(f"sweep point {point.index} is invalid: {exc.message}", file=exc.file,
                       key=flag, value=point.values.get(key, exc.value), expected=exc.expected)


def _arch_axes(axes: Sequence[Axis]) -> list[int]:
    return [i for i, a in enumerate(axes) if a.name not in WORKLOAD_AXES.values()]


def _index_at(axes: Sequence[Axis], zip_axes: bool, axis: int, position: int) -> int:
    """Index of the first grid point whose ``axis`` takes its ``position``-th value."""
    if zip_axes:
        return position if len(axes[axis].values) > 1 else 0
    return position * math.prod(len(a.values) for a in axes[axis + 1:])


def _alone(axes: Sequence[Axis], zip_axes: bool, axis: int, position: int) -> SweepPoint:
    """A probe of ``axis`` at its ``position``-th value applied alone to the base (the arch
    with every single-valued axis, which all points share; the other swept arch axes left
    out; the workload axes at their first value), indexed as the first grid point that
    takes this value."""
    params = tuple((a.name, a.values[position if i == axis else 0])
                   for i, a in enumerate(axes)
                   if i == axis or len(a.values) == 1 or a.name in WORKLOAD_AXES.values())
    return SweepPoint(_index_at(axes, zip_axes, axis, position), params)


def _workloads(axes: Sequence[Axis], zip_axes: bool) -> set[tuple[str, int, int, str]]:
    """Every (model, image_size, batch, quant) of the grid, from the axes alone."""
    names = list(WORKLOAD_AXES.values())
    picked = [next(a for a in axes if a.name == n) for n in names]
    if zip_axes:
        n = max((len(a.values) for a in axes), default=1)
        combos = {tuple(a.values[i] if len(a.values) > 1 else a.values[0] for a in picked)
                  for i in range(n)}
    else:
        combos = set(itertools.product(*(a.values for a in picked)))
    return {(str(m), int(s), int(b), str(q)) for m, s, b, q in combos}


def validate_axes(arch: str | Path, axes: Sequence[Axis],
                  zip_axes: bool = False) -> tuple[ArchSource, bool]:
    """Validate the sweep before anything runs, in 1 + sum(axis lengths) specs instead of one
    per point (issue 19: ~0.7 ms a spec made a 100k grid a minute of the parent's time): the
    base arch, every arch-axis value applied alone to it, every workload. Returns the
    ArchSource the workers build each point's spec from, and whether points can still
    coincide across axes (two or more arch axes with several values: the workers' digests
    are then compared before anything is simulated, see joint_duplicate). A value invalid
    alone, or two values of one axis that normalise to one design, are refused here; a point
    invalid only in combination becomes an error row when it runs."""
    from accelsim.arch.load import arch_from_dict, resolve_arch_path
    from accelsim.yamlio import read_yaml

    path = resolve_arch_path(arch)
    raw = read_yaml(path, ConfigError)
    flags = {a.name: a.flag for a in axes}
    source = ArchSource(raw, str(path), tuple(flags.items()), "")
    base = arch_from_dict(raw, str(path)) if not _arch_axes(axes) else None
    for i, axis in enumerate(axes):
        cells: dict[str, int] = {}
        designs: dict[Any, int] = {}
        for j, value in enumerate(axis.values):
            point = _alone(axes, zip_axes, i, j)
            if i in _arch_axes(axes):
                spec = source.spec(point)
                base = base or spec
                identity = _spec_key(spec)
            else:
                identity = _workload(point)
            for seen, key in ((cells, _cell(value)), (designs, identity)):
                first = seen.setdefault(key, j)
                if first != j:
                    other = _alone(axes, zip_axes, i, first)
                    raise _duplicate(other, point, flags)
    for workload in _workloads(axes, zip_axes):
        _cached_trace(*workload)  # raises TraceError naming the bad model / size / scheme
    if base is None:
        base = arch_from_dict(raw, str(path))
    joint = sum(1 for i in _arch_axes(axes) if len(axes[i].values) > 1) > 1
    return ArchSource(raw, str(path), tuple(flags.items()), base.name), joint


def spec_digest(point: SweepPoint, spec: Any) -> bytes:
    """16 bytes identifying the design a point runs (its workload and normalised arch)."""
    import hashlib

    text = repr(_workload(point)) + _spec_key(spec)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def joint_duplicate(points: Sequence[SweepPoint], digests: Mapping[int, bytes | None],
                    flags: Mapping[str, str]) -> None:
    """Refuse two points whose digests (spec_digest; None: the point is invalid) are equal:
    values of different axes that normalise to one design together."""
    seen: dict[bytes, int] = {}
    for index in sorted(digests):
        digest = digests[index]
        if digest is None:
            continue
        first = seen.setdefault(digest, index)
        if first != index:
            raise _duplicate(points[first], points[index], flags)


def _duplicate(other: SweepPoint, point: SweepPoint, flags: Mapping[str, str]) -> ConfigError:
    """Two values that normalise to one point (``16,0x10``; ``25.6,25.60000000001``, equal once
    rounded as the file writes them; ``256KiB,262144``, one spec) would run one design twice
    and write a file ``--resume`` cannot identify: refused, naming the flag."""
    differ = [name for (name, a), (_, b) in zip(other.params, point.params, strict=True)
              if a != b]
    name = differ[0] if differ else ""
    detail = (f" ({name}: {other.values.get(name)!r} and {point.values.get(name)!r})"
              if differ else "")
    return ConfigError(f"points {other.index} and {point.index} are the same design once "
                       f"values are normalised{detail}",
                       key=flags.get(name, name) or "--set", expected="distinct values")


def validate_points(arch: str | Path, points: Sequence[SweepPoint], axes: Sequence[Axis]) -> list:
    """Validate every point's arch and workload before running; returns the ArchSpecs (one
    spec per point: the reference validate_axes is checked against, and small callers)."""
    from accelsim.arch.load import arch_from_dict, resolve_arch_path
    from accelsim.yamlio import read_yaml

    path = resolve_arch_path(arch)
    raw = read_yaml(path, ConfigError)
    flags = {a.name: a.flag for a in axes}
    specs = []
    for point in points:
        try:
            specs.append(arch_from_dict(raw, str(path), point.arch_overrides()))
        except ConfigError as exc:
            raise _point_error(exc, point, flags) from None
    for workload in {_workload(p) for p in points}:
        _cached_trace(*workload)  # raises TraceError naming the bad model / size / scheme
    _refuse_duplicates(points, specs, flags)
    return specs


def _refuse_duplicates(points: Sequence[SweepPoint], specs: Sequence[Any],
                       flags: Mapping[str, str]) -> None:
    """Two points with the same cells or the same (workload, spec): refused (_duplicate)."""
    seen: dict[Any, SweepPoint] = {}
    for point, spec in zip(points, specs, strict=True):
        for identity in (("cells", point.key()), ("spec", _workload(point), _spec_key(spec))):
            other = seen.setdefault(identity, point)
            if other is not point:
                raise _duplicate(other, point, flags)


def _spec_key(spec: Any) -> Any:
    try:
        return spec.model_dump_json()
    except Exception:  # noqa: BLE001 - not a pydantic spec: identity only
        return id(spec)


def _workload(point: SweepPoint) -> tuple[str, int, int, str]:
    v = point.values
    return (str(v["model"]), int(v["image_size"]), int(v["batch"]), str(v["quant"]))


@functools.lru_cache(maxsize=32)
def _cached_trace(model: str, image_size: int, batch: int, quant: str):
    """A sweep point's trace. A text model (BERT) runs at its default 128 tokens: the image-size
    axis does not apply to it, so only the axis' default value 224 is accepted there."""
    from accelsim.workload.load import load_trace
    from accelsim.workload.models import is_text_model

    if is_text_model(model) and image_size == 224:
        return load_trace(model, None, batch, quant)
    return load_trace(model, image_size, batch, quant)
