"""Copy the object's evaluated mesh into plain arrays for the projection engine (main thread only).

What the projection engine bakes into is what Blender renders: the evaluated mesh (modifiers applied)
in world space, triangulated (``loop_triangles``), with the per-corner UVs of the UV map the material
will read. ``foreach_get`` copies everything into numpy in one call per array, so even a large mesh
costs the main thread little; the worker then saves, plans, rasterizes and bakes on its own.
"""

from __future__ import annotations

import bpy
import numpy as np

from ...core.projection import MeshArrays
from .mesh_export import SelectionError, read_uvs


def capture(context: bpy.types.Context, obj: bpy.types.Object, uv_map: str) -> MeshArrays:
    """World-space triangles and UVs of ``obj`` as it renders; ``uv_map`` names the UV map to bake into."""
    if obj.mode == "EDIT":
        obj.update_from_editmode()
    depsgraph = context.evaluated_depsgraph_get()
    evaluated = obj.evaluated_get(depsgraph)
    mesh = evaluated.to_mesh()
    try:
        if hasattr(mesh, "calc_loop_triangles"):
            mesh.calc_loop_triangles()
        layer = mesh.uv_layers.get(uv_map) if uv_map else None
        layer = layer or mesh.uv_layers.active
        if layer is None:
            raise SelectionError(f"'{obj.name}' has no UV map to bake into; unwrap it first")
        vertex_count, loop_count, triangle_count = len(mesh.vertices), len(mesh.loops), len(mesh.loop_triangles)
        if triangle_count == 0:
            raise SelectionError(f"'{obj.name}' has no faces")
        coordinates = np.empty(vertex_count * 3, dtype=np.float32)
        mesh.vertices.foreach_get("co", coordinates)
        triangles = np.empty(triangle_count * 3, dtype=np.int32)
        mesh.loop_triangles.foreach_get("vertices", triangles)
        corners = np.empty(triangle_count * 3, dtype=np.int32)
        mesh.loop_triangles.foreach_get("loops", corners)
        uvs = np.empty(loop_count * 2, dtype=np.float32)
        read_uvs(layer, uvs)
    finally:
        evaluated.to_mesh_clear()
    matrix = np.array(evaluated.matrix_world, dtype=np.float64)
    positions = coordinates.reshape(-1, 3) @ matrix[:3, :3].T.astype(np.float32) + matrix[:3, 3].astype(np.float32)
    return MeshArrays.from_arrays(
        positions=positions,
        triangles=triangles.reshape(-1, 3),
        uvs=uvs.reshape(-1, 2)[corners].reshape(-1, 3, 2),
    )
