"""Worker of the reliability campaign (tests/reliability/test_campaign.py): runs ``accelsim``
command lines one after another in this process, under the memory limit its parent set
(RLIMIT_AS) and a per-case wall-clock alarm, and answers each with one JSON line.

Protocol: one JSON object per stdin line ``{"argv": [...], "cwd": str, "env": {...}}``; one JSON
line per case on stdout ``{"code", "stdout", "stderr", "seconds", "cpu_seconds", "crash"}``.
Running in-process pays the interpreter and import start-up once per worker, not once per case.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys
import time

#: wall-clock alarm per case: a case still running after it is a hang. The 10 s budget of a case
#: is asserted on its CPU time (test_campaign), which a loaded CI machine does not inflate.
TIMEOUT_S = 30


class CaseTimeout(BaseException):
    """Raised by the alarm: a BaseException, so no ``except Exception`` in accelsim eats it."""


def _alarm(signum: int, frame: object) -> None:
    raise CaseTimeout


def run_case(argv: list[str], cwd: str, env: dict[str, str]) -> dict[str, object]:
    from accelsim import cli

    out, err = io.StringIO(), io.StringIO()
    old_env = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    os.chdir(cwd)
    sys.argv = ["accelsim", *argv]
    cli._state["debug"] = False
    crash = None
    start, cpu = time.perf_counter(), time.process_time()
    signal.alarm(TIMEOUT_S)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                cli.main()
                code: object = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except CaseTimeout:
        code, crash = "timeout", f"no answer within {TIMEOUT_S} s"
    except MemoryError:
        code, crash = "memory", "MemoryError escaped accelsim.cli.main"
    except BaseException as exc:  # noqa: BLE001 - report whatever escaped main
        code, crash = "crash", f"{type(exc).__name__}: {exc}"[:2000]
    finally:
        signal.alarm(0)
        for k, v in old_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return {"code": code, "stdout": out.getvalue()[-200_000:], "stderr": err.getvalue()[:20_000],
            "seconds": round(time.perf_counter() - start, 3),
            "cpu_seconds": round(time.process_time() - cpu, 3), "crash": crash}


def main() -> None:
    signal.signal(signal.SIGALRM, _alarm)
    import accelsim.analysis.plots  # noqa: F401 - matplotlib's import and font cache too
    import accelsim.cli  # noqa: F401 - import once, before the first case's clock starts
    import accelsim.engine.simulator  # noqa: F401

    real_stdout = sys.stdout
    for line in sys.stdin:
        case = json.loads(line)
        result = run_case(case["argv"], case["cwd"], case.get("env", {}))
        real_stdout.write(json.dumps(result) + "\n")
        real_stdout.flush()


if __name__ == "__main__":
    main()
