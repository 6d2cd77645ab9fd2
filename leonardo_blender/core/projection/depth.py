"""Depth maps of a view, for the ControlNet "Depth to Image" input and for the bake's visibility test.

The PNG convention is the one depth ControlNets are trained on: near is bright. The nearest point of
the mesh is 255, the farthest :data:`DEPTH_FAR_VALUE`, linear in between, and the background 0, so
even the farthest surface stands clearly apart from the background.
"""

from __future__ import annotations

import numpy as np

from .mesh import MeshArrays
from .raster import nearest_depth
from .views import ViewSpec

DEPTH_NEAR_VALUE = 255
DEPTH_FAR_VALUE = 48
BACKGROUND_VALUE = 0


def render_depth(view: ViewSpec, mesh: MeshArrays) -> tuple[np.ndarray, np.ndarray]:
    """``(png_pixels (size, size) uint8, depth_buffer (size, size) float32)`` of the mesh seen by ``view``.

    ``depth_buffer`` is the world-space depth (``dot(p - center, forward)``, larger is farther) of the
    nearest surface at each pixel centre, ``+inf`` where no triangle covers it. Row 0 is the top.
    """
    col, row, depth = view.project(mesh.positions)
    tri_xy = np.stack([col, row], axis=1)[mesh.triangles]
    buffer = nearest_depth(tri_xy, depth[mesh.triangles], view.size, view.size)
    return depth_to_png(buffer, view.near, view.far), buffer


def depth_to_png(buffer: np.ndarray, near: float, far: float) -> np.ndarray:
    """Grey levels of a depth buffer: ``near`` -> 255, ``far`` -> 48, linear, ``inf`` -> 0 (uint8)."""
    covered = np.isfinite(buffer)
    span = far - near
    if span > 0:
        closeness = np.clip((far - np.where(covered, buffer, far)) / span, 0.0, 1.0)
    else:
        closeness = np.ones(buffer.shape, dtype=np.float32)
    grey = DEPTH_FAR_VALUE + closeness * (DEPTH_NEAR_VALUE - DEPTH_FAR_VALUE)
    return np.where(covered, np.rint(grey), BACKGROUND_VALUE).astype(np.uint8)
