"""The reliability campaign (issue 14): inputs a hostile new user types — arch YAML, traces,
topology CSVs, CLI flags, outputs and sweeps — each must give a correct run or ONE clear error
line (exit 2, naming the file and the field or flag), never a traceback, an "internal error", a
hang or a memory blow-up, never a silent wrong answer and never a lost file.

Each case names the issue's class it belongs to (CLASSES). Cases run in worker subprocesses
(tests/reliability/campaign_runner.py) under RLIMIT_AS = 1 GiB; each must finish within 10 s of
CPU time (a 30 s wall-clock alarm catches hangs, and a guard kills a stuck worker); two workers
share the cases. A "same_as" case must
print exactly what its reference case prints (``bandwidth_gbps: 1e3`` is 1000 GB/s, not 1000
B/s); ``codes=(0, 2)`` accepts a refusal or a run, but a run must then equal the reference.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import resource
import select
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("campaign_runner.py")
sys.path.insert(0, str(ROOT / "tests"))
from flat_sole import flat_sole_text  # noqa: E402  (tests/flat_sole.py)

MEMORY_LIMIT_BYTES = 2**30
CPU_LIMIT_S = 10
WALL_GUARD_S = 45  # the runner's own alarm fires at 30 s
CLASSES = {
    1: "numbers", 2: "non-finite / absurd values", 3: "internal errors", 4: "not regular files",
    5: "work that cannot finish", 6: "CSV topologies", 7: "lost data", 8: "valid input refused",
    9: "too lenient", 0: "valid input that must run",
}

#: sole.yaml on the bandwidth DRAM model (the bundled file runs the banked one): the number
#: cases spell its flat ``bandwidth_gbps`` / ``efficiency`` fields in every YAML way
#: and with its 'auto' ports spelled out (32 / 32 / 128 B/cycle at 32x32: the same widths)
SOLE = flat_sole_text("25.6")
FLAT_DRAM = ("--set", "dram.model=bandwidth")
RTX = (ROOT / "arch_configs" / "rtx4090.yaml").read_text(encoding="utf-8")


def arch(*subs: tuple[str, str], base: str = SOLE) -> str:
    """sole.yaml with exact text substitutions (each must occur)."""
    text = base
    for old, new in subs:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


TINY = """schema: accelsim.trace/1
name: tiny
tensors:
- {name: x, shape: [16, 32], bits: 8, dtype: int, role: input}
- {name: w, shape: [32, 16], bits: 8, dtype: int, role: weight}
- {name: y, shape: [16, 16], bits: 32, dtype: int, role: activation}
ops:
- {name: g1, kind: gemm, m: 16, n: 16, k: 32, inputs: [x, w], outputs: [y]}
"""
ADD = """schema: accelsim.trace/1
name: addt
tensors:
- {name: a, shape: [4, 8], bits: 8, dtype: int, role: input}
- {name: b, shape: [4, 8], bits: 8, dtype: int, role: input}
- {name: c, shape: [4, 8], bits: 8, dtype: int, role: activation}
ops:
- {name: add1, kind: add, rows: 4, length: 8, inputs: [a, b], outputs: [c]}
"""


def trace(*subs: tuple[str, str], base: str = TINY) -> str:
    return arch(*subs, base=base)


def gemm_trace(m: int, n: int, k: int) -> str:
    return (f"schema: accelsim.trace/1\nname: big\ntensors:\n"
            f"- {{name: x, shape: [{m}, {k}], bits: 8, dtype: int, role: input}}\n"
            f"- {{name: w, shape: [{k}, {n}], bits: 8, dtype: int, role: weight}}\n"
            f"- {{name: y, shape: [{m}, {n}], bits: 32, dtype: int, role: activation}}\n"
            f"ops:\n- {{name: g, kind: gemm, m: {m}, n: {n}, k: {k}, inputs: [x, w], "
            f"outputs: [y]}}\n")


LAUGHS = ("a: &a [x, x, x, x, x, x, x, x, x]\n"
          + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                    for p, c in zip("abcdefgh", "bcdefghi", strict=True)))


@dataclass
class Case:
    id: str
    cls: int
    argv: tuple[str, ...]
    files: dict[str, str | bytes] = field(default_factory=dict)
    codes: tuple[int, ...] = (2,)
    must: tuple[str, ...] = ()             # substrings of the error line (case-insensitive)
    same_as: str | None = None             # a run must print what this case prints
    prepare: Callable[[Path], Any] | None = None
    check: Callable[[Path, dict[str, Any]], None] | None = None
    env: dict[str, str] = field(default_factory=dict)
    owner: str = "h14a"                    # which half of issue 14 fixes it (h14a: inputs)


SIM = ("simulate", "-f", "json")
SIMT = (*SIM, "--model", "t.yaml")          # the tiny trace, on an arch under test
CASES: list[Case] = []


def case(*args: Any, **kwargs: Any) -> None:
    CASES.append(Case(*args, **kwargs))


def arch_case(id: str, cls: int, text: str, must: tuple[str, ...] = (), **kw: Any) -> None:
    """``simulate --arch a.yaml`` on the tiny trace."""
    case(id, cls, (*SIMT, "--arch", "a.yaml"), {"a.yaml": text, "t.yaml": TINY},
         must=("a.yaml", *must), **kw)


def same_arch(id: str, cls: int, text: str, reference: str, codes: tuple[int, ...] = (0,),
              **kw: Any) -> None:
    arch_case(id, cls, text, same_as=reference, codes=codes, **kw)


# ------------------------------------------------------------------ references (valid runs)
for ref_id, ref_text in [
    ("ref-sole", SOLE),
    ("ref-bw-1000", arch(("bandwidth_gbps: 25.6", "bandwidth_gbps: 1000.0"))),
    ("ref-bw-10", arch(("bandwidth_gbps: 25.6", "bandwidth_gbps: 10.0"))),
    ("ref-bw-1", arch(("bandwidth_gbps: 25.6", "bandwidth_gbps: 1.0"))),
    ("ref-rows-10", arch(("rows: 32", "rows: 10"))),
    ("ref-rows-16", arch(("rows: 32", "rows: 16"))),
    ("ref-lat-200", arch(("latency_ns: 100", "latency_ns: 200"))),
    ("ref-eff-05", arch(("efficiency: 1.0", "efficiency: 0.5"))),
    ("ref-in-256000", arch(("input:  {size_bytes: 256KiB", "input:  {size_bytes: 256000"))),
    ("ref-in-128k", arch(("input:  {size_bytes: 256KiB", "input:  {size_bytes: 131072"))),
    ("ref-clock-2g", arch(("clock_hz: 1.0e9", "clock_hz: 2000000000"))),
]:
    arch_case(ref_id, 0, ref_text, codes=(0,), owner="both")

# ------------------------------------------------------------------ 1. numbers
same_arch("yaml12-float-1e3", 1, arch(("bandwidth_gbps: 25.6", "bandwidth_gbps: 1e3")),
          "ref-bw-1000")
same_arch("quoted-number-in-unit-field", 1, arch(("bandwidth_gbps: 25.6", 'bandwidth_gbps: "10"')),
          "ref-bw-10")
same_arch("unit-string-GB/s", 1, arch(("bandwidth_gbps: 25.6", "bandwidth_gbps: 10 GB/s")),
          "ref-bw-10", codes=(0, 2))
same_arch("unit-string-MB/s", 1, arch(("bandwidth_gbps: 25.6", "bandwidth_gbps: 1000MB/s")),
          "ref-bw-1", codes=(0, 2))
arch_case("bandwidth-without-per-second", 1,
          arch(("bandwidth_gbps: 25.6", "bandwidth_gbps: 25.6GB")), ("bandwidth_gbps",))
arch_case("bandwidth-in-hertz", 1, arch(("bandwidth_gbps: 25.6", "bandwidth_gbps: 1GHz")),
          ("bandwidth_gbps",))
arch_case("size-in-bytes-per-second", 1,
          arch(("input:  {size_bytes: 256KiB", "input:  {size_bytes: 256KiB/s")),
          ("size_bytes",))
arch_case("clock-as-a-size", 1, arch(("clock_hz: 1.0e9", "clock_hz: 1GiB")), ("clock_hz",))
arch_case("bool-rows-true", 1, arch(("rows: 32", "rows: true")), ("rows",))
arch_case("bool-banks-yes", 1, arch(("banks: 2, read", "banks: yes, read")), ("banks",))
arch_case("bool-clock-on", 1, arch(("clock_hz: 1.0e9", "clock_hz: on")), ("clock_hz",))
arch_case("bool-efficiency-no", 1, arch(("efficiency: 1.0", "efficiency: no")), ("efficiency",))
same_arch("octal-looking-rows-010", 1, arch(("rows: 32", "rows: 010")), "ref-rows-10",
          codes=(0, 2))
arch_case("sexagesimal-rows-1:04", 1, arch(("rows: 32", "rows: 1:04")), ("rows",))
same_arch("hex-rows-0x10", 1, arch(("rows: 32", "rows: 0x10")), "ref-rows-16", codes=(0, 2))
same_arch("float-rows-16.0", 1, arch(("rows: 32", "rows: 16.0")), "ref-rows-16", codes=(0, 2))
arch_case("fractional-rows", 1, arch(("rows: 32", "rows: 16.5")), ("rows",))
same_arch("quoted-rows", 1, arch(("rows: 32", 'rows: "16"')), "ref-rows-16", codes=(0, 2))
arch_case("rows-as-text", 1, arch(("rows: 32", "rows: sixteen")), ("rows",))
same_arch("latency-1e2-style", 1, arch(("latency_ns: 100", "latency_ns: 2e2")), "ref-lat-200")
same_arch("efficiency-dot-5", 1, arch(("efficiency: 1.0", "efficiency: .5")), "ref-eff-05")
same_arch("si-kilobytes", 1, arch(("input:  {size_bytes: 256KiB", "input:  {size_bytes: 256kB")),
          "ref-in-256000", codes=(0, 2))
same_arch("quoted-bytes", 1, arch(("input:  {size_bytes: 256KiB", 'input:  {size_bytes: "131072"')),
          "ref-in-128k")
same_arch("clock-2e9-no-dot", 1, arch(("clock_hz: 1.0e9", "clock_hz: 2e9")), "ref-clock-2g")
same_arch("clock-2GHz", 1, arch(("clock_hz: 1.0e9", "clock_hz: 2GHz")), "ref-clock-2g")
arch_case("bytes-unit-typo", 1,
          arch(("input:  {size_bytes: 256KiB", "input:  {size_bytes: 256KiBB")), ("size_bytes",))
for sid, item, ref in [("set-1e3", "dram.bandwidth_gbps=1e3", "ref-bw-1000"),
                       ("set-quoted-10", "dram.bandwidth_gbps='10'", "ref-bw-10"),
                       ("set-2GHz", "clock_hz=2GHz", "ref-clock-2g"),
                       ("set-rows-16.0", "array.rows=16.0", "ref-rows-16")]:
    # on the references' own file: the bundled sole.yaml has auto ports, which follow the rows
    case(sid, 1, (*SIMT, "--arch", "a.yaml", "--set", item), {"a.yaml": SOLE, "t.yaml": TINY},
         codes=(0, 2) if "16.0" in sid else (0,), same_as=ref)
case("set-octal-rows", 1, (*SIMT, "--arch", "a.yaml", "--set", "array.rows=010"),
     {"a.yaml": SOLE, "t.yaml": TINY}, codes=(0, 2), same_as="ref-rows-10")
for sid, item, key in [("set-base60", "array.rows=1:04", "array.rows"),
                       ("set-bool-rows", "array.rows=true", "array.rows"),
                       ("set-bool-clock", "clock_hz=on", "clock_hz"),
                       ("set-bandwidth-no-per-s", "dram.bandwidth_gbps=10GB", "bandwidth_gbps"),
                       ("set-rows-text", "array.rows=abc", "array.rows"),
                       ("set-rows-list", "array.rows=[1, 2]", "array.rows"),
                       ("set-rows-mapping", "array.rows={a: 1}", "array.rows")]:
    case(sid, 1, (*SIMT, *FLAT_DRAM, "--set", item), {"t.yaml": TINY}, must=("--set", key))
arch_case("duplicate-key-in-yaml", 1, SOLE.replace("  rows: 32", "  rows: 32\n  rows: 16", 1),
          ("rows",))

# ------------------------------------------------------------------ 2. non-finite / absurd
for sid, old, new, key in [
    ("clock-1e308", "clock_hz: 1.0e9", "clock_hz: 1e308", "clock_hz"),
    ("clock-1e-300", "clock_hz: 1.0e9", "clock_hz: 1e-300", "clock_hz"),
    ("clock-inf", "clock_hz: 1.0e9", "clock_hz: .inf", "clock_hz"),
    ("clock-nan", "clock_hz: 1.0e9", "clock_hz: .nan", "clock_hz"),
    ("bandwidth-inf", "bandwidth_gbps: 25.6", "bandwidth_gbps: .inf", "bandwidth_gbps"),
    ("bandwidth-zero", "bandwidth_gbps: 25.6", "bandwidth_gbps: 0", "bandwidth_gbps"),
    ("bandwidth-negative", "bandwidth_gbps: 25.6", "bandwidth_gbps: -25.6", "bandwidth_gbps"),
    ("size-1e999", "input:  {size_bytes: 256KiB", "input:  {size_bytes: 1e999", "size_bytes"),
    ("size-zero", "input:  {size_bytes: 256KiB", "input:  {size_bytes: 0", "size_bytes"),
    ("size-1e30", "input:  {size_bytes: 256KiB", "input:  {size_bytes: 1e30", "size_bytes"),
    ("rows-negative", "rows: 32", "rows: -1", "rows"),
    ("rows-zero", "rows: 32", "rows: 0", "rows"),
    ("rows-1e9", "rows: 32", "rows: 1000000000", "rows"),
    ("banks-zero", "banks: 2, read", "banks: 0, read", "banks"),
    ("lanes-zero", "e2softmax: {lanes: 16", "e2softmax: {lanes: 0", "lanes"),
    ("pipeline-negative", "vector: {lanes: 32, pipeline_depth: 2}",
     "vector: {lanes: 32, pipeline_depth: -2}", "pipeline_depth"),
    ("efficiency-above-one", "efficiency: 1.0", "efficiency: 1.5", "efficiency"),
    ("efficiency-zero", "efficiency: 1.0", "efficiency: 0", "efficiency"),
    ("latency-negative", "latency_ns: 100", "latency_ns: -5", "latency_ns"),
    ("latency-1e300", "latency_ns: 100", "latency_ns: 1e300", "latency_ns"),
    ("technology-zero", "technology_nm: 28", "technology_nm: 0", "technology_nm"),
    ("technology-1e6", "technology_nm: 28", "technology_nm: 1000000", "technology_nm"),
    ("read-port-zero", "read_bytes_per_cycle: 32, write_bytes_per_cycle: 32}\n  weight",
     "read_bytes_per_cycle: 0, write_bytes_per_cycle: 32}\n  weight", "read_bytes_per_cycle"),
    ("reference-node-tiny", "reference_node_nm: 45", "reference_node_nm: 1e-300",
     "reference_node_nm"),
    ("scaling-exponent-huge", "dynamic_scaling_exponent: 2", "dynamic_scaling_exponent: 1e308",
     "dynamic_scaling_exponent"),
]:
    arch_case(sid, 2, arch((old, new)), (key,))
case("set-reference-node-tiny", 2, (*SIMT, *FLAT_DRAM, "--set", "energy.reference_node_nm=1e-300"),
     {"t.yaml": TINY}, must=("reference_node_nm",))
case("set-clock-huge", 2, (*SIMT, *FLAT_DRAM, "--set", "clock_hz=1e308"), {"t.yaml": TINY},
     must=("clock_hz",))
case("sweep-clock-huge-json", 2, ("sweep", "--model", "t.yaml", "-j", "1", "--set",
                                  "clock_hz=1e9,1e308", "-o", "s.json"), {"t.yaml": TINY},
     must=("clock_hz",))

# ------------------------------------------------------------------ 3. internal errors
arch_case("markup-arch-name", 3, arch(("name: sole", "name: '[/x]'")), codes=(0,), owner="h14b",
          check=lambda d, r: _assert_in("[/x]", r["stdout"]))
case("markup-arch-name-table", 3, ("simulate", "--model", "t.yaml", "--arch", "a.yaml"),
     {"a.yaml": arch(("name: sole", "name: '[/x] [bold]b[/bold] :smile:'")), "t.yaml": TINY},
     codes=(0,), owner="h14b",
     check=lambda d, r: _assert_in("[/x] [bold]b[/bold] :smile:", r["stdout"]))
case("markup-op-name", 3, ("simulate", "--model", "t.yaml"),
     {"t.yaml": trace(("name: g1", "name: '[/x]'"))}, codes=(0,), owner="h14b",
     check=lambda d, r: _assert_in("[/x]", r["stdout"]))
case("markup-op-name-roofline", 3, ("roofline", "--model", "t.yaml"),
     {"t.yaml": trace(("name: g1", "name: '[red]op'"))}, codes=(0,), owner="h14b",
     check=lambda d, r: _assert_in("[red]op", r["stdout"]))
case("markup-output-path", 3, ("simulate", "--model", "t.yaml", "-o", "out[/x].json"),
     {"t.yaml": TINY}, codes=(0,), owner="h14b",
     check=lambda d, r: _assert_json_file(d / "out[" / "x].json"))
case("markup-trace-output", 3, ("trace", "--model", "t.yaml", "-o", "tr[/x].yaml"),
     {"t.yaml": TINY}, codes=(0,), owner="h14b",
     check=lambda d, r: _assert_in("[/x]", r["stdout"]))
case("markup-sweep-model-path", 3, ("sweep", "--model", "m[/x].yaml", "-j", "1", "-o", "s.csv"),
     {"m[/x].yaml": TINY}, codes=(0,), owner="h14b")
case("markup-in-error-message", 3, ("simulate", "--model", "[/x].yaml"), must=("[/x].yaml",),
     owner="h14b")
case("mathtext-name-plot", 3, ("simulate", "--model", "t.yaml", "--plot", "p.png"),
     {"t.yaml": trace(("name: tiny", "name: '$\\foo{$'"), ("name: g1", "name: '$\\bar{$'"))},
     codes=(0,), check=lambda d, r: _assert_png(d / "p.png"))
arch_case("macs-per-pe-empty", 3, arch(("macs_per_pe_per_cycle: {int8: 1, int4: 2}",
                                        "macs_per_pe_per_cycle: {}")),
          ("macs_per_pe_per_cycle",))
case("reference-peak-empty", 3, ("roofline", "--arch", "r.yaml", "--model", "t.yaml"),
     {"r.yaml": arch(("peak_tops: {fp16: 330, int8: 660}", "peak_tops: {}"), base=RTX),
      "t.yaml": TINY}, must=("r.yaml", "peak_tops"))
arch_case("unhashable-yaml-key", 3, SOLE + "? [a, b]\n: 1\n", ())
arch_case("deep-nesting", 3, arch(("name: sole", "name: " + "[" * 990 + "]" * 990)),
          ("line 7", "nested"))
case("csv-not-utf8", 3, (*SIM, "--model", "c.csv"), {"c.csv": b"Layer,M,N,K\nl\xff1,4,4,4\n"},
     must=("c.csv", "utf-8"))
case("csv-huge-field", 3, (*SIM, "--model", "c.csv"),
     {"c.csv": "Layer,M,N,K\n" + "x" * 200_000 + ",4,4,4\n"}, codes=(0, 2), must=("c.csv",))
case("trace-not-utf8", 3, (*SIM, "--model", "t.yaml"), {"t.yaml": TINY.encode() + b"# \xff\n"},
     must=("t.yaml",))
arch_case("yaml-python-tag", 3, SOLE + "evil: !!python/object/apply:os.system ['true']\n", ())
arch_case("yaml-syntax-error", 3, SOLE + "array: [unclosed\n", ())
arch_case("yaml-tab-indent", 3, SOLE.replace("  rows: 32", "\trows: 32"), ())
arch_case("yaml-top-level-list", 3, "- 1\n- 2\n", ())
arch_case("yaml-empty", 3, "", ())
arch_case("yaml-only-comment", 3, "# nothing\n", ())
arch_case("unknown-key", 3, arch(("  rows: 32", "  rowz: 32")), ("rowz",))
arch_case("unknown-section", 3, SOLE + "nonsense: {a: 1}\n", ("nonsense",))
arch_case("array-not-a-mapping", 3, SOLE.replace("array:\n", "array: 7\nold_array:\n", 1),
          ("array",))
arch_case("name-a-list", 3, arch(("name: sole", "name: [a, b]")), ("name",))
arch_case("dataflow-unknown", 3, arch(("dataflow: ws", "dataflow: xyz")), ("dataflow",))
arch_case("sfu-kind-unknown", 3, arch(("kind: sole", "kind: magic")), ("kind",))
case("sweep-failed-points-exit-3", 3, ("sweep", "--model", "t.yaml", "-j", "1", "--set",
                                       "buffers.input.size_bytes=16,256KiB", "--set",
                                       "buffers.output.size_bytes=4", "-o", "s.csv"),
     {"t.yaml": TINY}, codes=(3,), must=("2 of 2 points failed", "s.csv", "MappingError"),
     owner="h14b")
case("sweep-one-failed-point-exit-3", 3, ("sweep", "--model", "t.yaml", "-j", "1", "--set",
                                          "buffers.output.size_bytes=4,128KiB"),
     {"t.yaml": TINY}, codes=(3,), must=("1 of 2 points failed", "point 0"), owner="h14b")
case("resume-row-extra-field", 3, ("sweep", "--model", "t.yaml", "-j", "1", "--set",
                                   "array.rows=8,16", "-o", "s.csv", "--resume"),
     {"t.yaml": TINY}, must=("--resume", "s.csv", "line 2", "fields"), owner="h14b",
     prepare=lambda d: _previous_sweep(d, "s.csv", ("array.rows=8,16",), lambda t: _edit_line(
         t, 1, lambda row: row + ",extra")),
     check=lambda d, r: _assert_unchanged(d, "s.csv"))

# ------------------------------------------------------------------ 4. files that are not files
case("arch-dev-zero", 4, (*SIMT, "--arch", "/dev/zero"), {"t.yaml": TINY},
     must=("/dev/zero", "character device"))
case("arch-symlink-loop", 4, (*SIMT, "--arch", "loop.yaml"), {"t.yaml": TINY},
     prepare=lambda d: os.symlink("loop.yaml", d / "loop.yaml"), must=("loop.yaml", "loop"))
case("arch-broken-symlink", 4, (*SIMT, "--arch", "gone.yaml"), {"t.yaml": TINY},
     prepare=lambda d: os.symlink("nowhere.yaml", d / "gone.yaml"), must=("gone.yaml", "broken"))
case("arch-missing", 4, (*SIMT, "--arch", "missing.yaml"), {"t.yaml": TINY},
     must=("missing.yaml",))
case("arch-directory", 4, (*SIMT, "--arch", "dir.yaml"), {"t.yaml": TINY},
     prepare=lambda d: (d / "dir.yaml").mkdir(), must=("dir.yaml", "directory"))
case("arch-fifo", 4, (*SIMT, "--arch", "f.yaml"), {"t.yaml": TINY},
     prepare=lambda d: os.mkfifo(d / "f.yaml"), must=("f.yaml", "fifo"))
case("model-yaml-symlink-dev-zero", 4, (*SIM, "--model", "z.yaml"),
     prepare=lambda d: os.symlink("/dev/zero", d / "z.yaml"), must=("z.yaml",))
case("model-csv-symlink-dev-zero", 4, (*SIM, "--model", "z.csv"),
     prepare=lambda d: os.symlink("/dev/zero", d / "z.csv"), must=("z.csv",))
case("model-fifo", 4, (*SIM, "--model", "f.yaml"), prepare=lambda d: os.mkfifo(d / "f.yaml"),
     must=("f.yaml", "fifo"))
case("model-csv-fifo", 4, (*SIM, "--model", "f.csv"), prepare=lambda d: os.mkfifo(d / "f.csv"),
     must=("f.csv", "fifo"))
case("model-directory", 4, (*SIM, "--model", "d.yaml"), prepare=lambda d: (d / "d.yaml").mkdir(),
     must=("d.yaml", "directory"))
case("arch-over-size-cap", 4, (*SIMT, "--arch", "a.yaml"),
     {"a.yaml": SOLE + "#" * 6000 + "\n", "t.yaml": TINY},
     env={"ACCELSIM_MAX_INPUT_BYTES": "8000"}, must=("a.yaml", "limit"))
case("model-over-size-cap", 4, (*SIM, "--model", "t.yaml"), {"t.yaml": TINY + "#" * 9000 + "\n"},
     env={"ACCELSIM_MAX_INPUT_BYTES": "8000"}, must=("t.yaml", "limit"))
case("output-fifo-simulate", 4, (*SIMT, "-o", "f.json"), {"t.yaml": TINY},
     prepare=lambda d: os.mkfifo(d / "f.json"), must=("--output", "fifo"), owner="h14b")
case("output-fifo-trace", 4, ("trace", "--model", "t.yaml", "-o", "f.yaml"), {"t.yaml": TINY},
     prepare=lambda d: os.mkfifo(d / "f.yaml"), must=("--output", "fifo"), owner="h14b")
case("output-fifo-roofline", 4, ("roofline", "--model", "t.yaml", "-o", "f.csv"),
     {"t.yaml": TINY}, prepare=lambda d: os.mkfifo(d / "f.csv"), must=("--output", "fifo"),
     owner="h14b")
case("output-fifo-sweep", 4, ("sweep", "--model", "t.yaml", "-j", "1", "-o", "f.csv"),
     {"t.yaml": TINY}, prepare=lambda d: os.mkfifo(d / "f.csv"), must=("--output", "fifo"),
     owner="h14b")
case("output-fifo-plot", 4, ("simulate", "--model", "t.yaml", "--plot", "f.png"),
     {"t.yaml": TINY}, prepare=lambda d: os.mkfifo(d / "f.png"), must=("--plot", "fifo"),
     owner="h14b")
case("output-fifo-in-plot-dir", 4, ("sweep", "--model", "t.yaml", "-j", "1", "--plot-dir", "p"),
     {"t.yaml": TINY},
     prepare=lambda d: ((d / "p").mkdir(), os.mkfifo(d / "p" / "sweep_pareto.png")),
     must=("--plot-dir", "fifo"), owner="h14b")
case("output-dev-null", 4, (*SIMT, "-o", "/dev/null"), {"t.yaml": TINY},
     must=("--output", "/dev/null"), owner="h14b")
case("output-char-device-json", 4, (*SIMT, "-o", "dev.json"), {"t.yaml": TINY},
     prepare=lambda d: os.symlink("/dev/null", d / "dev.json"),
     must=("--output", "character device"), owner="h14b")
case("output-parent-is-file", 4, (*SIMT, "-o", "t.yaml/x.json"), {"t.yaml": TINY},
     must=("--output", "is a file"), owner="h14b")
case("output-is-directory", 4, (*SIMT, "-o", "d.json"), {"t.yaml": TINY},
     prepare=lambda d: (d / "d.json").mkdir(), must=("--output", "directory"), owner="h14b")
case("sweep-output-is-directory", 4, ("sweep", "--model", "t.yaml", "-j", "1", "-o", "d.csv"),
     {"t.yaml": TINY}, prepare=lambda d: (d / "d.csv").mkdir(), must=("--output", "directory"),
     owner="h14b")

# ------------------------------------------------------------------ 5. work that cannot finish
case("gemm-65536-cubed", 5, (*SIM, "--model", "g.yaml"),
     {"g.yaml": gemm_trace(65536, 65536, 65536)}, must=("g.yaml",))
case("csv-gemm-2-40", 5, (*SIM, "--model", "c.csv"), {"c.csv": f"Layer,M,N,K\nl1,{2**40},64,64\n"},
     must=("c.csv",))
case("matmul-2-20-heads", 5, (*SIM, "--model", "h.yaml"), {"h.yaml": """schema: accelsim.trace/1
name: heads
tensors:
- {name: q, shape: [1048576, 4, 4], bits: 8, dtype: int, role: input}
- {name: k, shape: [1048576, 4, 4], bits: 8, dtype: int, role: input}
- {name: s, shape: [1048576, 4, 4], bits: 32, dtype: int, role: activation}
ops:
- {name: qk, kind: matmul, heads: 1048576, m: 4, n: 4, k: 4, inputs: [q, k], outputs: [s]}
"""}, must=("h.yaml",))
case("billion-laughs-trace-name", 5, (*SIM, "--model", "b.yaml"),
     {"b.yaml": LAUGHS + TINY.replace("name: tiny", "name: *i")}, must=("b.yaml",))
case("billion-laughs-shape", 5, (*SIM, "--model", "b.yaml"),
     {"b.yaml": LAUGHS + TINY.replace("shape: [16, 32]", "shape: *i")}, must=("b.yaml",))
case("billion-laughs-arch-name", 5, (*SIMT, "--arch", "a.yaml"),
     {"a.yaml": LAUGHS + SOLE.replace("name: sole", "name: *i"), "t.yaml": TINY},
     must=("a.yaml",))
case("image-size-huge", 5, (*SIM, "--model", "vit_base", "--image-size", "100000"),
     must=("--image-size",))
case("batch-huge", 5, (*SIM, "--model", "vit_base", "--batch", "1000000"), must=("--batch",))
case("sweep-grid-huge", 5, ("sweep", "--model", "t.yaml", "-j", "1", "--set",
                            "array.rows=" + ",".join(str(i) for i in range(1, 400)), "--set",
                            "array.cols=" + ",".join(str(i) for i in range(1, 400))),
     {"t.yaml": TINY}, must=("--set",))
case("huge-value-in-message", 5, (*SIMT, *FLAT_DRAM, "--set", "array.rows=" + "9" * 100_000),
     {"t.yaml": TINY}, must=("array.rows",))

# ------------------------------------------------------------------ 6. CSV topologies
case("ref-csv-mnk", 0, (*SIM, "--model", "c.csv"), {"c.csv": "Layer, M, N, K,\nl1, 64, 32, 16,\n"},
     codes=(0,), owner="both")
case("csv-headerless", 6, (*SIM, "--model", "c.csv"), {"c.csv": "l1, 64, 32, 16,\nl2, 8, 8, 8,\n"},
     must=("c.csv",))
case("csv-columns-by-header", 6, (*SIM, "--model", "c.csv"),
     {"c.csv": "Layer, K, N, M,\nl1, 16, 32, 64,\n"}, codes=(0, 2), same_as="ref-csv-mnk",
     must=("c.csv",))
# a SCALE-Sim conv topology is read by im2col (110 x 110 output pixels, K = 7 x 7 x 3, N = 64)
case("csv-conv-topology", 6, (*SIM, "--model", "c.csv"), {"c.csv": (
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter,"
    " Strides,\nconv1, 224, 224, 7, 7, 3, 64, 2,\n")}, codes=(0,),
     check=lambda d, r: _assert_eq('"macs": 113836800' in r["stdout"], True))
case("csv-unknown-columns", 6, (*SIM, "--model", "c.csv"),
     {"c.csv": "a, b, c, d,\nl1, 1, 2, 3,\n"}, must=("c.csv",))
case("csv-negative", 6, (*SIM, "--model", "c.csv"), {"c.csv": "Layer, M, N, K,\nl1, -4, 4, 4,\n"},
     must=("c.csv",))
case("csv-not-integer", 6, (*SIM, "--model", "c.csv"),
     {"c.csv": "Layer, M, N, K,\nl1, 4.5, 4, 4,\n"}, must=("c.csv",))
case("csv-empty", 6, (*SIM, "--model", "c.csv"), {"c.csv": ""}, must=("c.csv",))
case("csv-header-only", 6, (*SIM, "--model", "c.csv"), {"c.csv": "Layer, M, N, K,\n"},
     must=("c.csv",))
case("csv-short-row", 6, (*SIM, "--model", "c.csv"), {"c.csv": "Layer, M, N, K,\nl1, 4, 4\n"},
     must=("c.csv",))
case("csv-zero", 6, (*SIM, "--model", "c.csv"), {"c.csv": "Layer, M, N, K,\nl1, 0, 4, 4,\n"},
     must=("c.csv",))

# ------------------------------------------------------------------ 7. lost data
case("failed-run-keeps-previous-output", 7, (*SIMT, "--arch", "bad.yaml", "-o", "r.json"),
     {"t.yaml": TINY, "bad.yaml": "name: [\n", "r.json": '{"previous": true}\n'},
     must=("bad.yaml",), owner="h14b",
     check=lambda d, r: _assert_eq((d / "r.json").read_text(), '{"previous": true}\n'))
case("no-temp-files-left", 7, (*SIMT, "-o", "r.json"), {"t.yaml": TINY}, codes=(0,),
     owner="h14b", check=lambda d, r: _assert_eq(sorted(p.name for p in d.iterdir()),
                                                [".t.yaml.before", "r.json", "t.yaml"]))
case("resume-torn-row-recomputed", 7, ("sweep", "--model", "t.yaml", "-j", "1", "--set",
                                       "array.rows=8,16,32", "-o", "s.csv", "--resume"),
     {"t.yaml": TINY}, codes=(0,), owner="h14b",
     prepare=lambda d: _previous_sweep(d, "s.csv", ("array.rows=8,16,32",), lambda t: t[:-40]),
     check=lambda d, r: _assert_eq((d / "s.csv").read_bytes(), (d / "fresh.csv").read_bytes()))
case("resume-torn-header-recomputed", 7, ("sweep", "--model", "t.yaml", "-j", "1", "--set",
                                          "array.rows=8,16", "-o", "s.csv", "--resume"),
     {"t.yaml": TINY}, codes=(0,), owner="h14b",
     prepare=lambda d: _previous_sweep(d, "s.csv", ("array.rows=8,16",), lambda t: t[:30]),
     check=lambda d, r: _assert_eq((d / "s.csv").read_bytes(), (d / "fresh.csv").read_bytes()))
case("resume-error-row-recomputed", 7, ("sweep", "--model", "t.yaml", "-j", "1", "--set",
                                        "array.rows=8,16", "-o", "s.csv", "--resume"),
     {"t.yaml": TINY}, codes=(0,), owner="h14b",
     prepare=lambda d: _previous_error_row(d),
     check=lambda d, r: _assert_eq((d / "s.csv").read_bytes(), (d / "fresh.csv").read_bytes()))
case("resume-hand-edited-metric", 7, ("sweep", "--model", "t.yaml", "-j", "1", "--set",
                                      "array.rows=8,16", "-o", "s.csv", "--resume"),
     {"t.yaml": TINY}, must=("--resume", "row index 1", "row_check"), owner="h14b",
     prepare=lambda d: _previous_sweep(d, "s.csv", ("array.rows=8,16",), lambda t: _edit_line(
         t, 2, lambda row: re.sub(r",ok,,,(\d+),(\d+),", r",ok,,,\1,9\2,", row))),
     check=lambda d, r: _assert_unchanged(d, "s.csv"))
case("resume-hand-edited-status", 7, ("sweep", "--model", "t.yaml", "-j", "1", "--set",
                                      "array.rows=8,16", "-o", "s.csv", "--resume"),
     {"t.yaml": TINY}, must=("--resume", "row_check"), owner="h14b",
     prepare=lambda d: _previous_sweep(d, "s.csv", ("array.rows=8,16",), lambda t: _edit_line(
         t, 1, lambda row: row.replace(",ok,", ",error,", 1))),
     check=lambda d, r: _assert_unchanged(d, "s.csv"))
case("resume-short-row", 7, ("sweep", "--model", "t.yaml", "-j", "1", "--set",
                             "array.rows=8,16", "-o", "s.csv", "--resume"),
     {"t.yaml": TINY}, must=("--resume", "fields"), owner="h14b",
     prepare=lambda d: _previous_sweep(d, "s.csv", ("array.rows=8,16",), lambda t: _edit_line(
         t, 1, lambda row: row.rsplit(",", 3)[0])),
     check=lambda d, r: _assert_unchanged(d, "s.csv"))
case("resume-no-row-check", 7, ("sweep", "--model", "t.yaml", "-j", "1", "-o", "s.csv",
                                "--resume"), {"t.yaml": TINY, "s.csv": (
    "index,arch,model,image_size,batch,quant,status,error_type,error,total_cycles\n"
    "0,sole,t.yaml,224,1,sole,ok,,,1\n")}, must=("--resume", "row_check"), owner="h14b",
     check=lambda d, r: _assert_unchanged(d, "s.csv"))
for jid, text in [("null", "null\n"), ("zero", "0\n"), ("object", "{}\n"), ("string", '"x"\n'),
                  ("list-of-numbers", "[1, 2]\n"), ("truncated", '[{"index": 0,')]:
    case(f"resume-json-{jid}", 7, ("sweep", "--model", "t.yaml", "-j", "1", "-o", "s.json",
                                   "--resume"), {"t.yaml": TINY, "s.json": text},
         must=("--resume", "s.json"), owner="h14b",
         check=lambda d, r: _assert_unchanged(d, "s.json"))
case("resume-json-empty-list", 7, ("sweep", "--model", "t.yaml", "-j", "1", "-o", "s.json",
                                   "--resume"), {"t.yaml": TINY, "s.json": "[]\n"}, codes=(0,),
     owner="h14b", check=lambda d, r: _assert_eq(len(json.loads((d / "s.json").read_text())), 1))
case("resume-json-edited", 7, ("sweep", "--model", "t.yaml", "-j", "1", "--set", "array.rows=8,16",
                               "-o", "s.json", "--resume"), {"t.yaml": TINY},
     must=("--resume", "row_check"), owner="h14b",
     prepare=lambda d: _previous_sweep(d, "s.json", ("array.rows=8,16",),
                                       lambda t: t.replace('"total_cycles": ', '"total_cycles": 1',
                                                           1)),
     check=lambda d, r: _assert_unchanged(d, "s.json"))
case("resume-other-arch", 7, ("sweep", "--arch", "edge_16x16", "--model", "t.yaml", "-j", "1",
                              "-o", "s.csv", "--resume"), {"t.yaml": TINY},
     must=("--resume", "arch"), owner="h14b",
     prepare=lambda d: _previous_sweep(d, "s.csv", (), None),
     check=lambda d, r: _assert_unchanged(d, "s.csv"))
case("resume-without-output", 7, ("sweep", "--model", "t.yaml", "-j", "1", "--resume"),
     {"t.yaml": TINY}, must=("--resume",), owner="h14b")
for did, item in [("float", "dram.bandwidth_gbps=25.6,25.60000000001"),
                  ("hex", "array.rows=16,0x10"),
                  ("units", "buffers.input.size_bytes=256KiB,262144"),
                  ("clock", "clock_hz=1GHz,1e9")]:
    case(f"sweep-duplicate-after-normalisation-{did}", 7,
         ("sweep", "--model", "t.yaml", "-j", "1", "--set", item, "-o", "s.csv"),
         {"t.yaml": TINY}, must=("--set", item.split("=")[0]), owner="h14b",
         check=lambda d, r: _assert_eq((d / "s.csv").exists(), False))
case("sweep-output-locked", 7, ("sweep", "--model", "t.yaml", "-j", "1", "-o", "s.csv"),
     {"t.yaml": TINY, "s.csv": "old\n"}, must=("--output", "s.csv", "another sweep"),
     owner="h14b", prepare=lambda d: _hold_lock(d / "s.csv"),
     check=lambda d, r: _assert_eq((d / "s.csv").read_text(), "old\n"))
case("sweep-json-column-order", 7, ("sweep", "--model", "t.yaml", "-j", "1", "--set",
                                    "array.rows=8,16", "--set", "array.cols=8", "-o", "s.csv"),
     {"t.yaml": TINY}, codes=(0,), owner="h14b",
     check=lambda d, r: _assert_in("array.rows,array.cols,status",
                                   (d / "s.csv").read_text().splitlines()[0]))

# ------------------------------------------------------------------ 8. valid input refused
BUF = ("  input:  {size_bytes: 256KiB, banks: 2, read_bytes_per_cycle: 32, "
       "write_bytes_per_cycle: 32}")
same_arch("yaml-merge-key", 8, SOLE.replace(BUF, "  input: &buf {size_bytes: 256KiB, banks: 2, "
                                            "read_bytes_per_cycle: 32, write_bytes_per_cycle: 32}")
          .replace("  weight: {size_bytes: 256KiB, banks: 2, read_bytes_per_cycle: 32, "
                   "write_bytes_per_cycle: 32}", "  weight: {<<: *buf}"), "ref-sole")
same_arch("yaml-merge-key-override", 8, SOLE.replace(BUF, "  input: &buf {size_bytes: 256KiB, "
                                                     "banks: 2, read_bytes_per_cycle: 32, "
                                                     "write_bytes_per_cycle: 32}")
          .replace("  output: {size_bytes: 128KiB, banks: 2, read_bytes_per_cycle: 128, "
                   "write_bytes_per_cycle: 128}", "  output: {<<: *buf, size_bytes: 128KiB, "
                   "read_bytes_per_cycle: 128, write_bytes_per_cycle: 128}"), "ref-sole")
same_arch("yaml-alias", 8, SOLE.replace("  rows: 32", "  rows: &n 32").replace("  cols: 32",
                                                                                 "  cols: *n"),
          "ref-sole")
case("sweep-set-clock-units", 8, ("sweep", "--model", "t.yaml", "-j", "1", "--set",
                                  "clock_hz=1GHz,2GHz", "-o", "s.csv"), {"t.yaml": TINY},
     codes=(0,), check=lambda d, r: _assert_eq(len((d / "s.csv").read_text().splitlines()), 3))
case("sweep-set-size-units", 8, ("sweep", "--model", "t.yaml", "-j", "1", "--set",
                                 "buffers.input.size_bytes=128KiB,256KiB", "-o", "s.csv"),
     {"t.yaml": TINY}, codes=(0,), owner="both")
case("sweep-set-bandwidth-units", 8, ("sweep", "--model", "t.yaml", "-j", "1", *FLAT_DRAM,
                                      "--set", "dram.bandwidth_gbps=10GB/s,20GB/s"),
     {"t.yaml": TINY},
     codes=(0,))

# ------------------------------------------------------------------ 9. too lenient
case("transposed-tensor-shape", 9, (*SIM, "--model", "t.yaml"),
     {"t.yaml": trace(("shape: [32, 16], bits: 8", "shape: [16, 32], bits: 8"))},
     must=("t.yaml", "w"))
case("add-one-operand", 9, (*SIM, "--model", "t.yaml"),
     {"t.yaml": trace(("inputs: [a, b]", "inputs: [a]"), base=ADD)}, must=("t.yaml", "add1"))
case("gemm-k-mismatch", 9, (*SIM, "--model", "t.yaml"), {"t.yaml": trace(("k: 32", "k: 64"))},
     must=("t.yaml",))
case("ref-edge", 0, (*SIMT, "--arch", "edge_16x16"), {"t.yaml": TINY}, codes=(0,), owner="both")
case("two-arch-flags", 9, (*SIMT, "--arch", "sole", "--arch", "edge_16x16"), {"t.yaml": TINY},
     codes=(0, 2), must=("--arch",), same_as="ref-edge")
case("two-set-same-key", 9, (*SIMT, *FLAT_DRAM, "--set", "array.rows=8", "--set", "array.rows=16"),
     {"t.yaml": TINY}, codes=(0, 2), must=("array.rows",), same_as="ref-rows-16")
case("jobs-million", 9, ("sweep", "--model", "t.yaml", "--jobs", "1000000"), {"t.yaml": TINY},
     codes=(0,))
case("jobs-zero", 9, ("sweep", "--model", "t.yaml", "--jobs", "0"), {"t.yaml": TINY},
     must=("--jobs",), owner="both")
case("trace-unknown-kind", 9, (*SIM, "--model", "t.yaml"),
     {"t.yaml": trace(("kind: gemm", "kind: conv9"))}, must=("t.yaml", "kind"), owner="both")
case("trace-missing-schema", 9, (*SIM, "--model", "t.yaml"),
     {"t.yaml": trace(("schema: accelsim.trace/1\n", ""))}, must=("t.yaml",), owner="both")
case("trace-wrong-schema", 9, (*SIM, "--model", "t.yaml"),
     {"t.yaml": trace(("accelsim.trace/1", "accelsim.trace/9"))}, must=("t.yaml", "schema"),
     owner="both")
case("trace-bits-zero", 9, (*SIM, "--model", "t.yaml"),
     {"t.yaml": trace(("bits: 8, dtype: int, role: input", "bits: 0, dtype: int, role: input"))},
     must=("t.yaml", "bits"), owner="both")
case("trace-negative-shape", 9, (*SIM, "--model", "t.yaml"),
     {"t.yaml": trace(("shape: [16, 32]", "shape: [-16, 32]"))}, must=("t.yaml", "shape"),
     owner="both")
case("trace-duplicate-tensor", 9, (*SIM, "--model", "t.yaml"),
     {"t.yaml": trace(("name: w,", "name: x,"))}, must=("t.yaml",), owner="both")
case("trace-unknown-input", 9, (*SIM, "--model", "t.yaml"),
     {"t.yaml": trace(("inputs: [x, w]", "inputs: [x, nope]"))}, must=("t.yaml", "nope"),
     owner="both")
case("trace-undeclared-output", 9, (*SIM, "--model", "t.yaml"),
     {"t.yaml": trace(("outputs: [y]", "outputs: [zz]"))}, must=("t.yaml", "zz"), owner="both")
case("trace-ops-not-list", 9, (*SIM, "--model", "t.yaml"),
     {"t.yaml": TINY.split("ops:")[0] + "ops: {a: 1}\n"}, must=("t.yaml", "ops"), owner="both")
case("trace-op-missing-m", 9, (*SIM, "--model", "t.yaml"),
     {"t.yaml": trace(("m: 16, ", ""))}, must=("t.yaml", "m"), owner="both")
case("trace-m-string", 9, (*SIM, "--model", "t.yaml"),
     {"t.yaml": trace(("m: 16", "m: lots"))}, must=("t.yaml", "m"), owner="both")
case("trace-m-bool", 9, (*SIM, "--model", "t.yaml"),
     {"t.yaml": trace(("m: 16", "m: true"))}, must=("t.yaml", "m"))
case("trace-bad-extension", 9, (*SIM, "--model", "t.txt"), {"t.txt": TINY},
     must=("t.txt",), owner="both")

# ------------------------------------------------------------------ CLI flags (class 3/9)
for fid, argv, must in [
    ("format-unknown", ("simulate", "--model", "t.yaml", "-f", "xml"), ("--format",)),
    ("image-size-zero", (*SIM, "--model", "vit_tiny", "--image-size", "0"), ("--image-size",)),
    ("image-size-text", (*SIM, "--model", "vit_tiny", "--image-size", "abc"), ("--image-size",)),
    ("image-size-not-patch-multiple", (*SIM, "--model", "vit_tiny", "--image-size", "225"),
     ("--image-size",)),
    ("batch-negative", (*SIM, "--model", "vit_tiny", "--batch", "-1"), ("--batch",)),
    ("quant-unknown", (*SIM, "--model", "vit_tiny", "--quant", "w3a3"), ("--quant",)),
    ("override-malformed", (*SIM, "--model", "vit_tiny", "--override", "nonsense"),
     ("--override",)),
    ("image-size-with-trace", (*SIMT, "--image-size", "384"), ("--image-size",)),
    ("group-unknown", ("simulate", "--model", "t.yaml", "--group", "foo"), ("--group",)),
    ("fidelity-unknown", (*SIMT, "--fidelity", "rtl"), ("--fidelity",)),
    ("unknown-option", (*SIMT, "--frobnicate"), ("--frobnicate",)),
    ("output-txt", (*SIMT, "-o", "x.txt"), ("--output", "x.txt")),
    ("format-output-mismatch", (*SIMT, "-o", "x.csv"), ("--format", "x.csv")),
    ("plot-not-png", ("simulate", "--model", "t.yaml", "--plot", "p.jpg"), ("--plot",)),
    ("set-no-equals", (*SIMT, *FLAT_DRAM, "--set", "array.rows"), ("--set",)),
    ("set-unknown-key", (*SIMT, *FLAT_DRAM, "--set", "array.rowz=8"), ("array.rowz",)),
    ("set-empty-value", (*SIMT, *FLAT_DRAM, "--set", "array.rows="), ("array.rows",)),
    ("model-unknown", (*SIM, "--model", "vit_gigantic"), ("--model", "vit_gigantic")),
    ("arch-unknown-name", (*SIMT, "--arch", "nosuch"), ("nosuch",)),
    ("sweep-pe-malformed", ("sweep", "--model", "t.yaml", "--pe", "8x"), ("--pe", "8x")),
    ("sweep-pe-duplicate", ("sweep", "--model", "t.yaml", "--pe", "8x8,8x8"), ("--pe",)),
    ("sweep-pe-normalised-duplicate", ("sweep", "--model", "t.yaml", "--pe", "8x8,08x8"),
     ("--pe",)),
    ("sweep-zip-mismatch", ("sweep", "--model", "t.yaml", "--zip", "--set", "array.rows=8,16",
                            "--set", "array.cols=8,16,32"), ("--zip",)),
    ("sweep-scheduler-bad", ("sweep", "--model", "t.yaml", "--scheduler", "nonsense"),
     ("--scheduler",)),
    ("sweep-empty-list-value", ("sweep", "--model", "t.yaml", "--set", "array.rows=8,,16"),
     ("array.rows",)),
    ("sweep-output-yaml", ("sweep", "--model", "t.yaml", "-o", "s.yaml"), ("--output",)),
    ("sweep-set-twice", ("sweep", "--model", "t.yaml", "--pe", "8x8", "--set", "array.rows=8"),
     ("array.rows",)),
    ("roofline-reference-not-reference", ("roofline", "--model", "t.yaml", "-o", "r.png",
                                          "--reference", "sole"), ("--reference",)),
    ("roofline-image-size-duplicate", ("roofline", "--model", "vit_tiny", "--image-size",
                                       "224,224"), ("--image-size",)),
    ("roofline-output-unsupported", ("roofline", "--model", "t.yaml", "-o", "r.txt"),
     ("--output",)),
    ("accuracy-format-unknown", ("accuracy", "--format", "xml"), ("--format",)),
    ("unknown-command", ("simulat",), ("simulat",)),
]:
    case(fid, 9 if fid.startswith(("sweep-set-twice",)) else 3, argv, {"t.yaml": TINY}, must=must,
         owner="both")

# ------------------------------------------------------------------ valid runs
case("valid-simulate-json", 0, (*SIMT,), {"t.yaml": TINY}, codes=(0,), owner="both",
     check=lambda d, r: _assert_eq(json.loads(r["stdout"])["summary"]["total_cycles"] > 0, True))
case("valid-simulate-check", 0, ("simulate", "--model", "t.yaml", "--check"), {"t.yaml": TINY},
     codes=(0,), owner="both", check=lambda d, r: _assert_in("invariants hold", r["stdout"]))
case("valid-simulate-csv-out", 0, ("simulate", "--model", "t.yaml", "-o", "r.csv"),
     {"t.yaml": TINY}, codes=(0,), owner="both",
     check=lambda d, r: _assert_in("g1", (d / "r.csv").read_text()))
case("valid-simulate-html", 0, ("simulate", "--model", "t.yaml", "-o", "r.html"),
     {"t.yaml": TINY}, codes=(0,), owner="both",
     check=lambda d, r: _assert_in("<html", (d / "r.html").read_text()))
case("valid-trace-out", 0, ("trace", "--model", "t.yaml", "-o", "new/t2.yaml"), {"t.yaml": TINY},
     codes=(0,), owner="both", check=lambda d, r: _assert_in("g1", (d / "new/t2.yaml").read_text()))
case("valid-roofline-csv", 0, ("roofline", "--model", "t.yaml", "-o", "r.csv"), {"t.yaml": TINY},
     codes=(0,), owner="both", check=lambda d, r: _assert_in("g1", (d / "r.csv").read_text()))
case("valid-roofline-reference", 0, ("roofline", "--arch", "rtx4090", "--model", "t.yaml"),
     {"t.yaml": TINY}, codes=(0,), owner="both")
case("valid-sweep-json", 0, ("sweep", "--model", "t.yaml", "-j", "1", "--set", "array.rows=8,16",
                             "-o", "s.json"), {"t.yaml": TINY}, codes=(0,), owner="both",
     check=lambda d, r: _assert_eq([x["status"] for x in json.loads((d / "s.json").read_text())],
                                   ["ok", "ok"]))
case("valid-sweep-plots", 0, ("sweep", "--model", "t.yaml", "-j", "1", "--pe", "8x8,16x16",
                              "--plot-dir", "p"), {"t.yaml": TINY}, codes=(0,), owner="both",
     check=lambda d, r: _assert_png(d / "p" / "sweep_scaling.png"))
case("valid-sweep-resume-complete", 0, ("sweep", "--model", "t.yaml", "-j", "1", "--set",
                                        "array.rows=8,16", "-o", "s.csv", "--resume"),
     {"t.yaml": TINY}, codes=(0,), owner="h14b",
     prepare=lambda d: _previous_sweep(d, "s.csv", ("array.rows=8,16",), None),
     check=lambda d, r: (_assert_unchanged(d, "s.csv"), _assert_in("resumed", r["stdout"])))
case("valid-list", 0, ("list",), codes=(0,), owner="both")
case("valid-csv-topology", 0, (*SIM, "--model", "c.csv"),
     {"c.csv": "Layer, M, N, K,\nl1, 64, 32, 16,\nl2, 8, 8, 8,\n"}, codes=(0,), owner="both")


# ------------------------------------------------------------------ helpers for the cases
def _assert_in(needle: str, text: str) -> None:
    assert needle in text, (needle, text[-2000:])


def _assert_eq(a: Any, b: Any) -> None:
    assert a == b, (a, b)


def _assert_json_file(path: Path) -> None:
    assert json.loads(path.read_text())["summary"]["total_cycles"] > 0


def _assert_png(path: Path) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _assert_unchanged(folder: Path, name: str) -> None:
    """``name`` holds the bytes it had before the case ran (kept as ``.NAME.before``)."""
    assert (folder / name).read_bytes() == (folder / f".{name}.before").read_bytes()


def _edit_line(text: str, number: int, edit: Callable[[str], str]) -> str:
    lines = text.split("\n")
    lines[number] = edit(lines[number])
    return "\n".join(lines)


def _previous_sweep(folder: Path, name: str, sets: tuple[str, ...],
                    damage: Callable[[str], str] | None) -> None:
    """A finished sweep of the tiny trace as ``name`` (a pristine copy as ``fresh.*``), damaged
    by ``damage``; ``.NAME.before`` keeps the damaged bytes for _assert_unchanged."""
    import accelsim.dse.sweep as sw

    fresh = folder / f"fresh{Path(name).suffix}"
    sw.run_sweep("sole", str(folder / "t.yaml"), overrides=list(sets), jobs=1, output=fresh)
    records = [{**r, "model": "t.yaml"} for r in sw.read_records(fresh)]  # as the CLI names it
    sw.write_records(records, fresh)
    text = fresh.read_text()
    damaged = damage(text) if damage else text
    (folder / name).write_text(damaged)
    (folder / f".{name}.before").write_text(damaged)


def _previous_error_row(folder: Path) -> None:
    """A previous run whose second point failed (a since-fixed cause): resume reruns it."""
    import accelsim.dse.sweep as sw
    from accelsim.dse.sweep_files import row_check

    _previous_sweep(folder, "s.csv", ("array.rows=8,16",), None)
    rows = sw.read_records(folder / "s.csv")
    bad = {k: v for k, v in rows[1].items() if k in ("index", "arch", "model", "image_size",
                                                     "batch", "quant", "array.rows")}
    bad.update(status="error", error_type="MappingError", error="earlier failure")
    sw.write_records([rows[0], bad], folder / "s.csv")
    assert row_check(bad)


_LOCKS: list[int] = []


def _hold_lock(path: Path) -> None:
    (folder := path.parent).mkdir(exist_ok=True)
    (folder / f".{path.name}.before").write_bytes(path.read_bytes())
    fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    _LOCKS.append(fd)


# ------------------------------------------------------------------ the runner pool
def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


class Worker:
    """One campaign_runner subprocess; restarted after a case it could not answer."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
        return subprocess.Popen([sys.executable, str(RUNNER)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                                preexec_fn=_limit_memory, cwd=str(ROOT))

    def run(self, argv: list[str], cwd: Path, env: dict[str, str]) -> dict[str, Any]:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        proc = self.proc
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write((json.dumps({"argv": argv, "cwd": str(cwd), "env": env}) + "\n")
                             .encode())
            proc.stdin.flush()
        except BrokenPipeError:
            self.close()
            return {"code": "crash", "stdout": "", "stderr": "", "crash": "worker died"}
        ready, _, _ = select.select([proc.stdout], [], [], WALL_GUARD_S + 30)
        line = proc.stdout.readline() if ready else b""
        if not line:
            self.close()
            return {"code": "timeout" if not ready else "crash", "stdout": "", "stderr": "",
                    "crash": "worker killed: no answer" if not ready else "worker died"}
        return json.loads(line)

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def run_campaign(cases: list[Case], folder: Path, jobs: int = 2) -> dict[str, dict[str, Any]]:
    """Every case in its own folder, ``jobs`` workers at a time; results by case id."""
    workers = [Worker() for _ in range(jobs)]
    free = list(workers)
    lock = threading.Lock()
    results: dict[str, dict[str, Any]] = {}

    def one(c: Case) -> None:
        d = folder / re.sub(r"[^\w.-]", "_", c.id)
        d.mkdir(parents=True, exist_ok=True)
        for name, content in c.files.items():
            (d / name).parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                (d / name).write_bytes(content)
            else:
                (d / name).write_text(content, encoding="utf-8")
        try:
            if c.prepare is not None:
                c.prepare(d)
            for name in c.files:
                before = d / name
                keep = before.with_name(f".{before.name}.before")
                if before.is_file() and not keep.exists():
                    keep.write_bytes(before.read_bytes())
        except Exception as exc:  # noqa: BLE001 - a broken fixture fails that case only
            results[c.id] = {"code": "prepare", "stdout": "", "stderr": "",
                             "crash": f"prepare failed: {type(exc).__name__}: {exc}"}
            return
        with lock:
            worker = free.pop()
        try:
            results[c.id] = {**worker.run(list(c.argv), d, c.env), "folder": str(d)}
        finally:
            with lock:
                free.append(worker)

    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(one, cases))
    finally:
        for w in workers:
            w.close()
        for fd in _LOCKS:
            os.close(fd)
        _LOCKS.clear()
    return results


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return run_campaign(CASES, tmp_path_factory.mktemp("campaign"))


def test_the_campaign_is_large_and_every_class_is_covered() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert len(CASES) >= 150
    assert {c.cls for c in CASES} == set(CLASSES)
    assert all(c.same_as in ids for c in CASES if c.same_as)


def counts_by_class() -> dict[str, int]:
    """Cases per class (quoted in the README's Reliability section)."""
    out: dict[str, int] = {}
    for c in CASES:
        out[f"{c.cls}. {CLASSES[c.cls]}"] = out.get(f"{c.cls}. {CLASSES[c.cls]}", 0) + 1
    return dict(sorted(out.items()))


@pytest.mark.parametrize("c", CASES, ids=[f"c{c.cls}-{c.id}" for c in CASES])
def test_case(c: Case, campaign: dict[str, dict[str, Any]]) -> None:
    r = campaign[c.id]
    err, out = r["stderr"], r["stdout"]
    assert r.get("crash") is None, r["crash"]
    assert "Traceback" not in err and "internal error" not in err, err
    assert r["code"] in c.codes, (r["code"], err[-3000:])
    assert r["cpu_seconds"] <= CPU_LIMIT_S, r["cpu_seconds"]
    lines = err.splitlines()
    if r["code"] != 0:
        assert len(lines) == 1, err[-3000:]
        assert lines[0].startswith("accelsim: error: "), lines[0]
        assert len(lines[0]) <= 2100, len(lines[0])
        for needle in c.must:
            assert needle.lower() in lines[0].lower(), (needle, lines[0])
    elif c.same_as is not None:
        ref = campaign[c.same_as]
        assert ref["code"] == 0, ("reference failed", ref["stderr"])
        assert out == ref["stdout"], "a run that differs from its reference: a silent wrong answer"
    if c.check is not None:
        c.check(Path(r["folder"]), r)
