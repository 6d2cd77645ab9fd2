"""Child-process helper for ``test_scripts.py``: run with the ``bpy`` module, never imported by pytest.

    python script_blend_tools.py make-inputs DIR   write the demo's test inputs into DIR
    python script_blend_tools.py inspect FILE      print one JSON line describing a saved .blend

Kept out of the pytest process so that opening and saving files never disturbs its Blender session.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import bpy
from bpy_extras.object_utils import world_to_camera_view
from mathutils import Vector


def _box(name: str, scale: tuple[float, float, float], location=(0.0, 0.0, 0.0)) -> bpy.types.Object:
    bpy.ops.mesh.primitive_cube_add(size=2.0, location=location)  # comes with a UV map
    obj = bpy.context.active_object
    obj.name = obj.data.name = name
    obj.scale = scale
    bpy.ops.object.transform_apply(location=False, rotation=False, scale=True)
    return obj


def _export_obj(obj: bpy.types.Object, path: Path) -> None:
    for other in bpy.context.view_layer.objects:
        other.select_set(other == obj)
    bpy.context.view_layer.objects.active = obj
    bpy.ops.wm.obj_export(filepath=str(path), export_selected_objects=True, export_uv=True, export_materials=False)
    assert path.is_file(), path


def make_inputs(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    bpy.context.preferences.filepaths.save_version = 0  # no .blend1 backups
    bpy.ops.wm.read_factory_settings(use_empty=True)
    _export_obj(_box("long_box", (5.0, 0.4, 0.4)), folder / "long_box.obj")
    bpy.ops.wm.read_factory_settings(use_empty=True)
    _export_obj(_box("flat_plate", (2.0, 3.0, 0.03)), folder / "flat_plate.obj")
    # A user's .blend: a box off the origin, its own image with a path relative to the file.
    bpy.ops.wm.read_factory_settings(use_empty=True)
    _box("user_box", (1.5, 0.5, 0.8), location=(3.0, -1.0, 0.5))
    blend_dir = folder / "blend"
    blend_dir.mkdir(exist_ok=True)
    image = bpy.data.images.new("user_texture", 4, 4)
    image.filepath_raw = str(blend_dir / "user_texture.png")
    image.file_format = "PNG"
    image.save()
    image.use_fake_user = True
    bpy.ops.wm.save_as_mainfile(filepath=str(blend_dir / "user_scene.blend"))
    image.filepath = "//user_texture.png"
    bpy.ops.wm.save_mainfile()
    # The pipeline recipe's scene.blend: the default cube, selected.
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.mesh.primitive_cube_add(size=2.0)
    bpy.ops.wm.save_as_mainfile(filepath=str(folder / "scene.blend"))
    # The command line's kit: two crates and a barrel.
    bpy.ops.wm.read_factory_settings(use_empty=True)
    for index, name in enumerate(("Crate.001", "Crate.002", "Barrel")):
        bpy.ops.mesh.primitive_cube_add(size=1.0, location=(2.0 * index, 0.0, 0.0))
        bpy.context.active_object.name = name
    bpy.ops.wm.save_as_mainfile(filepath=str(folder / "kit.blend"))


def inspect(path: Path) -> dict:
    bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False)
    scene = bpy.context.scene
    images = [
        {"name": i.name, "filepath": i.filepath, "abspath": str(Path(bpy.path.abspath(i.filepath)).resolve())}
        for i in bpy.data.images
        if i.source == "FILE" and i.filepath
    ]
    for image in images:
        image["exists"] = Path(image["abspath"]).is_file()
    textured = [
        o
        for o in scene.objects
        if o.type == "MESH" and any(s.material and "Leonardo" in s.material.name for s in o.material_slots)
    ]
    frame = []
    if scene.camera is not None:
        for obj in textured:
            for corner in obj.bound_box:
                point = world_to_camera_view(scene, scene.camera, obj.matrix_world @ Vector(corner))
                frame.append([point.x, point.y, point.z])
    return {
        "filepath": bpy.data.filepath,
        "images": images,
        "materials": sorted(m.name for m in bpy.data.materials),
        "textured": [o.name for o in textured],
        "camera": scene.camera.name if scene.camera else None,
        "corners_in_camera": frame,
    }


def main() -> int:
    command, target = sys.argv[1], Path(sys.argv[2])
    if command == "make-inputs":
        make_inputs(target)
        return 0
    if command == "inspect":
        print("INSPECT " + json.dumps(inspect(target)))
        return 0
    print(f"unknown command {command}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
