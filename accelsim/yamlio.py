"""Safe YAML reading shared by arch and trace loaders, and the one numeric policy of accelsim.

Numbers follow the YAML 1.2 core schema, in spec files and ``--set`` values alike: ``1e3`` and
``1.0e9`` are floats, ``0x10`` and ``0o17`` integers, ``010`` is decimal 10 (no YAML 1.1 octal),
``1:04`` and ``1_000`` are strings (no base 60, no digit separators), and only
``true``/``false`` are booleans (``yes``, ``on``, ``y`` are strings). PyYAML implements YAML 1.1,
where ``1e3`` is a *string* and ``010`` is 8; this module replaces its resolver.

Documents are refused, as one line naming the file and position, when they hold duplicate or
unhashable keys, nest deeper than :data:`MAX_DEPTH`, or expand through aliases to more than
:data:`MAX_NODES` nodes (a "billion laughs" document). Merge keys (``<<: *anchor``) work.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from accelsim.errors import AccelsimError
from accelsim.fileio import read_input_text

#: deepest nesting of mappings/sequences a spec or trace file may use (they need < 6)
MAX_DEPTH = 64
#: most nodes a document may expand to once aliases are followed (a 100k-op trace: ~2.5 M)
MAX_NODES = 20_000_000

#: libyaml's C parser when PyYAML was built with it (about 5x faster on trace files)
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_MERGE = re.compile(r"^(?:<<)$")

_TAG = "tag:yaml.org,2002:"


class _Yaml12Loader(_SafeLoader):
    """SafeLoader with the YAML 1.2 core schema, duplicate keys refused and size limits."""

    yaml_implicit_resolvers: dict = {}  # noqa: RUF012 - PyYAML's class-level registry

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        _check_size(node)
        return self.construct_document(node)


for _tag, _regexp, _first in (
    ("bool", _BOOL, "tTfF"),
    ("null", _NULL, ["~", "n", "N", ""]),
    ("int", _INT, "-+0123456789"),
    ("float", _FLOAT, "-+0123456789."),
    ("merge", _MERGE, "<"),
):
    _Yaml12Loader.add_implicit_resolver(_TAG + _tag, _regexp, list(_first))


#: digits past which an integer is read as infinity: Python refuses to convert more than 4,300
#: decimal digits, and no accelsim field is within a thousand digits of it (the spec bounds then
#: reject the value with the field's documented range)
_MAX_INT_DIGITS = 1000


def _yaml12_int(text: str) -> int | float:
    if len(text) > _MAX_INT_DIGITS:
        return float("-inf") if text.startswith("-") else float("inf")
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def _yaml12_float(text: str) -> float:
    lowered = text.lower()
    if lowered.lstrip("+-") == ".inf":
        return -math.inf if lowered.startswith("-") else math.inf
    if lowered == ".nan":
        return math.nan
    return float(text)


def _construct_int(loader: _Yaml12Loader, node: yaml.ScalarNode) -> int:
    return _yaml12_int(loader.construct_scalar(node))


def _construct_float(loader: _Yaml12Loader, node: yaml.ScalarNode) -> float:
    return _yaml12_float(loader.construct_scalar(node))


def _construct_bool(loader: _Yaml12Loader, node: yaml.ScalarNode) -> bool:
    return loader.construct_scalar(node).lower() == "true"


def _construct_mapping(loader: _Yaml12Loader, node: yaml.MappingNode, deep: bool = False):
    """Refuse duplicate and unhashable keys among the mapping's own keys (merged keys may be
    overridden, as YAML merge keys intend), then build it with merges applied."""
    seen: set[object] = set()
    for key_node, _ in node.value:
        if key_node.tag == _TAG + "merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, f"a mapping key must be a scalar, not a {type(key).__name__}",
                key_node.start_mark) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {_short(key)}", key_node.start_mark
            )
        seen.add(key)
    loader.flatten_mapping(node)
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a scalar", key_node.start_mark) from None
    return loader.construct_mapping(node, deep=deep)


_Yaml12Loader.add_constructor(_TAG + "int", _construct_int)
_Yaml12Loader.add_constructor(_TAG + "float", _construct_float)
_Yaml12Loader.add_constructor(_TAG + "bool", _construct_bool)
_Yaml12Loader.add_constructor(_TAG + "map", _construct_mapping)
# YAML 1.1-only tags (timestamps, binary, sets, pairs, omap) and unknown tags are refused: a
# spec or trace holds numbers, strings, booleans, lists and mappings
for _tag in ("timestamp", "binary", "set", "pairs", "omap", "value", "yaml"):
    _Yaml12Loader.yaml_constructors.pop(_TAG + _tag, None)


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_size(root: yaml.Node) -> None:
    """Depth and alias-expanded node count of a composed document, without recursion (a
    shared node is measured once: a DAG of aliases costs its distinct nodes, not its paths)."""
    expanded: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if depth > MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"nested more than {MAX_DEPTH} levels deep", node.start_mark)
        children = _children(node)
        if done or not children:
            expanded[id(node)] = 1 + sum(expanded[id(c)] for c in children)
            if expanded[id(node)] > MAX_NODES:
                raise yaml.composer.ComposerError(
                    None, None, f"aliases expand the document to more than {MAX_NODES:,} nodes",
                    node.start_mark)
            continue
        if id(node) in expanded:
            continue
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in children if id(c) not in expanded)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def load_yaml_text(text: str) -> Any:
    """Parse YAML text with accelsim's loader (raises yaml.YAMLError).

    Documents in the layout ``dump_trace`` writes (a block header, then block lists of one-line
    flow mappings of plain scalars) take a line-by-line fast path giving the same data: PyYAML
    builds a Python node per scalar and needs ~1 ms per trace op, too slow for 100k-op traces;
    anything outside that layout goes through the full YAML parser."""
    fast = _load_flow_lines(text)
    if fast is not None:
        return fast
    return yaml.load(text, Loader=_Yaml12Loader)  # noqa: S506 - SafeLoader subclass


# ------------------------------------------------------------------ fast path for trace files
_PLAIN = r"[A-Za-z0-9_][A-Za-z0-9_.+/-]*"
_KEY = r"[A-Za-z_][A-Za-z0-9_]*"
_SEQ = rf"\[(?:{_PLAIN}(?:, {_PLAIN})*)?\]"
_ENTRY = rf"{_KEY}: (?:{_SEQ}|{_PLAIN})"
_ITEM_LINE = re.compile(rf"- \{{{_ENTRY}(?:, {_ENTRY})*\}} *")
_SECTION_LINE = re.compile(rf"({_KEY}): *")
_ENTRIES = re.compile(rf"({_KEY}): (?:\[([^\]]*)\]|({_PLAIN}))")
_MIN_FAST_LINES = 200  # small documents: the full parser is fast enough


def _plain(text: str) -> Any:
    """A plain scalar resolved by the YAML 1.2 core schema (as the full loader does)."""
    first = text[0]
    if first.isdigit():
        if text.isdigit():
            return int(text)
    elif first not in "tTfFnN":
        return text  # a name: no bool, null or number starts with another letter or "_"
    if _BOOL.match(text):
        return text.lower() == "true"
    if _NULL.match(text):
        return None
    if _INT.match(text):
        return _yaml12_int(text)
    if _FLOAT.match(text):
        return _yaml12_float(text)
    return text


def _load_flow_lines(text: str) -> dict[str, Any] | None:
    """The fast path of :func:`load_yaml_text`, or None when ``text`` is not in its layout."""
    lines = text.split("\n")
    if len(lines) < _MIN_FAST_LINES:
        return None
    first = next((i for i, line in enumerate(lines) if _SECTION_LINE.fullmatch(line)
                  and i + 1 < len(lines) and lines[i + 1].startswith("- {")), None)
    if first is None:
        return None
    header = yaml.load("\n".join(lines[:first]), Loader=_Yaml12Loader)  # noqa: S506
    if header is None:
        header = {}
    if not isinstance(header, dict):
        return None
    data: dict[str, Any] = dict(header)
    items: list[Any] | None = None
    for number, line in enumerate(lines[first:], start=first + 1):
        if line.startswith("- "):
            if items is None or not _ITEM_LINE.fullmatch(line):
                return None
            entry: dict[str, Any] = {}
            for key, seq, scalar in _ENTRIES.findall(line):
                if key in entry:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}",
                        yaml.Mark("", 0, number - 1, line.index(f" {key}: ") + 1, None, None))
                entry[key] = ([_plain(x) for x in seq.split(", ")] if seq else []
                              ) if scalar == "" else _plain(scalar)
            items.append(entry)
            continue
        section = _SECTION_LINE.fullmatch(line)
        if section is None:
            if line.strip():
                return None
            continue
        if section.group(1) in data:
            return None  # the full parser reports the duplicate key with its position
        items = data[section.group(1)] = []
    return data


def read_yaml(path: Path, error: type[AccelsimError]) -> Any:
    """Parse a YAML file (never executing code); raise ``error`` naming the file on failure."""
    text = read_input_text(path, error, "YAML file")
    try:
        return load_yaml_text(text)
    except (yaml.YAMLError, RecursionError) as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = (getattr(exc, "problem", None)
                   or (str(exc).splitlines() or ["nested too deeply"])[0])
        raise error(f"malformed YAML: {where}{problem}", file=str(path)) from None


def parse_scalar(text: str) -> Any:
    """Type a ``--set`` value by the same YAML 1.2 rules as a spec file: "64" -> 64,
    "1e3" -> 1000.0, "true" -> True, "010" -> 10; "yes", "1:04", "1GHz" stay strings.

    Only scalars: a value that YAML reads as a list or mapping ("[1, 2]", "{a: 1}") is kept as
    the string typed, so that the field's validation names it."""
    stripped = text.strip()
    if _BOOL.match(stripped):
        return stripped.lower() == "true"
    if _NULL.match(stripped) and stripped:
        return None
    if _INT.match(stripped):
        return _yaml12_int(stripped)
    if _FLOAT.match(stripped):
        return _yaml12_float(stripped)
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "'\"":
        try:
            value = load_yaml_text(stripped)
        except yaml.YAMLError:
            return stripped
        return value if isinstance(value, str) else stripped
    return stripped


def as_number(text: str) -> int | float | None:
    """``text`` as a YAML 1.2 number ("10" -> 10, "1e3" -> 1000.0), else None (the policy for a
    quoted number in a numeric field: it is that number)."""
    stripped = text.strip()
    if _INT.match(stripped):
        return _yaml12_int(stripped)
    if _FLOAT.match(stripped):
        return _yaml12_float(stripped)
    return None
