"""Reading the add-on's own OBJ export back into projection mesh arrays (the AUTO fallback's input)."""

from __future__ import annotations

import numpy as np
import pytest

from leonardo_blender.core.obj_arrays import ObjReadError, mesh_arrays_from_obj
from tests.core.obj_samples import cube_obj

QUAD_AND_TRIANGLE = b"""# Blender 5.0.1
# www.blender.org
o Thing
v 0.0 0.0 0.0
v 1.0 0.0 0.0
v 1.0 1.0 0.0
v 0.0 1.0 0.0
v 0.0 0.0 -1.0
vn 0.0 0.0 1.0
vt 0.0 0.0
vt 1.0 0.0
vt 1.0 1.0
vt 0.0 1.0
s 0
f 1/1/1 2/2/1 3/3/1 4/4/1
s 1
f 1/1/1 2/2/1 5/3/1
"""


def test_quads_are_fanned_and_axes_turned_back_to_blender():
    mesh = mesh_arrays_from_obj(QUAD_AND_TRIANGLE)
    assert mesh.triangles.tolist() == [[0, 1, 2], [0, 2, 3], [0, 1, 4]]
    # OBJ (x, y, z) with -Z forward / Y up is Blender (x, -z, y)
    assert mesh.positions[2].tolist() == [1.0, 0.0, 1.0]
    assert mesh.positions[4].tolist() == [0.0, 1.0, 0.0]
    assert mesh.uvs[1].tolist() == [[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]]


def test_line_endings_names_and_formats_do_not_matter():
    crlf = mesh_arrays_from_obj(QUAD_AND_TRIANGLE.replace(b"\n", b"\r\n"))
    plain = mesh_arrays_from_obj(QUAD_AND_TRIANGLE)
    assert np.array_equal(crlf.triangles, plain.triangles) and np.array_equal(crlf.uvs, plain.uvs)
    no_normals = QUAD_AND_TRIANGLE.replace(b"/1 ", b" ").replace(b"/1\n", b"\n")
    assert np.array_equal(mesh_arrays_from_obj(no_normals).triangles, plain.triangles)


def test_the_emulator_sample_cube_reads_as_twelve_triangles():
    mesh = mesh_arrays_from_obj(cube_obj())
    assert mesh.triangle_count == 12
    low, high = mesh.bounds
    assert np.allclose(high - low, 2.0)


@pytest.mark.parametrize(
    "broken, message",
    [
        (b"", "empty"),
        (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", "texture coordinates"),
        (b"v 0 0 0\nvt 0 0\n", "no faces"),
        (QUAD_AND_TRIANGLE.replace(b"f 1/1/1 2/2/1 5/3/1", b"f 1/1/1 2/2/1 9/3/1"), "do not exist"),
        (QUAD_AND_TRIANGLE.replace(b"v 1.0 0.0 0.0", b"v 1.0 zero 0.0"), "not numbers"),
        (QUAD_AND_TRIANGLE.replace(b"f 1/1/1 2/2/1 5/3/1", b"f 1/1/1 2/2/1"), "malformed"),
    ],
)
def test_broken_files_say_what_is_wrong(broken, message):
    with pytest.raises(ObjReadError, match=message):
        mesh_arrays_from_obj(broken)
