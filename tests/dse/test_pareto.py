"""Pareto dominance and exact hypervolume: hand-computed cases and Optuna's WFG as an oracle."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.dse.pareto import dominates, hypervolume, pareto_mask


def test_two_objectives_by_hand():
    # boxes to (4, 4): (1,3) -> 3x1, (2,2) adds 2x1... union = 3*1 + 2*1 + 1*1 = 6
    assert hypervolume([(1, 3), (2, 2), (3, 1)], (4, 4)) == 6.0
    assert hypervolume([(1, 3), (2, 2), (3, 1), (3, 3)], (4, 4)) == 6.0  # dominated: no gain
    assert hypervolume([(5, 1)], (4, 4)) == 0.0  # outside the reference box


def test_three_objectives_by_hand():
    # two unit-overlapping boxes to (2, 2, 2): [0,2]^2x[1,2] and [1,2]x[0,2]x[0,2]
    assert hypervolume([(0, 0, 1), (1, 0, 0)], (2, 2, 2)) == 4 + 4 - 2


def test_mask_keeps_equal_points_and_drops_dominated():
    points = [(1, 2), (1, 2), (2, 1), (2, 2)]
    assert pareto_mask(points) == [True, True, True, False]
    assert dominates((1, 1), (1, 2)) and not dominates((1, 2), (1, 2))


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 4), st.integers(1, 25), st.integers(0, 2 ** 31))
def test_hypervolume_matches_optuna_wfg(dims, count, seed):
    from optuna._hypervolume import compute_hypervolume

    points = np.random.default_rng(seed).random((count, dims))
    reference = np.full(dims, 1.1)
    assert hypervolume(points.tolist(), reference.tolist()) == \
        pytest.approx(compute_hypervolume(points, reference), rel=1e-12, abs=1e-15)
