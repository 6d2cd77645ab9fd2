"""The Blender half of the demo (runs with the ``bpy`` module, headless).

Installs the freshly built extension zip into an isolated Blender user folder, builds a scene (or
loads the given .obj/.blend), selects the mesh and runs ``leonardo.texture_selected(wait=True)``:
the same operator a click in the side panel runs. Then saves a .blend and renders a PNG.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--facing", type=int, default=0)
    parser.add_argument("--seed", type=int, default=-1)
    parser.add_argument("--preview", action="store_true")
    parser.add_argument("--mesh", type=Path)
    parser.add_argument("--resolution", type=int, default=512)
    parser.add_argument("--samples", type=int, default=32)
    return parser.parse_args()


ARGS = parse_args()
os.environ["BLENDER_USER_RESOURCES"] = tempfile.mkdtemp(prefix="leonardo-demo-user-")  # before bpy

import bpy  # noqa: E402
from mathutils import Vector  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
import build_extension  # noqa: E402

MODULE = "bl_ext.user_default.leonardo_blender"


def install_addon() -> None:
    zip_path = build_extension.build(Path(tempfile.mkdtemp(prefix="leonardo-dist-")))
    bpy.ops.extensions.package_install_files(filepath=str(zip_path), repo="user_default", enable_on_install=True)
    if MODULE not in bpy.context.preferences.addons:
        raise SystemExit("the extension did not install")
    bpy.context.preferences.system.use_online_access = True  # running the demo is the user's consent
    print(f"Installed {zip_path.name} into Blender {bpy.app.version_string}")


def load_mesh(path: Path | None) -> bpy.types.Object:
    bpy.ops.wm.read_homefile(use_empty=True)
    if path is None:
        bpy.ops.mesh.primitive_monkey_add(size=2.0, location=(0, 0, 0))
        obj = bpy.context.active_object
        obj.modifiers.new("Subdivision", "SUBSURF").levels = 2
        bpy.ops.object.shade_smooth()
        return obj
    if path.suffix.lower() == ".blend":
        bpy.ops.wm.open_mainfile(filepath=str(path))
        meshes = [o for o in bpy.context.scene.objects if o.type == "MESH"]
        if not meshes:
            raise SystemExit(f"{path} has no mesh object")
        obj = bpy.context.active_object if bpy.context.active_object in meshes else meshes[0]
    elif path.suffix.lower() == ".obj":
        bpy.ops.wm.obj_import(filepath=str(path))
        obj = next(o for o in bpy.context.selected_objects if o.type == "MESH")
    else:
        raise SystemExit("--mesh must be a .obj or .blend file")
    return obj


def stage(obj: bpy.types.Object) -> None:
    for other in bpy.context.view_layer.objects:
        other.select_set(False)
    obj.select_set(True)
    bpy.context.view_layer.objects.active = obj
    scene = bpy.context.scene
    radius = max(obj.dimensions) or 2.0
    centre = sum((obj.matrix_world @ Vector(c) for c in obj.bound_box), Vector()) / 8
    theta = math.radians(ARGS.facing)
    front = Vector((math.sin(theta), -math.cos(theta), 0.0))
    side = Vector((math.cos(theta), math.sin(theta), 0.0))
    eye = centre + (front * 2.6 + side * 0.9 + Vector((0, 0, 0.9))).normalized() * radius * 1.9
    camera = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
    scene.collection.objects.link(camera)
    camera.location = eye
    camera.rotation_euler = (centre - eye).to_track_quat("-Z", "Y").to_euler()
    camera.data.lens = 60
    scene.camera = camera
    sun = bpy.data.objects.new("Sun", bpy.data.lights.new("Sun", "SUN"))
    sun.data.energy = 3.0
    sun.rotation_euler = (math.radians(50), 0, math.radians(30 + ARGS.facing))
    scene.collection.objects.link(sun)
    world = bpy.data.worlds.new("World")
    if bpy.app.version < (5, 0, 0):
        world.use_nodes = True
    background = next(n for n in world.node_tree.nodes if n.type == "BACKGROUND")
    background.inputs["Color"].default_value = (0.55, 0.6, 0.7, 1.0)
    background.inputs["Strength"].default_value = 0.6
    scene.world = world


def render(path: Path) -> float:
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = ARGS.samples
    scene.cycles.use_denoising = False
    scene.render.resolution_x = scene.render.resolution_y = ARGS.resolution
    scene.render.image_settings.file_format = "PNG"
    scene.render.filepath = str(path)
    started = time.monotonic()
    bpy.ops.render.render(write_still=True)
    return time.monotonic() - started


def main() -> int:
    out = ARGS.out
    install_addon()
    obj = load_mesh(ARGS.mesh)
    stage(obj)
    print(f"Texturing '{obj.name}' ({len(obj.data.polygons)} faces): {ARGS.prompt!r}")
    started = time.monotonic()
    kwargs = {
        "prompt": ARGS.prompt,
        "front_rotation_offset": ARGS.facing,
        "preview": ARGS.preview,
        "wait": True,
    }
    if ARGS.seed >= 0:
        kwargs["seed"] = ARGS.seed
    try:
        result = bpy.ops.leonardo.texture_selected(**kwargs)
    except RuntimeError as exc:
        print(f"Texturing failed: {exc}", file=sys.stderr)
        return 1
    job = bpy.context.scene.leonardo.jobs[-1]
    print(
        f"{result}: {job.material_name} (seed {job.seed_used}, {job.cost} credits) "
        f"in {time.monotonic() - started:.1f} s"
    )
    blend = out / "leonardo_demo.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend))
    png = out / "leonardo_demo.png"
    seconds = render(png)
    print(f"Saved   {blend}")
    print(f"Maps in {out / 'textures' / 'leonardo'}")
    print(f"Render  {png} ({ARGS.resolution}px, {ARGS.samples} spp, {seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    code = main()
    import addon_utils

    addon_utils.disable(MODULE, default_set=False)  # clean exit on 4.2/4.5 (no leftover handlers)
    sys.exit(code)
