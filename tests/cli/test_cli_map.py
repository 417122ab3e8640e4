"""`accelsim map` and `simulate --mapping`: a mapping is data, replayed exactly, refused in one
line when it does not fit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from accelsim import build_trace, load_arch, simulate
from accelsim.mapping.io import read_mapping

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "accelsim.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)


def test_map_writes_a_mapping_that_replays_to_the_same_cycles(tmp_path: Path) -> None:
    out = tmp_path / "m.yaml"
    done = run("map", "--model", "vit_tiny", "--image-size", "64", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "block0.fc1" in done.stdout and "resident" in done.stdout
    doc = yaml.safe_load(out.read_text())
    assert doc["schema"] == "accelsim.mapping/1" and doc["batch_order"] == "layer-major"
    fixed = read_mapping(out)
    trace = build_trace("vit_tiny", image_size=64)
    arch = load_arch("sole")
    searched = simulate(arch, trace, record=False)
    replayed = simulate(arch, trace, record=False, mapping=fixed)
    assert replayed.total_cycles == searched.total_cycles
    row = doc["layers"]["block0.fc1"]
    assert row["sim_cycles"] == searched.layer("block0.fc1").cycles
    # an edited tile changes the run
    fixed["block0.fc1"] = (17, 32, 64, "nmk")
    edited = simulate(arch, trace, record=False, mapping=fixed)
    assert "tile 17x32x64" in edited.layer("block0.fc1").tiling


def test_a_mapping_that_does_not_fit_is_refused_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"schema": "accelsim.mapping/1", "layers": {
        "block0.fc1": {"tile": [17, 768, 192], "order": "mnk"}}}))
    done = run("simulate", "--model", "vit_tiny", "--image-size", "64", "--mapping", str(bad))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "bad.yaml: layers.block0.fc1.tile" in lines[0]
    assert "does not fit" in lines[0] and "'weight'" in lines[0]
    bad.write_text("schema: accelsim.mapping/1\nlayers: {nope: {tile: [1, 1, 1]}}\n")
    done = run("simulate", "--model", "vit_tiny", "--image-size", "64", "--mapping", str(bad))
    assert done.returncode == 2 and "layers.nope" in done.stderr


def test_a_bad_fusion_choice_is_refused_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "fusion.yaml"
    bad.write_text("schema: accelsim.mapping/1\nlayers: {block0.fc1: {tile: [17, 32, 64]}}\n"
                   "fusion: {block0.q: {keep_on_chip: false}}\n")
    done = run("simulate", "--model", "vit_tiny", "--image-size", "64", "--mapping", str(bad))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "fusion.yaml: fusion.block0.q" in lines[0]
    assert "keep_on_chip applies to a layernorm" in lines[0]


def test_a_batch_plan_kept_image_major_replays_from_its_file(tmp_path: Path) -> None:
    # ViT-Ti at 128 px, 16 KiB input / 1 MiB weight buffers, batch 2, latency: the composed
    # plan simulates 1,431,214 cycles, above two batch-1 runs' 1,267,042, so every unit runs
    # image-major (1,148,258); the file says image-major at the top, and simulate --mapping
    # plays the units without a GEMM row image-major too, the same run
    out = tmp_path / "b2.yaml"
    sets = ("--set", "buffers.input.size_bytes=16KiB", "--set", "buffers.weight.size_bytes=1MiB")
    done = run("map", "--model", "vit_tiny", "--image-size", "128", "--batch", "2", *sets,
               "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "batch plan kept: image-major: within 2 batch-1 runs" in done.stdout
    assert "composed 1,431,214 cycles" in done.stdout
    assert yaml.safe_load(out.read_text())["batch_order"] == "image-major"
    js = tmp_path / "r.json"
    done = run("simulate", "--model", "vit_tiny", "--image-size", "128", "--batch", "2", *sets,
               "--mapping", str(out), "-o", str(js))
    assert done.returncode == 0, done.stderr
    replayed = json.loads(js.read_text())
    assert replayed["summary"]["total_cycles"] == 1_148_258
    assert replayed["model"]["batch_order"] == "image-major"
