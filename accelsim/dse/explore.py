"""Multi-objective design-space exploration on Optuna: the fastest / leanest designs of a space
under budgets (``area_mm2 <= 2``, ``avg_power_w <= 1``).

A study runs in rounds: the sampler proposes a round of trials (NSGA-II: one generation), the
designs are simulated by the sweep machinery (accelsim.dse.sweep.run_point on the local process
pool or a dask.distributed cluster) and the results are told back in trial order. The
sampler is seeded per trial from (seed, trial number), so the trials depend on the seed and
the round size only, not on the number of workers, their timing, or on a kill -9 and
``resume`` in between: the study lives in a journal (or SQLite) file, every finished trial
keeps its result there, and a resumed study evaluates only the trials that never finished.

Designs a joint constraint of the space excludes are never simulated (status "rejected"); a
design proposed again is answered from its first trial (``duplicate_of``), so the number of
simulations can be below the number of trials. Library code never prints.
"""

from __future__ import annotations

import functools
import json
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accelsim.dse.expr import Constraint, parse_constraint
from accelsim.dse.proposals import complete_proposal, own_study, repair_journal
from accelsim.dse.results import (
    METRIC_ALIASES,
    METRIC_COLUMNS,
    Objective,
    pareto_rows,
    parse_objectives,
)
from accelsim.dse.space import (
    MAX_GRID_POINTS,
    WORKLOAD_KEYS,
    DesignSpace,
    arch_scalars,
    load_space,
    unmet,
)
from accelsim.dse.sweep import (
    _SCHEDULER_ADDRESS,
    _check_creatable,
    _execute,
    check_outputs,
    dask_client,
    process_pool,
    write_records,
)
from accelsim.dse.sweep_spec import _cached_trace
from accelsim.dse.trials import ATTR, StudyTrials, prepare, set_constraint, violations
from accelsim.errors import ConfigError

Record = dict[str, Any]
Progress = Callable[[int, int, Record], None]
SAMPLERS = ("nsga2", "tpe", "random", "grid")
STUDY_NAME = "accelsim-explore"
#: storage file suffixes: Optuna journal (append-only, safe under kill -9) or SQLite
JOURNAL_SUFFIXES = (".journal", ".log")
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


@dataclass(frozen=True)
class ExploreResult:
    """A finished exploration: one row per trial, the Pareto rows, and how it went."""

    rows: list[Record]
    pareto: list[Record]
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...]
    reference: tuple[float, ...]
    space: DesignSpace
    evaluations: int
    simulated: int = 0
    storage: str | None = None
    files: list[Path] = field(default_factory=list)

    @property
    def hypervolume(self) -> float:
        return self.rows[-1]["hypervolume"] if self.rows else 0.0


def companion_paths(output: Path) -> tuple[Path, Path]:
    """(Pareto file, default journal) next to ``-o``: explore.csv -> explore.pareto.csv,
    explore.journal."""
    return (output.with_name(f"{output.stem}.pareto{output.suffix}"),
            output.with_name(f"{output.stem}.journal"))


def _storage(path: Path | None) -> Any:
    import optuna

    if path is None:
        return optuna.storages.InMemoryStorage()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in SQLITE_SUFFIXES:
        return optuna.storages.RDBStorage(f"sqlite:///{path.resolve()}")
    repair_journal(path)
    from optuna.storages.journal import JournalFileBackend

    return optuna.storages.JournalStorage(JournalFileBackend(str(path)))


def _check_storage(path: Path, resume: bool) -> None:
    if path.suffix.lower() not in JOURNAL_SUFFIXES + SQLITE_SUFFIXES:
        raise ConfigError("unknown study file type", key="--storage", value=str(path),
                          expected="a path ending in .journal (Optuna journal) or .db (SQLite)")
    _check_creatable(path, "--storage", folder=False)
    if path.exists() and path.stat().st_size and not resume:
        raise ConfigError(f"study {path} exists: --resume continues it (or delete it, or "
                          "choose another -o / --storage)", key="--resume")


def _sampler(kind: str, seed: int, number: int, population: int, startup: int) -> Any:
    """A sampler seeded from (seed, trial number): what trial ``number`` gets does not depend
    on which process asks, or on how many trials an earlier process ran."""
    import numpy as np
    import optuna

    derived = int(np.random.SeedSequence([seed, number]).generate_state(1)[0])
    # Optuna >= 5 reads constraints set on the trial; before, a constraints_func
    legacy = {} if set_constraint() else {"constraints_func": violations}
    if kind == "nsga2":
        return optuna.samplers.NSGAIISampler(population_size=population, seed=derived, **legacy)
    if kind == "tpe":
        return optuna.samplers.TPESampler(seed=derived, n_startup_trials=startup,
                                          multivariate=True, constant_liar=True, **legacy)
    return optuna.samplers.RandomSampler(seed=derived)


def _grid_order(space: DesignSpace, raw: Mapping[str, Any], arch_file: str,
                workload: Mapping[str, Any], seed: int) -> list[dict[str, Any]]:
    """The grid points every joint constraint admits, in a seeded random order (a partial grid
    run is then an unbiased sample)."""
    import numpy as np

    from accelsim.arch.load import arch_from_dict
    from accelsim.dse.space import point_values

    points = []
    for params in space.grid():
        overrides = {k: v for k, v in params.items() if k not in WORKLOAD_KEYS}
        try:
            spec = arch_from_dict(raw, arch_file, overrides)
        except ConfigError:
            points.append(params)  # simulated, and reported as an invalid design
            continue
        values = point_values(spec, {**workload, **{k: v for k, v in params.items()
                                                    if k in WORKLOAD_KEYS}})
        if not unmet(space.constraints, values):
            points.append(params)
    order = np.random.default_rng(seed).permutation(len(points))
    return [points[i] for i in order]


def _fingerprint(arch_name: str, raw: Mapping[str, Any], workload: Mapping[str, Any],
                 space: DesignSpace, objectives: Sequence[Objective],
                 constraints: Sequence[Constraint], sampler: str, seed: int,
                 round_size: int) -> dict[str, Any]:
    return json.loads(json.dumps({
        "arch": arch_name, "arch_config": raw, "workload": dict(workload),
        "space": space.describe(), "objectives": [f"{o.direction}:{o.column}" for o in objectives],
        "constraints": [c.text for c in constraints], "sampler": sampler, "seed": seed,
        "round_size": round_size}, default=str))


def _check_resumable(stored: Mapping[str, Any], ours: Mapping[str, Any], path: Any) -> None:
    for key, value in ours.items():
        if stored.get(key) != value:
            raise ConfigError(f"{path} is a study with another {key.replace('_', ' ')} "
                              f"(stored {json.dumps(stored.get(key))[:120]}, this run "
                              f"{json.dumps(value)[:120]})", key="--resume",
                              expected="the options of the run that wrote it, or another -o")


def _check_options(trials: Any, sampler: str, seed: Any, jobs: Any, scheduler: Any,
                   round_size: Any) -> None:
    def positive(value: Any, key: str, minimum: int = 1) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ConfigError("not a positive integer" if minimum else "not an integer >= 0",
                              key=key, value=value)

    positive(trials, "--trials")
    positive(seed, "--seed", 0)
    if jobs is not None:
        positive(jobs, "--jobs")
    if round_size is not None:
        positive(round_size, "--round-size", 2 if sampler == "nsga2" else 1)
    if sampler not in SAMPLERS:
        raise ConfigError("unknown sampler", key="--sampler", value=sampler,
                          expected=" | ".join(SAMPLERS))
    if isinstance(scheduler, str) and not _SCHEDULER_ADDRESS.match(scheduler):
        raise ConfigError("bad dask scheduler address", key="--scheduler", value=scheduler,
                          expected="PROTOCOL://HOST:PORT, e.g. tcp://127.0.0.1:8786")


def default_round_size(sampler: str, trials: int) -> int:
    """Trials proposed together: an NSGA-II generation of trials / 10 (4..50), else 8."""
    return min(50, max(4, trials // 10)) if sampler == "nsga2" else 8


def run_explore(arch: str | Path = "sole", model: str = "vit_base", space: Any = None, *,
                objectives: str | Sequence[str] = "latency,energy,area",
                constraints: Sequence[str] = (), trials: int = 100, sampler: str = "nsga2",
                seed: int = 0, image_size: int = 224, batch: int = 1, quant: str = "sole",
                round_size: int | None = None, jobs: int | None = None, scheduler: Any = None,
                output: str | Path | None = None, storage: str | Path | None = None,
                resume: bool = False, reference: Sequence[float] | None = None,
                plot_dir: str | Path | None = None,
                progress: Progress | None = None) -> ExploreResult:
    """Explore ``space`` (a space file path or a DesignSpace) for designs of ``arch`` running
    ``model``: ``trials`` trials proposed by ``sampler``, ``round_size`` at a time.

    ``objectives`` "latency,energy,area" (metric names or columns); ``constraints`` budgets
    such as "area_mm2<=2" over metrics, parameters and arch fields. ``output`` (.csv / .json)
    gets one row per trial after every round and a ``.pareto`` companion; the study is kept in
    ``storage`` (default: ``<output stem>.journal``; a .db path uses SQLite), which ``resume``
    continues. ``jobs`` / ``scheduler`` as in run_sweep. ``plot_dir`` is only checked here
    (explore_plots.save_plots writes it). ``reference`` the hypervolume reference point in
    objective units (default: worst feasible value + 10 % of the range)."""
    import optuna

    from accelsim.arch.load import arch_from_dict, resolve_arch_path
    from accelsim.yamlio import read_yaml

    _check_options(trials, sampler, seed, jobs, scheduler, round_size)
    if space is None:
        raise ConfigError("no design space given", key="--space", expected="a space YAML file")
    arch_path = resolve_arch_path(arch)
    raw = read_yaml(arch_path, ConfigError)
    base = arch_from_dict(raw, str(arch_path))
    if not isinstance(space, DesignSpace):
        space = load_space(space, raw, str(arch_path))
    goals = parse_objectives(objectives)
    known = sorted({*arch_scalars(base), *WORKLOAD_KEYS, *METRIC_COLUMNS, *METRIC_ALIASES,
                    *space.names})
    budgets = tuple(parse_constraint(text, known, key=f"--constraint {text}")
                    for text in constraints)
    workload = {"model": model, "image_size": image_size, "batch": batch, "quant": quant}
    _check_workloads(space, workload)
    output = Path(output) if output is not None else None
    check_outputs(output, plot_dir, False, [], base.name)
    pareto_path, journal = companion_paths(output) if output is not None else (None, None)
    storage = Path(storage) if storage is not None else journal
    if storage is not None:
        _check_storage(storage, resume)
    elif resume:
        raise ConfigError("--resume needs the file of a previous run", key="--resume",
                          expected="-o explore.csv (or --storage)")
    rounds = round_size or default_round_size(sampler, trials)
    if sampler == "grid" and (space.grid_size() or 0) > MAX_GRID_POINTS:
        raise ConfigError(f"the grid has {space.grid_size():,} designs", key="--sampler",
                          value="grid", expected=f"at most {MAX_GRID_POINTS:,}, or another "
                                                 "sampler (nsga2, tpe, random)")
    grid = _grid_order(space, raw, str(arch_path), workload, seed) if sampler == "grid" else []
    total = min(trials, len(grid)) if sampler == "grid" else trials
    startup = min(10, max(4, trials // 5))
    distributions = {p.name: p.distribution() for p in space.parameters}
    ours = _fingerprint(base.name, raw, workload, space, goals, budgets, sampler, seed, rounds)

    owner = own_study(storage) if storage is not None else None
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    pool = client = None
    simulated_now = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study = optuna.create_study(storage=_storage(storage), study_name=STUDY_NAME,
                                        directions=[g.direction for g in goals],
                                        load_if_exists=resume)
            stored = study.user_attrs.get(ATTR)
            if stored is None:
                study.set_user_attr(ATTR, ours)
            else:
                _check_resumable(stored, ours, storage)
            state = StudyTrials(study, goals, budgets, space, base.name)
            workers = jobs or os.cpu_count() or 1
            while True:
                pending = state.pending()
                if not pending and state.count() >= total:
                    break
                # rounds are trials [k * rounds, (k + 1) * rounds): all proposals of a round
                # are asked before any is told (a killed run left some in the study)
                start = (min(pending, default=state.count()) // rounds) * rounds
                end = max(min(total, start + rounds), max(pending, default=-1) + 1)
                for trial in state.running():  # a proposal a kill cut short, completed
                    if any(n not in trial.params for n in distributions):  # before any later
                        complete_proposal(study, trial, distributions,  # trial is asked
                                          functools.partial(_sampler, sampler, seed,
                                                            trial.number, rounds, startup))
                for number in [*state.waiting(), *range(state.count(), end)]:
                    study.sampler = _sampler(sampler, seed, number, rounds, startup)
                    if sampler == "grid" and number >= state.count():
                        study.enqueue_trial(grid[number])
                    study.ask(distributions)
                todo: list = []
                outcomes = {t.number: prepare(t.number, dict(t.params), workload, raw,
                                               str(arch_path), space, state.seen, todo)
                            for t in state.running()}
                if todo and scheduler is not None and client is None:
                    client = dask_client(scheduler)
                if todo and workers > 1 and client is None and pool is None:
                    pool = process_pool(workers)
                simulated = {r["index"]: r for r in _execute(todo, base.name, workers, client,
                                                              pool=pool)}
                simulated_now += len(simulated)
                for number in sorted(outcomes):
                    row = state.tell(number, outcomes[number], simulated)
                    if progress is not None:
                        progress(len(state.stored), max(total, state.count()), row)
                if output is not None:
                    _write(state, reference, output, pareto_path)
    finally:
        if owner is not None:
            owner.close()
        optuna.logging.set_verbosity(verbosity)
        if pool is not None:
            pool.shutdown()
        if client is not None and client is not scheduler:
            client.close()
    rows, ref = state.rows(reference)
    files = _write(state, reference, output, pareto_path) if output is not None else []
    evaluations = sum(1 for r in rows if r["status"] in ("ok", "error")
                      and r.get("duplicate_of") is None)
    return ExploreResult(rows, pareto_rows(rows, goals), goals, budgets, ref, space,
                         evaluations, simulated_now, None if storage is None else str(storage),
                         files)


def _check_workloads(space: DesignSpace, workload: Mapping[str, Any]) -> None:
    """Every model x scheme the space can pick loads (at the smallest size and batch)."""
    def values(key: str) -> tuple[Any, ...]:
        if key not in space.names:
            return (workload[key],)
        param = space.parameter(key)
        return param.choices if param.choices is not None else (param.low,)

    for model in values("model"):
        for quant in values("quant"):
            _cached_trace(str(model), int(min(values("image_size"))),
                          int(min(values("batch"))), str(quant))


def _write(state: StudyTrials, reference: Sequence[float] | None, output: Path,
           pareto_path: Path) -> list[Path]:
    rows, _ = state.rows(reference)
    write_records(rows, output)
    write_records(pareto_rows(rows, state.goals), pareto_path)
    return [output, pareto_path]
