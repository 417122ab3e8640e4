"""engine/batch_check.choose: the batch plan kept among simulated candidates, held to b
batch-1 runs in cycles and DRAM bytes (issue 16 guarantee (a)). Hand-made totals."""

from __future__ import annotations

from accelsim.engine.batch_check import Measured, choose, over

LIMIT = Measured("2 batch-1 runs", 100, 1000)


def test_a_plan_over_the_limit_in_cycles_is_not_kept_even_with_fewer_bytes() -> None:
    plans = [Measured("composed", 101, 800), Measured("image-major", 99, 900)]
    assert over(plans[0], LIMIT) == ["cycles"] and over(plans[1], LIMIT) == []
    for objective in ("latency", "energy", "edp"):
        index, why = choose(objective, LIMIT, plans)
        assert index == 1
        assert why.endswith("(composed exceeds 2 batch-1 runs in cycles)")


def test_within_the_limit_the_objective_picks() -> None:
    plans = [Measured("composed", 90, 800), Measured("image-major", 80, 900)]
    assert choose("latency", LIMIT, plans)[0] == 1  # 80 < 90 cycles
    assert choose("energy", LIMIT, plans)[0] == 0  # 800 < 900 B
    # the edp tie (90 x 800 = 80 x 900 = 72,000) goes to fewer bytes
    assert choose("edp", LIMIT, plans)[0] == 0
    assert "best of 2 such plans by the edp objective" in choose("edp", LIMIT, plans)[1]
    # equal on everything: the earlier plan (the composed one) is kept
    same = [Measured("composed", 90, 800), Measured("image-major", 90, 800)]
    assert choose("latency", LIMIT, same)[0] == 0


def test_when_none_is_within_the_least_excess_is_kept() -> None:
    plans = [Measured("composed", 102, 1000), Measured("image-major", 100, 1050)]
    index, why = choose("latency", LIMIT, plans)
    assert index == 0  # exceeds by 2% in cycles; the other by 5% in bytes
    assert why.startswith("composed: no plan is within 2 batch-1 runs; it exceeds least")
    assert over(plans[1], LIMIT) == ["DRAM bytes"]
