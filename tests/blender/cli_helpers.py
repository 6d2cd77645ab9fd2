"""Helpers for the command-line tests: run the CLI as a user would, build and inspect .blend files.

Everything runs in child processes with the ``bpy`` module (``sys.executable``), each with its own
temporary Blender user folder, so the test process never touches the files it checks.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MESHES = ["Barrel", "Crate.001", "Crate.002", "Crate.003", "Crate.004"]  # visible meshes
HIDDEN = "Crate.005"  # a hidden mesh: the add-on refuses hidden objects, so the CLI skips it

_SCENE = """
import bpy, sys
bpy.ops.wm.read_homefile(use_empty=True)
for i in range(1, 5):
    bpy.ops.mesh.primitive_cube_add(size=1.0, location=(3.0 * i, 0.0, 0.0))
    bpy.context.active_object.name = f"Crate.{i:03d}"
bpy.ops.mesh.primitive_cylinder_add(vertices=16, location=(0.0, 3.0, 0.0))
bpy.context.active_object.name = "Barrel"
bpy.ops.mesh.primitive_cube_add(size=1.0, location=(15.0, 0.0, 0.0))
bpy.context.active_object.name = "Crate.005"
bpy.context.active_object.hide_set(True)
lamp = bpy.data.objects.new("CrateLamp", bpy.data.lights.new("CrateLamp", "POINT"))  # not a mesh
bpy.context.scene.collection.objects.link(lamp)
bpy.ops.wm.save_as_mainfile(filepath=sys.argv[1])
"""

_INSPECT = """
import bpy, json, os, sys
bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
objects = {
    o.name: [slot.material.name for slot in o.material_slots if slot.material]
    for o in bpy.context.scene.objects if o.type == "MESH"
}
images = []
for image in bpy.data.images:
    if image.source == "FILE":
        path = bpy.path.abspath(image.filepath)
        images.append({"filepath": image.filepath, "path": path, "exists": os.path.isfile(path)})
print("INSPECT " + json.dumps({"objects": objects, "images": images}))
"""


def _run_python(code: str, *args: str) -> str:
    """Run ``code`` in a child with the ``bpy`` module and its own temporary Blender user folder."""
    with tempfile.TemporaryDirectory(prefix="leonardo-cli-test-user-") as user_folder:
        env = dict(os.environ, BLENDER_USER_RESOURCES=user_folder)
        process = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code), *args], env=env, capture_output=True, text=True, timeout=120
        )
    if process.returncode != 0:
        raise AssertionError(f"Blender child failed ({process.returncode}):\n{process.stdout}\n{process.stderr}")
    return process.stdout


def make_scene(path: Path) -> Path:
    """Cubes Crate.001..Crate.004, a cylinder Barrel, a hidden cube Crate.005 and a light CrateLamp."""
    _run_python(_SCENE, str(path))
    return path


def inspect_blend(path: Path) -> dict[str, Any]:
    """``{"objects": {mesh name: [material names]}, "images": [{filepath, path, exists}]}`` of a .blend."""
    output = _run_python(_INSPECT, str(path))
    line = next(line for line in output.splitlines() if line.startswith("INSPECT "))
    return json.loads(line.removeprefix("INSPECT "))


_JOBS = """
import bpy, addon_utils, json, sys
bpy.ops.extensions.package_install_files(filepath=sys.argv[2], repo="user_default", enable_on_install=True)
bpy.ops.wm.open_mainfile(filepath=sys.argv[1])  # offline: nothing is resumed
jobs = [json.loads(item.payload) for item in bpy.context.scene.leonardo.jobs]
keys = ("object_name", "state", "generation_id", "cost", "error")
print("JOBS " + json.dumps([{key: job.get(key) for key in keys} for job in jobs]))
addon_utils.disable("bl_ext.user_default.leonardo_blender", default_set=False)
"""


def job_records(path: Path, extension_zip: Path) -> list[dict[str, Any]]:
    """The texture job records saved in a .blend, read by the add-on (installed from ``extension_zip``)."""
    output = _run_python(_JOBS, str(path), str(extension_zip))
    line = next(line for line in output.splitlines() if line.startswith("JOBS "))
    return json.loads(line.removeprefix("JOBS "))


def blend_bytes(path: Path) -> bytes:
    """The uncompressed content of a .blend (Blender compresses with zstd by default), b"" if unreadable."""
    try:
        data = path.read_bytes()
    except OSError:
        return b""
    if data.startswith(b"\x28\xb5\x2f\xfd"):  # zstd frames
        import zstandard  # a dependency of the bpy wheels

        try:
            return zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True).read()
        except zstandard.ZstdError:
            return b""  # caught while being written
    return data


def cli_env(emulator: Any | None, **changes: str | None) -> dict[str, str]:
    """The environment of a pipeline pointed at ``emulator``; ``changes`` set (or, with None, remove) variables."""
    env = dict(os.environ)
    env.pop("BLENDER_USER_RESOURCES", None)  # the CLI makes its own
    if emulator is not None:
        env["LEONARDO_API_KEY"] = emulator.api_key
        env["LEONARDO_API_BASE_URL"] = emulator.base_url
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def cli_command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "leonardo_blender.cli", *map(str, args)]


def run_cli(*args: str | Path, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run the CLI exactly as a user would (from the repository root) and check it never shows a traceback."""
    process = subprocess.run(cli_command(*args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert "Traceback" not in process.stderr, process.stderr
    assert "Traceback" not in process.stdout, process.stdout
    return process


def json_lines(stdout: str) -> dict[str, dict[str, Any]]:
    """``--json`` output by object name; every line on stdout must be one JSON object."""
    results = [json.loads(line) for line in stdout.splitlines()]
    assert all(isinstance(r, dict) for r in results)
    by_name = {r["object"]: r for r in results}
    assert len(by_name) == len(results), "an object was reported twice"
    return by_name
