"""The vectorised rasteriser: coverage, watertight shared edges, z-buffer, barycentrics."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from leonardo_blender.core.projection.raster import keep_last, keep_nearest, nearest_depth, rasterize


def _centres(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    return np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)


def _inside_mask(triangle: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """(strictly inside, inside or within 0.01 px of an edge) for pixel centres, by brute force."""
    x, y = _centres(width, height)
    a, b, c = triangle
    orientation = np.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))
    distances = []
    for p, q in ((a, b), (b, c), (c, a)):
        edge = q - p
        distances.append(orientation * (edge[0] * (y - p[1]) - edge[1] * (x - p[0])) / np.hypot(*edge))
    nearest_edge = np.min(distances, axis=0)
    return nearest_edge > 0.01, nearest_edge > -0.01


def test_single_triangle_covers_its_area() -> None:
    triangle = np.array([[[10.3, 5.7], [90.1, 20.2], [40.6, 70.9]]])
    fragments = rasterize(triangle, 100, 80)
    (a, b, c) = triangle[0]
    area = abs((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])) / 2
    perimeter = sum(np.hypot(*(q - p)) for p, q in ((a, b), (b, c), (c, a)))
    assert abs(len(fragments) - area) < 0.5 * perimeter / 4  # pixel-centre sampling: error grows with the edges
    assert abs(len(fragments) - area) / area < 0.02
    strictly, loosely = _inside_mask(triangle[0], 100, 80)
    covered = np.zeros(100 * 80, dtype=bool)
    covered[fragments.pixel] = True
    covered = covered.reshape(80, 100)
    assert not (strictly & ~covered).any() and not (covered & ~loosely).any()
    assert len(np.unique(fragments.pixel)) == len(fragments)


def test_two_triangles_sharing_an_edge_tile_a_square_exactly() -> None:
    # A diagonal through pixel centres and corners: many centres lie exactly on the shared edge.
    square = np.array([[[4.0, 4.0], [36.0, 4.0], [36.0, 36.0]], [[4.0, 4.0], [36.0, 36.0], [4.0, 36.0]]])
    fragments = rasterize(square, 40, 40)
    counts = np.bincount(fragments.pixel, minlength=40 * 40).reshape(40, 40)
    assert (counts[4:36, 4:36] == 1).all()  # no gap, no pixel twice
    assert counts.sum() == 32 * 32
    reversed_winding = rasterize(square[:, ::-1], 40, 40)
    assert np.array_equal(np.sort(reversed_winding.pixel), np.sort(fragments.pixel))


def test_fan_around_a_vertex_on_a_pixel_centre_has_no_gap_or_overlap() -> None:
    centre = np.array([20.5, 20.5])
    angles = np.linspace(0, 2 * np.pi, 13)[:-1]
    ring = centre + 10.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    ring = np.round(ring * 2) / 2  # corners on half-pixel positions: more centres on edges
    fan = np.array([[centre, ring[i], ring[(i + 1) % len(ring)]] for i in range(len(ring))])
    counts = np.bincount(rasterize(fan, 41, 41).pixel, minlength=41 * 41).reshape(41, 41)
    assert counts.max() == 1
    assert counts[20, 20] == 1  # the shared vertex itself belongs to exactly one triangle
    x, y = _centres(41, 41)
    disc = np.hypot(x - centre[0], y - centre[1]) < 9.0  # inside the 12-gon (inner radius about 9.6)
    assert (counts[disc] == 1).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 64, allow_nan=False), min_size=8, max_size=8))
def test_any_quad_split_two_ways_covers_the_same_pixels_once(coordinates: list[float]) -> None:
    corners = np.array(coordinates).reshape(4, 2)
    hull_order = np.argsort(np.arctan2(*(corners - corners.mean(axis=0)).T[::-1]))
    quad = corners[hull_order]  # in order around its centre
    edges = np.roll(quad, -1, axis=0) - quad
    turns = edges[:, 0] * np.roll(edges, -1, axis=0)[:, 1] - edges[:, 1] * np.roll(edges, -1, axis=0)[:, 0]
    assume((turns > 1e-3).all())  # strictly convex
    a, b, c, d = quad
    first = rasterize(np.array([[a, b, c], [a, c, d]]), 64, 64)
    second = rasterize(np.array([[a, b, d], [b, c, d]]), 64, 64)
    assert len(np.unique(first.pixel)) == len(first)  # the diagonal's centres went to one side only
    assert np.array_equal(np.sort(first.pixel), np.sort(second.pixel))  # same outline, same pixels


def test_z_buffer_keeps_the_nearer_of_overlapping_triangles() -> None:
    far = np.array([[0.0, 0.0], [30.0, 0.0], [0.0, 30.0]])
    near = far + 5.0
    fragments = rasterize(np.array([far, near]), 40, 40, np.array([[5.0, 5.0, 5.0], [1.0, 2.0, 3.0]]))
    nearest = keep_nearest(fragments, fragments.values[:, 0])
    triangle, depth = nearest.to_dense()
    overlap = np.zeros(40 * 40, dtype=bool)
    overlap[np.intersect1d(rasterize(far[None], 40, 40).pixel, rasterize(near[None], 40, 40).pixel)] = True
    assert overlap.sum() > 100
    assert (triangle.ravel()[overlap] == 1).all()
    assert (depth.reshape(-1)[overlap] < 3.01).all()
    assert len(np.unique(nearest.pixel)) == len(nearest)
    # the same through nearest_depth, and with the far triangle given last
    buffer = nearest_depth(np.array([near, far]), np.array([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]]), 40, 40)
    assert np.allclose(buffer.ravel()[overlap], depth.reshape(-1)[overlap])
    assert np.isinf(buffer[39, 39])


def test_keep_last_lets_the_highest_triangle_index_win() -> None:
    triangle = np.array([[2.0, 2.0], [20.0, 2.0], [2.0, 20.0]])
    fragments = keep_last(rasterize(np.array([triangle, triangle, triangle + 1]), 24, 24))
    winners, _ = fragments.to_dense()
    assert len(np.unique(fragments.pixel)) == len(fragments)
    assert set(np.unique(winners[winners >= 0])) == {1, 2}
    assert winners[5, 5] == 2 and winners[2, 2] == 1  # (2, 2) is outside the shifted copy


def test_barycentrics_interpolate_a_linear_attribute_exactly() -> None:
    rng = np.random.default_rng(7)
    triangles = np.round(rng.uniform(-20, 150, size=(40, 3, 2)) * 256) / 256  # on the 1/256 px snapping grid
    fragments = rasterize(triangles, 128, 96)
    bary = fragments.values
    assert np.allclose(bary.sum(axis=1), 1, atol=1e-4)
    assert bary.min() > -1e-4  # every covered centre is inside its triangle
    x = fragments.pixel % 128 + 0.5
    y = fragments.pixel // 128 + 0.5
    corners = triangles[fragments.triangle]
    assert np.allclose(np.einsum("nk,nkc->nc", bary, corners), np.stack([x, y], axis=1), atol=1e-3)
    attribute = lambda p: 3.0 * p[..., 0] - 2.0 * p[..., 1] + 7.0  # noqa: E731
    direct = rasterize(triangles, 128, 96, attribute(triangles))
    assert np.array_equal(direct.pixel, fragments.pixel)
    assert np.allclose(direct.values[:, 0], attribute(np.stack([x, y], axis=1)), rtol=1e-5, atol=2e-3)
    # Off the grid, corners move by at most 1/512 px: the attribute is off by at most its gradient times that.
    moved = triangles + rng.uniform(-1 / 600, 1 / 600, size=triangles.shape)
    off_grid = rasterize(moved, 128, 96, attribute(moved))
    off_x, off_y = off_grid.pixel % 128 + 0.5, off_grid.pixel // 128 + 0.5
    assert np.abs(off_grid.values[:, 0] - attribute(np.stack([off_x, off_y], axis=1))).max() < 5 / 256


def test_depth_of_a_steep_sliver_stays_within_its_corners() -> None:
    # Almost edge-on: a hair-thin triangle whose depth changes enormously across its width.
    sliver = np.array([[[1.0, 2.0 - 1 / 256], [30.0, 3.0 - 1 / 256], [1.0, 2.0 + 2 / 256]]])  # covers (15.5, 2.5)
    buffer = nearest_depth(sliver, np.array([[0.0, 5.0, 100.0]]), 32, 32)
    covered = np.isfinite(buffer)
    assert covered.any()
    assert buffer[covered].min() >= 0.0 and buffer[covered].max() <= 100.0


def test_triangles_outside_degenerate_or_invalid_cover_nothing() -> None:
    triangles = np.array(
        [
            [[-50, -50], [-10, -50], [-50, -10]],  # off the image
            [[5, 5], [10, 10], [15, 15]],  # zero area
            [[np.nan, 1], [3, 3], [1, 5]],  # not finite
            [[0.2, 0.2], [0.4, 0.2], [0.2, 0.4]],  # between pixel centres
        ],
        dtype=float,
    )
    assert len(rasterize(triangles, 16, 16)) == 0
    assert len(rasterize(np.zeros((0, 3, 2)), 16, 16)) == 0


def test_large_triangle_is_split_into_batches_without_loss() -> None:
    triangle = np.array([[[-10.0, -10.0], [3000.0, -10.0], [-10.0, 3000.0]]])
    fragments = rasterize(triangle, 1024, 1024)
    assert len(fragments) == 1024 * 1024
    assert np.array_equal(np.sort(fragments.pixel), np.arange(1024 * 1024))


@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 2)])
def test_corner_values_shapes(shape: tuple[int, ...]) -> None:
    triangles = np.array([[[1, 1], [7, 1], [1, 7]]] * 4, dtype=float) + np.arange(4)[:, None, None]
    values = np.ones(shape)
    assert rasterize(triangles, 16, 16, values).values.shape[1] == (1 if len(shape) == 2 else 2)
    with pytest.raises(ValueError):
        rasterize(triangles, 16, 16, np.ones((3, 3)))
