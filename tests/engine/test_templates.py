"""Shape templates (Scheduler._templated, plan.Stamp): a group planned as a stamp of an earlier
group of the same shape key equals the group planned afresh, step for step, and both engines
give the same JSON on it as on the plan built without templates."""

from __future__ import annotations

import importlib.util
import random
from dataclasses import replace
from pathlib import Path

import pytest

from accelsim import build_trace, load_arch
from accelsim.analysis.report import result_json
from accelsim.arch.load import arch_from_dict
from accelsim.engine import fast
from accelsim.engine.plan import Stamp
from accelsim.engine.scheduler import Scheduler
from accelsim.engine.simulator import simulate
from accelsim.errors import MappingError


def _random_arch(rng: random.Random) -> dict:
    """benchmarks/fuzz_engine.py's generator of random archs."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "fuzz_engine.py"
    spec = importlib.util.spec_from_file_location("fuzz_engine", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.random_arch(rng)

GROUP_FIELDS = ("index", "ops", "stage_units", "deps", "sram_read_bytes", "sram_write_bytes",
                "onchip_bytes", "units", "tiling")


@pytest.fixture(autouse=True)
def _compiled(monkeypatch) -> None:
    if importlib.util.find_spec("numba") is not None:
        monkeypatch.setenv("ACCELSIM_JIT", "1")


def _plans(arch, trace):
    stamped, fresh = Scheduler(arch, trace), Scheduler(arch, trace, templates=False)
    return stamped, stamped.plan(), fresh, fresh.plan()


@pytest.mark.parametrize(("arch_name", "model", "size", "batch"), [
    ("sole", "vit_base", 224, 1), ("edge_16x16", "deit_small", 224, 1),
    ("tpu_v1_like", "swin_tiny", 224, 1), ("sole", "vit_tiny", 224, 2),
    ("edge_16x16", "bert_base", None, 1)])
def test_stamped_plan_equals_fresh_plan(arch_name, model, size, batch) -> None:
    arch = load_arch(arch_name)
    trace = build_trace(model, image_size=size, batch=batch,
                        seq_len=32 if model == "bert_base" else None)
    a, stamped, b, fresh = _plans(arch, trace)
    assert len(stamped) == len(fresh)
    assert sum(g.stamp is not None for g in stamped) > len(stamped) // 3
    for x, y in zip(stamped, fresh, strict=True):
        for name in GROUP_FIELDS:
            assert getattr(x, name) == getattr(y, name), (x.name, name)
        assert x.n_steps == len(y.steps)
        assert x.hosts() == y.hosts()
        assert x.steps == y.steps, x.name
    assert (a.mappings, a.fusion, a.batch_order) == (b.mappings, b.fusion, b.batch_order)


def test_vit_base_repeats_its_block_shapes() -> None:
    """ViT-B/16 on sole: 135 groups (12 blocks of 11, the patch embedding and its position
    add, the final norm and the head) of 11 shapes: all but the first of each are stamps, and
    a stamp's tiles sit at its own tensors' addresses (block 1's fc1 weight tiles start at its
    weight's base, not at block 0's)."""
    arch, trace = load_arch("sole"), build_trace("vit_base")
    scheduler = Scheduler(arch, trace)
    groups = scheduler.plan()
    assert len(groups) == 135
    assert sum(g.stamp is not None for g in groups) == 124
    fc1 = next(g for g in groups if g.ops[0].name == "block1.fc1")
    assert fc1.stamp is not None and fc1.stamp.template.ops[0].name == "block0.fc1"
    weight = fc1.ops[0].inputs[1]
    base = scheduler.placement[weight].base_bytes
    first = [ld for s in fc1.steps for ld in s.loads if ld.tensor == weight][0]
    assert first.pattern.base_bytes == base
    assert base != scheduler.placement[fc1.stamp.template.ops[0].inputs[1]].base_bytes


@pytest.mark.parametrize("seed", range(5))
def test_stamped_plan_equals_fresh_plan_on_random_configurations(seed) -> None:
    """benchmarks/fuzz_engine.py's random archs (banks, buffers, fusion switches incl.
    residual, SOLE or FP32 units, both DRAM models) on ViT-Ti / DeiT-Ti / Swin-T."""
    rng = random.Random(seed)
    model = rng.choice(["vit_tiny", "deit_tiny", "swin_tiny"])
    size = 224 if model == "swin_tiny" else rng.choice([32, 64, 96])
    trace = build_trace(model, image_size=size, batch=rng.choice([1, 2]),
                        quant=rng.choice(["sole", "w8a8", "w4a4", "fp16"]))
    for _ in range(20):  # the first configuration whose buffers the ops fit
        arch = arch_from_dict(_random_arch(rng), "<fuzz>")
        try:
            _, stamped, _, fresh = _plans(arch, trace)
        except MappingError:
            continue
        assert [g.steps for g in stamped] == [g.steps for g in fresh]
        assert any(g.stamp is not None for g in stamped)
        return
    pytest.fail("no random configuration fit")


@pytest.mark.parametrize(("arch_name", "overrides"), [
    ("sole", {}), ("sole", {"dram.model": "bandwidth"}), ("edge_16x16", {}),
    ("tpu_v1_like", {})])
def test_engines_on_stamps_match_the_fresh_plan(arch_name, overrides) -> None:
    arch = load_arch(arch_name, overrides)
    trace = build_trace("deit_small", image_size=64)
    fresh = Scheduler(arch, trace, templates=False)
    want = result_json(fast.simulate_fast(arch, trace, fresh, fresh.plan()))
    assert result_json(simulate(arch, trace, record=False, engine="fast")) == want
    assert result_json(simulate(arch, trace, record=False, engine="simpy")) == want
    assert result_json(simulate(arch, trace, engine="fast", dram_requests=True)) == \
        result_json(simulate(arch, trace, record=False, engine="simpy", dram_requests=True))


def test_whole_period_shift_keeps_the_template_costs() -> None:
    """A stamp whose tensors all move by whole address-map periods reuses the template's
    DRAM rows (a shift that only renames rows: cost.dram.pattern_shape); they equal the rows
    of its steps flattened afresh at the shifted addresses."""
    arch, trace = load_arch("sole"), build_trace("vit_tiny")
    groups = Scheduler(arch, trace).plan()
    stamp = next(g.stamp for g in groups if g.stamp is not None)
    flat = fast._Flat(arch, groups)
    period = flat.dram.geometry.period_bytes
    assert period > 0
    moved = Stamp(stamp.template, stamp.op_names,
                  {name: (new, 3 * period) for name, (new, _) in stamp.tensors.items()},
                  stamp.write_tensor)
    template = fast._Block(flat, stamp.template)
    by_stamp = template.stamped(moved, flat.dram)
    assert by_stamp.load_dram is template.load_dram  # reused, not recomputed
    group = replace(stamp.template, steps=moved.steps(), stamp=None)
    afresh = fast._Block(flat, group)
    assert (by_stamp.load_dram[:, :4] == afresh.load_dram[:, :4]).all()
    assert (by_stamp.write_dram[:, :4] == afresh.write_dram[:, :4]).all()
    assert by_stamp.moves is not None and len(by_stamp.moves) == len(afresh.moves)


def test_a_shift_inside_the_period_is_priced_at_its_own_addresses() -> None:
    """Bases are 1 MiB aligned (mapping.placement), so bundled stamps move by whole periods;
    a stamp moved by part of one (a half period plus a burst) is priced transfer by transfer,
    equal to its steps flattened afresh at those addresses, and differs from the template
    somewhere (the bank and row walk changed)."""
    arch, trace = load_arch("sole"), build_trace("vit_tiny")
    groups = Scheduler(arch, trace).plan()
    flat = fast._Flat(arch, groups)
    period = flat.dram.geometry.period_bytes
    stamp = next(g.stamp for g in groups if g.stamp is not None and g.ops[0].kind == "gemm")
    moved = Stamp(stamp.template, stamp.op_names,
                  {name: (new, period // 2 + 64 * i)
                   for i, (name, (new, _)) in enumerate(stamp.tensors.items())},
                  stamp.write_tensor)
    template = fast._Block(flat, stamp.template)
    by_stamp = template.stamped(moved, flat.dram)
    afresh = fast._Block(flat, replace(stamp.template, steps=moved.steps(), stamp=None))
    assert (by_stamp.load_dram[:, :4] == afresh.load_dram[:, :4]).all()
    assert (by_stamp.write_dram[:, :4] == afresh.write_dram[:, :4]).all()
    assert (by_stamp.load_dram[:, :4] != template.load_dram[:, :4]).any() or \
        (by_stamp.write_dram[:, :4] != template.write_dram[:, :4]).any()
