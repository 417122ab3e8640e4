"""Mappings as data (schema ``accelsim.mapping/1``, YAML): per GEMM layer its tile, loop
order and resident operand, the batch order, and the search's estimate beside the simulated
cycles and bytes. ``accelsim map`` writes one; ``simulate --mapping FILE`` replays it (the
peer is ONNXim's ``.mapping`` file). Only ``tile``, ``order`` and, in a batch run,
``batch_order`` are read back (and the top-level ``batch_order`` when it is one order for
every unit: ``whole_batch_order``), and under ``fusion`` each LayerNorm's ``keep_on_chip`` and each
fused attention's ``rows_per_block``; the rest is for the reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from accelsim.errors import MappingError
from accelsim.yamlio import read_yaml

SCHEMA = "accelsim.mapping/1"
#: a layer's batch order in a file (a batch run's plan: engine.batch_plan)
BATCH_ORDERS = ("layer-major", "image-major")


def read_mapping(path: Path) -> dict[str, tuple]:
    """op name -> (Mt, Nt, Kt, order), followed by the layer's batch order when the file gives
    one (a batch run: ``image-major`` tiles are per image); MappingError naming the file and
    field when malformed."""
    data = read_yaml(path, MappingError)
    src = str(path)
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise MappingError("not a mapping file", file=src, key="schema",
                           value=data.get("schema") if isinstance(data, dict) else None,
                           expected=SCHEMA)
    layers = data.get("layers")
    if not isinstance(layers, dict) or not layers:
        raise MappingError("no layers", file=src, key="layers",
                           expected="a mapping of GEMM layer name -> {tile, order}")
    out: dict[str, tuple] = {}
    fusion = data.get("fusion", {})
    if not isinstance(fusion, dict):
        raise MappingError("expected a mapping of op name -> fusion choice", file=src,
                           key="fusion")
    for name, entry in fusion.items():
        out[str(name)] = _fusion_choice(entry, src, f"fusion.{name}")
    for name, entry in layers.items():
        key = f"layers.{name}"
        if str(name) in out:
            raise MappingError("op given under both fusion and layers", file=src, key=key)
        if not isinstance(entry, dict):
            raise MappingError("expected a mapping with tile and order", file=src, key=key)
        tile = entry.get("tile")
        if (not isinstance(tile, list) or len(tile) != 3
                or not all(isinstance(x, int) and not isinstance(x, bool) and x > 0
                           for x in tile)):
            raise MappingError("tile must be three positive integers [Mt, Nt, Kt]", file=src,
                               key=f"{key}.tile", value=tile)
        order = entry.get("order", "mnk")
        if order not in ("mnk", "nmk"):
            raise MappingError("unknown loop order", file=src, key=f"{key}.order", value=order,
                               expected="mnk | nmk")
        batch_order = entry.get("batch_order")
        if batch_order is not None and batch_order not in BATCH_ORDERS:
            raise MappingError("unknown batch order", file=src, key=f"{key}.batch_order",
                               value=batch_order, expected=" | ".join(BATCH_ORDERS))
        out[str(name)] = (tile[0], tile[1], tile[2], order,
                          *([batch_order] if batch_order else []))
    return out


def whole_batch_order(path: Path) -> str | None:
    """The file's top-level ``batch_order`` when it names one order for every unit
    (``layer-major`` or ``image-major``), else None (``mixed``, absent): a unit with no GEMM
    has no row to record its order, so a replay forces the whole plan's (simulate
    ``batch_order``) to play it again, e.g. a plan engine.batch_check kept image-major."""
    data = read_yaml(path, MappingError)
    order = data.get("batch_order") if isinstance(data, dict) else None
    if order is not None and order not in (*BATCH_ORDERS, "mixed"):
        raise MappingError("unknown batch order", file=str(path), key="batch_order",
                           value=order, expected="layer-major | image-major | mixed")
    return order if order in BATCH_ORDERS else None


def _fusion_choice(entry: Any, src: str, key: str) -> tuple:
    """("keep", bool) for a LayerNorm, ("rows", n) for a fused attention's QK^T."""
    if isinstance(entry, dict) and set(entry) >= {"keep_on_chip"}:
        keep = entry["keep_on_chip"]
        if not isinstance(keep, bool):
            raise MappingError("keep_on_chip must be true or false", file=src,
                               key=f"{key}.keep_on_chip", value=keep)
        return ("keep", keep)
    if isinstance(entry, dict) and "rows_per_block" in entry:
        rows = entry["rows_per_block"]
        if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
            raise MappingError("rows_per_block must be a positive integer", file=src,
                               key=f"{key}.rows_per_block", value=rows)
        return ("rows", rows)
    raise MappingError("expected keep_on_chip (a LayerNorm) or rows_per_block (a fused "
                       "attention's QK^T)", file=src, key=key)


def fusion_rows(scheduler: Any) -> dict[str, dict[str, Any]]:
    """The fusion choices per op (LayerNorm output kept on chip, fused attention's row
    blocks), as the scheduler made them (image-major units: per image)."""
    return {name: dict(choice) for name, choice in scheduler.fusion.items()}


def mapping_rows(scheduler: Any, result: Any) -> list[dict[str, Any]]:
    """One row per searched GEMM: its mapping, estimate and simulated figures. In a batch
    run each row says its batch order; an image-major row's shape and tile are per image, its
    estimate the per-image one times the images (weights kept on chip across images are
    still counted per image there, not in the simulated bytes)."""
    rows = []
    ops = {op.name: op for op in scheduler.trace.ops}
    # a GEMM's write-back is booked on the last op of its fused epilogue: compare the group's
    group_bytes: dict[str, int] = {}
    for x in result.layers:
        group_bytes[x.group] = group_bytes.get(x.group, 0) + x.dram_read_bytes + \
            x.dram_write_bytes
    image_ops = {op.name: op for op in scheduler.per_image.ops} if scheduler.per_image else {}
    batch = scheduler.trace.batch
    for name, t in scheduler.mappings.items():
        image = name in scheduler.image_ops
        op = image_ops[name] if image else ops[name]
        layer = result.layer(name)
        times = batch if image else 1  # an image-major GEMM runs its per-image tiling b times
        rows.append({
            "layer": name, "shape": [op.m, op.n, op.k], "batch": getattr(op, "batch", 1),
            "tile": [t.mt, t.nt, t.kt], "order": t.order, "resident": t.resident,
            **({"batch_order": "image-major" if image else "layer-major"} if batch > 1 else {}),
            "steps": t.steps * times, "est_cycles": round(t.est_cycles * times),
            "sim_compute_cycles": layer.compute_cycles,
            "sim_cycles": layer.cycles,
            "est_dram_bytes": t.est_dram_bytes * times,
            "sim_dram_bytes": group_bytes[layer.group],
        })
    return rows


def mapping_document(arch_name: str, trace: Any, batch_order: str, objective: str,
                     rows: list[dict[str, Any]],
                     fusion: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The YAML document of a mapping (per-image rows when the batch ran image-major); the
    fusion choices under ``fusion`` (``keep_on_chip`` and ``rows_per_block`` are read back)."""
    return {"schema": SCHEMA, "arch": arch_name, "model": trace.name, "batch": trace.batch,
            "objective": objective, "batch_order": batch_order,
            "layers": {r["layer"]: {k: v for k, v in r.items() if k != "layer"} for r in rows},
            **({"fusion": fusion} if fusion else {})}
