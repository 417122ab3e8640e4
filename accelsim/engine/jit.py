"""Which event core plays a plan: fast_kernel.play compiled by numba, or the same source as
plain Python.

Compiling the kernel costs 10-30 s of CPU once per checkout (numba's ``cache=True`` then loads it
from ``__pycache__`` in well under a second), the Python path runs about as fast as simpy. So:

* plans under ``JIT_MIN_STEPS`` steps run the Python path (loading numba would cost more than
  it saves) unless the compiled kernel is already loaded in this process (a sweep worker);
* bigger plans run the compiled kernel when numba's cache holds it; when it does not, this run
  takes the Python path and a background process (``python -m accelsim.engine.jit``, one at a
  time, lock file beside the cache) compiles the cache for the next runs, so a cold first
  command is never held up by the compiler;
* ``ACCELSIM_JIT=1`` compiles in the process if need be (tests, benchmarks), ``=0`` never
  touches numba; without numba the Python path runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from accelsim.engine import fast_kernel

#: below this many steps the plain-Python kernel is faster than loading the compiled one
JIT_MIN_STEPS = 600
#: a background compile that has not finished after this long is presumed dead
STALE_LOCK_S = 600.0
_compiled: Callable[..., None] | None = None


def kernel(steps: int) -> Callable[..., None]:
    """The event core for a plan of ``steps`` steps (module docstring)."""
    global _compiled
    forced = os.environ.get("ACCELSIM_JIT", "")
    if forced == "0":
        return fast_kernel.play
    if _compiled is not None:
        return _compiled
    if forced != "1" and steps < JIT_MIN_STEPS:
        return fast_kernel.play
    dispatcher = _dispatcher()
    if dispatcher is None:  # numba is a dependency, but the Python path needs none
        return fast_kernel.play
    if forced != "1" and not _cached(dispatcher):
        _compile_in_background(dispatcher)
        return fast_kernel.play
    _compiled = dispatcher
    return dispatcher


def _dispatcher() -> Callable[..., None] | None:
    try:
        import numba
    except ImportError:
        return None
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
    from accelsim import build_trace, load_arch
    from accelsim.engine.fast import simulate_fast

    dispatcher = _dispatcher()
    try:
        if dispatcher is not None:
            simulate_fast(load_arch("edge_16x16"), build_trace("vit_tiny", image_size=32))
    finally:
        lock = _lock_path(dispatcher) if dispatcher is not None else None
        if lock is not None:
            lock.unlink(missing_ok=True)


if __name__ == "__main__":
    compile_kernel()
