"""Exploration results: objectives, the per-trial rows (objectives, constraint values,
feasibility, Pareto flag, hypervolume so far), the Pareto set and the reference point.

Pure data: rows are rebuilt from the stored trials, so a resumed study writes the same files
as one that never stopped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from accelsim.dse.pareto import dominates, hypervolume, pareto_mask
from accelsim.errors import ConfigError
from accelsim.suggest import did_you_mean
from accelsim.sweep import ENERGY_COLUMNS
from accelsim.sweep_spec import round_float

Record = dict[str, Any]

#: summary columns every simulated design reports (accelsim.sweep.summarize), energy included
METRIC_COLUMNS = ("pe_count", "total_cycles", "latency_ms", "fps", "macs", "pe_utilization",
                  "pe_utilization_busy", "dram_read_bytes", "dram_write_bytes",
                  "busy_share_dram", *ENERGY_COLUMNS.values())
#: short metric names -> columns (the energy_summary keys too: avg_power_w, tops_per_w, ...)
METRIC_ALIASES = {"latency": "latency_ms", "energy": "energy_mj", "area": "area_mm2",
                  "power": "energy_avg_power_w", "power_w": "energy_avg_power_w",
                  "cycles": "total_cycles", "throughput": "fps",
                  **{k: v for k, v in ENERGY_COLUMNS.items() if k != v}}
#: metrics where more is better (an objective on them is maximized)
MAXIMIZED = {"fps", "pe_utilization", "pe_utilization_busy", "energy_tops_per_w",
             "energy_inferences_per_j", "area_tops_per_mm2"}


@dataclass(frozen=True)
class Objective:
    """One objective: the name the user gave, its record column and its direction."""

    name: str
    column: str
    maximize: bool

    @property
    def direction(self) -> str:
        return "maximize" if self.maximize else "minimize"


def parse_objectives(text: str | Sequence[str]) -> tuple[Objective, ...]:
    """``"latency,energy,area"`` -> objectives on latency_ms, energy_mj, area_mm2 (minimized);
    a metric where more is better (fps, tops_per_w) is maximized; ``max:NAME`` / ``min:NAME``
    set the direction explicitly."""
    items = [s.strip() for s in (text.split(",") if isinstance(text, str) else text)]
    if not items or any(not s for s in items):
        raise ConfigError("empty objective in the list", key="--objectives", value=text,
                          expected="comma-separated metrics, e.g. latency,energy,area")
    out: list[Objective] = []
    for item in items:
        direction, sep, name = item.partition(":")
        if not sep:
            direction, name = "", item
        elif direction not in ("min", "max"):
            raise ConfigError("bad objective direction", key="--objectives", value=item,
                              expected="min:NAME or max:NAME")
        column = METRIC_ALIASES.get(name, name)
        if column not in METRIC_COLUMNS:
            raise ConfigError(f"unknown metric {name!r}: "
                              + did_you_mean(name, [*METRIC_ALIASES, *METRIC_COLUMNS]),
                              key="--objectives", expected="e.g. latency,energy,area")
        if any(o.column == column for o in out):
            raise ConfigError("objective given twice", key="--objectives", value=item)
        maximize = direction == "max" or (direction == "" and column in MAXIMIZED)
        out.append(Objective(name, column, maximize))
    return tuple(out)


def minimized(row: Mapping[str, Any], objectives: Sequence[Objective]) -> tuple[float, ...]:
    """A row's objective vector with every objective turned into one to minimize."""
    return tuple(-float(row[o.column]) if o.maximize else float(row[o.column])
                 for o in objectives)


def candidates(rows: Sequence[Record]) -> list[Record]:
    """Rows that may be on the front: simulated, every constraint met, not a repeat."""
    return [r for r in rows if r.get("status") == "ok" and r.get("feasible")
            and r.get("duplicate_of") is None]


def default_reference(rows: Sequence[Record], objectives: Sequence[Objective],
                      given: Sequence[float] | None = None) -> tuple[float, ...]:
    """The hypervolume reference point (minimized space): ``given`` (objective units), else
    the worst feasible value of each objective plus 10 % of its range (a common convention,
    e.g. Ishibuchi et al., "How to specify a reference point in hypervolume calculation",
    EMO 2017); (0, ...) without feasible rows."""
    if given is not None:
        if len(given) != len(objectives):
            raise ConfigError(f"{len(given)} reference values for {len(objectives)} objectives",
                              key="--reference", value=",".join(map(str, given)))
        return tuple(-float(v) if o.maximize else float(v)
                     for v, o in zip(given, objectives, strict=True))
    vectors = [minimized(r, objectives) for r in candidates(rows)]
    if not vectors:
        return tuple(0.0 for _ in objectives)
    out = []
    for j in range(len(objectives)):
        worst, best = max(v[j] for v in vectors), min(v[j] for v in vectors)
        margin = 0.1 * (worst - best) or 0.1 * abs(worst) or 1.0
        out.append(round_float(worst + margin))
    return tuple(out)


def annotate(rows: list[Record], objectives: Sequence[Objective],
             reference: Sequence[float]) -> None:
    """Set each row's ``pareto`` flag (non-dominated among candidates) and ``hypervolume``
    (of the candidates up to and including that trial)."""
    pool = candidates(rows)
    vectors = [minimized(r, objectives) for r in pool]
    flags = dict(zip((id(r) for r in pool), pareto_mask(vectors), strict=True))
    front: list[tuple[float, ...]] = []
    volume = 0.0
    for row in rows:
        row["pareto"] = flags.get(id(row), False)
        if id(row) in flags:
            vector = minimized(row, objectives)
            if vector not in front and not any(dominates(p, vector) for p in front):
                front = [p for p in front if not dominates(vector, p)] + [vector]
                volume = hypervolume(front, reference)
        row["hypervolume"] = round_float(volume)


def pareto_rows(rows: Sequence[Record], objectives: Sequence[Objective]) -> list[Record]:
    """The flagged rows, sorted by their objective vectors."""
    return sorted((r for r in rows if r.get("pareto")), key=lambda r: (minimized(r, objectives),
                                                                       r["trial"]))
