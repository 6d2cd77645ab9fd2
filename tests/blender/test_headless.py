"""Pipelines: `blender -b file.blend --python-expr "bpy.ops.leonardo.texture_selected(..., wait=True)"`."""

from __future__ import annotations

import bpy

from tests.blender import blender_process
from tests.blender.scene_helpers import add_cube, material_of


def test_headless_call_textures_a_saved_file(addon, emulator, online, clean_scene, tmp_path):
    add_cube("Statue")
    source = tmp_path / "in.blend"
    result = tmp_path / "out.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(source))
    output = blender_process.run(
        f"""
        bpy.ops.wm.open_mainfile(filepath={str(source)!r})
        print(bpy.ops.leonardo.texture_selected(prompt='rusty iron', wait=True))
        bpy.ops.wm.save_as_mainfile(filepath={str(result)!r})
        """,
        blender_process.child_env(emulator),
    )
    assert "{'FINISHED'}" in output
    bpy.ops.wm.open_mainfile(filepath=str(result))
    statue = bpy.data.objects["Statue"]
    assert material_of(statue).name.startswith("Leonardo rusty iron")
    assert bpy.context.scene.leonardo.jobs[-1].state == "APPLIED"
    for image in bpy.data.images:
        if image.source == "FILE":
            assert image.filepath.startswith("//textures/leonardo/")
            assert image.size[0] > 0
