"""Views of the projection engine: axes for every front offset, framing, preview, serialisation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from leonardo_blender.core.projection import FULL_VIEWS, MeshArrays, ViewSpec, plan_views, side_directions
from leonardo_blender.core.projection.samples import box, uv_sphere

OFFSETS = (-90, 0, 90, 180)
EXPECTED_FRONT = {-90: (-1, 0, 0), 0: (0, -1, 0), 90: (1, 0, 0), 180: (0, 1, 0)}


def _by_name(views: list[ViewSpec]) -> dict[str, ViewSpec]:
    return {view.name: view for view in views}


def _off_centre_mesh() -> MeshArrays:
    """A squashed, shifted sphere: every view frames it differently."""
    sphere = uv_sphere(8, 16)
    positions = sphere.positions * np.array([1.5, 0.6, 0.9], dtype=np.float32) + np.array([3, -2, 1], np.float32)
    return MeshArrays.from_arrays(positions, sphere.triangles, sphere.uvs)


@pytest.mark.parametrize("offset", OFFSETS)
def test_front_view_looks_from_the_front_vector(offset: int) -> None:
    views = _by_name(plan_views(box(), offset, preview=False, size=256))
    assert np.allclose(views["front"].direction, EXPECTED_FRONT[offset])
    assert np.allclose(views["back"].direction, -np.array(EXPECTED_FRONT[offset]))
    assert np.allclose(side_directions(offset)["front"], EXPECTED_FRONT[offset])


@pytest.mark.parametrize("offset", OFFSETS)
def test_axes_are_right_handed_with_the_documented_image_axes(offset: int) -> None:
    front = np.array(EXPECTED_FRONT[offset], dtype=float)
    for view in plan_views(box(), offset, preview=False, size=256, include_bottom=True):
        right, up, forward = np.array(view.right), np.array(view.up), view.forward
        assert np.allclose(right, np.cross(forward, up)), view.name
        assert np.isclose(np.dot(right, up), 0) and np.isclose(np.linalg.norm(right), 1)
        if view.name in ("front", "right", "back", "left"):
            assert np.allclose(up, (0, 0, 1)), view.name
    views = _by_name(plan_views(box(), offset, preview=False, size=256, include_bottom=True))
    assert np.allclose(views["top"].up, -front)  # the model's back at the top of the top view
    assert np.allclose(views["top"].direction, (0, 0, 1))
    assert np.allclose(views["bottom"].direction, (0, 0, -1))
    assert np.allclose(views["front"].right, views["top"].right)  # both show the model's right on the right


def test_offset_zero_matches_blenders_views() -> None:
    views = _by_name(plan_views(box(), 0, preview=False, size=256))
    assert np.allclose(views["front"].right, (1, 0, 0)) and np.allclose(views["front"].up, (0, 0, 1))
    assert np.allclose(views["right"].direction, (1, 0, 0))  # looks from +X
    assert np.allclose(views["right"].right, (0, 1, 0))  # Blender's Right view: +Y to the right
    assert np.allclose(views["left"].direction, (-1, 0, 0))
    assert np.allclose(views["top"].right, (1, 0, 0)) and np.allclose(views["top"].up, (0, 1, 0))


def test_projection_puts_points_where_the_conventions_say() -> None:
    view = _by_name(plan_views(box(), 0, preview=False, size=256, margin=0.0))["front"]
    col, row, depth = view.project(np.array([[1.0, 0.0, 1.0], [-1.0, -1.0, -1.0], [0.0, 1.0, 0.0]]))
    assert np.allclose(col, [256, 0, 128]) and np.allclose(row, [0, 256, 128])  # +X right, +Z up, row 0 top
    assert depth[1] < depth[2]  # the front face (y = -1) is nearer than the centre
    assert np.isclose(view.near, -1) and np.isclose(view.far, 1)


@pytest.mark.parametrize("offset", OFFSETS)
def test_framing_contains_every_vertex_with_the_margin(offset: int) -> None:
    mesh = _off_centre_mesh()
    margin = 0.1
    for view in plan_views(mesh, offset, preview=False, size=512, margin=margin, include_bottom=True):
        col, row, depth = view.project(mesh.positions)
        inner = 512 * margin / (1 + margin) / 2 - 1e-3  # pixels between the widest extent and the border
        assert col.min() >= 0 and col.max() <= 512 and row.min() >= 0 and row.max() <= 512
        gaps = np.array([col.min(), row.min(), 512 - col.max(), 512 - row.max()])
        assert gaps.min() >= inner
        assert np.isclose(gaps.min(), inner, atol=0.01)  # tight: the longer extent touches the margin
        assert np.isclose(depth.min(), view.near, atol=1e-4) and np.isclose(depth.max(), view.far, atol=1e-4)


@pytest.mark.parametrize("direction", ["front", "back", "left", "right"])
def test_preview_is_one_view_named_by_its_direction(direction: str) -> None:
    views = plan_views(box(), 90, preview=True, preview_direction=direction, size=512)
    assert [view.name for view in views] == [direction]
    assert np.allclose(views[0].direction, side_directions(90)[direction])


def test_full_views_in_order_and_bottom_on_request() -> None:
    assert [view.name for view in plan_views(box(), 0, preview=False)] == list(FULL_VIEWS)
    with_bottom = plan_views(box(), 0, preview=False, include_bottom=True)
    assert [view.name for view in with_bottom] == [*FULL_VIEWS, "bottom"]


@pytest.mark.parametrize("size", [0, 56, 100, 1544, 2048, 1024.0, True])
def test_bad_size_raises(size: int) -> None:
    with pytest.raises(ValueError, match="size"):
        plan_views(box(), 0, preview=False, size=size)


def test_bad_preview_direction_raises() -> None:
    with pytest.raises(ValueError, match="preview_direction"):
        plan_views(box(), 0, preview=True, preview_direction="top")


def test_flat_mesh_still_gets_a_frame() -> None:
    plane = MeshArrays.from_arrays([[0, 0, 0], [1, 0, 0], [0, 1, 0]], [[0, 1, 2]], [[[0, 0], [1, 0], [0, 1]]])
    front = _by_name(plan_views(plane, 0, preview=False, size=64))["front"]  # sees the plane edge-on
    assert front.half_extent > 0 and np.isfinite(front.half_extent)
    point = MeshArrays.from_arrays([[2, 2, 2]] * 3, [[0, 1, 2]], [[[0, 0], [1, 0], [0, 1]]])
    assert plan_views(point, 0, preview=True, size=64)[0].half_extent > 0


def test_view_survives_a_json_round_trip() -> None:
    for view in plan_views(_off_centre_mesh(), 90, preview=False, size=768):
        assert ViewSpec.from_dict(json.loads(json.dumps(view.to_dict()))) == view


def test_malformed_view_dict_raises() -> None:
    good = plan_views(box(), 0, preview=True, size=64)[0].to_dict()
    for broken in ({**good, "right": [1, 0]}, {k: v for k, v in good.items() if k != "near"}, {**good, "size": 1.5}):
        with pytest.raises(ValueError):
            ViewSpec.from_dict(broken)
