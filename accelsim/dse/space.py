"""Design-space files: which arch fields (and workload settings) an exploration may change.

A space file is a YAML mapping; each key is a dotted arch field (``array.rows``, ``clock_hz``,
``buffers.input.size_bytes``) or a workload setting (``model``, ``image_size``, ``batch``,
``quant``), and its value is either a list of choices (categorical) or a range
``{low, high, log, step}`` (integer when low, high and step are integers, else float); the
reserved key ``constraints`` lists joint constraints such as ``array.rows * array.cols <= 4096``.

Like an arch file it is validated whole before anything runs: every choice and both ends of
every range are applied to the arch and checked by its schema, and each problem is one
ConfigError naming the space file and the key path (``array.rows.low``, ``model[1]``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accelsim.dse.expr import Constraint, parse_constraint
from accelsim.errors import ConfigError
from accelsim.suggest import did_you_mean
from accelsim.sweep_spec import round_float
from accelsim.yamlio import read_yaml

#: space keys that set the workload rather than the arch
WORKLOAD_KEYS = ("model", "image_size", "batch", "quant")
#: the key that holds joint constraints
CONSTRAINTS_KEY = "constraints"
_RANGE_KEYS = ("low", "high", "log", "step")
#: largest grid the grid sampler enumerates
MAX_GRID_POINTS = 100_000


@dataclass(frozen=True)
class Parameter:
    """One explored dimension: a categorical ``choices`` list or a ``[low, high]`` range."""

    name: str
    choices: tuple[Any, ...] | None = None
    low: int | float | None = None
    high: int | float | None = None
    log: bool = False
    step: int | float | None = None

    @property
    def kind(self) -> str:
        """"categorical", "int" or "float"."""
        if self.choices is not None:
            return "categorical"
        ints = all(isinstance(v, int) for v in (self.low, self.high)) and \
            (self.step is None or isinstance(self.step, int))
        return "int" if ints else "float"

    def distribution(self) -> Any:
        """The Optuna distribution this parameter is sampled from."""
        from optuna.distributions import (
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        if self.kind == "categorical":
            return CategoricalDistribution(list(self.choices or ()))
        if self.kind == "int":
            return IntDistribution(int(self.low), int(self.high), log=self.log,
                                   step=int(self.step or 1))
        return FloatDistribution(float(self.low), float(self.high), log=self.log,
                                 step=None if self.step is None else float(self.step))

    def grid_values(self) -> tuple[Any, ...] | None:
        """Every value the grid sampler visits; None for a float range without a step."""
        if self.choices is not None:
            return self.choices
        if self.kind == "int":
            return tuple(range(int(self.low), int(self.high) + 1, int(self.step or 1)))
        if self.step is None:
            return None
        count = round((self.high - self.low) / self.step) + 1
        return tuple(round_float(self.low + i * self.step) for i in range(count))

    def describe(self) -> dict[str, Any]:
        """A plain-data description (stored with a study, compared on --resume)."""
        if self.choices is not None:
            return {"choices": list(self.choices)}
        return {"low": self.low, "high": self.high, "log": self.log, "step": self.step}


@dataclass(frozen=True)
class DesignSpace:
    """The parameters and joint constraints of a space file."""

    file: str
    parameters: tuple[Parameter, ...]
    constraints: tuple[Constraint, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    def parameter(self, name: str) -> Parameter:
        return next(p for p in self.parameters if p.name == name)

    def grid_size(self) -> int | None:
        """Points of the full grid (before joint constraints); None if a float range has no
        step."""
        sizes = [p.grid_values() for p in self.parameters]
        if any(s is None for s in sizes):
            return None
        return math.prod(len(s) for s in sizes if s is not None)

    def grid(self) -> list[dict[str, Any]]:
        """Every point of the full grid, last parameter varying fastest (before constraints)."""
        values = [p.grid_values() for p in self.parameters]
        missing = [p.name for p, v in zip(self.parameters, values, strict=True) if v is None]
        if missing:
            raise ConfigError("a float range without a step has no grid", file=self.file,
                              key=missing[0], expected="a step, or a list of values")
        return [dict(zip(self.names, combo, strict=True))
                for combo in itertools.product(*(v for v in values if v is not None))]

    def describe(self) -> dict[str, Any]:
        return {"parameters": {p.name: p.describe() for p in self.parameters},
                "constraints": [c.text for c in self.constraints]}


# ---------------------------------------------------------------------------------- loading
def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and \
        math.isfinite(value)


def _choices(name: str, value: list[Any], file: str) -> Parameter:
    if not value:
        raise ConfigError("empty list of choices", file=file, key=name,
                          expected="at least one value")
    for i, item in enumerate(value):
        if item is None or not isinstance(item, (bool, int, float, str)):
            raise ConfigError("a choice must be a number, a string or a boolean", file=file,
                              key=f"{name}[{i}]", value=None if item is None else
                              type(item).__name__)
    seen = [repr(v) for v in value]
    for i, item in enumerate(seen):
        if item in seen[:i]:
            raise ConfigError("duplicate choice", file=file, key=f"{name}[{i}]",
                              value=value[i])
    return Parameter(name, choices=tuple(value))


def _number(value: Any) -> Any:
    """YAML 1.1 reads ``5.0e8`` (no exponent sign) as a string; take it as the number."""
    if isinstance(value, str):
        for kind in (int, float):
            try:
                return kind(value)
            except ValueError:
                pass
    return value


def _range(name: str, value: Mapping[str, Any], file: str) -> Parameter:
    value = {k: _number(v) if k in ("low", "high", "step") else v for k, v in value.items()}
    for key in value:
        if key not in _RANGE_KEYS:
            raise ConfigError(f"unknown range key: {did_you_mean(str(key), _RANGE_KEYS)}",
                              file=file, key=f"{name}.{key}")
    for key in ("low", "high"):
        if key not in value:
            raise ConfigError("missing", file=file, key=f"{name}.{key}",
                              expected="a range needs low and high")
        if not _is_number(value[key]):
            raise ConfigError("not a number", file=file, key=f"{name}.{key}", value=value[key])
    low, high = value["low"], value["high"]
    log = value.get("log", False)
    step = value.get("step")
    if not isinstance(log, bool):
        raise ConfigError("not a boolean", file=file, key=f"{name}.log", value=log,
                          expected="true or false")
    if not low < high:
        raise ConfigError(f"low ({low!r}) must be below high ({high!r})", file=file,
                          key=f"{name}.high", value=high)
    if log and low <= 0:
        raise ConfigError("a log range needs low > 0", file=file, key=f"{name}.low", value=low)
    if step is not None:
        if not _is_number(step) or step <= 0:
            raise ConfigError("not a positive number", file=file, key=f"{name}.step",
                              value=step)
        if log:
            raise ConfigError("a range is either log or stepped, not both", file=file,
                              key=f"{name}.step", expected="remove step or log")
        count = (high - low) / step
        if abs(count - round(count)) > 1e-9 * max(1.0, count):
            raise ConfigError(f"high - low ({high - low!r}) is not a multiple of step",
                              file=file, key=f"{name}.step", value=step)
    return Parameter(name, low=low, high=high, log=log, step=step)


def _workload_values(param: Parameter, file: str) -> None:
    """model / quant: choices of names; image_size / batch: positive integers."""
    name = param.name
    if name in ("model", "quant"):
        if param.choices is None or not all(isinstance(v, str) for v in param.choices):
            raise ConfigError(f"{name} takes a list of names", file=file, key=name,
                              expected="e.g. [vit_tiny, vit_base]" if name == "model"
                              else "e.g. [sole, w8a8]")
        return
    values = param.choices if param.choices is not None else (param.low, param.high)
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            key = f"{name}[{i}]" if param.choices is not None else f"{name}.{_RANGE_KEYS[i]}"
            raise ConfigError("not a positive integer", file=file, key=key, value=v)
    if param.choices is None and param.kind != "int":
        raise ConfigError("an integer range needs an integer step", file=file,
                          key=f"{name}.step", value=param.step)


def _probe_values(param: Parameter) -> list[tuple[str, Any]]:
    """(key path, value) pairs checked against the arch schema: every choice, both ends of a
    range and, for a float range, a value between them (catches a float range on an integer
    field)."""
    if param.choices is not None:
        return [(f"{param.name}[{i}]", v) for i, v in enumerate(param.choices)]
    probes = [(f"{param.name}.low", param.low), (f"{param.name}.high", param.high)]
    if param.kind == "float" and param.step is None:
        probes.append((param.name, round_float((param.low + param.high) / 2 + 1e-3 *
                                               (param.high - param.low))))
    return probes


def arch_scalars(spec: Any) -> dict[str, Any]:
    """Every scalar field of an ArchSpec as {dotted path: value} (constraints read these)."""
    out: dict[str, Any] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else str(key), value)
        elif isinstance(node, (bool, int, float, str)):
            out[prefix] = node

    walk("", spec.model_dump())
    return out


def parse_space(data: Any, file: str, arch_raw: Mapping[str, Any], arch_file: str) -> DesignSpace:
    """Validate a parsed space file against the arch it explores (``arch_raw``, the arch
    file's raw mapping); returns the DesignSpace or raises one ConfigError."""
    from accelsim.arch.load import arch_from_dict

    if not isinstance(data, dict) or not data:
        raise ConfigError("expected a mapping of parameters", file=file,
                          value=type(data).__name__ if data is not None else None,
                          expected="e.g. 'array.rows: [16, 32, 64]'")
    parameters: list[Parameter] = []
    for name, value in data.items():
        if name == CONSTRAINTS_KEY:
            continue
        if not isinstance(name, str) or not name or any(not p for p in name.split(".")):
            raise ConfigError("bad parameter name", file=file, key=str(name),
                              expected="a dotted arch field such as array.rows, or one of "
                                       + ", ".join(WORKLOAD_KEYS))
        if isinstance(value, list):
            param = _choices(name, value if name in WORKLOAD_KEYS else
                             [_number(v) for v in value], file)
        elif isinstance(value, dict):
            param = _range(name, value, file)
        else:
            raise ConfigError("expected a list of choices or a range", file=file, key=name,
                              value=value, expected="[v1, v2, ...] or {low: L, high: H}")
        if name in WORKLOAD_KEYS:
            _workload_values(param, file)
        else:
            for key, probe in _probe_values(param):
                try:
                    arch_from_dict(arch_raw, arch_file, {name: probe})
                except ConfigError as exc:
                    if exc.message.startswith("unknown key"):
                        raise ConfigError(f"not a field of arch {Path(arch_file).name}: "
                                          f"{exc.message}", file=file, key=name) from None
                    raise ConfigError(f"not a valid value of arch field {name} "
                                      f"({Path(arch_file).name}): {exc.message}", file=file,
                                      key=key, value=probe) from None
        parameters.append(param)
    if not parameters:
        raise ConfigError("no parameter to explore", file=file,
                          expected="e.g. 'array.rows: [16, 32, 64]'")
    raw_constraints = data.get(CONSTRAINTS_KEY, [])
    if not isinstance(raw_constraints, list):
        raise ConfigError("expected a list of comparisons", file=file, key=CONSTRAINTS_KEY,
                          expected="e.g. ['array.rows * array.cols <= 4096']")
    base = arch_from_dict(arch_raw, arch_file)
    known = set(arch_scalars(base)) | {p.name for p in parameters} | set(WORKLOAD_KEYS)
    constraints = tuple(parse_constraint(text, sorted(known), key=f"{CONSTRAINTS_KEY}[{i}]",
                                         file=file)
                        for i, text in enumerate(raw_constraints))
    return DesignSpace(file, tuple(parameters), constraints)


def load_space(path: str | Path, arch_raw: Mapping[str, Any], arch_file: str) -> DesignSpace:
    """Read and validate a space file (see parse_space)."""
    path = Path(path)
    if path.exists() and not path.is_file() and not path.is_dir():
        raise ConfigError("not a regular file", file=str(path))
    return parse_space(read_yaml(path, ConfigError), str(path), arch_raw, arch_file)


def point_values(spec: Any, workload: Mapping[str, Any]) -> dict[str, Any]:
    """The names a joint constraint may read for one design: the arch's scalar fields (as the
    schema normalized them: sizes in bytes) and the workload settings."""
    return {**arch_scalars(spec), **workload}


def unmet(constraints: Iterable[Constraint], values: Mapping[str, Any]) -> list[str]:
    """Texts of the constraints ``values`` does not meet."""
    return [c.text for c in constraints if not c.satisfied(values)]
