"""The texels of the bake: where each covered texel of the mesh's UV map lies on the surface.

Computed once per job and shared by every view. A texel is covered when its centre lies inside a
UV triangle (UV ``(u, v)`` maps to pixel ``(u * size, (1 - v) * size)``: row 0 is ``v = 1``, as
Blender and OBJ expect). Where UV islands overlap, the triangle with the highest index wins ("last
writer wins"): the overlapping triangles then share that triangle's colours. Texels outside
``0..1`` (tiled UVs) are not baked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .mesh import MeshArrays
from .normals import corner_normals
from .raster import keep_last, rasterize


@dataclass
class UvSurface:
    """Covered texels of a ``size x size`` bake, with world position and shading normal of each."""

    size: int
    texel_index: np.ndarray  # (N,) int64 flat index row * size + col of each covered texel
    positions: np.ndarray  # (N, 3) float32 world position of the texel centre
    normals: np.ndarray  # (N, 3) float32 unit shading normal (see normals.corner_normals), zero if degenerate

    @property
    def texel_count(self) -> int:
        return int(self.texel_index.shape[0])


def uv_to_pixels(uvs: np.ndarray, size: int) -> np.ndarray:
    """UV coordinates to continuous pixel coordinates ``(x, y)`` of a bake, y pointing down."""
    uvs = np.asarray(uvs, dtype=np.float64)
    return np.stack([uvs[..., 0] * size, (1.0 - uvs[..., 1]) * size], axis=-1)


def rasterize_uv(mesh: MeshArrays, size: int) -> UvSurface:
    """Rasterise the mesh's UV map at ``size`` and interpolate position and normal at each texel centre."""
    if size < 1:
        raise ValueError(f"bake size must be a positive number of texels, got {size}")
    corner_values = np.concatenate([mesh.positions[mesh.triangles], corner_normals(mesh)], axis=2)  # (T, 3, 6)
    fragments = keep_last(rasterize(uv_to_pixels(mesh.uvs, size), size, size, corner_values))
    values = fragments.values
    positions = np.ascontiguousarray(values[:, :3])
    squared_length = values[:, 3] * values[:, 3] + values[:, 4] * values[:, 4] + values[:, 5] * values[:, 5]
    inverse_length = 1 / np.sqrt(np.where(squared_length > 0, squared_length, np.float32(1)))
    normals = values[:, 3:] * inverse_length[:, None]  # a contiguous, normalised copy
    return UvSurface(size=size, texel_index=fragments.pixel, positions=positions, normals=normals)
