"""Push-pull fill: unseen texels get smooth, finite values; seen texels are untouched."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leonardo_blender.core.projection import push_pull_fill


def test_seen_texels_keep_their_exact_values() -> None:
    rng = np.random.default_rng(3)
    values = rng.uniform(0, 255, size=(61, 47, 3)).astype(np.float32)
    weights = (rng.random((61, 47)) < 0.4).astype(np.float32) * rng.uniform(0.1, 3.0, size=(61, 47)).astype(np.float32)
    filled = push_pull_fill(values, weights)
    seen = weights > 0
    assert filled.dtype == np.float32 and filled.shape == values.shape
    assert np.array_equal(filled[seen], values[seen])
    assert np.isfinite(filled).all()
    assert filled.min() >= values[seen].min() and filled.max() <= values[seen].max()  # a blend of seen values


def test_a_hole_is_filled_close_to_its_neighbours() -> None:
    ramp = np.linspace(0, 255, 128, dtype=np.float32)
    values = np.repeat(np.broadcast_to(ramp[None, :, None], (128, 128, 1)), 3, axis=2).copy()
    weights = np.ones((128, 128), np.float32)
    weights[50:70, 40:60] = 0
    values[50:70, 40:60] = 0  # whatever was there must not matter
    filled = push_pull_fill(values, weights)
    hole = filled[50:70, 40:60, 0]
    expected = np.broadcast_to(ramp[40:60], hole.shape)
    assert np.abs(hole - expected).max() < 0.1 * 255 / 128 * 20  # within a fraction of the hole's span
    left_neighbour, right_neighbour = ramp[39], ramp[60]
    assert (hole >= left_neighbour - 2).all() and (hole <= right_neighbour + 2).all()


def test_texels_outside_islands_are_padded_without_a_dark_halo() -> None:
    values = np.zeros((64, 64, 3), np.float32)
    weights = np.zeros((64, 64), np.float32)
    island = (slice(10, 30), slice(12, 40))
    values[island] = (200.0, 120.0, 40.0)
    weights[island] = 1
    values[40:60, 40:60] = (20.0, 220.0, 90.0)
    weights[40:60, 40:60] = 1
    filled = push_pull_fill(values, weights)
    border = filled[30:32, 12:28]  # just below the first island, away from the second
    assert np.abs(border - (200, 120, 40)).max() < 25  # close to the island colour, nowhere near black
    assert filled.min() >= 20 - 1e-3  # no texel darker than the darkest seen one
    assert np.isfinite(filled).all()


def test_single_seen_texel_fills_everything() -> None:
    values = np.zeros((33, 20, 2), np.float32)
    weights = np.zeros((33, 20), np.float32)
    values[5, 7] = (3.0, 4.0)
    weights[5, 7] = 0.5
    assert np.allclose(push_pull_fill(values, weights), (3.0, 4.0))


def test_nothing_seen_gives_zeros_and_everything_seen_is_a_copy() -> None:
    values = np.full((8, 8, 3), 9.0, np.float32)
    assert (push_pull_fill(values, np.zeros((8, 8), np.float32)) == 0).all()
    assert np.array_equal(push_pull_fill(values, np.ones((8, 8), np.float32)), values)


def test_shape_mismatch_raises() -> None:
    with pytest.raises(ValueError):
        push_pull_fill(np.zeros((8, 8, 3), np.float32), np.zeros((8, 9), np.float32))


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 40),
    st.integers(1, 40),
    st.floats(0.01, 0.99),
    st.integers(0, 2**31 - 1),
)
def test_any_shape_and_density(height: int, width: int, density: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.uniform(0, 100, size=(height, width, 3)).astype(np.float32)
    weights = (rng.random((height, width)) < density).astype(np.float32)
    filled = push_pull_fill(values, weights)
    seen = weights > 0
    assert np.array_equal(filled[seen], values[seen])
    assert np.isfinite(filled).all()
    if seen.any():
        assert filled.min() >= values[seen].min() - 1e-3 and filled.max() <= values[seen].max() + 1e-3
