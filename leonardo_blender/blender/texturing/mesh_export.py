"""Check the selection, make sure it has UVs, and export one object as the OBJ the service expects.

Main thread only. The export uses Blender's native exporter (``wm.obj_export``): evaluated mesh
(modifiers applied), world transform applied, forward -Z / up Y (the service's convention), UVs and
normals, no materials. The exporter silently writes nothing for hidden or unselected objects, so the
selection is made real for the call and the file is checked afterwards.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import bpy
import numpy as np

SMART_UV_ANGLE = math.radians(66.0)
SMART_UV_MARGIN = 0.02


class SelectionError(ValueError):
    """A user-facing reason why the selection cannot be textured."""


@dataclass(frozen=True)
class PreparedMesh:
    object_name: str
    uv_map: str
    unwrapped: bool
    warnings: tuple[str, ...]


def texturable_objects(context: bpy.types.Context) -> list[bpy.types.Object]:
    """The selected mesh objects, or a ``SelectionError`` that says what is wrong and what to do."""
    # Not context.selected_objects: it silently leaves out hidden objects, which deserve a message.
    selected = [obj for obj in context.view_layer.objects if obj.select_get()]
    active = context.view_layer.objects.active
    if not selected and active is not None and not active.visible_get():
        raise SelectionError(f"'{active.name}' is hidden: unhide it (Alt+H) and select it to texture it")
    if not selected:
        raise SelectionError("Nothing is selected: select a mesh object to texture")
    problems: list[str] = []
    meshes: list[bpy.types.Object] = []
    for obj in selected:
        if obj.type != "MESH":
            problems.append(
                f"'{obj.name}' is a {obj.type.lower()}, not a mesh (convert it with Object > Convert > Mesh)"
            )
        elif len(obj.data.polygons) == 0:
            problems.append(f"'{obj.name}' has no faces")
        elif not obj.visible_get():
            problems.append(f"'{obj.name}' is hidden: unhide it to texture it")
        else:
            meshes.append(obj)
    if problems:
        raise SelectionError("; ".join(problems))
    return meshes


def read_uvs(layer: bpy.types.MeshUVLoopLayer, out: np.ndarray) -> None:
    """Per-corner UVs into ``out`` (2 floats per loop): the ``uv`` attribute's fast path (8 ms for a
    million corners, where ``data.foreach_get("uv")`` takes over 100 ms)."""
    if hasattr(layer, "uv"):
        layer.uv.foreach_get("vector", out)
    else:
        layer.data.foreach_get("uv", out)


def uv_bounds_warning(obj: bpy.types.Object) -> str | None:
    """A warning when the active UV map reaches outside 0..1 (the texture will repeat there)."""
    mesh = obj.data
    layer = mesh.uv_layers.active
    if layer is None or len(mesh.loops) == 0:
        return None
    coords = np.empty(len(mesh.loops) * 2, dtype=np.float32)
    read_uvs(layer, coords)
    outside = np.count_nonzero((coords < -1e-4) | (coords > 1.0 + 1e-4))
    if outside:
        return f"'{obj.name}' has UVs outside 0..1 ({outside // 2 or 1} corners); the texture will tile there"
    return None


def smart_unwrap(context: bpy.types.Context, obj: bpy.types.Object) -> None:
    """Smart UV Project the whole mesh (creates a UV map)."""
    if obj.data.uv_layers.active is None:
        obj.data.uv_layers.new(name="UVMap")
    view_layer = context.view_layer
    previous_active = view_layer.objects.active
    previous_mode = obj.mode
    view_layer.objects.active = obj
    override = {
        "active_object": obj,
        "object": obj,
        "selected_objects": [obj],
        "selected_editable_objects": [obj],
    }
    try:
        with context.temp_override(**override):
            if obj.mode != "EDIT":
                bpy.ops.object.mode_set(mode="EDIT")
            bpy.ops.mesh.select_all(action="SELECT")
            bpy.ops.uv.smart_project(angle_limit=SMART_UV_ANGLE, island_margin=SMART_UV_MARGIN)
            bpy.ops.object.mode_set(mode="OBJECT" if previous_mode == "EDIT" else previous_mode)
    finally:
        view_layer.objects.active = previous_active


@contextlib.contextmanager
def object_mode(context: bpy.types.Context, obj: bpy.types.Object) -> Iterator[None]:
    """Leave Edit Mode (or another mode) for the duration, so the mesh data holds the latest edits and
    can be read; go back to the user's mode afterwards, whatever happens."""
    previous = obj.mode
    if previous == "OBJECT":
        yield
        return
    with context.temp_override(active_object=obj, object=obj):
        bpy.ops.object.mode_set(mode="OBJECT")  # flushes Edit Mode changes into the mesh
    try:
        yield
    finally:
        if obj.name in context.view_layer.objects:
            with context.temp_override(active_object=obj, object=obj):
                bpy.ops.object.mode_set(mode=previous)


def prepare(context: bpy.types.Context, obj: bpy.types.Object, *, auto_unwrap: bool) -> PreparedMesh:
    """Make sure ``obj`` has UVs (unwrapping if allowed) and collect warnings. Call it in Object Mode
    (``object_mode``): in Edit Mode Blender keeps the mesh's data out of reach."""
    unwrapped = False
    if len(obj.data.uv_layers) == 0:
        if not auto_unwrap:
            raise SelectionError(
                f"'{obj.name}' has no UV map and Auto Unwrap is off: unwrap it (U > Smart UV Project) "
                "or turn Auto Unwrap on"
            )
        smart_unwrap(context, obj)
        unwrapped = True
    warnings = []
    warning = uv_bounds_warning(obj)
    if warning:
        warnings.append(warning)
    uv_map = obj.data.uv_layers.active.name if obj.data.uv_layers.active else ""
    return PreparedMesh(object_name=obj.name, uv_map=uv_map, unwrapped=unwrapped, warnings=tuple(warnings))


def export_obj(context: bpy.types.Context, obj: bpy.types.Object, filepath: Path) -> None:
    """Export exactly ``obj`` to ``filepath`` (its UVs are there: ``prepare`` made sure it has a UV map)."""
    filepath.parent.mkdir(parents=True, exist_ok=True)
    if filepath.exists():
        filepath.unlink()
    view_layer = context.view_layer
    previous_selection = [o for o in view_layer.objects if o.select_get()]
    previous_active = view_layer.objects.active
    previous_mode = obj.mode
    try:
        if previous_mode != "OBJECT":
            with context.temp_override(active_object=obj, object=obj):
                bpy.ops.object.mode_set(mode="OBJECT")
        for other in previous_selection:
            other.select_set(False)
        obj.select_set(True)
        view_layer.objects.active = obj
        bpy.ops.wm.obj_export(
            filepath=str(filepath),
            export_selected_objects=True,
            export_uv=True,
            export_normals=True,
            export_materials=False,
            export_colors=False,
            export_triangulated_mesh=False,
            apply_modifiers=True,
            export_eval_mode="DAG_EVAL_VIEWPORT",
            forward_axis="NEGATIVE_Z",
            up_axis="Y",
            global_scale=1.0,
        )
    finally:
        obj.select_set(False)
        for other in previous_selection:
            if other.name in view_layer.objects:
                other.select_set(True)
        view_layer.objects.active = previous_active
        if previous_mode == "EDIT":
            with context.temp_override(active_object=obj, object=obj):
                bpy.ops.object.mode_set(mode="EDIT")
    if not filepath.is_file() or filepath.stat().st_size == 0:
        raise SelectionError(f"Blender's OBJ exporter wrote nothing for '{obj.name}' (is it in the view layer?)")
