"""YAML -> ArchSpec: bundled names, ``--set a.b=c`` overrides, errors with key paths."""

from __future__ import annotations

import copy
import os
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from accelsim.arch.spec import ArchSpec
from accelsim.errors import ConfigError
from accelsim.fileio import check_input_file
from accelsim.suggest import did_you_mean
from accelsim.yamlio import parse_scalar, read_yaml

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def bundled_arch_dir() -> Path:
    """Folder of the bundled configs: the repository's arch_configs/ (editable install) or the
    copy packaged into the wheel."""
    candidates = (_PACKAGE_DIR.parent / "arch_configs", _PACKAGE_DIR / "_bundled" / "arch_configs")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise ConfigError("bundled arch_configs folder is missing from the installation")


def bundled_arch_names() -> list[str]:
    return sorted(p.stem for p in bundled_arch_dir().glob("*.yaml"))


def resolve_arch_path(name_or_path: str | Path) -> Path:
    """A regular YAML file if ``name_or_path`` names one, else a bundled config by name ("sole"
    or "sole.yaml"). Anything else that exists (a directory, a FIFO, a device, a symbolic link
    loop) is refused with what it is, never reported as "file not found"."""
    path = Path(name_or_path)
    text = str(name_or_path)
    if path.is_file():
        check_input_file(path, ConfigError, "YAML file")
        return path
    stem = path.name[:-5] if path.name.endswith(".yaml") else path.name
    # a bare name may be bundled; anything written as a path ("./x.yaml") is a file
    bare = not any(sep in text for sep in ("/", "\\"))
    if bare:
        bundled = bundled_arch_dir() / f"{stem}.yaml"
        if bundled.is_file():
            return bundled
    if os.path.lexists(path):
        check_input_file(path, ConfigError, "YAML file")  # raises: what it is instead
        return path
    if bare:
        where = " (no such file, nor a bundled config)" if path.suffix else ""
        raise ConfigError(
            f"unknown architecture {text!r}{where}: " + did_you_mean(stem, bundled_arch_names())
        )
    raise ConfigError("file not found", file=text)


def parse_overrides(items: Iterable[str]) -> dict[str, Any]:
    """``["array.rows=64", "dram.bandwidth_gbps=25.6"]`` -> {"array.rows": 64, ...}."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key or any(not part for part in key.split(".")):
            raise ConfigError(
                "bad override",
                key="--set",
                value=item,
                expected="KEY.PATH=VALUE, e.g. array.rows=64",
            )
        if key in out:
            raise ConfigError("the same field is set twice; set it once", key=f"--set {key}",
                              value=item)
        out[key] = parse_scalar(value.strip()) if isinstance(value, str) else value
    return out


def apply_overrides(
    raw: dict[str, Any], overrides: Mapping[str, Any], source: str
) -> dict[str, Any]:
    """Set dotted paths in a raw config dict (a copy); validation catches unknown leaf keys."""
    data = copy.deepcopy(raw)
    for dotted, value in overrides.items():
        node = data
        parts = dotted.split(".")
        for i, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise ConfigError(
                    f"cannot set a field inside {'.'.join(parts[: i + 1])!r}, which is a value",
                    file=source,
                    key=dotted,
                )
            node = child
        node[parts[-1]] = value
    return data


def _key_path(loc: tuple[Any, ...]) -> str:
    parts = [
        str(p)
        for p in loc
        if not (isinstance(p, str) and (p.startswith("function-") or "[" in p))
    ]
    return ".".join(parts) or "(top level)"


def arch_from_dict(raw: Any, source: str, overrides: Mapping[str, Any] | None = None) -> ArchSpec:
    """Validate a raw mapping into a frozen ArchSpec; the first problem becomes one ConfigError."""
    if not isinstance(raw, dict):
        raise ConfigError("expected a mapping of sections at the top level", file=source,
                          value=type(raw).__name__)
    data = apply_overrides(raw, overrides or {}, source) if overrides else raw
    try:
        return ArchSpec.model_validate(data)
    except ValidationError as exc:
        # an unknown key first: a typo ("rowz") also makes the real field look missing, and
        # the did-you-mean hint is what the user needs
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        first = errors[0]
        key = _key_path(first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        value = first.get("input") if first["type"] != "missing" else None
        if first["type"] == "extra_forbidden":
            message = "unknown key" + _key_hint(first["loc"])
            value = None
        if isinstance(value, (dict, list)):
            value = None
        more = len(errors) - 1
        if more:
            message += f" (+{more} more problem{'s' if more > 1 else ''})"
        via_set = [o for o in overrides or {} if o == key or o.startswith(f"{key}.")]
        if via_set:
            key = f"--set {via_set[0]}"
        raise ConfigError(message, file=source, key=key, value=value) from None


def _section_fields(loc: tuple[Any, ...]) -> list[str]:
    """Field names of the spec section that holds the key at ``loc`` (empty when unknown)."""
    model: Any = ArchSpec
    for part in loc[:-1]:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            return []
        candidates = [field.annotation, *typing.get_args(field.annotation)]
        model = next((c for c in candidates if isinstance(c, type)
                      and issubclass(c, BaseModel)), None)
        if model is None:
            return []
    return list(model.model_fields)


def _key_hint(loc: tuple[Any, ...]) -> str:
    """': did you mean ...?' for a misspelt key (units are part of key names: clock_hz)."""
    fields = _section_fields(loc)
    return f": {did_you_mean(str(loc[-1]), fields)}" if fields else ""


def load_arch(
    name_or_path: str | Path, overrides: Mapping[str, Any] | Iterable[str] | None = None
) -> ArchSpec:
    """Load an accelerator by bundled name or path, applying ``--set``-style overrides."""
    path = resolve_arch_path(name_or_path)
    raw = read_yaml(path, ConfigError)
    if overrides is not None and not isinstance(overrides, Mapping):
        overrides = parse_overrides(overrides)
    return arch_from_dict(raw, str(path), overrides)
