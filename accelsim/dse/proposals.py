"""Resuming an exploration study after a kill -9: the journal's torn last line, and the one
proposal the kill may have cut short, completed exactly as the uninterrupted run made it.

Optuna writes a proposal one parameter at a time (``set_trial_param`` per name, after the
sampler's own attributes), so a kill can leave the newest trial RUNNING with some of its
parameters. Drawing only the missing ones on resume gives other values than the uninterrupted
run: the sampler's random stream restarts at the first missing name instead of continuing after
the stored ones, and any trial asked before the completion is visible to it (constant liar).
``complete_proposal`` therefore asks the whole proposal again on an in-memory copy of the study
as it stood when that trial was created, and stores what it proposed.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from accelsim.errors import ConfigError


def own_study(path: Path) -> Any:
    """Hold the study file for this run (an advisory lock the kernel drops when the process
    dies, kill -9 included); returns the handle to keep open. Only the owner writes the study,
    so a journal ``.lock`` left behind is one a killed run held mid-append: removed now, where
    Optuna would wait its 30 s grace period before breaking it."""
    try:
        import fcntl
    except ImportError:  # not POSIX: Optuna's own lock and grace period only
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("ab")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise ConfigError(f"study {path} is in use by another run", key="--storage",
                          expected="one run per study file") from None
    if path.suffix.lower() in (".journal", ".log"):
        lock = Path(f"{path}.lock")
        # the lock, or the name Optuna renames it to while releasing it
        for stale in [lock, *path.parent.glob(f"{glob.escape(lock.name)}*.rename")]:
            if stale.is_symlink():
                stale.unlink()
    return handle


def repair_journal(path: Path) -> None:
    """Drop a torn last line (a kill mid-append) from an Optuna journal file: Optuna skips it
    when reading, but the next append would join it to a whole line and corrupt the study."""
    if not path.exists():
        return
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return
    with path.open("r+b") as handle:
        handle.truncate(data.rfind(b"\n") + 1)


def complete_proposal(study: Any, trial: Any, distributions: Mapping[str, Any],
                      sampler: Callable[[], Any]) -> None:
    """Store every parameter of RUNNING ``trial`` (whose proposal a kill cut short) as the
    uninterrupted run proposed it: ``sampler()`` (seeded for this trial number) asks on a copy
    of the study's trials before ``trial``, with the study's attributes."""
    import optuna

    scratch = optuna.create_study(storage=optuna.storages.InMemoryStorage(),
                                  directions=study.directions)
    storage, source = scratch._storage, study._storage
    earlier = [t for t in study.get_trials(deepcopy=False) if t.number < trial.number]
    if [t.number for t in earlier] != list(range(trial.number)):
        raise ConfigError(f"the study has a gap before trial {trial.number}", key="--resume")
    for key, value in source.get_study_system_attrs(study._study_id).items():
        if _written_before(key, earlier):
            storage.set_study_system_attr(scratch._study_id, key, value)
    for key, value in study.user_attrs.items():
        scratch.set_user_attr(key, value)
    scratch.add_trials(earlier)
    fixed = trial.system_attrs.get("fixed_params")
    if fixed is not None:  # a grid point enqueued for this trial
        scratch.enqueue_trial(fixed)
    scratch.sampler = sampler()
    proposal = scratch.ask(dict(distributions))
    replayed = scratch.trials[trial.number]
    for name, value in trial.params.items():
        if proposal.params.get(name) != value:
            raise ConfigError(f"trial {trial.number} stored {name}={value!r}, but its sampler "
                              f"proposes {proposal.params.get(name)!r} on resume",
                              key="--resume", expected="the Optuna version that wrote it")
    stored = source.get_study_system_attrs(study._study_id)
    for key, value in storage.get_study_system_attrs(scratch._study_id).items():
        if key not in stored:  # e.g. the parent cache the uninterrupted ask stored
            source.set_study_system_attr(study._study_id, key, value)
    for key, value in replayed.system_attrs.items():
        if trial.system_attrs.get(key) != value:
            source.set_trial_system_attr(trial._trial_id, key, value)
    for name, distribution in distributions.items():
        if name not in trial.params:
            source.set_trial_param(trial._trial_id, name,
                                   distribution.to_internal_repr(proposal.params[name]),
                                   distribution)


def _written_before(key: str, earlier: list[Any]) -> bool:
    """Whether study attribute ``key`` existed before the cut-short trial was asked. The one
    sampler-written kind is the genetic samplers' parent cache ``<sampler>:parent:<g>``, stored
    by the first trial of generation g that samples; a cache the cut-short trial stored itself
    must not be replayed, or it takes the cached parent order (trial order) instead of the
    selection order the uninterrupted run used."""
    match = re.fullmatch(r"(.+):parent:(\d+)", key)
    if match is None:
        return True
    generation_key, generation = f"{match[1]}:generation", int(match[2])
    return any(t.system_attrs.get(generation_key) == generation for t in earlier)
