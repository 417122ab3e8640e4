"""Safe YAML reading shared by arch and trace loaders: safe_load only, duplicate keys rejected,
errors as one line naming the file and position."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from accelsim.errors import AccelsimError
from accelsim.fileio import read_input_text

#: libyaml's C parser when PyYAML was built with it (about 5x faster on trace files)
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def read_yaml(path: Path, error: type[AccelsimError]) -> Any:
    """Parse a YAML file (never executing code); raise ``error`` naming the file on failure."""
    text = read_input_text(path, error, "YAML file")
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"malformed YAML: {where}{problem}", file=str(path)) from None


def parse_scalar(text: str) -> Any:
    """Type a ``--set`` value the way YAML would ("64" -> 64, "true" -> True, "1GHz" stays str)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text
