"""Tests for the emulator's OBJ parser, side classification and texture-map rendering (no bpy).

The OBJ fixtures are written the way Blender's ``wm.obj_export`` writes them (forward -Z, up Y: a Blender
point (x, y, z) becomes OBJ (x, z, -y)), so the orientation checks here are the same ones a Blender render
test makes, minus Blender.
"""

from __future__ import annotations

import io
import time
import warnings
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from leonardo_blender.emulator.obj_mesh import ObjError, ObjMesh, parse_obj
from leonardo_blender.emulator.palette import (
    SIDE_COLORS,
    SIDE_ROUGHNESS,
    SIDES,
    UNTEXTURED_COLOR,
    UNTEXTURED_ROUGHNESS,
    nearest_side,
)
from leonardo_blender.emulator.texture_maps import (
    BACKGROUND_COLOR,
    MAP_TYPES,
    classify_triangles,
    front_direction,
    render_texture_maps,
    side_directions,
)

# --- fixtures: OBJ text as Blender's exporter writes it ---------------------------------------------

# Outward normal of each cube face in Blender's frame, with two in-plane axes (u x v = normal, so corners
# ordered (-,-), (+,-), (+,+), (-,+) are counter-clockwise seen from outside).
CUBE_FACES: dict[str, tuple[tuple[int, int, int], tuple[int, int, int], tuple[int, int, int]]] = {
    "-Y": ((0, -1, 0), (1, 0, 0), (0, 0, 1)),
    "+X": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "+Y": ((0, 1, 0), (-1, 0, 0), (0, 0, 1)),
    "-X": ((-1, 0, 0), (0, -1, 0), (0, 0, 1)),
    "+Z": ((0, 0, 1), (1, 0, 0), (0, 1, 0)),
    "-Z": ((0, 0, -1), (1, 0, 0), (0, -1, 0)),
}
CORNER_SIGNS = ((-1, -1), (1, -1), (1, 1), (-1, 1))
UV_MARGIN = 0.04  # 20 px between cells at 256 px, more than twice the dilation


def uv_cell(face_index: int) -> tuple[float, float, float, float]:
    """UV rectangle (u0, v0, u1, v1) of a face in a 3 x 2 grid: faces 0-2 in the bottom row."""
    col, row = face_index % 3, face_index // 3
    return (col / 3 + UV_MARGIN, row / 2 + UV_MARGIN, (col + 1) / 3 - UV_MARGIN, (row + 1) / 2 - UV_MARGIN)


def uv_cell_centre(face_index: int) -> tuple[float, float]:
    u0, v0, u1, v1 = uv_cell(face_index)
    return (u0 + u1) / 2, (v0 + v1) / 2


def blender_to_obj(point: Sequence[float]) -> tuple[float, float, float]:
    """What wm.obj_export (forward -Z, up Y) writes for a Blender-space point."""
    x, y, z = point
    return x, z, -y


def obj_text(
    vertices: Sequence[Sequence[float]],
    polygons: Sequence[Sequence[int]],
    polygon_uvs: Sequence[Sequence[tuple[float, float]]],
    *,
    flip_v: bool = False,
    negative_indices: bool = False,
    newline: str = "\n",
) -> bytes:
    """OBJ bytes in Blender's exporter layout (header, o, v, vn, vt, s, usemtl, f v/vt/vn)."""
    lines = ["# Blender 5.0.1", "# www.blender.org", "mtllib model.mtl", "o Model"]
    lines += ["v {:.6f} {:.6f} {:.6f}".format(*blender_to_obj(v)) for v in vertices]
    normals = []
    for polygon in polygons:
        p = np.array([vertices[i] for i in polygon], dtype=float)
        n = np.cross(p[1] - p[0], p[2] - p[0])
        normals.append(blender_to_obj(n / np.linalg.norm(n)))
    lines += ["vn {:.4f} {:.4f} {:.4f}".format(*n) for n in normals]
    flat_uvs = [uv for uvs in polygon_uvs for uv in uvs]
    lines += [f"vt {u:.6f} {(1 - v) if flip_v else v:.6f}" for u, v in flat_uvs]
    lines += ["s 0", "usemtl Material"]
    uv_counter = 0
    for face_number, polygon in enumerate(polygons):
        corners = []
        for vertex in polygon:
            vi, ti, ni = vertex + 1, uv_counter + 1, face_number + 1
            if negative_indices:
                vi, ti, ni = vi - len(vertices) - 1, ti - len(flat_uvs) - 1, ni - len(polygons) - 1
            corners.append(f"{vi}/{ti}/{ni}")
            uv_counter += 1
        lines.append("f " + " ".join(corners))
    return (newline.join(lines) + newline).encode()


def cube_obj(**kwargs: object) -> bytes:
    """Unit cube (Blender frame, one quad per face) with each face in its own cell of a 3 x 2 UV grid."""
    vertices: list[tuple[int, int, int]] = []
    polygons: list[list[int]] = []
    polygon_uvs: list[list[tuple[float, float]]] = []
    for face_index, (normal, u_axis, v_axis) in enumerate(CUBE_FACES.values()):
        u0, v0, u1, v1 = uv_cell(face_index)
        polygon = []
        for su, sv in CORNER_SIGNS:
            corner = tuple(normal[k] + su * u_axis[k] + sv * v_axis[k] for k in range(3))
            if corner not in vertices:
                vertices.append(corner)  # type: ignore[arg-type]
            polygon.append(vertices.index(corner))  # type: ignore[arg-type]
        polygons.append(polygon)
        polygon_uvs.append([(u0 if su < 0 else u1, v0 if sv < 0 else v1) for su, sv in CORNER_SIGNS])
    return obj_text(vertices, polygons, polygon_uvs, **kwargs)  # type: ignore[arg-type]


def cube_sphere_obj(subdivisions: int) -> bytes:
    """Cube subdivided into ``subdivisions``^2 quads per face, pushed onto a sphere; 3 x 2 UV grid.

    ``6 * subdivisions**2 * 2`` triangles. Built with numpy so large meshes are quick to make.
    """
    n = subdivisions
    grid = np.linspace(-1.0, 1.0, n + 1)
    su, sv = np.meshgrid(grid, grid, indexing="xy")  # (n+1, n+1), row = v
    lines = ["# Blender 5.0.1", "o Sphere"]
    vt_lines, f_lines = [], []
    quad = np.array([[0, 0], [1, 0], [1, 1], [0, 1]])  # (du, dv) corner offsets: counter-clockwise in (u, v)
    for face_index, (normal, u_axis, v_axis) in enumerate(CUBE_FACES.values()):
        points = np.array(normal) + su[..., None] * np.array(u_axis) + sv[..., None] * np.array(v_axis)
        points /= np.linalg.norm(points, axis=-1, keepdims=True)
        obj_points = np.stack([points[..., 0], points[..., 2], -points[..., 1]], axis=-1).reshape(-1, 3)
        lines += [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in obj_points.tolist()]
        u0, v0, u1, v1 = uv_cell(face_index)
        uvs = np.stack([u0 + (su + 1) / 2 * (u1 - u0), v0 + (sv + 1) / 2 * (v1 - v0)], axis=-1)
        vt_lines += [f"vt {u:.6f} {v:.6f}" for u, v in uvs.reshape(-1, 2).tolist()]
        base = face_index * (n + 1) ** 2 + 1
        rows, cols = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        index = base + (rows[..., None] + quad[:, 1]) * (n + 1) + cols[..., None] + quad[:, 0]
        f_lines += ["f " + " ".join(f"{i}/{i}" for i in corners) for corners in index.reshape(-1, 4).tolist()]
    return ("\n".join(lines + vt_lines + ["s 1"] + f_lines) + "\n").encode()


# Expected side of each cube face (named by its Blender-space normal) per front_rotation_offset, taken
# straight from the orientation rules: front = (sin t, -cos t, 0), right = (cos t, sin t, 0).
EXPECTED_SIDES: dict[float, dict[str, str]] = {
    0: {"-Y": "front", "+Y": "back", "+X": "right", "-X": "left", "+Z": "top", "-Z": "bottom"},
    90: {"+X": "front", "-X": "back", "+Y": "right", "-Y": "left", "+Z": "top", "-Z": "bottom"},
    -90: {"-X": "front", "+X": "back", "-Y": "right", "+Y": "left", "+Z": "top", "-Z": "bottom"},
    180: {"+Y": "front", "-Y": "back", "-X": "right", "+X": "left", "+Z": "top", "-Z": "bottom"},
}


def decode(jpeg: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG"
    return np.asarray(image.convert("RGB"), dtype=np.float64)


def off_grid(u: float, v: float) -> tuple[float, float]:
    """The centre of the 1/16 UV grid cell containing (u, v), away from the darker grid lines."""
    return (np.floor(u * 16) + 0.5) / 16, (np.floor(v * 16) + 0.5) / 16


def pixel_at_uv(image: np.ndarray, u: float, v: float) -> np.ndarray:
    """Mean colour of the 3 x 3 pixels around UV (u, v), using row = (1 - v) * size."""
    size = image.shape[0]
    row, col = int((1 - v) * size), int(u * size)
    return image[row - 1 : row + 2, col - 1 : col + 2].reshape(-1, 3).mean(axis=0)


def face_sides_in_albedo(albedo: np.ndarray) -> dict[str, str | None]:
    """Side that nearest_side() reads at each cube face's UV centre."""
    sides = {}
    for face_index, face in enumerate(CUBE_FACES):
        rgb = pixel_at_uv(albedo, *uv_cell_centre(face_index))
        sides[face] = nearest_side(tuple(rgb))
    return sides


# --- parsing ----------------------------------------------------------------------------------------


def test_parse_cube_has_six_quads_as_twelve_triangles() -> None:
    mesh = parse_obj(cube_obj())
    assert mesh.positions.shape == (8, 3)
    assert mesh.uvs.shape == (24, 2)
    assert mesh.tri_positions.shape == (12, 3)
    assert mesh.polygon_count == 6
    assert np.array_equal(np.bincount(mesh.tri_polygon), [2] * 6)
    assert mesh.positions.dtype == np.float64 and mesh.tri_uvs.dtype == np.int64


def test_negative_indices_and_crlf_give_the_same_mesh() -> None:
    plain = parse_obj(cube_obj())
    other = parse_obj(cube_obj(negative_indices=True, newline="\r\n"))
    for field in ("positions", "uvs", "tri_positions", "tri_uvs", "tri_polygon"):
        assert np.array_equal(getattr(plain, field), getattr(other, field)), field


def test_negative_indices_are_relative_to_the_face_line() -> None:
    text = b"v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\nf -3/-3 -2/-2 -1/-1\n"
    text += b"v 5 5 5\nv 6 5 5\nv 5 6 5\nf -3/1 -2/2 -1/3\n"
    mesh = parse_obj(text)
    assert mesh.tri_positions.tolist() == [[0, 1, 2], [3, 4, 5]]


def test_ngon_is_fan_triangulated_with_one_polygon_index() -> None:
    angles = np.linspace(0, 2 * np.pi, 6, endpoint=False)
    text = "".join(f"v {np.cos(a):.4f} {np.sin(a):.4f} 0\nvt {a:.3f} 0.5\n" for a in angles)
    text += "f 1/1 2/2 3/3 4/4 5/5 6/6\nf 1/1 2/2 3/3\n"
    mesh = parse_obj(text.encode())
    assert mesh.tri_positions.tolist() == [[0, 1, 2], [0, 2, 3], [0, 3, 4], [0, 4, 5], [0, 1, 2]]
    assert mesh.tri_uvs.tolist() == mesh.tri_positions.tolist()
    assert mesh.tri_polygon.tolist() == [0, 0, 0, 0, 1]
    assert mesh.polygon_count == 2


def test_ignores_blender_extras_and_extra_vertex_components() -> None:
    text = (
        b"# comment\nmtllib a.mtl\no A\ng grp\nv 0 0 0 1 0 0\nv 1 0 0 0 1 0\nv 0 1 0 0 0 1\n"
        b"vn 0 0 1\nvt 0 0 0\nvt 1 0\nvt 0 1\ns off\nusemtl M\nl 1 2\nf 1/1/1 2/2/1 3/3/1\n"
    )
    mesh = parse_obj(text)
    assert mesh.positions.tolist() == [[0, 0, 0], [1, 0, 0], [0, 1, 0]]
    assert mesh.uvs.tolist() == [[0, 0], [1, 0], [0, 1]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"v 0 0 0\nvt 0 0\n", "OBJ has no faces"),
        (b"", "OBJ has no faces"),
        (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", "OBJ has no texture coordinates (vt lines)"),
        (
            b"v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvn 0 0 1\nf 1/1/1 2/1/1 3/1/1\nf 1//1 2//1 3//1\n",
            "face 2 has no UV",
        ),
        (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nf 1 2 3\n", "face 1 has no UV"),
        (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nf 1/1 2/1 4/1\n", "face 1 refers to v 4"),
        (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nf 1/1 2/2 3/1\n", "refers to vt 2"),
        (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nf 0/1 2/1 3/1\n", "refers to v 0"),
        (b"v 0 0 0\nv 1 0 0\nvt 0 0\nf 1/1 2/1\n", "face 1 has fewer than 3 vertices"),
        (b"v 0 0 x\nv 1 0 0\nv 0 1 0\nvt 0 0\nf 1/1 2/1 3/1\n", "not a list of numbers"),
        (b"v 0 0 nan\nv 1 0 0\nv 0 1 0\nvt 0 0\nf 1/1 2/1 3/1\n", "non-finite"),
        (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nf 1/1 2/a 3/1\n", "not an integer"),
        (
            b"v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nf 1/1 2/1 3/1\nf 1/1/ 2/1 3/1\n",
            "face 2 has a malformed corner",
        ),
        (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nf 1/1/1/1 2/1 3/1\n", "face 1 has a malformed corner"),
    ],
)
def test_parse_errors_are_user_facing(text: bytes, message: str) -> None:
    with pytest.raises(ObjError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_obj(text)


_FLOAT = st.floats(-10, 10).map(lambda x: f"{x:.3f}")
_INDEX = st.integers(-5, 6).map(str)
_CORNER = st.one_of(
    st.tuples(_INDEX, _INDEX).map("/".join),
    st.tuples(_INDEX, _INDEX, _INDEX).map("/".join),
    st.tuples(_INDEX, _INDEX).map("//".join),
    _INDEX,
    st.text(alphabet="/-1x. ", max_size=4),
)
_LINE = st.one_of(
    st.lists(_FLOAT, min_size=2, max_size=4).map(lambda xs: "v " + " ".join(xs)),
    st.lists(_FLOAT, min_size=1, max_size=3).map(lambda xs: "vt " + " ".join(xs)),
    st.lists(_CORNER, min_size=2, max_size=5).map(lambda cs: "f " + " ".join(cs)),
    st.sampled_from(["vn 0 0 1", "o Cube", "# c", "s 0", "usemtl M", "", "  v\t1 2 3", "vt nan 0", "f"]),
    st.text(max_size=12),
)
_OBJ_LIKE = st.tuples(st.lists(_LINE, max_size=30), st.sampled_from(["\n", "\r\n", "\r"])).map(
    lambda parts: parts[1].join(parts[0]).encode("utf-8", "surrogatepass")
)


@settings(max_examples=250, deadline=None)
@given(st.one_of(_OBJ_LIKE, st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary()))
def test_parse_obj_only_ever_raises_obj_error(data: bytes) -> None:
    try:
        mesh = parse_obj(data)
    except ObjError:
        return
    assert isinstance(mesh, ObjMesh)
    assert mesh.tri_positions.min() >= 0 and mesh.tri_positions.max() < len(mesh.positions)
    assert mesh.tri_uvs.min() >= 0 and mesh.tri_uvs.max() < len(mesh.uvs)
    assert mesh.polygon_count >= 1 and np.isfinite(mesh.positions).all()


@st.composite
def valid_obj(draw: st.DrawFn) -> tuple[bytes, list[list[int]], list[list[int]]]:
    """Random valid OBJ (n-gons, positive/negative indices, v/vt and v/vt/vn) plus its fan triangles."""
    n_v, n_t = draw(st.integers(3, 8)), draw(st.integers(1, 8))
    lines = [f"v {i} {i * 2} {-i}" for i in range(n_v)] + [f"vt {i / 10} 0.5" for i in range(n_t)]
    lines.append("vn 0 0 1")
    tri_v: list[list[int]] = []
    tri_t: list[list[int]] = []
    for _ in range(draw(st.integers(1, 6))):
        size = draw(st.integers(3, 6))
        vs = draw(st.lists(st.integers(0, n_v - 1), min_size=size, max_size=size))
        ts = draw(st.lists(st.integers(0, n_t - 1), min_size=size, max_size=size))
        negative, with_normal = draw(st.booleans()), draw(st.booleans())
        corners = [
            f"{v - n_v if negative else v + 1}/{t - n_t if negative else t + 1}" + ("/1" if with_normal else "")
            for v, t in zip(vs, ts, strict=True)
        ]
        lines.append("f " + " ".join(corners))
        tri_v += [[vs[0], vs[k], vs[k + 1]] for k in range(1, size - 1)]
        tri_t += [[ts[0], ts[k], ts[k + 1]] for k in range(1, size - 1)]
    return "\n".join(lines).encode(), tri_v, tri_t


@settings(max_examples=100, deadline=None)
@given(valid_obj())
def test_parse_obj_matches_a_naive_reference(case: tuple[bytes, list[list[int]], list[list[int]]]) -> None:
    data, tri_v, tri_t = case
    mesh = parse_obj(data)
    assert mesh.tri_positions.tolist() == tri_v
    assert mesh.tri_uvs.tolist() == tri_t


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


def test_parser_accepts_tabs_and_indented_lines() -> None:
    text = b"  v\t0 0 0\n\tv 1 0 0\nv 0 1 0\n  vt 0 0\nvt\t1 0\nvt 0 1\n f\t1/1 2/2\t3/3\n"
    mesh = parse_obj(text)
    assert mesh.positions.shape == (3, 3) and mesh.uvs.shape == (3, 2)
    assert mesh.tri_positions.tolist() == [[0, 1, 2]]
