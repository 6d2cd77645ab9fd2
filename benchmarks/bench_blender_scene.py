"""Scenes for the benchmark's Blender child: a UV sphere of any size, its triangle count, the selection.

Runs only in headless Blender (the ``bpy`` module); the sphere is built with numpy so a
1M-triangle mesh takes seconds, not minutes.
"""

from __future__ import annotations

import math

import bpy
import numpy as np


def sphere(triangles: int, name: str = "Sphere", location: tuple[float, float, float] = (0, 0, 0)) -> bpy.types.Object:
    """A UV sphere with about ``triangles`` triangles and a UV map (so no unwrap is timed), built with
    numpy and ``foreach_set``: ``primitive_uv_sphere_add`` takes minutes at 1M triangles."""
    rings = max(4, round(math.sqrt(triangles / 4)))
    segments = 2 * rings
    polar = np.linspace(0.0, math.pi, rings + 1)[1:-1]
    azimuth = np.linspace(0.0, 2 * math.pi, segments, endpoint=False)
    ring_co = np.stack(
        [
            np.outer(np.sin(polar), np.cos(azimuth)),
            np.outer(np.sin(polar), np.sin(azimuth)),
            np.repeat(np.cos(polar)[:, None], segments, axis=1),
        ],
        axis=-1,
    ).reshape(-1, 3)
    bottom = 1 + ring_co.shape[0]
    co = np.concatenate([[[0.0, 0.0, 1.0]], ring_co, [[0.0, 0.0, -1.0]]]).astype(np.float32)

    def at(ring: np.ndarray, seg: np.ndarray) -> np.ndarray:
        return 1 + ring * segments + seg % segments

    j = np.arange(segments)
    i = np.arange(rings - 2)
    ii, jj = np.meshgrid(i, j, indexing="ij")
    top = np.stack([np.zeros(segments, int), at(np.zeros_like(j), j), at(np.zeros_like(j), j + 1)], axis=1)
    quads = np.stack([at(ii, jj), at(ii + 1, jj), at(ii + 1, jj + 1), at(ii, jj + 1)], axis=-1).reshape(-1, 4)
    last = np.full_like(j, rings - 2)
    low = np.stack([at(last, j), np.full(segments, bottom), at(last, j + 1)], axis=1)

    # UVs per corner: u follows the azimuth without wrapping (the seam gets u = 1), v the latitude
    def u_of(seg: np.ndarray) -> np.ndarray:
        return seg / segments

    def v_of(ring: np.ndarray) -> np.ndarray:
        return 1.0 - (ring + 1) / rings

    top_uv = np.stack(
        [
            np.stack([u_of(j + 0.5), np.ones(segments)], 1),
            np.stack([u_of(j), v_of(0 * j)], 1),
            np.stack([u_of(j + 1), v_of(0 * j)], 1),
        ],
        axis=1,
    )
    quad_uv = np.stack(
        [
            np.stack([u_of(jj), v_of(ii)], -1),
            np.stack([u_of(jj), v_of(ii + 1)], -1),
            np.stack([u_of(jj + 1), v_of(ii + 1)], -1),
            np.stack([u_of(jj + 1), v_of(ii)], -1),
        ],
        axis=-2,
    ).reshape(-1, 4, 2)
    low_uv = np.stack(
        [
            np.stack([u_of(j), v_of(last)], 1),
            np.stack([u_of(j + 0.5), np.zeros(segments)], 1),
            np.stack([u_of(j + 1), v_of(last)], 1),
        ],
        axis=1,
    )
    loops = np.concatenate([top.ravel(), quads.ravel(), low.ravel()]).astype(np.int32)
    uvs = np.concatenate([top_uv.reshape(-1, 2), quad_uv.reshape(-1, 2), low_uv.reshape(-1, 2)]).astype(np.float32)
    sizes = np.concatenate([np.full(len(top), 3), np.full(len(quads), 4), np.full(len(low), 3)])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int32)

    mesh = bpy.data.meshes.new(name)
    mesh.vertices.add(len(co))
    mesh.vertices.foreach_set("co", co.ravel())
    mesh.loops.add(len(loops))
    mesh.loops.foreach_set("vertex_index", loops)
    mesh.polygons.add(len(sizes))
    mesh.polygons.foreach_set("loop_start", starts)
    if bpy.app.version < (4, 0, 0):
        mesh.polygons.foreach_set("loop_total", sizes.astype(np.int32))
    mesh.uv_layers.new(name="UVMap").data.foreach_set("uv", uvs.ravel())
    mesh.update()
    obj = bpy.data.objects.new(name, mesh)
    obj.location = location
    bpy.context.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    return obj


def triangle_count(obj: bpy.types.Object) -> int:
    sizes = np.empty(len(obj.data.polygons), dtype=np.int32)
    obj.data.polygons.foreach_get("loop_total", sizes)
    return int((sizes - 2).sum())


def select_only(*objects: bpy.types.Object) -> None:
    view_layer = bpy.context.view_layer
    for other in view_layer.objects:
        other.select_set(False)
    for obj in objects:
        obj.select_set(True)
    view_layer.objects.active = objects[0]
