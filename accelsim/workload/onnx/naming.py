"""Op names and blocks of an imported graph, so ``--group block`` and the reports read like the
built-in models'.

Exporters name nodes by module scope (``/vit/encoder/layer.0/attention/attention/query/MatMul``):
the op is named by its scope (``vit.encoder.layer.0.attention.attention.query``) and its block
is the scope up to its last numbered component (``layer.0``; Swin: ``layers.0.blocks.1``, and
``layers.0.downsample`` for what sits beside numbered blocks). Ops before the first block are
``embed``, after the last one ``head``. A graph without numbered scopes (hand-built) gets its
blocks from structure: a pre-norm transformer block ends at its second residual add.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_OP_SUFFIX = re.compile(r"[A-Z][A-Za-z0-9]*?(_\d+)?(_quant)?")  # onnxruntime adds _quant


def scope_parts(node_name: str) -> list[str]:
    parts = [p for p in re.split(r"[/.:]", node_name) if p]
    if len(parts) > 1 and _OP_SUFFIX.fullmatch(parts[-1]):
        parts = parts[:-1]
    return parts


def _clean(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", text) or "op"


def op_names(raw: Sequence[str]) -> list[str]:
    """Unique, readable op names from ONNX node names (or output tensor names): the scope,
    and the node's own last component (lower case) where several ops share a scope."""
    bases = [_clean(".".join(scope_parts(name))) for name in raw]
    shared = {b for b in bases if bases.count(b) > 1}
    used: dict[str, int] = {}
    out = []
    for name, base in zip(raw, bases, strict=True):
        if base in shared:
            parts = [p for p in re.split(r"[/.:]", name) if p]
            base = _clean(f"{base}.{parts[-1].lower()}") if parts else base
        n = used.get(base, 0)
        used[base] = n + 1
        out.append(base if n == 0 else f"{base}.{n}")
    return out


def _scope_block(parts: list[str]) -> str | None:
    digits = [i for i, p in enumerate(parts) if p.isdigit()]
    if not digits:
        return None
    start = max(digits[0] - 1, 0)
    return ".".join(parts[start:digits[-1] + 1])


def blocks(raw: Sequence[str], kinds: Sequence[str], residual: Sequence[bool]) -> list[str]:
    """The block of each op (see the module docstring)."""
    parts = [scope_parts(n) for n in raw]
    keys = [_scope_block(p) for p in parts]
    if not any(keys):
        return _structural(kinds, residual)
    numbered = {k for k in keys if k}
    out: list[str | None] = []
    for p, key in zip(parts, keys, strict=True):
        if key and any(other.startswith(key + ".") for other in numbered):
            depth = len(key.split("."))
            start = [i for i, x in enumerate(p) if x.isdigit()][0] - 1
            nxt = p[max(start, 0) + depth] if max(start, 0) + depth < len(p) else "rest"
            key = f"{key}.{nxt}"
        out.append(key)
    first = next(i for i, k in enumerate(out) if k)
    last = max(i for i, k in enumerate(out) if k)
    return [k if k else ("embed" if i < first else "head" if i > last else
                         next(x for x in reversed(out[:i]) if x))  # type: ignore[misc]
            for i, k in enumerate(out)]


def _structural(kinds: Sequence[str], residual: Sequence[bool]) -> list[str]:
    first_ln = next((i for i, k in enumerate(kinds) if k == "layernorm"), 0)
    adds = [i for i, r in enumerate(residual) if r]
    last = adds[-1] if adds else len(kinds) - 1
    out, index, seen = [], 0, 0
    for i, _kind in enumerate(kinds):
        if i < first_ln:
            out.append("embed")
        elif i > last:
            out.append("head")
        else:
            out.append(f"block{index}")
            if residual[i]:
                seen += 1
                if seen % 2 == 0:
                    index += 1
    return out
