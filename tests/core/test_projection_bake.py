"""The geometric proof of the bake: every texel of a cube takes the right view's colour at the right place.

Each view's served image is a code image: R = 255 * col / W, G = 255 * (1 - row / H) and B a value
unique to the view, served 1.5x larger than the view, as the service does. After the bake, the
texel under any point of a face must hold the B of the view that looks at that face and the R, G of
the point's projection into that view: not mirrored, not flipped, not shifted.
"""

from __future__ import annotations

import numpy as np
import pytest

from leonardo_blender.core.projection import (
    MeshArrays,
    ProjectionBaker,
    ViewSpec,
    plan_views,
    rasterize_uv,
    render_depth,
)
from leonardo_blender.core.projection.samples import box, cube_face_point, cube_face_uv, merge

BAKE_SIZE = 256
VIEW_SIZE = 256
SERVED_SCALE = 1.5
OUTWARD = {"front": (0, -1, 0), "back": (0, 1, 0), "left": (-1, 0, 0), "right": (1, 0, 0), "top": (0, 0, 1)}


def code_image(view_size: int, blue: int) -> np.ndarray:
    """The served image of a view: R and G encode the pixel's position, B the view."""
    served = int(view_size * SERVED_SCALE)
    cols, rows = np.meshgrid(np.arange(served) + 0.5, np.arange(served) + 0.5)
    rgb = np.stack([255 * cols / served, 255 * (1 - rows / served), np.full(cols.shape, float(blue))], axis=-1)
    return np.rint(rgb).astype(np.uint8)


def view_blue(index: int) -> int:
    return 40 + 40 * index


def texel_at(albedo: np.ndarray, uv: tuple[float, float]) -> np.ndarray:
    size = albedo.shape[0]
    return albedo[int((1 - uv[1]) * size), int(uv[0] * size)].astype(float)


def bake(mesh: MeshArrays, views: list[ViewSpec], images: list[np.ndarray]) -> tuple[np.ndarray, list[float]]:
    baker = ProjectionBaker(rasterize_uv(mesh, BAKE_SIZE))
    fractions = [
        baker.add_view(view, render_depth(view, mesh)[1], image) for view, image in zip(views, images, strict=True)
    ]
    return baker.albedo(), fractions


def expected_code(view: ViewSpec, point: np.ndarray, outward: np.ndarray, front: np.ndarray) -> tuple[float, float]:
    """R and G the code image has at ``point``, from the conventions alone (not from ``ViewSpec.project``).

    The camera looks along -outward; image-up is +Z for side views and -front for the top view;
    image-right = cross(forward, up); row 0 is the top. Only the framing comes from the view.
    """
    forward = -outward
    up = -front if outward[2] > 0.5 else np.array([0.0, 0.0, 1.0])
    right = np.cross(forward, up)
    relative = point - np.array(view.center)
    col = (np.dot(relative, right) / view.half_extent + 1) / 2 * view.size
    row = (1 - np.dot(relative, up) / view.half_extent) / 2 * view.size
    return 255 * col / view.size, 255 * (1 - row / view.size)


@pytest.mark.parametrize("offset", [-90, 0, 90, 180])
def test_every_face_takes_its_view_at_the_projected_position(offset: int) -> None:
    mesh = box()
    views = plan_views(mesh, offset, preview=False, size=VIEW_SIZE)
    albedo, fractions = bake(mesh, views, [code_image(VIEW_SIZE, view_blue(i)) for i in range(len(views))])
    assert all(abs(fraction - 1 / 6) < 0.01 for fraction in fractions)  # each view sees one face of six
    theta = np.radians(offset)
    front = np.round(np.array([np.sin(theta), -np.cos(theta), 0.0]), 12)
    checked = 0
    for face, outward in OUTWARD.items():
        (index, view) = next((i, v) for i, v in enumerate(views) if np.allclose(v.direction, outward))
        for s in np.linspace(0.1, 0.9, 7):
            for t in np.linspace(0.1, 0.9, 7):
                point = cube_face_point(face, s, t)
                texel = texel_at(albedo, cube_face_uv(face, s, t))
                expected_red, expected_green = expected_code(view, point, np.array(outward, float), front)
                assert abs(texel[2] - view_blue(index)) <= 1, (face, view.name)
                # half a texel of the bake is 1/512 of the UV square, about 0.6 colour steps here
                assert abs(texel[0] - expected_red) <= 2.5, (face, view.name, s, t, texel, expected_red)
                assert abs(texel[1] - expected_green) <= 2.5, (face, view.name, s, t, texel, expected_green)
                checked += 1
    assert checked == 5 * 49


def test_view_names_follow_the_front_offset() -> None:
    # With the model facing +X (offset 90), the view named "front" paints the +X face.
    mesh = box()
    views = plan_views(mesh, 90, preview=False, size=VIEW_SIZE)
    albedo, _ = bake(mesh, views, [code_image(VIEW_SIZE, view_blue(i)) for i in range(len(views))])
    front_index = [view.name for view in views].index("front")
    assert abs(texel_at(albedo, cube_face_uv("right", 0.5, 0.5))[2] - view_blue(front_index)) <= 1


def test_images_served_at_the_view_size_bake_the_same() -> None:
    mesh = box()
    views = plan_views(mesh, 0, preview=False, size=VIEW_SIZE)
    served = [code_image(VIEW_SIZE, view_blue(i)) for i in range(len(views))]
    exact = [image[::3, ::3][:, :, :] for image in served]  # 384 -> 128: a smaller served size, also fine
    first, _ = bake(mesh, views, served)
    second, _ = bake(mesh, views, exact)
    uv = cube_face_uv("front", 0.3, 0.6)
    assert np.abs(texel_at(first, uv) - texel_at(second, uv)).max() <= 3


def test_rgba_images_are_accepted_and_alpha_ignored() -> None:
    mesh = box()
    view = plan_views(mesh, 0, preview=True, size=VIEW_SIZE)[0]
    rgb = code_image(VIEW_SIZE, 99)
    rgba = np.concatenate([rgb, np.zeros((*rgb.shape[:2], 1), np.uint8)], axis=2)
    assert np.array_equal(bake(mesh, [view], [rgb])[0], bake(mesh, [view], [rgba])[0])
    baker = ProjectionBaker(rasterize_uv(mesh, 64))
    with pytest.raises(ValueError, match="uint8"):
        baker.add_view(view, render_depth(view, mesh)[1], rgb.astype(np.float32))
    with pytest.raises(ValueError, match="depth buffer"):
        baker.add_view(view, np.zeros((10, 10), np.float32), rgb)


def test_hidden_surface_does_not_take_the_occluders_colour() -> None:
    # A big box, and a small box floating in front of the middle of its front face.
    big = box(center=(0, 0, 0), half_size=1.0, uv_scale=0.5)
    small = box(center=(0, -2.0, 0), half_size=0.4, uv_offset=(0.5, 0.5), uv_scale=0.5)
    mesh = merge([big, small])
    view = plan_views(mesh, 0, preview=True, size=VIEW_SIZE)[0]
    _, buffer = render_depth(view, mesh)
    # The served image: red where the small box is (nearer than the big box's face), green elsewhere.
    occluder = buffer < -1.0  # the big box's front face is at depth about -0.7 in this view
    served = np.zeros((VIEW_SIZE, VIEW_SIZE, 3), np.uint8)
    served[occluder] = (255, 0, 0)
    served[~occluder] = (0, 255, 0)
    served = np.repeat(np.repeat(served, 3, axis=0), 3, axis=1)[::2, ::2]  # served at 1.5x
    baker = ProjectionBaker(rasterize_uv(mesh, BAKE_SIZE))
    baker.add_view(view, buffer, served)
    albedo = baker.albedo()
    # UVs of the big box's front face are the cube's, scaled by 0.5; the small box's front face is at (0.5, 0.5).
    hidden = [cube_face_uv("front", s, t) for s in (0.4, 0.5, 0.6) for t in (0.4, 0.5, 0.6)]
    for u, v in hidden:  # behind the small box (it covers s, t in 0.3..0.7 of the big face)
        texel = texel_at(albedo, (u * 0.5, v * 0.5))
        assert texel[0] < 60 and texel[1] > 180, texel  # filled from the visible green around, not red
    visible = texel_at(albedo, (cube_face_uv("front", 0.05, 0.5)[0] * 0.5, cube_face_uv("front", 0.05, 0.5)[1] * 0.5))
    assert visible[1] > 240 and visible[0] < 15
    for s, t in ((0.5, 0.5), (0.2, 0.8)):
        u, v = cube_face_uv("front", s, t)
        assert texel_at(albedo, (0.5 + u * 0.5, 0.5 + v * 0.5))[0] > 240  # the occluder's own face is red


def test_seen_fraction_and_unseen_fill() -> None:
    mesh = box()
    view = plan_views(mesh, 0, preview=True, size=VIEW_SIZE)[0]
    baker = ProjectionBaker(rasterize_uv(mesh, 128))
    assert baker.seen_fraction() == 0
    assert (baker.albedo() == 128).all()  # nothing seen: neutral grey
    seen = baker.add_view(view, render_depth(view, mesh)[1], np.full((384, 384, 3), 200, np.uint8))
    assert abs(seen - 1 / 6) < 0.01 and abs(baker.seen_fraction() - seen) < 1e-9
    albedo = baker.albedo()
    assert (albedo == 200).all()  # unseen faces and the space between islands take the only colour


def test_blend_across_a_curved_surface_is_smooth_and_normalised() -> None:
    # Two views of constant colours: where both see a surface the result lies between them.
    from leonardo_blender.core.projection.samples import uv_sphere

    mesh = uv_sphere(24, 48)
    views = plan_views(mesh, 0, preview=False, size=128)[:2]  # front and right
    baker = ProjectionBaker(rasterize_uv(mesh, 128))
    for view, value in zip(views, (0, 250), strict=True):
        baker.add_view(view, render_depth(view, mesh)[1], np.full((192, 192, 3), value, np.uint8))
    albedo = baker.albedo().astype(int)
    # the equator (v = 0.5) from the front (u = 0.75, facing -Y) to the right (u = 1.0 = 0.0, facing +X)
    row = albedo[64, :, 0]
    front_col, right_col = int(0.75 * 128 * 0.96 + 0.02 * 128), int(0.98 * 128) - 1
    assert row[front_col] < 10 and row[right_col] > 240
    between = row[front_col : right_col + 1]
    assert (np.diff(between) >= -1).all()  # monotonic ramp, no seam jumping back and forth


@pytest.mark.parametrize("degrees", [0, 60, 75, 84])
def test_surface_seen_at_a_grazing_angle_is_not_lost(degrees: int) -> None:
    # A square tilted away from the front view: its depth changes by tan(angle) pixels per pixel.
    angle = np.radians(degrees)
    corners = np.array([[-1, 0, -1], [1, 0, -1], [1, 0, 1], [-1, 0, 1]], dtype=float)
    corners[:, 1] = corners[:, 2] * np.sin(angle)  # rotate about X: the top leans away from the camera
    corners[:, 2] *= np.cos(angle)
    square = MeshArrays.from_arrays(
        corners, [[0, 1, 2], [0, 2, 3]], [[[0, 0], [1, 0], [1, 1]], [[0, 0], [1, 1], [0, 1]]]
    )
    view = plan_views(square, 0, preview=True, size=VIEW_SIZE)[0]
    baker = ProjectionBaker(rasterize_uv(square, 128))
    seen = baker.add_view(view, render_depth(view, square)[1], code_image(VIEW_SIZE, 7))
    assert seen > 0.97, seen  # only a rim of texels at the silhouette may be lost


def test_curved_occluder_hides_exactly_what_it_covers() -> None:
    from leonardo_blender.core.projection.samples import uv_sphere

    back = uv_sphere(32, 64, radius=1.0)
    ball = uv_sphere(16, 32, radius=0.5)
    ball = MeshArrays.from_arrays(ball.positions + np.array([0.2, -1.6, 0.1], np.float32), ball.triangles, ball.uvs)
    mesh = merge([back, ball])
    view = plan_views(mesh, 0, preview=True, size=512)[0]
    surface = rasterize_uv(back, 256)  # bake only the back sphere's texels
    baker = ProjectionBaker(surface)
    baker.add_view(view, render_depth(view, mesh)[1], np.full((768, 768, 3), 255, np.uint8))
    positions, weights = surface.positions, baker.texel_weights()
    off_axis = np.hypot(positions[:, 0] - 0.2, positions[:, 2] - 0.1)  # distance from the ball's axis of view
    behind_ball = (off_axis < 0.45) & (positions[:, 1] < 0)
    in_the_open = (off_axis > 0.6) & (surface.normals[:, 1] < -0.3)
    assert behind_ball.sum() > 1000 and in_the_open.sum() > 5000
    assert (weights[behind_ball] == 0).all()
    assert (weights[in_the_open] > 0).all()


def test_a_cube_far_from_the_origin_bakes_like_one_at_the_origin() -> None:
    near, far = box(), box(center=(3000.0, -2000.0, 500.0))
    results = []
    for mesh in (near, far):
        views = plan_views(mesh, 0, preview=False, size=VIEW_SIZE)
        results.append(bake(mesh, views, [code_image(VIEW_SIZE, view_blue(i)) for i in range(len(views))])[0])
    difference = np.abs(results[0].astype(int) - results[1].astype(int))
    assert difference.max() <= 2  # positions are float32: the far cube is only a hair less exact
