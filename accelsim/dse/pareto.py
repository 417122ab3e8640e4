"""Pareto dominance and hypervolume of minimized objective vectors (pure functions).

Hypervolume (Zitzler and Thiele, "Multiobjective optimization using evolutionary algorithms - a
comparative case study", PPSN 1998): the volume dominated by a set of points and bounded by a
reference point. Computed exactly by slicing along the last objective (Hypervolume by Slicing
Objectives, While et al., IEEE TEVC 2006); in two dimensions it is a sum of rectangles.
Exact, and fast enough for fronts of a few hundred points in three objectives.
"""

from __future__ import annotations

from collections.abc import Sequence

Vector = tuple[float, ...]


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """``a`` is no worse than ``b`` in every objective and better in one (all minimized)."""
    return all(x <= y for x, y in zip(a, b, strict=True)) and \
        any(x < y for x, y in zip(a, b, strict=True))


def pareto_mask(points: Sequence[Sequence[float]]) -> list[bool]:
    """For each point, whether no other point dominates it (equal points are all kept)."""
    return [not any(dominates(q, p) for q in points) for p in points]


def _front(points: Sequence[Vector]) -> list[Vector]:
    unique = sorted(set(points))
    return [p for p, keep in zip(unique, pareto_mask(unique), strict=True) if keep]


def hypervolume(points: Sequence[Sequence[float]], reference: Sequence[float]) -> float:
    """Volume dominated by ``points`` and bounded by ``reference`` (all objectives minimized);
    points not strictly better than the reference in every objective add nothing."""
    dims = len(reference)
    inside = [tuple(float(x) for x in p) for p in points
              if len(p) == dims and all(x < r for x, r in zip(p, reference, strict=True))]
    return _hv(_front(inside), tuple(float(r) for r in reference))


def _hv(front: list[Vector], reference: Vector) -> float:
    if not front:
        return 0.0
    if len(reference) == 1:
        return reference[0] - min(p[0] for p in front)
    if len(reference) == 2:
        volume, best_y = 0.0, reference[1]
        for x, y in sorted(front):
            if y < best_y:
                volume += (reference[0] - x) * (best_y - y)
                best_y = y
        return volume
    # slice along the last objective: between consecutive levels, the points at or below a
    # level dominate a (d-1)-dimensional cross-section (the union of their boxes: dominated
    # points in it change nothing, so only 4-D and up prune them, to keep sections small)
    ordered = sorted(front, key=lambda p: p[-1])
    volume = 0.0
    for i, point in enumerate(ordered):
        top = ordered[i + 1][-1] if i + 1 < len(ordered) else reference[-1]
        if top > point[-1]:
            section = [p[:-1] for p in ordered[:i + 1]]
            volume += _hv(_front(section) if len(reference) > 3 else section,
                          reference[:-1]) * (top - point[-1])
    return volume
