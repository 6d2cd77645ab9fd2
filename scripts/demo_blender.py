"""The Blender half of the demo (runs with the ``bpy`` module, headless; started by ``demo.py``).

Installs the freshly built extension zip into the Blender user folder ``demo.py`` gave it (through
``BLENDER_USER_RESOURCES``), builds a scene (or loads the given .obj/.blend), saves it into the output
folder at once (so the maps land beside that copy and the input is never written to), selects the mesh
and runs ``leonardo.texture_selected(wait=True)``: the same operator a click in the side panel runs.
Then saves the .blend and renders a PNG. A failure ends in one line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import bpy
from mathutils import Vector

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_common import DemoError, blender_call, exit_cleanly, install_addon, render, run_main

PROG = "scripts/demo"
OUTPUT_NAME = "leonardo_demo.blend"
#: Where the camera looks from, relative to the model's front: degrees around it, degrees above it.
CAMERA_AZIMUTH = 40.0
CAMERA_ELEVATION = 12.0
#: Free border around the framed bounding box, as a fraction of the frame on each side.
FRAME_MARGIN = 0.06


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True, help="temporary folder owned by demo.py")
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--engine", default="AUTO", choices=("AUTO", "TEXTURE_API", "PROJECTION"))
    parser.add_argument("--facing", type=int, default=0)
    parser.add_argument("--seed", type=int, default=-1)
    parser.add_argument("--preview", action="store_true")
    parser.add_argument("--mesh", type=Path)
    parser.add_argument("--resolution", type=int, default=512)
    parser.add_argument("--samples", type=int, default=32)
    return parser.parse_args(argv)


def load_mesh(path: Path | None) -> bpy.types.Object:
    bpy.ops.wm.read_homefile(use_empty=True)
    if path is None:
        bpy.ops.mesh.primitive_monkey_add(size=2.0, location=(0, 0, 0))
        obj = bpy.context.active_object
        obj.modifiers.new("Subdivision", "SUBSURF").levels = 2
        bpy.ops.object.shade_smooth()
        return obj
    if path.suffix.lower() == ".blend":
        blender_call(f"cannot open {path}", bpy.ops.wm.open_mainfile, filepath=str(path), load_ui=False)
        meshes = [o for o in bpy.context.scene.objects if o.type == "MESH" and len(o.data.polygons)]
        if not meshes:
            raise DemoError(f"{path} has no mesh object with faces in its scene")
        active = bpy.context.view_layer.objects.active
        return active if active in meshes else meshes[0]
    if path.suffix.lower() == ".obj":
        blender_call(f"cannot import {path}", bpy.ops.wm.obj_import, filepath=str(path))
        meshes = [o for o in bpy.context.scene.objects if o.type == "MESH" and len(o.data.polygons)]
        if not meshes:
            raise DemoError(f"{path} has no mesh with faces in it")
        return max(meshes, key=lambda o: len(o.data.polygons))
    raise DemoError(f"{path}: must be a .obj or .blend file")


def bounding_corners(obj: bpy.types.Object) -> list[Vector]:
    """The world-space corners of the object's bounding box, as modelled and as evaluated (modifiers)."""
    evaluated = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
    boxes = (obj.bound_box, evaluated.bound_box)
    return [obj.matrix_world @ Vector(corner) for box in boxes for corner in box]


def view_direction(facing: int) -> Vector:
    """Unit vector from the model towards the camera: in front of it, towards the side on the viewer's
    right (+X for a model facing -Y), and above."""
    theta = math.radians(facing)
    front = Vector((math.sin(theta), -math.cos(theta), 0.0))
    side = Vector((math.cos(theta), math.sin(theta), 0.0))
    azimuth, elevation = math.radians(CAMERA_AZIMUTH), math.radians(CAMERA_ELEVATION)
    horizontal = front * math.cos(azimuth) + side * math.sin(azimuth)
    return (horizontal * math.cos(elevation) + Vector((0, 0, math.sin(elevation)))).normalized()


def _shift_range(coords: list[float], depths: list[float], slope: float, distance: float) -> tuple[float, float]:
    """Lateral camera shifts that keep every point inside the frame along one axis (empty when low > high).

    A point at lateral offset x and depth ``distance - z`` is inside when |x - shift| <= (distance - z) * slope.
    """
    low = max(x - slope * (distance - z) for x, z in zip(coords, depths, strict=True))
    high = min(x + slope * (distance - z) for x, z in zip(coords, depths, strict=True))
    return low, high


def frame(camera: bpy.types.Object, corners: list[Vector], direction: Vector, aspect: float) -> None:
    """Place ``camera`` looking along -``direction`` as close as it can be with every corner in the frame.

    The view direction is fixed; the camera's distance and its sideways/up shift are free. Each corner
    gives two linear constraints per axis (see ``_shift_range``), so the smallest distance is found by
    bisection and the shift is the middle of what remains: the box ends up centred, with the margin
    ``FRAME_MARGIN`` on its tightest sides, whatever its proportions. ``aspect`` is the render's width / height.
    """
    centre = sum(corners, Vector()) / len(corners)
    rotation = (-direction).to_track_quat("-Z", "Y")
    right, up = rotation @ Vector((1, 0, 0)), rotation @ Vector((0, 1, 0))
    data = camera.data
    data.sensor_fit = "AUTO"  # the sensor width spans the larger side of the frame
    data.shift_x = data.shift_y = 0.0
    wide = data.sensor_width / (2 * data.lens)
    tan_x, tan_y = (wide, wide / aspect) if aspect >= 1 else (wide * aspect, wide)
    usable = 1 - 2 * FRAME_MARGIN
    offsets = [corner - centre for corner in corners]
    xs, ys, zs = ([o.dot(axis) for o in offsets] for axis in (right, up, direction))
    size = max(o.length for o in offsets) or 1.0

    def fits(distance: float) -> bool:
        x_low, x_high = _shift_range(xs, zs, tan_x * usable, distance)
        y_low, y_high = _shift_range(ys, zs, tan_y * usable, distance)
        return x_low <= x_high and y_low <= y_high

    near = max(zs) + size * 0.01  # the camera stays outside the box
    far = near + size / min(tan_x, tan_y) / usable * 2 + size
    for _ in range(60):
        middle = (near + far) / 2
        near, far = (near, middle) if fits(middle) else (middle, far)
    distance = far
    shift_x = sum(_shift_range(xs, zs, tan_x * usable, distance)) / 2
    shift_y = sum(_shift_range(ys, zs, tan_y * usable, distance)) / 2
    camera.location = centre + direction * distance + right * shift_x + up * shift_y
    camera.rotation_euler = rotation.to_euler()
    data.clip_start = max(1e-4, (distance - max(zs)) * 0.5)
    data.clip_end = (distance - min(zs)) * 2 + size


def stage(obj: bpy.types.Object, facing: int, resolution: tuple[int, int] = (512, 512)) -> bpy.types.Object:
    """Select ``obj`` alone and add a camera that frames it whole, a sun and a sky. Returns the camera."""
    for other in bpy.context.view_layer.objects:
        other.select_set(False)
    obj.select_set(True)
    bpy.context.view_layer.objects.active = obj
    scene = bpy.context.scene
    scene.render.resolution_x, scene.render.resolution_y = resolution
    scene.render.resolution_percentage = 100
    camera = bpy.data.objects.new("Leonardo Demo Camera", bpy.data.cameras.new("Leonardo Demo Camera"))
    scene.collection.objects.link(camera)
    camera.data.lens = 60
    direction = view_direction(facing)
    frame(camera, bounding_corners(obj), direction, resolution[0] / resolution[1])
    scene.camera = camera
    sun = bpy.data.objects.new("Leonardo Demo Sun", bpy.data.lights.new("Leonardo Demo Sun", "SUN"))
    sun.data.energy = 3.0
    sun.rotation_euler = (math.radians(50), 0, math.radians(30 + facing))
    scene.collection.objects.link(sun)
    world = bpy.data.worlds.new("Leonardo Demo World")
    if bpy.app.version < (5, 0, 0):
        world.use_nodes = True
    background = next(n for n in world.node_tree.nodes if n.type == "BACKGROUND")
    background.inputs["Color"].default_value = (0.55, 0.6, 0.7, 1.0)
    background.inputs["Strength"].default_value = 0.6
    scene.world = world
    return camera


def texture(obj: bpy.types.Object, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Run the operator a click runs; returns the job's record (``scene.leonardo.jobs`` item)."""
    print(
        f"Texturing '{obj.name}' ({len(obj.data.polygons)} faces; engine {args.engine}, facing {args.facing}, "
        f"{'preview' if args.preview else 'full'}): {args.prompt!r}",
        flush=True,
    )
    kwargs = {
        "prompt": args.prompt,
        "engine": args.engine,
        "front_rotation_offset": args.facing,
        "preview": args.preview,
        "wait": True,
    }
    if args.seed >= 0:
        kwargs["seed"] = args.seed
    started = time.monotonic()
    result = blender_call("texturing failed", bpy.ops.leonardo.texture_selected, **kwargs)
    jobs = bpy.context.scene.leonardo.jobs
    if "FINISHED" not in result or not len(jobs):
        raise DemoError(f"texturing did not finish ({', '.join(sorted(result))})")
    job = jobs[-1]
    views = f", {job.views_done} views" if job.views_total else ""
    print(
        f"Applied {job.material_name} ({job.kind}; engine {job.engine or args.engine}{views}, seed {job.seed_used}, "
        f"{job.cost} credits) in {time.monotonic() - started:.1f} s"
    )
    return job


def map_files(material_name: str) -> list[tuple[str, Path]]:
    """The material's image files: (path as stored in the .blend, absolute path)."""
    material = bpy.data.materials.get(material_name)
    images = [] if material is None else [n.image for n in material.node_tree.nodes if n.type == "TEX_IMAGE"]
    return [(i.filepath, Path(bpy.path.abspath(i.filepath)).resolve()) for i in images if i and i.filepath]


def run(args: argparse.Namespace) -> None:
    out = args.out.resolve()
    blend = out / OUTPUT_NAME
    install_addon(args.work)
    obj = load_mesh(args.mesh)
    stage(obj, args.facing, (args.resolution, args.resolution))
    # Work on a copy in the output folder from here on: the maps are written beside it (relative
    # paths), never beside the input, and the input file is never saved over.
    blender_call(f"cannot save {blend}", bpy.ops.wm.save_as_mainfile, filepath=str(blend), relative_remap=True)
    if args.mesh is not None:
        print(f"Working on a copy of {args.mesh.name}: {blend} (the input is left untouched)")
    job = texture(obj, args)
    blender_call(f"cannot save {blend}", bpy.ops.wm.save_mainfile)
    png = out / "leonardo_demo.png"
    seconds = render(png, args.samples)
    maps = map_files(job.material_name)
    outside = [str(path) for _stored, path in maps if not path.is_relative_to(out)]
    if not maps or outside:
        raise DemoError(f"the maps are not in {out}: {', '.join(outside) or 'none found'}")
    folders = sorted({path.parent for _stored, path in maps})
    print(f"Saved   {blend}")
    for folder in folders:
        print(f"Maps in {folder} ({', '.join(sorted(p.name for _s, p in maps if p.parent == folder))})")
    print(f"        stored relative to the .blend: {maps[0][0]}")
    print(f"Render  {png} ({args.resolution}px, {args.samples} spp, {seconds:.1f} s)")


def main(argv: list[str] | None = None) -> int:
    return run_main(PROG, run, parse_args(argv))


if __name__ == "__main__":
    exit_cleanly(main())
