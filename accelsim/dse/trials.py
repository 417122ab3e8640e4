"""The trials of an exploration study: what each proposed design needs before it runs
(its arch, the space's joint constraints, a repeat of an earlier trial), and telling the
outcome back to Optuna with the row that is kept in the study (so a resumed study rebuilds the
same rows).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from accelsim.dse.expr import Constraint
from accelsim.dse.results import METRIC_ALIASES, Objective, annotate, default_reference
from accelsim.dse.space import WORKLOAD_KEYS, DesignSpace, point_values, unmet
from accelsim.dse.sweep_spec import SweepPoint, round_float
from accelsim.errors import ConfigError

Record = dict[str, Any]
#: the user attribute of a trial (and of the study) that holds accelsim's data
ATTR = "accelsim"


@functools.cache
def set_constraint() -> bool:
    """Optuna >= 5 takes constraint values set on the trial (constraints_func is deprecated)."""
    from optuna.trial import Trial

    return hasattr(Trial, "set_constraint")


def violations(trial: Any) -> list[float]:
    """Optuna constraints_func: the relative violations stored with the trial (<= 0: met)."""
    return list(trial.user_attrs.get(ATTR, {}).get("violations", []))


def design_key(params: Mapping[str, Any]) -> str:
    return json.dumps(sorted((k, v) for k, v in params.items()), default=str)


def prepare(number: int, params: dict[str, Any], workload: Mapping[str, Any],
            raw: Mapping[str, Any], arch_file: str, space: DesignSpace,
            seen: dict[str, int], todo: list) -> Record:
    """What trial ``number`` needs: its arch (or the error that rejects it), whether a joint
    constraint excludes it, whether an earlier trial already simulated it; new designs are
    appended to ``todo`` for the pool."""
    from accelsim.arch.load import arch_from_dict

    params = {k: round_float(v) for k, v in params.items()}  # 38.400000000000006 -> 38.4
    point_workload = {**workload, **{k: v for k, v in params.items() if k in WORKLOAD_KEYS}}
    outcome: Record = {"params": params, "workload": point_workload}
    overrides = {k: v for k, v in params.items() if k not in WORKLOAD_KEYS}
    try:
        spec = arch_from_dict(raw, arch_file, overrides)
    except ConfigError as exc:
        outcome.update(status="error", error_type="ConfigError", error=exc.message)
        return outcome
    outcome["arch_values"] = point_values(spec, point_workload)
    # relative violations of the joint constraints, for the samplers (<= 0 here unless rejected)
    outcome["space_violations"] = [round_float(c.violation(outcome["arch_values"]))
                                   for c in space.constraints]
    missed = unmet(space.constraints, outcome["arch_values"])
    if missed:
        outcome.update(status="rejected", error_type=None,
                       error="violates " + "; ".join(missed))
        return outcome
    key = design_key(params)
    if key in seen:
        outcome["duplicate_of"] = seen[key]
        return outcome
    seen[key] = number
    point_params = (*((k, point_workload[k]) for k in WORKLOAD_KEYS),
                    *((k, v) for k, v in params.items() if k not in WORKLOAD_KEYS))
    todo.append((SweepPoint(number, tuple(point_params)), spec))
    return outcome


class StudyTrials:
    """The study's trials as rows; tells finished trials back to Optuna."""

    def __init__(self, study: Any, goals: Sequence[Objective], budgets: Sequence[Constraint],
                 space: DesignSpace, arch_name: str) -> None:
        self.study, self.goals, self.budgets, self.space = study, goals, budgets, space
        self.arch_name = arch_name
        self.stored: dict[int, Record] = {}
        self.seen: dict[str, int] = {}
        for trial in self.finished():
            row = self.stored[trial.number] = trial.user_attrs[ATTR]
            # as prepare() marks designs: the simulated ones only (a row prepare decided,
            # rejected or with an invalid arch, has no duplicate_of key), else a repeat of an
            # invalid arch would be a duplicate after a resume and its own error without one
            if "duplicate_of" in row and row["duplicate_of"] is None:
                self.seen.setdefault(design_key({k: round_float(v) for k, v in
                                                 trial.params.items()}), trial.number)

    def finished(self) -> list[Any]:
        return [t for t in self.study.get_trials(deepcopy=False) if t.state.is_finished()]

    def running(self) -> list[Any]:
        from optuna.trial import TrialState

        return sorted((t for t in self.study.get_trials(deepcopy=False)
                       if t.state == TrialState.RUNNING), key=lambda t: t.number)

    def count(self) -> int:
        return len(self.study.get_trials(deepcopy=False))

    def waiting(self) -> list[int]:
        """Trials enqueued (grid) but not yet asked when a previous run stopped."""
        from optuna.trial import TrialState

        return [t.number for t in self.study.get_trials(deepcopy=False)
                if t.state == TrialState.WAITING]

    def pending(self) -> list[int]:
        return [t.number for t in self.study.get_trials(deepcopy=False)
                if not t.state.is_finished()]

    def tell(self, number: int, outcome: Record, simulated: Mapping[int, Record]) -> Record:
        """Complete trial ``number`` (simulated, a repeat, rejected or failed) in Optuna."""
        from optuna.trial import TrialState

        row: Record = {"trial": number, "arch": self.arch_name, **outcome["params"],
                       **outcome["workload"]}
        first = outcome.get("duplicate_of")
        if "status" in outcome:
            row.update(status=outcome["status"], error_type=outcome["error_type"],
                       error=outcome["error"])
        else:
            source = simulated[number] if first is None else self.stored[first]
            row.update({k: v for k, v in source.items() if k not in row and k not in
                        ("index", "trial", "duplicate_of", "constraints", "violations",
                         "feasible")})
            row["duplicate_of"] = first
        values, state = None, TrialState.FAIL
        space_violations = outcome.get("space_violations", [])
        if row["status"] == "ok":
            context = {**outcome["arch_values"], **row,
                       **{a: row[c] for a, c in METRIC_ALIASES.items() if c in row}}
            row["constraints"] = {c.text: round_float(c.value(context)) for c in self.budgets}
            row["violations"] = [round_float(c.violation(context)) for c in self.budgets] + \
                space_violations
            row["feasible"] = all(c.satisfied(context) for c in self.budgets)
            missing = [g.column for g in self.goals if not isinstance(row.get(g.column),
                                                                      (int, float))]
            if missing:
                raise ConfigError(f"metric {missing[0]} is not reported for this arch",
                                  key="--objectives")
            values, state = [float(row[g.column]) for g in self.goals], TrialState.COMPLETE
        else:
            row["feasible"] = False
            if row["status"] == "rejected":
                # pruned with its (positive) violations: constrained TPE ranks it infeasible
                # and stops proposing it, where a failed trial would simply be ignored
                row["violations"] = [0.0] * len(self.budgets) + space_violations
                state = TrialState.PRUNED
        from optuna.trial import Trial

        frozen = self.study.get_trials(deepcopy=False)[number]
        trial = Trial(self.study, frozen._trial_id)
        trial.set_user_attr(ATTR, row)
        if set_constraint() and state != TrialState.FAIL:
            for i, violation in enumerate(row["violations"]):
                # a tell a kill cut short set some already (the same values: told again)
                if f"constraints:c{i}" not in frozen.system_attrs:
                    trial.set_constraint(f"c{i}", violation)
        self.study.tell(number, values, state=state, skip_if_finished=True)
        self.stored[number] = row
        return row

    def rows(self, reference: Sequence[float] | None) -> tuple[list[Record], tuple[float, ...]]:
        """One flat row per finished trial, in trial order, annotated (pareto, hypervolume)."""
        rows = []
        for number in sorted(self.stored):
            stored = self.stored[number]
            row: Record = {"trial": number, "arch": stored["arch"]}
            row.update({name: stored.get(name) for name in self.space.names})
            row.update({k: stored.get(k) for k in WORKLOAD_KEYS if k not in row})
            row["status"] = stored["status"]
            row["duplicate_of"] = stored.get("duplicate_of")
            row.update({g.column: stored.get(g.column) for g in self.goals})
            row.update({f"constraint:{c.text}": (stored.get("constraints") or {}).get(c.text)
                        for c in self.budgets})
            row["feasible"] = stored["feasible"]
            rows.append(row)
            row["pareto"], row["hypervolume"] = False, 0.0
            row.update({k: v for k, v in stored.items() if k not in row and k not in
                        ("constraints", "violations", "error_type", "error")})
            row["error_type"], row["error"] = stored.get("error_type"), stored.get("error")
        ref = default_reference(rows, self.goals, reference)
        annotate(rows, self.goals, ref)
        return rows, ref


