"""accelsim: cycle-level simulator of accelerators for quantized Vision Transformers.

Public API (everything else is internal)::

    arch = accelsim.load_arch("sole", overrides={"array.rows": 64})
    trace = accelsim.build_trace("vit_base", image_size=224, batch=1, quant="sole")
    result = accelsim.simulate(arch, trace)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accelsim.errors import AccelsimError, ConfigError, SimulationError, TraceError

if TYPE_CHECKING:
    from accelsim.analysis.records import SimResult
    from accelsim.arch.load import load_arch
    from accelsim.arch.spec import ArchSpec
    from accelsim.workload.load import load_trace
    from accelsim.workload.models import build_trace
    from accelsim.workload.trace import Trace

#: public names imported on first use (PEP 562), so that ``import accelsim`` - and with it the
#: CLI's ``--help`` - does not pay for pydantic, yaml and the model generators (~0.25 s)
_LAZY = {
    "ArchSpec": "accelsim.arch.spec",
    "SimResult": "accelsim.analysis.records",
    "Trace": "accelsim.workload.trace",
    "build_trace": "accelsim.workload.models",
    "load_arch": "accelsim.arch.load",
    "load_trace": "accelsim.workload.load",
}

__version__ = "0.1.0"

__all__ = [
    "AccelsimError",
    "ArchSpec",
    "ConfigError",
    "SimResult",
    "SimulationError",
    "Trace",
    "TraceError",
    "build_trace",
    "load_arch",
    "load_trace",
    "simulate",
    "sweep",
]


def simulate(arch: ArchSpec, trace: Trace, **options: Any) -> SimResult:
    """Play ``trace`` on ``arch`` with the discrete-event engine; returns a frozen SimResult.
    ``engine="fast"`` gives the same result without simpy (and without the event log)."""
    from accelsim.engine.simulator import simulate as _simulate

    return _simulate(arch, trace, **options)


def sweep(*args: Any, **kwargs: Any) -> Any:
    """Run many simulations over a parameter grid (see accelsim.dse.sweep.run_sweep)."""
    from accelsim.dse.sweep import run_sweep

    return run_sweep(*args, **kwargs)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'accelsim' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
