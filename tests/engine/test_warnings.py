"""Honest-default warnings, one case each: an unlisted precision rate, defaulted units, a
scheme assuming units the arch lacks, implausible values; none for a bundled arch run as
designed. The CLI prints them on stderr, the result carries them as data."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from accelsim.arch.load import arch_from_dict, load_arch
from accelsim.cli import app
from accelsim.engine.warnings import run_warnings, spec_warnings
from accelsim.workload.load import load_trace

TINY = load_trace("vit_tiny", 64, 1, "sole")
MINIMAL = {"name": "mini", "clock_hz": "1GHz", "dram": {"bandwidth_gbps": 25.6},
           "array": {"rows": 8, "cols": 8, "dataflow": "ws"},
           "buffers": {"unified": {"size_bytes": "256KiB"}}}


@pytest.mark.parametrize("arch", ["sole", "edge_16x16"])
def test_bundled_arch_with_its_scheme_has_no_warning(arch):
    assert run_warnings(load_arch(arch), TINY) == ()


def test_a_precision_without_a_rate_entry():
    (warning, *_) = run_warnings(load_arch("tpu_v1_like"), load_trace("vit_tiny", 64, 1,
                                                                       "fp16"))
    assert "fp16 GEMM operands (98 layers)" in warning
    assert "{int8: 1}" in warning and "1 MAC/PE/cycle" in warning
    w4 = run_warnings(load_arch("tpu_v1_like"), load_trace("vit_tiny", 64, 1, "w4a4"))
    assert any("int4 GEMM operands" in w for w in w4)
    assert not any("int4" in w for w in run_warnings(load_arch("sole"),
                                                      load_trace("vit_tiny", 64, 1, "w4a4")))


def test_defaulted_units_of_a_minimal_arch():
    warnings = spec_warnings(arch_from_dict(MINIMAL, "mini.yaml"))
    assert any("no 'sfu' section" in w and "default SOLE units" in w for w in warnings)
    assert any("macs_per_pe_per_cycle not given" in w for w in warnings)
    explicit = arch_from_dict({**MINIMAL, "sfu": {"kind": "sole"},
                               "array": {**MINIMAL["array"],
                                         "macs_per_pe_per_cycle": {"int8": 1}}}, "m.yaml")
    assert spec_warnings(explicit) == ()
    no_kind = arch_from_dict({**MINIMAL, "sfu": {"vector": {"lanes": 8}}}, "m.yaml")
    assert any("sfu.kind not given" in w for w in spec_warnings(no_kind))


def test_a_scheme_assuming_units_the_arch_lacks():
    warnings = run_warnings(load_arch("tpu_v1_like"), TINY)
    assert len(warnings) == 1 and "scheme 'sole' assumes E2Softmax/AILayerNorm" in warnings[0]
    assert "sfu.kind: fp32" in warnings[0]
    fp = run_warnings(load_arch("sole"), load_trace("vit_tiny", 64, 1, "fp16"))
    assert any("float softmax/LayerNorm inputs to SOLE's integer units" in w for w in fp)


@pytest.mark.parametrize("override, needle", [
    ("clock_hz=1000", "clock_hz = 1000 Hz is physically implausible"),
    ("dram.bandwidth_gbps=0.01", "dram.bandwidth_gbps = 0.01 GB/s is physically implausible"),
    ("dram.latency_ns=0.1", "dram.latency_ns = 0.1 ns"),
    ("buffers.input.size_bytes=512", "buffers.input = 512 B is physically implausible"),
])
def test_physically_implausible_values(override, needle):
    flat = ["dram.model=bandwidth"] if override.startswith("dram.bandwidth_gbps") else []
    warnings = spec_warnings(load_arch("sole", [*flat, override]))
    assert len(warnings) == 1 and needle in warnings[0]


def test_the_result_carries_them_and_the_cli_prints_them_on_stderr(tmp_path):
    from accelsim.engine.simulator import simulate

    result = simulate(load_arch("sole", ["clock_hz=1e6"]), TINY, record=False)
    assert result.warnings == ()
    slow = simulate(load_arch("sole", ["clock_hz=1000"]), TINY, record=False)
    assert len(slow.warnings) == 1 and slow.to_dict()["warnings"] == list(slow.warnings)
    res = CliRunner().invoke(app, ["simulate", "-a", "tpu_v1_like", "-m", "vit_tiny",
                                   "--image-size", "64", "-f", "json"])
    assert res.exit_code == 0
    assert "accelsim: warning: tpu_v1_like: scheme 'sole' assumes" in res.stderr
    assert "warning" not in res.stdout.split('"warnings"')[0]  # stdout stays pure JSON
