"""Tests for the emulator's side classification and texture-map rendering (no bpy).

The OBJ fixtures are written the way Blender's ``wm.obj_export`` writes them (forward -Z, up Y: a Blender
point (x, y, z) becomes OBJ (x, z, -y)), so the orientation checks here are the same ones a Blender render
test makes, minus Blender.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest

from leonardo_blender.emulator.content.obj_mesh import parse_obj
from leonardo_blender.emulator.content.palette import (
    SIDE_COLORS,
    SIDE_ROUGHNESS,
    SIDES,
    UNTEXTURED_COLOR,
    UNTEXTURED_ROUGHNESS,
    nearest_side,
)
from leonardo_blender.emulator.content.texture_maps import (
    BACKGROUND_COLOR,
    MAP_TYPES,
    classify_triangles,
    front_direction,
    render_texture_maps,
    side_directions,
)
from tests.core.emulator_meshes import (
    CUBE_FACES,
    EXPECTED_SIDES,
    cube_obj,
    cube_sphere_obj,
    decode,
    face_sides_in_albedo,
    off_grid,
    pixel_at_uv,
    uv_cell,
    uv_cell_centre,
)

# --- orientation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(0, (0, -1, 0)), (90, (1, 0, 0)), (-90, (-1, 0, 0)), (180, (0, 1, 0))],
)
def test_front_direction_follows_the_plugin_table(offset: float, expected: tuple[int, int, int]) -> None:
    assert np.allclose(front_direction(offset), expected)


def test_side_directions_are_orthonormal_and_right_handed() -> None:
    for offset in (0, 37, 90, -90, 180):
        front, back, left, right, top, bottom = side_directions(offset)
        assert np.allclose(back, -front) and np.allclose(left, -right) and np.allclose(bottom, -top)
        # front x right = up: seen from above, right is front turned a quarter counter-clockwise
        assert np.allclose(np.cross(front, right), top)
        assert np.allclose(top, (0, 0, 1))


@pytest.mark.parametrize("offset", sorted(EXPECTED_SIDES))
def test_classify_cube_faces(offset: float) -> None:
    mesh = parse_obj(cube_obj())
    sides = classify_triangles(mesh, offset)
    for face_index, face in enumerate(CUBE_FACES):
        assert {SIDES[s] for s in sides[mesh.tri_polygon == face_index]} == {EXPECTED_SIDES[offset][face]}


def test_polygon_is_classified_by_area_weighted_normal() -> None:
    # A square facing OBJ +Z (Blender -Y, the front) with a small fold whose fan triangle faces OBJ -X.
    text = b"vt 0 0\nv 0 0 0\nv 2 0 0\nv 2 2 0\nv 0 2 0\nv 0 2 -0.5\nf 1/1 2/1 3/1 4/1 5/1\n"
    mesh = parse_obj(text)
    corners = mesh.positions[mesh.tri_positions]
    own_normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    own_sides = {SIDES[i] for i in np.argmax(own_normals[:, [0, 2, 1]] * (1, -1, 1) @ side_directions(0).T, 1)}
    assert own_sides == {"front", "left"}  # so the test can tell polygon from triangle classification
    assert set(classify_triangles(mesh, 0).tolist()) == {SIDES.index("front")}


# --- texture maps -----------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", sorted(EXPECTED_SIDES))
def test_albedo_colours_each_face_by_its_side(offset: float) -> None:
    maps = render_texture_maps(parse_obj(cube_obj()), front_rotation_offset=offset, size=128)
    assert set(maps) == {"ALBEDO", "NORMAL", "ROUGHNESS", "DISPLACEMENT"}
    assert face_sides_in_albedo(decode(maps["ALBEDO"])) == EXPECTED_SIDES[offset]


def test_albedo_pixels_are_the_palette_colours() -> None:
    albedo = decode(render_texture_maps(parse_obj(cube_obj()), size=256, map_types=["ALBEDO"])["ALBEDO"])
    for face_index, face in enumerate(CUBE_FACES):
        rgb = pixel_at_uv(albedo, *off_grid(*uv_cell_centre(face_index)))
        assert np.abs(rgb - SIDE_COLORS[EXPECTED_SIDES[0][face]]).max() < 14
    corner_gap = pixel_at_uv(albedo, 1 / 3, 0.5)  # between cells, further than the 4 px dilation
    assert np.abs(corner_gap - BACKGROUND_COLOR).max() < 8


def test_flipping_v_in_the_obj_breaks_the_layout() -> None:
    flipped = render_texture_maps(parse_obj(cube_obj(flip_v=True)), size=128, map_types=["ALBEDO"])
    sides = face_sides_in_albedo(decode(flipped["ALBEDO"]))
    assert sides != EXPECTED_SIDES[0]
    wrong = [face for face in CUBE_FACES if sides[face] != EXPECTED_SIDES[0][face]]
    assert len(wrong) == 6  # rows swap, so every face reads another face's colour


@pytest.mark.parametrize("direction", ["front", "back", "left", "right"])
def test_preview_colours_only_the_chosen_side(direction: str) -> None:
    mesh = parse_obj(cube_obj())
    maps = render_texture_maps(mesh, front_rotation_offset=90, preview=True, preview_direction=direction, size=128)
    sides = face_sides_in_albedo(decode(maps["ALBEDO"]))
    for face, side in EXPECTED_SIDES[90].items():
        assert sides[face] == (side if side == direction else "untextured")
    roughness = decode(maps["ROUGHNESS"])
    for face_index, face in enumerate(CUBE_FACES):
        side = EXPECTED_SIDES[90][face]
        expected = SIDE_ROUGHNESS[side] if side == direction else UNTEXTURED_ROUGHNESS
        assert abs(pixel_at_uv(roughness, *uv_cell_centre(face_index))[0] / 255 - expected) < 0.02
    untextured = pixel_at_uv(decode(maps["ALBEDO"]), *uv_cell_centre(4))  # the top is never previewed
    assert np.abs(untextured - UNTEXTURED_COLOR).max() < 30


def test_roughness_is_per_side() -> None:
    roughness = decode(render_texture_maps(parse_obj(cube_obj()), size=128, map_types=["ROUGHNESS"])["ROUGHNESS"])
    for face_index, face in enumerate(CUBE_FACES):
        value = pixel_at_uv(roughness, *uv_cell_centre(face_index))
        assert np.ptp(value) < 3
        assert abs(value[0] / 255 - SIDE_ROUGHNESS[EXPECTED_SIDES[0][face]]) < 0.02


def test_normal_displacement_and_mask_maps() -> None:
    maps = render_texture_maps(parse_obj(cube_obj()), size=256, map_types=MAP_TYPES)
    assert list(maps) == list(MAP_TYPES)
    normal, displacement, mask = (
        decode(maps["NORMAL"]),
        decode(maps["DISPLACEMENT"]),
        decode(maps["HDRP_MASK"]),
    )
    cell_centre = (8, 8)  # a pixel between grid lines (cell = 16 px at size 256)
    assert np.abs(normal[cell_centre] - (128, 128, 255)).max() <= 5  # JPEG ringing
    assert np.abs(displacement[cell_centre] - 128).max() <= 3
    # Embossed grid, OpenGL convention: left of the ridge along column 16 the surface falls towards -u
    # (normal R < 128), right of it towards +u; above the ridge along row 16 (larger v) it falls
    # towards +v (G > 128), below it towards -v.
    assert normal[8, 14, 0] < 122 and normal[8, 17, 0] > 134
    assert normal[14, 8, 1] > 134 and normal[17, 8, 1] < 122
    assert displacement[8, 16, 0] > 134 and displacement[16, 8, 0] > 134
    top_centre, front_centre = uv_cell_centre(4), uv_cell_centre(0)
    assert pixel_at_uv(mask, *top_centre)[0] > 240 and pixel_at_uv(mask, *front_centre)[0] < 15
    assert abs(pixel_at_uv(mask, *front_centre)[1] - 230) < 5 and pixel_at_uv(mask, *front_centre)[2] > 245


def test_rendering_is_deterministic_and_seed_is_cosmetic() -> None:
    mesh = parse_obj(cube_obj())
    first = render_texture_maps(mesh, size=128, seed=3)
    assert first == render_texture_maps(mesh, size=128, seed=3)
    other = render_texture_maps(mesh, size=128, seed=4)
    assert other["ALBEDO"] != first["ALBEDO"]
    assert face_sides_in_albedo(decode(other["ALBEDO"])) == EXPECTED_SIDES[0]


def test_islands_are_dilated_but_not_beyond_a_few_pixels() -> None:
    albedo = decode(render_texture_maps(parse_obj(cube_obj()), size=256, map_types=["ALBEDO"])["ALBEDO"])
    _, _, u1, _ = uv_cell(0)
    row = int((1 - 0.28) * 256)
    last_col = int(u1 * 256 - 0.5)  # last column whose centre is inside the front cell
    assert nearest_side(tuple(albedo[row, last_col + 3])) == "front"
    assert nearest_side(tuple(albedo[row, last_col + 5])) is None


def test_extreme_coordinates_render_without_errors() -> None:
    text = b"v 1e300 0 0\nv 0 1e300 0\nv 0 0 1e-300\nvt -1e300 0\nvt 1e300 1\nvt 0.5 1e300\nf 1/1 2/2 3/3\n"
    text += b"v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0.1 0.1\nvt 0.1 0.1\nvt 0.1 0.1\nf 4/4 5/5 6/6\n"  # zero UV area
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        maps = render_texture_maps(parse_obj(text), size=32, map_types=MAP_TYPES)
    assert all(decode(jpeg).shape == (32, 32, 3) for jpeg in maps.values())


def test_invalid_arguments_raise_value_error() -> None:
    mesh = parse_obj(cube_obj())
    with pytest.raises(ValueError, match="map type"):
        render_texture_maps(mesh, map_types=["METALLIC"])
    with pytest.raises(ValueError, match="preview_direction"):
        render_texture_maps(mesh, preview=True, preview_direction="diagonal")
    full = render_texture_maps(mesh, size=32, map_types=["ALBEDO"])
    assert render_texture_maps(mesh, size=32, map_types=["ALBEDO"], preview_direction="diagonal") == full
    upper = render_texture_maps(mesh, size=32, map_types=["ALBEDO"], preview=True, preview_direction="BACK")
    assert upper == render_texture_maps(mesh, size=32, map_types=["ALBEDO"], preview=True, preview_direction="back")
    with pytest.raises(ValueError, match="size"):
        render_texture_maps(mesh, size=4)
    with pytest.raises(ValueError, match="finite"):
        render_texture_maps(mesh, front_rotation_offset=float("nan"))


def test_small_cube_renders_fast_and_many_triangles_render_everywhere() -> None:
    mesh = parse_obj(cube_obj())
    start = time.perf_counter()
    render_texture_maps(mesh, size=256)
    assert time.perf_counter() - start < 0.5  # target 0.2 s; generous for loaded CI machines
    sphere = parse_obj(cube_sphere_obj(8))
    albedo = decode(render_texture_maps(sphere, size=128, map_types=["ALBEDO"])["ALBEDO"])
    assert face_sides_in_albedo(albedo) == EXPECTED_SIDES[0]
