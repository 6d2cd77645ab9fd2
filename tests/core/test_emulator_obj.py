"""Tests for the emulator's OBJ parser (no bpy).

The OBJ fixtures are written the way Blender's ``wm.obj_export`` writes them (forward -Z, up Y: a Blender
point (x, y, z) becomes OBJ (x, z, -y)), so the orientation checks here are the same ones a Blender render
test makes, minus Blender.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leonardo_blender.emulator.content.obj_mesh import ObjError, ObjMesh, parse_obj
from tests.core.emulator_meshes import (
    cube_obj,
)

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


def test_parser_accepts_tabs_and_indented_lines() -> None:
    text = b"  v\t0 0 0\n\tv 1 0 0\nv 0 1 0\n  vt 0 0\nvt\t1 0\nvt 0 1\n f\t1/1 2/2\t3/3\n"
    mesh = parse_obj(text)
    assert mesh.positions.shape == (3, 3) and mesh.uvs.shape == (3, 2)
    assert mesh.tri_positions.tolist() == [[0, 1, 2]]
