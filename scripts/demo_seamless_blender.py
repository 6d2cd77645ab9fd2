"""Seamless material demo: headless Blender tiles a floor with one generated texture and renders it.

    LEONARDO_API_KEY=... LEONARDO_API_BASE_URL=... \\
        .venv/bpy-5.0/bin/python scripts/demo_seamless_blender.py --out out/seamless --prompt "mossy cobblestone"

Installs the freshly built extension zip into a temporary Blender user folder (removed at the end),
builds an 8 x 8 m floor, saves the .blend into ``--out`` at once (so the maps land beside it), selects
the floor and runs ``leonardo.generate_seamless(wait=True)``: the operator the panel's button runs.
Then saves the .blend and renders a PNG with Cycles (CPU) from a low, grazing angle with a low sun, so
the repetition and the normal map's relief both read. A failure ends in one line on stderr, exit 1.
``docs/demo_seamless.png`` is this script's render against the emulator with ``--seed 2212``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

WORK = Path(tempfile.mkdtemp(prefix="leonardo-seamless-demo-"))
os.environ["BLENDER_USER_RESOURCES"] = str(WORK / "user")  # before bpy: never the user's own Blender config

import argparse  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402

import bpy  # noqa: E402
from mathutils import Vector  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_common import DemoError, blender_call, exit_cleanly, install_addon, render, run_main  # noqa: E402

PROG = "scripts/demo_seamless_blender.py"
BLEND_NAME = "leonardo_seamless.blend"
PNG_NAME = "leonardo_seamless.png"
FLOOR_SIZE = 8.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the .blend, the PNG and the maps")
    parser.add_argument("--prompt", default="mossy cobblestone")
    parser.add_argument("--seed", type=int, default=-1, help="-1 for random")
    parser.add_argument("--size", type=int, default=1024, help="generated tile size (multiple of 8, 32-1536)")
    parser.add_argument("--candidates", type=int, default=2)
    parser.add_argument("--tiles", type=float, default=4.0, help="repeats across the 8 m floor")
    parser.add_argument("--normal-strength", type=float, default=3.0)
    parser.add_argument("--resolution", default="960x540", help="WIDTHxHEIGHT of the render")
    parser.add_argument("--samples", type=int, default=32)
    return parser.parse_args(argv)


def build_scene(resolution: tuple[int, int]) -> bpy.types.Object:
    """An 8 x 8 m floor, a camera close to the ground looking across it, a low sun and a sky."""
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.ops.mesh.primitive_plane_add(size=FLOOR_SIZE, location=(0.0, 0.0, 0.0))
    floor = bpy.context.active_object
    floor.name = "Floor"
    scene = bpy.context.scene
    scene.render.resolution_x, scene.render.resolution_y = resolution
    scene.render.resolution_percentage = 100
    camera = bpy.data.objects.new("Demo Camera", bpy.data.cameras.new("Demo Camera"))
    camera.data.lens = 28
    camera.data.clip_end = 100.0
    camera.location = Vector((-3.9, -3.9, 1.7))  # above a corner of the floor, at eye height
    target = Vector((0.6, 0.6, 0.0))
    camera.rotation_euler = (target - camera.location).to_track_quat("-Z", "Y").to_euler()
    scene.collection.objects.link(camera)
    scene.camera = camera
    sun = bpy.data.objects.new("Demo Sun", bpy.data.lights.new("Demo Sun", "SUN"))
    sun.data.energy = 4.0
    sun.data.angle = math.radians(2.0)
    sun.rotation_euler = (math.radians(72), 0.0, math.radians(-60))  # 18 degrees above the horizon
    scene.collection.objects.link(sun)
    world = bpy.data.worlds.new("Demo Sky")
    if bpy.app.version < (5, 0, 0):
        world.use_nodes = True
    background = next(n for n in world.node_tree.nodes if n.type == "BACKGROUND")
    background.inputs["Color"].default_value = (0.35, 0.5, 0.8, 1.0)
    background.inputs["Strength"].default_value = 0.8
    scene.world = world
    scene.view_settings.view_transform = "Standard"
    for other in bpy.context.view_layer.objects:
        other.select_set(other == floor)
    bpy.context.view_layer.objects.active = floor
    return floor


def generate(args: argparse.Namespace) -> None:
    kwargs = {
        "prompt": args.prompt,
        "width": args.size,
        "height": args.size,
        "num_images": args.candidates,
        "scale": args.tiles,
        "normal_strength": args.normal_strength,
        "wait": True,
    }
    if args.seed >= 0:
        kwargs["seed"] = args.seed
    print(f"Generating a seamless material: {args.prompt!r} ({args.candidates} x {args.size} px, tiling)")
    started = time.monotonic()
    result = blender_call("the seamless material failed", bpy.ops.leonardo.generate_seamless, **kwargs)
    jobs = bpy.context.scene.leonardo.jobs
    if "FINISHED" not in result or not len(jobs) or jobs[-1].state != "APPLIED":
        raise DemoError(f"the seamless material was not applied ({', '.join(sorted(result))})")
    job = jobs[-1]
    print(
        f"Applied {job.material_name} (seed {job.seed_used}, {job.cost} credits, "
        f"{len(bpy.context.scene.leonardo.seamless.candidates)} candidates) in {time.monotonic() - started:.1f} s"
    )


def run(args: argparse.Namespace) -> None:
    if not os.environ.get("LEONARDO_API_KEY"):
        raise DemoError("set LEONARDO_API_KEY (and LEONARDO_API_BASE_URL for the emulator)")
    try:
        width, height = (int(part) for part in args.resolution.lower().split("x"))
    except ValueError:
        raise DemoError(f"--resolution must look like 960x540, not {args.resolution!r}") from None
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    install_addon(WORK)
    build_scene((width, height))
    blend = out / BLEND_NAME
    blender_call(f"cannot save {blend}", bpy.ops.wm.save_as_mainfile, filepath=str(blend), relative_remap=True)
    generate(args)
    blender_call(f"cannot save {blend}", bpy.ops.wm.save_mainfile)
    png = out / PNG_NAME
    seconds = render(png, args.samples)
    print(f"Saved   {blend}")
    print(f"Render  {png} ({width}x{height}, {args.samples} spp, {seconds:.1f} s)")


def main(argv: list[str] | None = None) -> int:
    return run_main(PROG, run, parse_args(argv))


if __name__ == "__main__":
    exit_cleanly(main(), WORK)
