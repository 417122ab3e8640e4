"""Bad input through the CLI: every case exits non-zero with exactly one line on stderr that
names the file and/or the field, and no traceback; ``--debug`` shows the traceback.

The matrix runs in-process (``accelsim.cli.main`` with ``sys.argv`` patched, SystemExit caught):
``test_in_process_matches_the_console_script`` checks on a few cases that this prints exactly
what ``python -m accelsim.cli`` prints.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from accelsim import cli
from accelsim.errors import AccelsimError

GOOD_TRACE = """\
schema: accelsim.trace/1
name: two_gemms
tensors:
- {name: x, shape: [4, 8], bits: 8, role: input}
- {name: w1, shape: [8, 16], bits: 8, role: weight}
- {name: y1, shape: [4, 16], bits: 8}
- {name: w2, shape: [16, 8], bits: 8, role: weight}
- {name: y2, shape: [4, 8], bits: 8}
ops:
- {name: g1, kind: gemm, m: 4, n: 16, k: 8, inputs: [x, w1], outputs: [y1]}
- {name: g2, kind: gemm, m: 4, n: 8, k: 16, inputs: [y1, w2], outputs: [y2]}
"""

GOOD_ARCH = """\
name: tiny
clock_hz: 1GHz
array: {rows: 8, cols: 8, dataflow: ws}
buffers:
  input: {size_bytes: 16KiB}
  weight: {size_bytes: 16KiB}
  output: {size_bytes: 16KiB}
dram: {bandwidth_gbps: 10}
"""


@dataclass(frozen=True)
class Case:
    """One bad input: CLI args (``{f}`` is the written file), the file, what the line names."""

    id: str
    args: tuple[str, ...]
    must_name: tuple[str, ...]
    file_text: str | bytes | None = None
    file_name: str = "bad.yaml"
    prepare: Callable[[Path], None] | None = None


def arch_case(id: str, text: str, *must: str, extra: tuple[str, ...] = ()) -> Case:
    return Case(id, ("simulate", "--arch", "{f}", "--model", "{trace}", *extra),
                ("bad.yaml", *must), text)


def trace_case(id: str, text: str, *must: str, name: str = "bad.yaml") -> Case:
    return Case(id, ("simulate", "--arch", "sole", "--model", "{f}"), (name, *must), text, name)


def set_case(id: str, *items: str, must: tuple[str, ...]) -> Case:
    sets = [a for item in items for a in ("--set", item)]
    return Case(id, ("simulate", "--model", "{trace}", *sets), must)


def model_case(id: str, *args: str, must: tuple[str, ...]) -> Case:
    return Case(id, ("trace", *args), must)


def _unreadable(path: Path) -> None:
    path.write_text(GOOD_ARCH)
    path.chmod(0)


CASES = [
    # ---------------------------------------------------------------- arch files
    arch_case("arch-malformed-yaml", "name: x\narray: {rows: 8, cols: [\n", "malformed YAML",
              "line"),
    arch_case("arch-python-tag", "name: !!python/object/apply:os.system ['echo pwned']\n",
              "malformed YAML", "python/object"),
    arch_case("arch-top-level-list", "- 1\n- 2\n", "expected a mapping"),
    arch_case("arch-empty-file", "", "expected a mapping"),
    arch_case("arch-duplicate-key", GOOD_ARCH + "clock_hz: 2GHz\n", "duplicate key 'clock_hz'"),
    arch_case("arch-unknown-key", GOOD_ARCH + "clocks_hz: 1\n", "clocks_hz", "unknown key"),
    arch_case("arch-unknown-nested-key", GOOD_ARCH.replace("dataflow: ws", "dataflow: ws, rowz: 2"),
              "array.rowz", "unknown key"),
    # a typo also leaves the real field missing: the unknown key and its hint are reported first
    arch_case("arch-typo-of-required-key", GOOD_ARCH.replace("rows: 8", "rowz: 8"),
              "array.rowz", "did you mean 'rows'?"),
    arch_case("arch-wrong-type", GOOD_ARCH.replace("rows: 8", "rows: many"), "array.rows",
              "'many'"),
    arch_case("arch-negative-size", GOOD_ARCH.replace("input: {size_bytes: 16KiB}",
                                                      "input: {size_bytes: -1}"),
              "buffers.input.size_bytes", "-1"),
    arch_case("arch-bad-unit", GOOD_ARCH.replace("clock_hz: 1GHz", "clock_hz: 1 parsec"),
              "clock_hz"),
    arch_case("arch-missing-dram", GOOD_ARCH.replace("dram: {bandwidth_gbps: 10}\n", ""),
              "dram", "Field required"),
    arch_case("arch-unified-and-split", GOOD_ARCH.replace(
        "buffers:\n", "buffers:\n  unified: {size_bytes: 1MiB}\n"), "buffers", "either"),
    arch_case("arch-not-utf8", b"name: \xff\xfe\x00bad\n", "not UTF-8 text"),
    Case("arch-directory", ("simulate", "--arch", "{dir}", "--model", "{trace}"),
         ("is a directory",)),
    Case("arch-missing-file", ("simulate", "--arch", "{tmp}/nope.yaml", "--model", "{trace}"),
         ("nope.yaml", "file not found")),
    Case("arch-unknown-name", ("simulate", "--arch", "sol", "--model", "{trace}"),
         ("unknown architecture 'sol'", "did you mean 'sole'?")),
    Case("arch-reference-device", ("simulate", "--arch", "rtx4090", "--model", "{trace}"),
         ("rtx4090", "roofline")),
    Case("arch-unreadable", ("simulate", "--arch", "{f}", "--model", "{trace}"),
         ("bad.yaml", "cannot read file"), prepare=_unreadable),
    # ---------------------------------------------------------------- --set overrides
    set_case("set-zero-rows", "array.rows=0",
             must=("--set array.rows", "outside the documented range [1, 65536]")),
    set_case("set-banks-zero", "buffers.input.banks=0", must=("--set buffers.input.banks",)),
    set_case("set-banks-nine", "buffers.weight.banks=9", must=("--set buffers.weight.banks",)),
    set_case("set-dataflow-typo", "array.dataflow=wss", must=("--set array.dataflow", "'wss'")),
    set_case("set-huge-rows", "array.rows=1000000000000", must=("--set array.rows",)),
    set_case("set-nan-clock", "clock_hz=.nan", must=("--set clock_hz",)),
    set_case("set-zero-bandwidth", "dram.bandwidth_gbps=0", must=("--set dram.bandwidth_gbps",)),
    set_case("set-efficiency-above-1", "dram.efficiency=2", must=("--set dram.efficiency",)),
    set_case("set-no-equals", "array.rows", must=("--set", "KEY.PATH=VALUE")),
    set_case("set-empty-path-part", "array..rows=3", must=("--set", "KEY.PATH=VALUE")),
    set_case("set-unknown-path", "nosuch.key=1", must=("--set nosuch", "unknown key")),
    set_case("set-inside-a-value", "array.rows.x=3", must=("array.rows.x", "'array.rows'")),
    # the mapping space includes sub-fold tiles (down to one element), so a buffer is too
    # small only when one bank cannot hold a single int32 partial sum
    set_case("set-buffer-too-small", "buffers.output.size_bytes=6",
             must=("buffer 'output'", "op 'g1'", "buffers.output.size_bytes")),
    # ---------------------------------------------------------------- trace files
    trace_case("trace-malformed-yaml", "schema: [accelsim.trace/1\n", "malformed YAML"),
    trace_case("trace-python-tag", GOOD_TRACE.replace(
        "name: two_gemms", "name: !!python/object/new:os.system [ls]"), "malformed YAML"),
    trace_case("trace-wrong-schema", GOOD_TRACE.replace("accelsim.trace/1", "v0"), "schema",
               "'v0'"),
    trace_case("trace-unknown-key", GOOD_TRACE + "extra: 1\n", "extra", "unknown key"),
    trace_case("trace-missing-field", GOOD_TRACE.replace("m: 4, n: 16, ", "n: 16, "),
               "ops[0].m", "missing field"),
    trace_case("trace-wrong-type", GOOD_TRACE.replace("shape: [4, 8]", "shape: four"),
               "tensors[0].shape", "'four'"),
    trace_case("trace-bool-dim", GOOD_TRACE.replace("m: 4, n: 16", "m: true, n: 16"),
               "ops.g1.m", "True"),
    trace_case("trace-zero-dim", GOOD_TRACE.replace("m: 4, n: 16", "m: 0, n: 16"),
               "ops.g1.m", "positive"),
    trace_case("trace-huge-dim", GOOD_TRACE.replace("m: 4, n: 16", f"m: {2**50}, n: 16"),
               "ops.g1.m"),
    trace_case("trace-unknown-kind", GOOD_TRACE.replace("kind: gemm", "kind: gemn", 1),
               "ops[0].kind", "did you mean 'gemm'?"),
    trace_case("trace-inconsistent-k", GOOD_TRACE.replace(
        "m: 4, n: 8, k: 16", "m: 4, n: 8, k: 12").replace("shape: [16, 8]", "shape: [12, 8]"),
        "ops.g2.inputs[0]", "inconsistent shape", "'y1'"),
    trace_case("trace-dangling-tensor", GOOD_TRACE.replace("inputs: [y1, w2]",
                                                           "inputs: [y9, w2]"),
               "ops.g2.inputs[0]", "unknown tensor", "'y9'"),
    trace_case("trace-cycle", GOOD_TRACE.replace("inputs: [x, w1]", "inputs: [y2, w1]"),
               "ops.g1.inputs[0]", "cycle", "'y2'"),
    trace_case("trace-empty", GOOD_TRACE.split("ops:")[0] + "ops: []\n", "trace has no ops"),
    trace_case("trace-csv-missing-column", "Layer, M, N, K,\nl1, 4, 8\n", "line 2",
               "the header has 4", name="bad.csv"),
    trace_case("trace-csv-not-integer", "Layer, M, N, K,\nl1, 4, x, 8,\n", "line 2",
               "positive integer", name="bad.csv"),
    trace_case("trace-csv-negative", "Layer, M, N, K,\nl1, 4, -8, 8,\n", "line 2", "positive",
               name="bad.csv"),
    trace_case("trace-csv-header-only", "Layer, M, N, K,\n", "at least one layer",
               name="bad.csv"),
    Case("trace-missing-file", ("simulate", "--model", "{tmp}/gone.yaml"),
         ("gone.yaml", "file not found")),
    Case("trace-directory", ("simulate", "--model", "{dir}.yaml"), ("is a directory",),
         prepare=lambda p: p.with_name("dir.yaml").mkdir()),
    # ---------------------------------------------------------------- models and options
    model_case("model-unknown", "--model", "vit_tiyn",
               must=("--model", "did you mean 'vit_tiny'?")),
    model_case("model-huge-batch", "--model", "vit_tiny", "--batch", "1000000000",
               must=("--batch", "1000000000")),
    model_case("model-huge-image", "--model", "vit_tiny", "--image-size", "1000000",
               must=("--image-size", "1000000")),
    model_case("model-zero-batch", "--model", "vit_tiny", "--batch", "0", must=("--batch",)),
    model_case("model-unknown-quant", "--model", "vit_tiny", "--quant", "w3a3", must=("w3a3",)),
    model_case("model-bad-override", "--model", "vit_tiny", "--override", "head.*",
               must=("--override", "OP_GLOB=SCHEME")),
    Case("simulate-bad-format", ("simulate", "--model", "{trace}", "--format", "xml"),
         ("--format", "'xml'")),
    Case("simulate-bad-fidelity", ("simulate", "--model", "{trace}", "--fidelity", "exact"),
         ("--fidelity", "'exact'")),
    Case("simulate-output-is-a-directory", ("simulate", "--model", "{trace}", "-f", "json",
                                            "-o", "{dir}.json"), ("dir.json", "is a directory"),
         prepare=lambda p: p.with_name("dir.json").mkdir()),
    Case("simulate-output-unknown-type", ("simulate", "--model", "{trace}", "-o", "{tmp}/r.svg"),
         ("--output", "r.svg", "unsupported output file type")),
    Case("simulate-format-vs-output", ("simulate", "--model", "{trace}", "-f", "json",
                                       "-o", "{tmp}/r.csv"), ("--output", "--format json")),
    Case("simulate-override-matches-nothing", ("simulate", "--model", "vit_tiny",
                                               "--override", "haed.*=w8a8"),
         ("--override", "matches no op")),
    Case("trace-output-is-a-directory", ("trace", "--model", "vit_tiny", "-o", "{dir}.yaml"),
         ("dir.yaml", "is a directory"), prepare=lambda p: p.with_name("dir.yaml").mkdir()),
    Case("simulate-plot-is-a-directory", ("simulate", "--model", "{trace}", "--plot",
                                          "{dir}.png"), ("dir.png", "is a directory"),
         prepare=lambda p: p.with_name("dir.png").mkdir()),
    Case("simulate-plot-not-png", ("simulate", "--model", "{trace}", "--plot", "{tmp}/b.jpg"),
         ("--plot", "b.jpg")),
    Case("simulate-group-with-json", ("simulate", "--model", "{trace}", "-f", "json",
                                      "--group", "block"), ("--group", "--format table")),
    Case("image-size-not-a-number", ("simulate", "--model", "vit_tiny", "--image-size", "abc"),
         ("--image-size", "valid integer")),
    Case("unknown-option", ("simulate", "--model", "vit_tiny", "--bogus"),
         ("No such option: --bogus",)),
    Case("output-under-a-file", ("simulate", "--model", "{trace}", "-o", "{trace}/x.json"),
         ("is a file, not a folder",)),
    Case("trace-file-with-quant", ("simulate", "--model", "{trace}", "--quant", "w4a4"),
         ("--quant", "built-in models only")),
    Case("trace-file-with-override", ("simulate", "--model", "{trace}", "--override",
                                      "zzz=w4a4"), ("--override", "built-in models only")),
    Case("trace-output-not-yaml", ("trace", "--model", "vit_tiny", "-o", "{tmp}/t.csv"),
         ("--output", "t.csv", ".yaml")),
    Case("roofline-format-vs-output", ("roofline", "--model", "{trace}", "-f", "csv", "-o",
                                       "{tmp}/r.json"), ("--output", "--format csv")),
    Case("arch-path-not-found", ("simulate", "--arch", "./nonexist.yaml", "--model", "{trace}"),
         ("nonexist.yaml", "file not found")),
    Case("roofline-reference-without-png", ("roofline", "--model", "{trace}", "--reference",
                                            "rtx4090"), ("--reference", "-o PATH.png")),
    Case("roofline-bad-image-size", ("roofline", "--model", "vit_tiny", "--image-size", "224,x"),
         ("--image-size", "'224,x'")),
    Case("roofline-sizes-with-a-figure", ("roofline", "--model", "vit_tiny", "--image-size",
                                          "224,384", "-o", "r.png"), ("--image-size", "one size")),
    # ---------------------------------------------------------------- sweep specs
    Case("sweep-bad-pe", ("sweep", "--model", "{trace}", "--pe", "8y8"), ("--pe", "'8y8'")),
    Case("sweep-zero-pe", ("sweep", "--model", "{trace}", "--pe", "0x8"), ("--pe", "'0x8'")),
    Case("sweep-set-no-values", ("sweep", "--model", "{trace}", "--set", "array.rows"),
         ("--set", "KEY.PATH=V1,V2")),
    Case("sweep-set-empty-value", ("sweep", "--model", "{trace}", "--set", "array.rows="),
         ("--set array.rows", "empty value")),
    Case("sweep-set-unknown-key", ("sweep", "--model", "{trace}", "--set", "nosuch.x=1,2"),
         ("--set nosuch.x", "unknown key")),
    Case("sweep-bad-batch-list", ("sweep", "--model", "{trace}", "--batch", "1,x"),
         ("--batch", "'x'")),
]


def _materialise(case: Case, tmp_path: Path) -> list[str]:
    (tmp_path / "dir").mkdir(exist_ok=True)
    trace = tmp_path / "good.yaml"
    trace.write_text(GOOD_TRACE)
    target = tmp_path / case.file_name
    if isinstance(case.file_text, bytes):
        target.write_bytes(case.file_text)
    elif case.file_text is not None:
        target.write_text(case.file_text)
    if case.prepare is not None:
        case.prepare(target)
    subs = {"{f}": str(target), "{trace}": str(trace), "{dir}": str(tmp_path / "dir"),
            "{tmp}": str(tmp_path)}
    out = []
    for arg in case.args:
        for key, value in subs.items():
            arg = arg.replace(key, value)
        out.append(arg)
    return out




def run_process(args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "150"}
    return subprocess.run([sys.executable, "-m", "accelsim.cli", *args], capture_output=True,
                          text=True, timeout=120, env=env)


def test_matrix_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_clear_line(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     run_cli) -> None:
    if case.prepare is _unreadable and os.geteuid() == 0:
        pytest.skip("root reads files without read permission")
    args = _materialise(case, tmp_path)
    code, _, err = run_cli(args)
    lines = err.splitlines()
    assert code == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith("accelsim: error: "), err
    assert "Traceback" not in err
    for needle in case.must_name:
        assert needle in lines[0], (needle, lines[0])
    if case.id in USAGE_ERRORS:
        return  # click's own usage errors: one line with --debug too, nothing to trace
    # --debug re-raises the error itself (the console script then prints its traceback)
    monkeypatch.setattr(sys, "argv", ["accelsim", "--debug", *args])
    with pytest.raises(AccelsimError):
        cli.main()


#: cases rejected by the command-line parser (click) before accelsim runs
USAGE_ERRORS = {"image-size-not-a-number", "unknown-option"}

SUBPROCESS_CASES = ["arch-python-tag", "set-buffer-too-small", "trace-cycle", "model-unknown"]


def test_in_process_matches_the_console_script(tmp_path: Path, run_cli) -> None:
    by_id = {c.id: c for c in CASES}
    for case_id in SUBPROCESS_CASES:
        folder = tmp_path / case_id
        folder.mkdir()
        args = _materialise(by_id[case_id], folder)
        code, out, err = run_cli(args)
        proc = run_process(args)
        assert (proc.returncode, proc.stdout, proc.stderr) == (code, out, err), case_id


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    args = _materialise(next(c for c in CASES if c.id == "trace-inconsistent-k"), tmp_path)
    proc = run_process(["--debug", *args])
    assert proc.returncode != 0
    assert "Traceback (most recent call last)" in proc.stderr
    assert "TraceError" in proc.stderr


def test_yaml_never_executes_code(tmp_path: Path, run_cli) -> None:
    marker = tmp_path / "pwned"
    arch = tmp_path / "evil.yaml"
    arch.write_text(f"name: !!python/object/apply:os.system ['touch {marker}']\n")
    code, _, err = run_cli(["simulate", "--arch", str(arch), "--model", "vit_tiny"])
    assert code == 2
    assert "evil.yaml: malformed YAML" in err
    assert "python/object/apply:os.system" in err
    assert not marker.exists()


def test_output_goes_into_a_new_subfolder_and_nowhere_else(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli) -> None:
    trace = tmp_path / "good.yaml"
    trace.write_text(GOOD_TRACE)
    monkeypatch.chdir(tmp_path)
    before = set(tmp_path.rglob("*"))
    target = tmp_path / "new" / "deeper" / "result.json"
    code, out, err = run_cli(["simulate", "--arch", "sole", "--model", str(trace),
                              "-o", str(target)])
    assert (code, err) == (0, ""), err
    assert target.is_file() and target.read_text().lstrip().startswith("{")
    created = set(tmp_path.rglob("*")) - before
    assert created == {target, target.parent, target.parent.parent}
