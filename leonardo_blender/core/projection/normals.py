"""Per-corner shading normals of a mesh: smooth across soft edges, faceted across hard ones.

The bake weighs each view by how squarely it sees a texel, so the normal decides which view paints
where. Interpolated vertex normals keep that weight continuous over curved surfaces (no facet-shaped
steps in the blend of a low-poly sphere), but a vertex shared by faces meeting at a hard edge (a
cube's corner) would get a diagonal normal and blend three views over whole faces. So each corner
uses the angle-weighted vertex normal only when it is within :data:`HARD_EDGE_DEGREES` of the face's
own normal, and the face normal otherwise. Vertices at the same position are welded for this, so a
mesh split along its UV seams (as exporters write it) is still smooth across the seams.
"""

from __future__ import annotations

import numpy as np

from .mesh import MeshArrays

HARD_EDGE_DEGREES = 30.0


def face_normals(mesh: MeshArrays) -> np.ndarray:
    """``(T, 3)`` float32 unit normals (counter-clockwise corners face the viewer); zero for degenerate faces."""
    a, b, c = (mesh.positions[mesh.triangles[:, corner]] for corner in range(3))
    return _normalized(np.cross(b - a, c - a))


def corner_normals(mesh: MeshArrays, hard_edge_degrees: float = HARD_EDGE_DEGREES) -> np.ndarray:
    """``(T, 3, 3)`` float32 unit normal at each triangle corner (see the module docstring)."""
    corners = [mesh.positions[mesh.triangles[:, corner]] for corner in range(3)]  # 3 x (T, 3) float32
    faces = _normalized(np.cross(corners[1] - corners[0], corners[2] - corners[0]))
    edges = [_normalized(corners[(k + 1) % 3] - corners[k]) for k in range(3)]  # edge k: corner k -> k + 1
    welded, vertex_count = weld_by_position(mesh.positions)
    corner_vertices = welded[mesh.triangles]
    vertex_normals = np.zeros((3, vertex_count), dtype=np.float64)
    for corner in range(3):
        # interior angle between the edges leaving this corner: to the next corner and to the previous one
        cosine = -np.einsum("tc,tc->t", edges[corner], edges[(corner + 2) % 3])
        angle = np.arccos(np.clip(cosine, -1.0, 1.0))
        for axis in range(3):
            vertex_normals[axis] += np.bincount(
                corner_vertices[:, corner], weights=angle * faces[:, axis], minlength=vertex_count
            )
    smooth = _normalized(vertex_normals.T.astype(np.float32))[corner_vertices]  # (T, 3, 3)
    agrees = np.einsum("tkc,tc->tk", smooth, faces) >= np.float32(np.cos(np.radians(hard_edge_degrees)))
    return np.where(agrees[:, :, None], smooth, faces[:, None, :])


def weld_by_position(positions: np.ndarray) -> tuple[np.ndarray, int]:
    """``(group (V,) int64, group count)``: vertices with bitwise-equal positions share a group."""
    if positions.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), 0
    bits = (np.asarray(positions, dtype=np.float32) + np.float32(0)).view(np.uint32)  # -0.0 becomes 0.0
    order = np.lexsort((bits[:, 2], bits[:, 1], bits[:, 0]))
    ordered = bits[order]
    starts = np.ones(order.size, dtype=bool)
    starts[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    group = np.empty(order.size, dtype=np.int64)
    group[order] = np.cumsum(starts) - 1
    return group, int(starts.sum())


def _normalized(vectors: np.ndarray) -> np.ndarray:
    """float32 vectors ``(..., 3)`` scaled to unit length; zero vectors stay zero."""
    vectors = np.asarray(vectors, dtype=np.float32)
    length = np.sqrt(np.einsum("...c,...c->...", vectors, vectors))[..., None]
    return vectors / np.where(length > 0, length, np.float32(1))
