"""Which event core plays a plan: fast_kernel.play compiled by numba, or the same source as
plain Python.

Compiling the kernel costs 10-30 s of CPU once per checkout; numba's ``cache=True`` then loads
it from ``__pycache__``, which with importing numba costs about a second in a fresh process,
while the Python path plays a plan somewhat slower than simpy. So the compiled kernel pays off
once a process plays more than ``JIT_MIN_STEPS`` steps (a big model, a big batch, a sweep
worker's third ViT-B point), and from then on for every plan of that process:

* ``compiled(steps)`` says whether to use it for a plan of ``steps`` steps (counting the steps
  this process has played); ``engine="auto"`` plays simpy when it says no, ``engine="fast"``
  the Python path of the same source;
* when numba's cache does not hold the kernel yet, that run says no and a background process
  (``python -m accelsim.engine.jit``, one at a time, lock file beside the cache) compiles the
  cache for the next runs, so no command is held up by the compiler;
* ``ACCELSIM_JIT=1`` always uses it, compiling in the process if need be (tests, benchmarks);
  ``=0`` never touches numba; without numba the Python path runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

#: steps a process plays before loading the compiled kernel pays (about a second of loading
#: against the Python path's or simpy's per-step cost)
JIT_MIN_STEPS = 8000
#: a background compile that has not finished after this long is presumed dead
STALE_LOCK_S = 600.0
_compiled: Callable[..., None] | None = None
_played_steps = 0  # steps the fast engine has been asked to play in this process
_compiling = False  # this process started the background compile: the Python path until exit


def compiled(steps: int) -> bool:
    """Whether a plan of ``steps`` steps should run the compiled kernel (module docstring);
    loads it when so."""
    global _compiled, _played_steps, _compiling
    forced = os.environ.get("ACCELSIM_JIT", "")
    if forced == "0" or (_compiling and forced != "1"):
        return False
    if _compiled is not None:
        return True
    _played_steps += steps
    if forced != "1" and _played_steps < JIT_MIN_STEPS:
        return False
    dispatcher = _dispatcher()
    if dispatcher is None:  # numba is a dependency, but the Python path needs none
        return False
    if forced != "1" and not _cached(dispatcher):
        _compile_in_background(dispatcher)
        _compiling = True
        return False
    _compiled = dispatcher
    return True


def kernel(steps: int) -> Callable[..., None]:
    """The event core for a plan of ``steps`` steps: compiled or the Python path."""
    if os.environ.get("ACCELSIM_JIT") == "0" or (_compiled is None and not compiled(steps)):
        from accelsim.engine import fast_kernel  # not imported by a run that plays simpy

        return fast_kernel.play
    assert _compiled is not None
    return _compiled


def _dispatcher() -> Callable[..., None] | None:
    try:
        import numba
    except ImportError:
        return None
    from accelsim.engine import fast_kernel

    return numba.njit(cache=True)(fast_kernel.play)


def _cached(dispatcher: object) -> bool:
    """Whether numba's cache holds a compiled kernel for the current source (its index is
    stamped with the source file; a stale index reads as empty). Unknown: assume it does."""
    try:
        return bool(dispatcher._cache._cache_file._load_index())  # type: ignore[attr-defined]
    except Exception:  # numba internals moved: compile in the process as before
        return True


def _lock_path(dispatcher: object) -> Path | None:
    try:
        return Path(dispatcher._cache._cache_path) / "fast_kernel.compiling"  # type: ignore[attr-defined]
    except Exception:
        return None


def _compile_in_background(dispatcher: object) -> None:
    """Start ``python -m accelsim.engine.jit`` detached unless one is running already."""
    lock = _lock_path(dispatcher)
    if lock is None:
        return
    try:
        if lock.exists() and time.time() - lock.stat().st_mtime < STALE_LOCK_S:
            return
        lock.parent.mkdir(parents=True, exist_ok=True)
        lock.write_text(str(os.getpid()))
        subprocess.Popen([sys.executable, "-m", "accelsim.engine.jit"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True,
                         env={**os.environ, "ACCELSIM_JIT": "1"})
    except OSError:  # a read-only install: every run takes the Python path
        return


def compile_kernel() -> None:
    """Compile the kernel into numba's cache (on a one-step plan) and drop the lock."""
    from accelsim.arch.load import load_arch
    from accelsim.engine.simulator import simulate
    from accelsim.workload.models import build_trace

    dispatcher = _dispatcher()
    try:
        if dispatcher is not None:
            simulate(load_arch("edge_16x16"), build_trace("vit_tiny", image_size=32),
                     engine="fast", record=False)
    finally:
        lock = _lock_path(dispatcher) if dispatcher is not None else None
        if lock is not None:
            lock.unlink(missing_ok=True)


if __name__ == "__main__":
    compile_kernel()
