"""Shading normals for the bake's weights: faceted at hard edges, smooth elsewhere, across UV seams too."""

from __future__ import annotations

import numpy as np

from leonardo_blender.core.projection import MeshArrays, rasterize_uv
from leonardo_blender.core.projection.normals import corner_normals, face_normals, weld_by_position
from leonardo_blender.core.projection.samples import box, uv_sphere


def test_cube_corners_keep_their_face_normal() -> None:
    cube = box()
    normals = corner_normals(cube)
    assert np.allclose(normals, face_normals(cube)[:, None, :])  # a corner's diagonal normal would blend 3 views


def test_sphere_normals_are_smooth_even_across_its_split_seam() -> None:
    sphere = uv_sphere(16, 32)
    _groups, count = weld_by_position(sphere.positions)
    assert count < sphere.positions.shape[0]  # the seam and pole vertices are duplicated ...
    corners = sphere.positions[sphere.triangles]
    radial = corners / np.linalg.norm(corners, axis=-1, keepdims=True)
    normals = corner_normals(sphere)
    assert np.einsum("tkc,tkc->tk", normals, radial).min() > 0.995  # ... yet every corner is smooth


def test_texel_normals_are_unit_and_interpolated() -> None:
    surface = rasterize_uv(uv_sphere(12, 24), 64)
    lengths = np.linalg.norm(surface.normals, axis=1)
    assert np.allclose(lengths, 1, atol=1e-5)
    radial = surface.positions / np.linalg.norm(surface.positions, axis=1, keepdims=True)
    assert np.einsum("nc,nc->n", surface.normals, radial).min() > 0.99


def test_degenerate_triangles_get_zero_normals_not_nan() -> None:
    cube = box()
    squashed = cube.positions.copy()
    squashed[:, 2] = 0  # top and bottom collapse onto the side faces' plane; sides become slivers
    flat = MeshArrays.from_arrays(squashed, cube.triangles, cube.uvs)
    assert np.isfinite(corner_normals(flat)).all()
    assert np.isfinite(rasterize_uv(flat, 32).normals).all()
