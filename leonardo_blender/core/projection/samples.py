"""Synthetic meshes with known geometry and UVs, for tests, benchmarks and demos.

:func:`box` is Blender's default cube with Blender's default UV unwrap (a cross: each face a 1/4 x 1/4
square, some rotated), so a bake of it reads like a bake of the real default cube. :func:`uv_sphere`
is a latitude/longitude sphere with one rectangular UV island.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .mesh import MeshArrays

# Blender's default cube in Blender's frame (Z up, front = -Y), and its default UV unwrap: each face a
# quad of (vertex, uv) corners, counter-clockwise seen from outside.
_CUBE_CORNERS = np.array(
    [[1, 1, 1], [1, 1, -1], [1, -1, 1], [1, -1, -1], [-1, 1, 1], [-1, 1, -1], [-1, -1, 1], [-1, -1, -1]],
    dtype=np.float64,
)
_CUBE_UVS = np.array(
    [
        [0.625, 0.5], [0.875, 0.5], [0.875, 0.75], [0.625, 0.75], [0.375, 0.75], [0.625, 1.0], [0.375, 1.0],
        [0.375, 0.0], [0.625, 0.0], [0.625, 0.25], [0.375, 0.25], [0.125, 0.5], [0.375, 0.5], [0.125, 0.75],
    ]
)  # fmt: skip
CUBE_FACES: dict[str, tuple[tuple[int, int], ...]] = {  # side -> ((vertex, uv) per corner)
    "top": ((0, 0), (4, 1), (6, 2), (2, 3)),
    "front": ((3, 4), (2, 3), (6, 5), (7, 6)),
    "left": ((7, 7), (6, 8), (4, 9), (5, 10)),
    "bottom": ((5, 11), (1, 12), (3, 4), (7, 13)),
    "right": ((1, 12), (0, 0), (2, 3), (3, 4)),
    "back": ((5, 10), (4, 9), (0, 0), (1, 12)),
}


def box(
    center: Sequence[float] = (0.0, 0.0, 0.0),
    half_size: float | Sequence[float] = 1.0,
    uv_offset: Sequence[float] = (0.0, 0.0),
    uv_scale: float = 1.0,
) -> MeshArrays:
    """Blender's default cube (12 triangles), moved and scaled; its UVs scaled then offset."""
    positions = np.asarray(center, dtype=np.float64) + _CUBE_CORNERS * np.asarray(half_size, dtype=np.float64)
    triangles: list[list[int]] = []
    uvs = []
    for corners in CUBE_FACES.values():
        for a, b, c in ((0, 1, 2), (0, 2, 3)):
            triangles.append([corners[a][0], corners[b][0], corners[c][0]])
            uvs.append([_CUBE_UVS[corners[k][1]] for k in (a, b, c)])
    return MeshArrays.from_arrays(positions, np.array(triangles), np.asarray(uvs) * uv_scale + np.asarray(uv_offset))


def cube_face_uv(side: str, s: float, t: float) -> tuple[float, float]:
    """UV of the point at parameters ``(s, t)`` in 0..1 of a :func:`box` face (bilinear over its quad)."""
    corners = CUBE_FACES[side]
    quad = _CUBE_UVS[[uv for _, uv in corners]]
    point = (1 - s) * (1 - t) * quad[0] + s * (1 - t) * quad[1] + s * t * quad[2] + (1 - s) * t * quad[3]
    return float(point[0]), float(point[1])


def cube_face_point(
    side: str, s: float, t: float, center: Sequence[float] = (0, 0, 0), half: float = 1.0
) -> np.ndarray:
    """World position of the point at ``(s, t)`` of a :func:`box` face (same parametrisation as the UVs)."""
    corners = CUBE_FACES[side]
    quad = _CUBE_CORNERS[[vertex for vertex, _ in corners]] * half + np.asarray(center, dtype=np.float64)
    return (1 - s) * (1 - t) * quad[0] + s * (1 - t) * quad[1] + s * t * quad[2] + (1 - s) * t * quad[3]


def merge(meshes: Sequence[MeshArrays]) -> MeshArrays:
    """One mesh holding all of ``meshes`` (triangle order kept, vertex indices shifted)."""
    offsets = np.cumsum([0] + [mesh.positions.shape[0] for mesh in meshes[:-1]])
    return MeshArrays.from_arrays(
        np.concatenate([mesh.positions for mesh in meshes]),
        np.concatenate([mesh.triangles + offset for mesh, offset in zip(meshes, offsets, strict=True)]),
        np.concatenate([mesh.uvs for mesh in meshes]),
    )


def uv_sphere(rings: int, segments: int, radius: float = 1.0, uv_margin: float = 0.02) -> MeshArrays:
    """A latitude/longitude sphere, about ``2 * rings * segments`` triangles, UVs one island (u = longitude).

    Vertices along the seam and at the poles are duplicated per UV corner, as an exported mesh has them.
    """
    if rings < 2 or segments < 3:
        raise ValueError("a sphere needs at least 2 rings and 3 segments")
    latitude = np.linspace(0.0, np.pi, rings + 1)
    longitude = np.linspace(0.0, 2.0 * np.pi, segments + 1)
    lat, lon = np.meshgrid(latitude, longitude, indexing="ij")
    positions = radius * np.stack([np.sin(lat) * np.cos(lon), np.sin(lat) * np.sin(lon), np.cos(lat)], axis=-1)
    uv = np.stack([lon / (2.0 * np.pi), 1.0 - lat / np.pi], axis=-1) * (1.0 - 2.0 * uv_margin) + uv_margin
    index = np.arange((rings + 1) * (segments + 1)).reshape(rings + 1, segments + 1)
    a, b = index[:-1, :-1].ravel(), index[:-1, 1:].ravel()
    c, d = index[1:, 1:].ravel(), index[1:, :-1].ravel()
    triangles = np.concatenate([np.stack([a, d, c], axis=1), np.stack([a, c, b], axis=1)])
    flat_positions = positions.reshape(-1, 3)
    corners = flat_positions[triangles]
    area = np.linalg.norm(np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1)
    triangles = triangles[area > 1e-12 * radius * radius]  # drop the slivers at the poles
    return MeshArrays.from_arrays(flat_positions, triangles, uv.reshape(-1, 2)[triangles])
