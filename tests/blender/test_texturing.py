"""End to end in real Blender against the emulator: select, press the button, get a correct PBR material."""

from __future__ import annotations

import bpy
import pytest

from leonardo_blender.emulator import FaultRule
from leonardo_blender.emulator.palette import nearest_side
from tests.blender.scene_helpers import (
    add_cube,
    centre_colour,
    direction_for_offset,
    linked_from,
    material_of,
    render_from,
    select_only,
)


def texture(**kwargs) -> set[str]:
    kwargs.setdefault("prompt", "rusty iron")
    return bpy.ops.leonardo.texture_selected(wait=True, timeout=60, **kwargs)


def jobs(scene=None):
    return list((scene or bpy.context.scene).leonardo.jobs)


def test_texturing_builds_the_pbr_material(service):
    cube = add_cube()
    assert texture(seed=321) == {"FINISHED"}
    material = material_of(cube)
    tree = material.node_tree
    bsdf = next(n for n in tree.nodes if n.type == "BSDF_PRINCIPLED")
    output = next(n for n in tree.nodes if n.type == "OUTPUT_MATERIAL")
    assert linked_from(output.inputs["Surface"]) == bsdf

    albedo = linked_from(bsdf.inputs["Base Color"])
    assert albedo.type == "TEX_IMAGE" and albedo.image.colorspace_settings.name == "sRGB"
    roughness = linked_from(bsdf.inputs["Roughness"])
    assert roughness.type == "TEX_IMAGE" and roughness.image.colorspace_settings.name == "Non-Color"

    normal_map = linked_from(bsdf.inputs["Normal"])
    assert normal_map.type == "NORMAL_MAP", "the normal map must go through a Normal Map node"
    assert normal_map.space == "TANGENT" and normal_map.uv_map == cube.data.uv_layers.active.name
    normal = linked_from(normal_map.inputs["Color"])
    assert normal.type == "TEX_IMAGE" and normal.image.colorspace_settings.name == "Non-Color"

    displacement = linked_from(output.inputs["Displacement"])
    assert displacement.type == "DISPLACEMENT"
    height = linked_from(displacement.inputs["Height"])
    assert height.type == "TEX_IMAGE" and height.image.colorspace_settings.name == "Non-Color"
    assert material.displacement_method == "BUMP"

    uv_nodes = [n for n in tree.nodes if n.type == "UVMAP"]
    assert len(uv_nodes) == 1 and uv_nodes[0].uv_map == cube.data.uv_layers.active.name
    for image_node in (albedo, roughness, normal, height):
        assert linked_from(image_node.inputs["Vector"]) == uv_nodes[0]
        assert image_node.image.size[0] > 0  # the file loads

    assert material.name == "Leonardo rusty iron (321)"
    assert material.use_fake_user
    record = jobs()[-1]
    assert record.state == "APPLIED" and record.seed_used == "321" and record.cost == 150
    assert cube.leonardo.model_asset_id in service.state.model_assets


def test_second_run_on_an_unchanged_mesh_uploads_nothing(service):
    cube = add_cube()
    uploads = service.count("POST", "/models-3d/upload")
    assert texture() == {"FINISHED"}
    assert service.count("POST", "/models-3d/upload") == uploads + 1
    first_asset = cube.leonardo.model_asset_id
    assert texture(prompt="mossy stone") == {"FINISHED"}
    assert service.count("POST", "/models-3d/upload") == uploads + 1
    assert cube.leonardo.model_asset_id == first_asset
    cube.data.vertices[0].co.x += 0.25  # the shape changed: upload again
    assert texture(prompt="mossy stone") == {"FINISHED"}
    assert service.count("POST", "/models-3d/upload") == uploads + 2
    assert cube.leonardo.model_asset_id != first_asset


def test_mesh_without_uvs_is_unwrapped(service):
    cube = add_cube(uvs=False)
    assert texture() == {"FINISHED"}
    assert len(cube.data.uv_layers) == 1
    uploaded = service.requests_for("POST", "upload/model")
    assert uploaded and uploaded[-1].status == 204


def test_mesh_without_uvs_and_auto_unwrap_off_is_refused_clearly(service):
    add_cube(uvs=False)
    bpy.context.scene.leonardo.auto_unwrap = False
    before = len(service.requests)
    with pytest.raises(RuntimeError, match="no UV map"):
        texture()
    assert len(service.requests) == before


@pytest.mark.parametrize(
    ("make", "message"),
    [
        ("nothing", "Nothing is selected"),
        ("curve", "not a mesh"),
        ("empty_mesh", "has no faces"),
        ("hidden", "hidden"),
    ],
)
def test_bad_selections_get_clear_messages_and_no_request(service, make, message):
    if make == "curve":
        bpy.ops.curve.primitive_bezier_curve_add()
    elif make == "empty_mesh":
        mesh = bpy.data.meshes.new("Nothing")
        obj = bpy.data.objects.new("Nothing", mesh)
        bpy.context.collection.objects.link(obj)
        select_only(obj)
    elif make == "hidden":
        cube = add_cube()
        cube.hide_set(True)
        cube.select_set(True)
    else:
        add_cube()
        select_only()
    before = len(service.requests)
    with pytest.raises(RuntimeError, match=message):
        texture()
    assert len(service.requests) == before


def test_blank_prompt_is_refused(service):
    add_cube()
    bpy.context.scene.leonardo.prompt = "   "
    with pytest.raises(RuntimeError, match="Write a prompt"):
        bpy.ops.leonardo.texture_selected(wait=True)


def test_operator_properties_override_the_panel(service):
    add_cube()
    panel = bpy.context.scene.leonardo
    panel.prompt, panel.seed, panel.facing, panel.preview = "from panel", "12", "POS_X", False
    assert bpy.ops.leonardo.texture_selected(wait=True, timeout=60) == {"FINISHED"}
    body = service.requests_for("POST", "/generations-texture")[-1].json_body
    assert body["prompt"] == "from panel" and body["seed"] == 12 and body["front_rotation_offset"] == 90
    assert body["preview"] is False
    assert texture(
        prompt="from operator",
        seed=5,
        front_rotation_offset=-90,
        preview=True,
        preview_direction="left",
        sd_version="v1_5",
        negative_prompt="dirt",
    ) == {"FINISHED"}
    body = service.requests_for("POST", "/generations-texture")[-1].json_body
    assert body == {
        "prompt": "from operator",
        "modelAssetId": body["modelAssetId"],
        "seed": 5,
        "front_rotation_offset": -90,
        "preview": True,
        "preview_direction": "left",
        "sd_version": "v1_5",
        "negative_prompt": "dirt",
    }
    assert jobs()[-1].cost == 30


def test_invalid_seed_and_offset_are_refused(service):
    add_cube()
    bpy.context.scene.leonardo.seed = "abc"
    with pytest.raises(RuntimeError, match="Seed must be"):
        texture()
    bpy.context.scene.leonardo.seed = ""
    with pytest.raises(RuntimeError, match="front_rotation_offset"):
        texture(front_rotation_offset=45)


def test_earlier_materials_are_kept(service, addon):
    cube = add_cube()
    old = bpy.data.materials.new("Painted")
    cube.data.materials.append(old)
    assert texture() == {"FINISHED"}
    assert cube.material_slots[0].material == old
    assert material_of(cube) != old
    first = material_of(cube)
    assert texture(prompt="gold leaf") == {"FINISHED"}
    second = material_of(cube)
    assert second != first and len(cube.material_slots) == 2, "variants share one slot"
    assert first.name in bpy.data.materials
    addon.blender.material.restore_original(cube)
    assert material_of(cube) == old and len(cube.material_slots) == 1


def test_failed_generation_is_reported(service):
    add_cube()
    service.faults.add(FaultRule("POST /generations-texture", "failed_job"))
    with pytest.raises(RuntimeError, match="failed"):
        texture()
    record = jobs()[-1]
    assert record.state == "FAILED" and "failed" in record.error


def test_insufficient_credits_is_reported_with_the_fix(service):
    add_cube()
    credits = service.credits
    service.set_credits(10)
    try:
        with pytest.raises(RuntimeError, match="not enough api tokens"):
            texture()
    finally:
        service.set_credits(credits)
    assert jobs()[-1].error_action == "top_up"


def test_cancel_really_stops_work(service, addon):
    add_cube()
    # The service keeps failing to answer polls: the job would poll until its timeout.
    service.faults.add(FaultRule("GET /generations-texture/{id}", "status", status=503, times=-1))
    assert bpy.ops.leonardo.texture_selected(prompt="slow") == {"FINISHED"}
    job_id = jobs()[-1].job_id
    runtime = addon.blender
    assert runtime.dispatcher.run_until(lambda: jobs()[-1].state == "GENERATING", timeout=20)
    assert bpy.ops.leonardo.cancel_job(job_id=job_id) == {"FINISHED"}
    assert runtime.dispatcher.run_until(lambda: not runtime.texturing.texture_jobs.is_running(job_id), timeout=10)
    assert jobs()[-1].state == "CANCELLED"
    polls = service.count("GET", "/generations-texture/{id}")
    runtime.dispatcher.run_until(lambda: False, timeout=0.6)
    assert service.count("GET", "/generations-texture/{id}") == polls


def test_offline_mode_makes_no_request(addon, emulator, offline, clean_scene, monkeypatch):
    monkeypatch.setenv("LEONARDO_API_KEY", emulator.api_key)
    monkeypatch.setenv("LEONARDO_API_BASE_URL", emulator.base_url)
    add_cube()
    before = len(emulator.requests)
    assert not bpy.ops.leonardo.texture_selected.poll()
    with pytest.raises(RuntimeError):
        bpy.ops.leonardo.texture_selected(prompt="x", wait=True)
    addon.blender.texturing.recovery.resume_unfinished()
    assert len(emulator.requests) == before


def test_missing_key_is_explained(addon, emulator, online, clean_scene, monkeypatch):
    monkeypatch.delenv("LEONARDO_API_KEY", raising=False)
    monkeypatch.setenv("LEONARDO_API_BASE_URL", emulator.base_url)
    add_cube()
    with pytest.raises(RuntimeError, match="No Leonardo API key"):
        bpy.ops.leonardo.texture_selected(prompt="x", wait=True)


def test_saved_blend_contains_no_api_key(service, addon, tmp_path, monkeypatch):
    prefs = bpy.context.preferences.addons[addon.__name__].preferences
    prefs.api_key = service.api_key  # the key as a user would type it
    monkeypatch.delenv("LEONARDO_API_KEY")
    try:
        add_cube()
        assert texture() == {"FINISHED"}
        path = tmp_path / "scene.blend"
        bpy.ops.wm.save_as_mainfile(filepath=str(path), compress=False)
    finally:
        prefs.api_key = ""
    data = path.read_bytes()
    assert b"Crate" in data  # the scan reads real content
    assert service.api_key.encode() not in data
    assert service.api_key.replace("-", "").encode() not in data


@pytest.mark.parametrize("offset", [0, 90, -90, 180])
def test_render_shows_the_front_colour_where_the_user_said_the_front_is(service, tmp_path, offset):
    add_cube()
    bpy.ops.object.shade_flat()
    assert texture(front_rotation_offset=offset) == {"FINISHED"}
    front = direction_for_offset(offset)
    pixels = render_from(front, tmp_path / "front.png")
    assert nearest_side(centre_colour(pixels)) == "front", centre_colour(pixels)
    back = tuple(-c for c in front)
    assert nearest_side(centre_colour(render_from(back, tmp_path / "back.png"))) == "back"
    top = centre_colour(render_from((0.0, 0.0, 1.0), tmp_path / "top.png"))
    assert nearest_side(top) == "top", top


def test_facing_from_view_rotation(addon):
    from mathutils import Euler

    facing = addon.blender.texturing.operators.facing_from_view_rotation
    front_view = Euler((1.5708, 0.0, 0.0)).to_quaternion()  # numpad 1: looking along +Y
    right_view = Euler((1.5708, 0.0, 1.5708)).to_quaternion()  # numpad 3: looking along -X
    left_view = Euler((1.5708, 0.0, -1.5708)).to_quaternion()
    back_view = Euler((1.5708, 0.0, 3.14159)).to_quaternion()
    assert facing(front_view) == "NEG_Y"
    assert facing(right_view) == "POS_X"
    assert facing(left_view) == "NEG_X"
    assert facing(back_view) == "POS_Y"
