"""simulate's terminal view: at COLUMNS=100 no line is wider; the summary and its why come
first, then the blocks, then the top layers; --layers all|none|top:N; fused epilogues under
their host; user names are never read as rich markup."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from accelsim.analysis.terminal import layer_rows, parse_layers
from accelsim.arch.load import load_arch
from accelsim.cli import app
from accelsim.engine.simulator import simulate
from accelsim.errors import ConfigError
from accelsim.workload.load import load_trace

ARGS = ["simulate", "-m", "vit_tiny", "--image-size", "64"]


def _run(*extra: str, columns: int = 100):
    res = CliRunner().invoke(app, [*ARGS, *extra], env={"COLUMNS": str(columns)})
    assert res.exit_code == 0, res.output
    return res.stdout


@pytest.fixture(scope="module")
def result():
    return simulate(load_arch("sole"), load_trace("vit_tiny", 64, 1, "sole"), record=False)


def test_width_100_summary_first_then_blocks_then_top_layers(result):
    out = _run()
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 100
    summary = out.index("Summary:")
    assert summary < out.index("total cycles") < out.index("why ") < \
        out.index("Per block") < out.index("why block0") < out.index("Top 10 layers")
    assert f"{result.total_cycles:,}" in out
    wide = _run(columns=200)
    assert max(len(line) for line in wide.splitlines()) > 100  # the width is the terminal's


def test_layers_option(result):
    hosts = [x for x in result.layers if not x.fused_into]
    slowest = sorted(hosts, key=lambda x: (-x.cycles, x.start_cycle))[:3]
    out = _run("--layers", "top:3", columns=160)
    assert "Top 3 layers by cycles" in out
    shown = [line.split()[0] for line in out.splitlines()
             if line.split() and line.split()[0] in {x.name for x in hosts}]
    assert shown == [x.name for x in slowest]
    none = _run("--layers", "none")
    assert "layers by cycles" not in none and "Per block" in none
    every = _run("--layers", "all", columns=160)
    assert "Layers (all, in program order)" in every
    assert all(f" {x.name} " in every for x in hosts)
    for bad in ("top:0", "some", "top:x"):
        with pytest.raises(ConfigError):
            parse_layers(bad)
    res = CliRunner().invoke(app, [*ARGS, "--layers", "top:0"])
    assert isinstance(res.exception, ConfigError) and res.exception.key == "--layers"


def test_fused_epilogues_follow_their_host_without_stalls(result):
    rows = layer_rows(result, None)
    fused = [x for x, f in rows if f]
    assert fused and all(x.fused_into for x in fused)
    for i, (x, is_fused) in enumerate(rows):
        if is_fused:  # right after its host or a sibling epilogue of the same host
            prev = rows[i - 1][0]
            assert prev.name == x.fused_into or prev.fused_into == x.fused_into
    out = _run("--layers", "all", columns=160)
    requant = next(line for line in out.splitlines() if "└ q.requant" in line)
    assert "fused" in requant and "%" not in requant  # no cycles, no stall of its own
    top = [x for x, f in layer_rows(result, 10) if not f]
    assert len(top) == 10 and not any(x.fused_into for x in top)


def test_user_names_are_not_rich_markup(tmp_path):
    text = (load_arch("sole").model_dump_json(exclude={"name"}))
    path = tmp_path / "odd.yaml"
    import json

    import yaml

    data = json.loads(text)
    data["name"] = "bold[red]x[/red]"
    path.write_text(yaml.safe_dump(data))
    out = _run("-a", str(path), columns=160)
    assert "bold[red]x[/red]" in out
