"""Batch order per group: a batch-b plan assembled from the layer-major plan (each op over all
b images, as the trace is written) and the batch-1 plan (one image), group by group.

A *unit* is a run of consecutive groups that must share one order: a LayerNorm whose output
stays on chip and the GEMMs reading it (the input buffer holds one image's output, or all b
images', not a mix). Each unit runs either

  * layer-major: its groups of the batch plan once, or
  * image-major: its groups of the batch-1 plan once per image in turn. A unit of one GEMM
    group whose weight tiles all fit the weight buffer at once (at most one tile per bank)
    keeps them across images: image 0 fetches them, the last image frees the banks, so the
    weights cross DRAM once per batch, not once per image ("a block's ops per image, weights
    reused across images when they fit", issue 16).

Image-major moves at most b times a batch-1 run's bytes (exactly that without reuse). A unit
runs layer-major only when that moves no more DRAM bytes and takes no more estimated cycles
than image-major and scores no worse under the objective (latency: estimated cycles; energy:
DRAM bytes; edp: their product), so a batch never moves more bytes per inference than b batch-1
runs (tests/property). The cycle estimate of a group is the pipelined bound max(sum of its
steps' slowest stage, its DRAM bytes at the DRAM rate), the same two-resource view the tile
search uses (mapping.estimate). The estimate does not see DRAM contention between groups,
so engine.batch_check simulates the composed plan beside the image-major one and keeps one
within b batch-1 runs in cycles too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from accelsim.engine.plan import Group, Step


@dataclass(frozen=True)
class UnitChoice:
    """One unit's two plans scored: DRAM bytes and estimated cycles, and the order run."""

    first: int  # group indices [first, last] of the unit in both plans
    last: int
    layer_bytes: int
    image_bytes: int
    layer_cycles: float
    image_cycles: float
    order: str
    weight_reuse: bool
    retiled: bool = False  # image-major on the whole-weight tiles (``replan``)


def group_bytes(group: Group) -> int:
    """DRAM bytes one group moves (its loads and write-backs)."""
    return sum(sum(ld.dram_bytes for ld in s.loads) + s.write_bytes for s in group.steps)


def group_cycles(group: Group, dram_bytes_per_cycle: float) -> float:
    """Pipelined estimate: the slowest stage of every step back to back, or the group's DRAM
    bytes at the DRAM rate, whichever is longer."""
    compute = sum(max((w.cycles + w.port_cycles for w in s.stages if w is not None), default=0)
                  for s in group.steps)
    return max(float(compute), group_bytes(group) / dram_bytes_per_cycle)


def score(objective: str, nbytes: int, cycles: float) -> float:
    """What the objective minimises, for two plans of the same ops (the MACs and SRAM traffic
    are the same in both, so energy differs by the DRAM bytes)."""
    if objective == "energy":
        return float(nbytes)
    if objective == "edp":
        return float(nbytes) * cycles
    return cycles


def units(plans: list[tuple[Any, list[Group]]], n_groups: int) -> list[tuple[int, int]]:
    """Contiguous group ranges that must share an order: a group leaving a tensor on chip and
    every group reading it, in either plan (``plans``: each Scheduler with its groups)."""
    end = list(range(n_groups))  # end[i]: last group index tied to group i
    for sched, groups in plans:
        for g, group in enumerate(groups):
            for op in group.ops:
                for t in op.inputs:
                    if t in sched.resident:
                        src = sched.group_of_tensor[t]
                        end[src] = max(end[src], g)
    out = []
    i = 0
    while i < n_groups:
        j, stop = i, end[i]
        while j < stop:  # a unit spans every group between a producer and its readers
            j += 1
            stop = max(stop, end[j])
        out.append((i, stop))
        i = stop + 1
    return out


def _weight_loads(groups: list[Group], constants: set[str]) -> list | None:
    """The bank loads of constant weights in ``groups``, or None if a weight-buffer bank also
    holds a produced tensor (attention's K and V: not reusable across images)."""
    loads = [ld for g in groups for s in g.steps for ld in s.loads
             if ld.buffer == "weight" and ld.bank]
    if any(ld.tensor not in constants or ld.produced for ld in loads):
        return None
    return loads


def reusable(groups: list[Group], constants: set[str], weight_banks: int) -> bool:
    """The unit's weight tiles number at most the weight buffer's banks: all of them can stay
    resident while every image runs."""
    loads = _weight_loads(groups, constants)
    return bool(loads) and len(loads) <= weight_banks


def _held(s: Step, image: int, batch: int) -> Step:
    """A step of image ``image`` when the unit's weight tiles stay resident: image 0 fetches
    them, the last image frees their banks."""
    loads = s.loads if image == 0 else tuple(
        ld for ld in s.loads if not (ld.buffer == "weight" and ld.bank))
    releases = s.releases if image == batch - 1 else tuple(
        r for r in s.releases if r[0] != "weight")
    if len(loads) == len(s.loads) and len(releases) == len(s.releases):
        return s
    return replace(s, loads=loads, releases=releases)


def held_copy(group: Group, image: int, batch: int, index: int, deps: frozenset[int]) -> Group:
    """``group``'s copy for one image, its weight tiles kept across images (``reusable``)."""
    tiling = {op: f"{text}; weights kept across {batch} images"
              for op, text in group.tiling.items()}
    return Group(index, group.ops, group.stage_units,
                 [_held(s, image, batch) for s in group.steps], deps, group.sram_read_bytes,
                 group.sram_write_bytes, group.onchip_bytes, group.units, tiling)


def compose(layer_groups: list[Group], one_groups: list[Group], layer: Any, one: Any,
            batch: int, objective: str, dram_bytes_per_cycle: float, weight_banks: int,
            force_image: bool = False,
            replan: Callable[[int, int], list[Group] | None] | None = None,
            forced: dict[str, str] | None = None,
            ) -> tuple[list[Group], list[UnitChoice]] | None:
    """The batch plan, each unit in the order chosen as the module says (``force_image``:
    every unit image-major; ``replan(first, last)``: the unit's batch-1 groups with each
    weight tiled whole, or None; ``forced``: op -> the order a mapping file recorded for its
    unit). None when the two plans do not group the ops alike."""
    if len(layer_groups) != len(one_groups) or any(
            a.name != b.name for a, b in zip(layer_groups, one_groups, strict=True)):
        return None
    constants = {t.name for t in one.trace.tensors if t.is_constant}
    out: list[Group] = []
    at_layer: dict[int, int] = {}  # group -> its index in the output (layer-major units)
    at_image: dict[int, list[int]] = {}  # group -> its index per image (image-major units)
    choices: list[UnitChoice] = []

    def deps_of(group: Group, image: int | None) -> frozenset[int]:
        found: set[int] = set()
        for d in group.deps:
            if d in at_layer:
                found.add(at_layer[d])
            elif image is None:
                found.update(at_image[d])
            else:
                found.add(at_image[d][image])
        return frozenset(found)

    for first, last in units([(layer, layer_groups), (one, one_groups)], len(layer_groups)):
        span = range(first, last + 1)
        lb = sum(group_bytes(layer_groups[g]) for g in span)
        lc = sum(group_cycles(layer_groups[g], dram_bytes_per_cycle) for g in span)
        # image-major candidates: the batch-1 groups as searched, and (when the unit's weights
        # fit the weight banks) re-tiled to hold each weight whole, kept across the images
        options = [(list(one_groups[first:last + 1]), False)]
        held = replan(first, last) if replan is not None else None
        for cand in ([held] if held else []) + [options[0][0]]:
            if reusable(cand, constants, weight_banks):
                options.append((cand, True))
                break  # the whole-weight tiles when they are reusable, else as searched
        best = None
        # the baseline: the searched batch-1 groups once per image (b batch-1 runs)
        plain_bytes = batch * sum(group_bytes(g) for g in options[0][0])
        plain_cycles = batch * sum(group_cycles(g, dram_bytes_per_cycle) for g in options[0][0])
        for cand, keep in options:
            copies = [[held_copy(g, x, batch, 0, frozenset()) if keep else g for g in cand]
                      for x in range(batch)]
            ib = sum(group_bytes(g) for per in copies for g in per)
            ic = sum(group_cycles(g, dram_bytes_per_cycle) for per in copies for g in per)
            if ib <= plain_bytes and (
                    ic <= plain_cycles or not keep) and (
                    best is None or (score(objective, ib, ic), ib) < (best[0], best[1])):
                best = (score(objective, ib, ic), ib, ic, cand, keep)
        assert best is not None
        _, ib, ic, cand, keep = best
        recorded = [forced[op.name] for g in span for op in layer_groups[g].ops
                    if op.name in (forced or {})]
        if recorded:
            to_layer = recorded[0] == "layer-major"
        else:
            # never more bytes nor more estimated cycles than image-major, whatever the
            # objective: image-major is b batch-1 runs, the guarantee's baseline
            to_layer = not force_image and lb <= ib and lc <= ic and (
                score(objective, lb, lc) <= score(objective, ib, ic))
        choices.append(UnitChoice(first, last, lb, ib, lc, ic,
                                  "layer-major" if to_layer else "image-major",
                                  keep and not to_layer,
                                  not to_layer and held is not None and cand is held))
        if to_layer:
            for g in span:
                src = layer_groups[g]
                at_layer[g] = len(out)
                out.append(_copy(src, len(out), deps_of(src, None)))
            continue
        for g in span:
            at_image[g] = []
        for x in range(batch):
            for g, src in zip(span, cand, strict=True):
                at_image[g].append(len(out))
                deps = deps_of(src, x)
                out.append(held_copy(src, x, batch, len(out), deps) if keep
                           else _copy(src, len(out), deps))
    return out, choices


def _copy(g: Group, index: int, deps: frozenset[int]) -> Group:
    """``g`` at another place of the plan (its steps and counters shared, not copied)."""
    return Group(index, g.ops, g.stage_units, g.steps, deps, g.sram_read_bytes,
                 g.sram_write_bytes, g.onchip_bytes, g.units, g.tiling)


def order_name(choices: list[UnitChoice]) -> str:
    """The plan's batch order: one order if every unit ran it, else ``mixed``."""
    orders = {c.order for c in choices}
    return orders.pop() if len(orders) == 1 else "mixed"
