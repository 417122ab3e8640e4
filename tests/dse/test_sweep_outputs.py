"""Sweep outputs checked before anything runs: ``-o`` (a .csv/.json file path), ``--plot-dir``
(a folder) and ``--resume`` (a file written by this same sweep). A bad one is one error line,
exit code 2, no simulation, and the files already there untouched.

CLI cases run in-process through ``accelsim.cli.main`` (what the console script calls: it
turns AccelsimError into the one line and exit code 2; typer's CliRunner on ``cli.app`` would
only show the exception); one case also runs as a real process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import accelsim.dse.sweep as sw
from accelsim.errors import ConfigError

#: the previous run every --resume case starts from: 4 points, vit_tiny (~0.6 s)
PREVIOUS = ("--model", "vit_tiny", "--pe", "16x16,32x32", "--quant", "sole,w8a8")


@pytest.fixture(scope="module")
def previous_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("previous") / "sweep.csv"
    sw.run_sweep("sole", "vit_tiny", pe="16x16,32x32", quant="sole,w8a8", jobs=1, output=path)
    return path


@pytest.fixture
def no_simulation(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Points handed to the sweep's workers (each chunk of points not resumed goes through
    run_chunk, with the source, engine and memo flag after the points)."""
    calls: list[object] = []
    monkeypatch.setattr(sw, "run_chunk", lambda points, *rest: calls.extend(points) or [])
    return calls




def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its bytes (None for folders)."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def assert_refused(args: list[str], must: tuple[str, ...], folder: Path,
                   monkeypatch: pytest.MonkeyPatch,
                   calls: list[object], run_cli) -> str:
    """The sweep exits 2 with one error line naming ``must``, simulates nothing and leaves
    ``folder`` exactly as it was."""
    monkeypatch.chdir(folder)
    before = snapshot(folder)
    code, _, err = run_cli(["sweep", *args, "--jobs", "1"])
    assert code == 2, err
    (line,) = err.splitlines()
    assert line.startswith("accelsim: error: ") and "Traceback" not in err
    for needle in must:
        assert needle in line, (needle, line)
    assert calls == []
    assert snapshot(folder) == before
    return line


# ------------------------------------------------------------------------------- -o
@pytest.mark.parametrize("output, must", [
    ("plots", ("--output", "plots is a directory", ".csv or .json")),
    ("plain.csv/s.csv", ("--output", "cannot create plain.csv/s.csv", "plain.csv is a file")),
    ("plain.csv/deeper/s.csv", ("--output", "plain.csv is a file")),
    ("out.yaml", ("--output", "out.yaml", "unknown file type", ".csv or .json")),
    ("noext", ("--output", "noext", "unknown file type")),
    ("s.csv.txt", ("--output", "s.csv.txt", "unknown file type")),
], ids=["existing-directory", "parent-is-a-file", "ancestor-is-a-file", "yaml", "no-suffix",
        "txt"])
def test_bad_output_is_refused_before_running(output, must, tmp_path, monkeypatch, run_cli,
                                              no_simulation):
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "keep.png").write_bytes(b"user data")
    (tmp_path / "plain.csv").write_text("a,b\n1,2\n")
    assert_refused(["--model", "vit_tiny", "--pe", "8x8", "-o", output], must, tmp_path,
                   monkeypatch, no_simulation, run_cli)


def test_existing_directory_as_output_through_the_console_script(tmp_path):
    (tmp_path / "plots").mkdir()
    proc = subprocess.run([sys.executable, "-m", "accelsim.cli", "sweep", "--model", "vit_tiny",
                           "--pe", "8x8", "-o", "plots"], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == ("accelsim: error: --output: plots is a directory; expected a path "
                           "ending in .csv or .json\n")
    assert [p.name for p in tmp_path.iterdir()] == ["plots"]  # no plots.tmp


def test_write_records_refuses_a_suffix_it_cannot_write(tmp_path):
    with pytest.raises(ConfigError, match="unknown file type"):
        sw.write_records([{"index": 0}], tmp_path / "s.yaml")
    assert list(tmp_path.iterdir()) == []


def test_missing_parent_folders_are_created(tmp_path, monkeypatch, run_cli):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["sweep", "--model", "vit_tiny", "--pe", "16x16", "--jobs", "1",
                            "-o", "new/deeper/s.json"])
    assert (code, err) == (0, "")
    assert [r["pe"] for r in sw.read_records(tmp_path / "new/deeper/s.json")] == ["16x16"]
    records = sw.run_sweep("sole", "vit_tiny", pe="16x16", jobs=1, output=tmp_path / "a/s.csv",
                           plot_dir=tmp_path / "b/plots")
    assert (tmp_path / "a/s.csv").is_file() and not (tmp_path / "b").exists()
    from accelsim.dse.sweep_plots import PLOT_FILES, save_plots

    assert [p.name for p in save_plots(records, tmp_path / "b/plots")] == list(PLOT_FILES)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_is_refused(tmp_path, no_simulation):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ConfigError, match="permission denied") as err:
            sw.run_sweep("sole", "vit_tiny", pe="8x8", output=locked / "new" / "s.csv")
        assert err.value.key == "--output" and no_simulation == []
    finally:
        locked.chmod(0o700)


# ------------------------------------------------------------------------------- --plot-dir
@pytest.mark.parametrize("plot_dir, must", [
    ("sweep.csv", ("--plot-dir", "sweep.csv is a file", "a folder")),
    ("sweep.csv/plots", ("--plot-dir", "cannot create sweep.csv/plots", "sweep.csv is a file")),
    ("out/s.csv", ("--plot-dir", "out/s.csv is also the -o file")),
    ("taken", ("--plot-dir", "taken/sweep_pareto.png", "is a directory")),
], ids=["existing-file", "parent-is-a-file", "same-as-output", "plot-name-taken"])
def test_bad_plot_dir_is_refused_before_running(plot_dir, must, tmp_path, monkeypatch,
                                                no_simulation):
    (tmp_path / "sweep.csv").write_text("user data\n")
    (tmp_path / "taken" / "sweep_pareto.png").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(ConfigError) as err:
        sw.run_sweep("sole", "vit_tiny", pe="8x8", output="out/s.csv", plot_dir=plot_dir)
    assert err.value.key == "--plot-dir"
    for needle in must:
        assert needle in str(err.value), (needle, str(err.value))
    assert no_simulation == [] and snapshot(tmp_path) == before


def test_plot_dir_that_is_a_file_through_the_cli(tmp_path, monkeypatch, run_cli, no_simulation):
    (tmp_path / "sweep.csv").write_text("user data\n")
    assert_refused(["--model", "vit_tiny", "--pe", "8x8", "--plot-dir", "sweep.csv"],
                   ("--plot-dir", "sweep.csv is a file"), tmp_path, monkeypatch, no_simulation,
                   run_cli)


# ------------------------------------------------------------------------------- --resume
@pytest.mark.parametrize("args, must", [
    (("--model", "vit_tiny", "--set", "dram.latency_ns=120"),
     ("its parameters are model, image_size, batch, quant, pe,",
      "this sweep's are model, image_size, batch, quant, dram.latency_ns")),
    (("--model", "vit_tiny", "--pe", "16x16,32x32"),
     ("row index 2 (model=vit_tiny, image_size=224, batch=1, quant=w8a8, pe=16x16)",
      "is not a point of this grid")),
    (("--model", "vit_tiny", "--pe", "16x16,64x64", "--quant", "sole,w8a8"),
     ("row index 1", "pe=32x32", "not a point of this grid")),
    (("--model", "vit_base", "--pe", "16x16,32x32", "--quant", "sole,w8a8"),
     ("row index 0 (model=vit_tiny", "not a point of this grid")),
    (("--arch", "edge_16x16", *PREVIOUS), ("it ran arch sole, this sweep runs edge_16x16",)),
], ids=["other-parameters", "fewer-points", "other-values", "other-model", "other-arch"])
def test_resume_refuses_a_file_of_another_sweep(args, must, previous_run, tmp_path, monkeypatch,
                                                run_cli, no_simulation):
    shutil.copy(previous_run, tmp_path / "sweep.csv")
    line = assert_refused([*args, "-o", "sweep.csv", "--resume"],
                          ("--resume: sweep.csv is not a run of this sweep", *must), tmp_path,
                          monkeypatch, no_simulation, run_cli)
    assert line.endswith("expected the flags of the run that wrote it, or another -o file")


@pytest.mark.parametrize("name, text, must", [
    ("sweep.csv", "name,score\nalice,3\n", "it has no arch and status columns"),
    ("sweep.json", '{"index": 0}\n', "not a list of sweep records"),
    ("sweep.json", "[{\"index\": 0,", "cannot read the previous run"),
    ("sweep.csv", b"\xff\xfe\x00bad\n", "cannot read the previous run"),
], ids=["csv-not-a-sweep", "json-not-a-list", "json-truncated", "not-utf8"])
def test_resume_refuses_a_file_that_is_not_a_sweep(name, text, must, tmp_path, monkeypatch,
                                                   run_cli, no_simulation):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    assert_refused([*PREVIOUS, "-o", name, "--resume"], ("--resume", name, must), tmp_path,
                   monkeypatch, no_simulation, run_cli)


def test_resume_refuses_a_point_listed_twice(previous_run, tmp_path, monkeypatch, run_cli,
                                             no_simulation):
    header, first, *rest = previous_run.read_text().splitlines()
    (tmp_path / "sweep.csv").write_text("\n".join([header, first, *rest, first]) + "\n")
    assert_refused([*PREVIOUS, "-o", "sweep.csv", "--resume"],
                   ("--resume", "row index 0", "pe=16x16", "appears twice"), tmp_path,
                   monkeypatch, no_simulation, run_cli)


def test_resume_without_a_file_is_refused_by_the_library(no_simulation):
    with pytest.raises(ConfigError, match="--resume needs the file of a previous run"):
        sw.run_sweep("sole", "vit_tiny", pe="8x8", resume=True)
    assert no_simulation == []


def test_resume_of_the_same_sweep_runs_nothing(previous_run, tmp_path, monkeypatch,
                                               no_simulation, run_cli):
    shutil.copy(previous_run, tmp_path / "sweep.csv")
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["sweep", *PREVIOUS, "-o", "sweep.csv", "--resume"])
    assert (code, err) == (0, "") and no_simulation == []
    assert (tmp_path / "sweep.csv").read_bytes() == previous_run.read_bytes()


def test_resume_accepts_the_set_flags_in_another_order(tmp_path, no_simulation):
    path = tmp_path / "s.csv"
    sets = ["array.rows=16", "dram.latency_ns=120"]
    sw.write_records([{"index": 0, "arch": "sole", "model": "vit_tiny", "image_size": 224,
                       "batch": 1, "quant": "sole", "array.rows": 16,
                       "dram.latency_ns": 120, "status": "ok"}], path)
    (record,) = sw.run_sweep("sole", "vit_tiny", overrides=sets[::-1], output=path, resume=True)
    assert record["resumed"] and no_simulation == []


def test_the_stand_in_sees_every_point_a_sweep_runs(no_simulation):
    # the refusals above assert no_simulation == []: it must see the points a sweep runs
    sw.run_sweep("sole", "vit_tiny", pe="8x8,16x16", quant="sole,w8a8", jobs=1)
    assert [p.index for p in no_simulation] == [0, 1, 2, 3]
