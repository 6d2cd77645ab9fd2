"""Depth maps: background, brightness by distance, image orientation."""

from __future__ import annotations

import numpy as np

from leonardo_blender.core.projection import DEPTH_FAR_VALUE, MeshArrays, plan_views, render_depth
from leonardo_blender.core.projection.samples import box, merge


def _front(mesh, size=128, offset=0):
    return next(view for view in plan_views(mesh, offset, preview=False, size=size) if view.name == "front")


def test_cube_from_the_front_is_a_bright_square_on_black() -> None:
    mesh = box()
    view = _front(mesh)
    png, buffer = render_depth(view, mesh)
    assert png.shape == (128, 128) and png.dtype == np.uint8
    assert buffer.shape == (128, 128) and buffer.dtype == np.float32
    inner = slice(10, 118)
    assert (png[inner, inner] == 255).all()  # the front face is the nearest surface: full brightness
    assert (png[:3] == 0).all() and (png[:, :3] == 0).all()  # the margin is background
    assert np.isinf(buffer[0, 0]) and np.allclose(buffer[inner, inner], view.near, atol=1e-5)
    assert set(np.unique(png)) <= {0, 255}


def test_nearer_box_is_brighter_than_a_farther_step() -> None:
    # A tall back box with a shorter box standing in front of its lower half (model faces -Y).
    back = box(center=(0, 1, 0), half_size=(1, 1, 2))
    step = box(center=(0, -1, -1), half_size=(1, 1, 1))
    mesh = merge([back, step])
    view = _front(mesh, size=256)
    png, buffer = render_depth(view, mesh)
    col, row, _ = view.project(np.array([[0, -2, -1], [0, 0, 1.5]]))  # on the step's face, on the back box's
    step_pixel = png[int(row[0]), int(col[0])]
    back_pixel = png[int(row[1]), int(col[1])]
    assert step_pixel == 255
    assert DEPTH_FAR_VALUE < back_pixel < step_pixel
    assert abs(int(back_pixel) - (255 - (255 - DEPTH_FAR_VALUE) * 2 / 4)) <= 1  # 2 of the 4 units of depth range
    assert np.isclose(buffer[int(row[1]), int(col[1])] - buffer[int(row[0]), int(col[0])], 2.0, atol=1e-4)


def test_depth_is_linear_from_near_255_to_far_48() -> None:
    # A ramp seen from the front: its bottom edge (y = -1) is nearest, its top edge (y = 1) farthest.
    ramp = MeshArrays.from_arrays(
        [[-1, -1, -1], [1, -1, -1], [1, 1, 1], [-1, 1, 1]],
        [[0, 1, 2], [0, 2, 3]],
        [[[0, 0], [1, 0], [1, 1]], [[0, 0], [1, 1], [0, 1]]],
    )
    view = _front(ramp, size=128)
    png, buffer = render_depth(view, ramp)
    middle = png[:, 64]
    covered = np.flatnonzero(middle)
    assert middle[covered[0]] <= DEPTH_FAR_VALUE + 2 and middle[covered[-1]] >= 253
    assert (np.diff(middle[covered].astype(int)) >= 0).all()  # brighter towards the bottom (nearer)
    expected = 255 - (255 - DEPTH_FAR_VALUE) * (buffer[covered, 64] - view.near) / (view.far - view.near)
    assert np.abs(middle[covered] - expected).max() <= 0.5 + 1e-3


def test_row_zero_is_the_top_of_the_image() -> None:
    # Only the upper box is in the top half of the frame: it must appear in the upper rows.
    mesh = merge([box(center=(0, 0, 3), half_size=0.5), box(center=(0, 0, -3), half_size=(0.5, 0.5, 0.1))])
    view = _front(mesh, size=128)
    png, _ = render_depth(view, mesh)
    rows = np.flatnonzero(png.any(axis=1))
    tall_rows = rows[rows < 64]
    flat_rows = rows[rows >= 64]
    assert len(tall_rows) > 3 * len(flat_rows) > 0  # the 1-unit tall box on top, the thin slab below


def test_right_of_the_model_is_on_the_right_of_the_front_image() -> None:
    for offset in (-90, 0, 90, 180):
        theta = np.radians(offset)
        right = np.array([np.cos(theta), np.sin(theta), 0.0])
        # a big box with a small marker box sticking out on the model's right
        mesh = merge([box(half_size=1.0), box(center=tuple(right * 2.0), half_size=0.3)])
        view = _front(mesh, size=128, offset=offset)
        png, _ = render_depth(view, mesh)
        columns = np.flatnonzero(png.any(axis=0))
        left_height = np.count_nonzero(png[:, columns[0] + 1])
        right_height = np.count_nonzero(png[:, columns[-1] - 1])
        assert left_height > 2.5 * right_height, offset  # the short marker is on the right
