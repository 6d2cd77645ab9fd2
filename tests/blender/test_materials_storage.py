"""What ends up in the .blend and on disk: exported geometry, map wiring options, texture files."""

from __future__ import annotations

import shutil
from pathlib import Path

import bpy
import pytest

from leonardo_blender.emulator import Emulator, EmulatorConfig
from tests.blender.scene_helpers import add_cube, linked_from, material_of


def texture(**kwargs) -> set[str]:
    kwargs.setdefault("prompt", "oak planks")
    return bpy.ops.leonardo.texture_selected(wait=True, timeout=60, **kwargs)


def image_nodes(material: bpy.types.Material) -> list[bpy.types.Node]:
    return [n for n in material.node_tree.nodes if n.type == "TEX_IMAGE"]


@pytest.fixture
def prefs(addon):
    preferences = bpy.context.preferences.addons[addon.__name__].preferences
    saved = {name: getattr(preferences, name) for name in ("pack_images", "mark_as_assets", "texture_folder")}
    yield preferences
    for name, value in saved.items():
        setattr(preferences, name, value)


def test_export_applies_modifiers_and_world_transform(service):
    cube = add_cube()
    cube.modifiers.new("Array", "ARRAY").count = 3
    cube.location.x = 5.0
    assert texture() == {"FINISHED"}
    mesh = service.state.model_assets[cube.leonardo.model_asset_id].mesh
    assert mesh.positions.shape[0] == 24, "the modifier stack was not applied"
    assert mesh.positions[:, 0].min() == pytest.approx(4.0), "the object transform was not applied"


def test_uvs_outside_the_unit_square_warn_but_do_not_block(service, addon):
    cube = add_cube()
    for loop in cube.data.uv_layers.active.data:
        loop.uv = (loop.uv[0] * 2.0, loop.uv[1])
    assert "outside 0..1" in addon.blender.texturing.mesh_export.uv_bounds_warning(cube)
    assert texture() == {"FINISHED"}


def test_hdrp_mask_is_unpacked(addon, online, clean_scene, monkeypatch):
    with Emulator(EmulatorConfig(job_seconds=0.2, texture_size=64, include_hdrp_mask=True)) as emu:
        monkeypatch.setenv("LEONARDO_API_KEY", emu.api_key)
        monkeypatch.setenv("LEONARDO_API_BASE_URL", emu.base_url)
        cube = add_cube()
        assert texture() == {"FINISHED"}
    material = material_of(cube)
    bsdf = next(n for n in material.node_tree.nodes if n.type == "BSDF_PRINCIPLED")
    split = linked_from(bsdf.inputs["Metallic"])
    assert split.type == "SEPARATE_COLOR"
    mask = linked_from(split.inputs["Color"])
    assert mask.image.colorspace_settings.name == "Non-Color"
    occlusion = linked_from(bsdf.inputs["Base Color"])
    assert occlusion.type == "MIX" and occlusion.blend_type == "MULTIPLY"


def test_true_displacement_option(service):
    add_cube()
    bpy.context.scene.leonardo.true_displacement = True
    assert texture() == {"FINISHED"}
    assert material_of(bpy.context.active_object).displacement_method == "BOTH"


def test_pack_option_packs_every_map(service, prefs, tmp_path):
    prefs.pack_images = True
    cube = add_cube()
    assert texture() == {"FINISHED"}
    assert all(node.image.packed_file is not None for node in image_nodes(material_of(cube)))


def test_mark_as_assets_option(service, prefs):
    prefs.mark_as_assets = True
    cube = add_cube()
    assert texture() == {"FINISHED"}
    asset_material = material_of(cube)
    assert asset_material.asset_data is not None and "Leonardo" in asset_material.asset_data.tags
    assert asset_material.preview is not None and asset_material.preview.image_size[0] > 0, "no preview"


def test_saved_file_keeps_maps_beside_it_with_relative_paths(service, tmp_path):
    blend = tmp_path / "project" / "shot.blend"
    blend.parent.mkdir()
    bpy.ops.wm.save_as_mainfile(filepath=str(blend))
    cube = add_cube()
    assert texture() == {"FINISHED"}
    for node in image_nodes(material_of(cube)):
        assert node.image.filepath.startswith("//textures/leonardo/"), node.image.filepath
        assert Path(bpy.path.abspath(node.image.filepath)).is_file()


def test_unsaved_maps_move_beside_the_blend_on_first_save_and_survive_a_move(service, addon, tmp_path):
    cube = add_cube()
    assert texture() == {"FINISHED"}
    unsaved_root = addon.blender.storage.unsaved_root()
    before = {node.image.name: Path(node.image.filepath) for node in image_nodes(material_of(cube))}
    assert all(addon.blender.storage.is_inside(path, unsaved_root) for path in before.values())

    blend = tmp_path / "first" / "scene.blend"
    blend.parent.mkdir()
    bpy.ops.wm.save_as_mainfile(filepath=str(blend))
    for node in image_nodes(material_of(cube)):
        assert node.image.filepath.startswith("//textures/leonardo/"), node.image.filepath
        assert Path(bpy.path.abspath(node.image.filepath)).is_file()
    assert not any(path.exists() for path in before.values()), "maps were copied, not moved"
    record = bpy.context.scene.leonardo.jobs[-1]
    assert str(blend.parent) in record.payload, "the job record still points at the old folder"

    moved = tmp_path / "elsewhere"
    shutil.copytree(blend.parent, moved)
    shutil.rmtree(blend.parent)
    bpy.ops.wm.open_mainfile(filepath=str(moved / "scene.blend"))
    images = [img for img in bpy.data.images if img.source == "FILE"]
    assert len(images) == 4
    for image in images:
        path = Path(bpy.path.abspath(image.filepath))
        assert path.is_file() and str(path).startswith(str(moved)), image.filepath
        assert image.size[0] > 0, f"{image.name} does not load"
