"""Seamless tileable materials in real Blender against the emulator: generate with ``tiling``, the
repeating material and its scale, free candidate switching and re-deriving, box projection, init
images, settings refused before sending."""

from __future__ import annotations

from pathlib import Path

import bpy
import numpy as np
import pytest

from tests.blender.scene_helpers import add_cube, linked_from, material_of, render_from, select_only

NODE = {
    "albedo": "Leonardo Albedo",
    "roughness": "Leonardo Roughness",
    "normal": "Leonardo Normal",
    "height": "Leonardo Height",
}


def add_plane(name: str, size: float = 2.0, location=(0.0, 0.0, 0.0)) -> bpy.types.Object:
    bpy.ops.mesh.primitive_plane_add(size=size, location=location)
    obj = bpy.context.active_object
    obj.name = name
    return obj


def generate(**kwargs) -> set[str]:
    kwargs.setdefault("prompt", "mossy cobblestone")
    kwargs.setdefault("width", 256)
    kwargs.setdefault("height", 256)
    kwargs.setdefault("num_images", 2)
    return bpy.ops.leonardo.generate_seamless(wait=True, timeout=60, **kwargs)


def seamless_bodies(service) -> list[dict]:
    return [r.json_body for r in service.requests_for("POST", "/generations") if r.status == 200]


def image_node(mat: bpy.types.Material, key: str) -> bpy.types.Node:
    return mat.node_tree.nodes[NODE[key]]


def test_generate_puts_one_tiling_pbr_material_on_every_selected_mesh(service):
    floor, wall = add_plane("Floor"), add_plane("Wall", location=(3.0, 0.0, 0.0))
    select_only(floor, wall)
    before = len(seamless_bodies(service))
    assert generate(seed=11, scale=3.0, guidance_scale=8, num_inference_steps=20, negative_prompt="moss") == {
        "FINISHED"
    }
    body = seamless_bodies(service)[before]
    assert body["tiling"] is True and (body["width"], body["height"], body["num_images"]) == (256, 256, 2)
    assert (body["seed"], body["guidance_scale"], body["num_inference_steps"]) == (11, 8, 20)
    assert body["negative_prompt"] == "moss"
    mat = material_of(floor)
    assert material_of(wall) == mat and mat.name == "Leonardo tile mossy cobblestone (11)"
    nodes = mat.node_tree.nodes
    bsdf = nodes["Leonardo BSDF"]
    mapping, coordinates = nodes["Leonardo Mapping"], nodes["Leonardo Coordinates"]
    assert tuple(mapping.inputs["Scale"].default_value) == pytest.approx((3.0, 3.0, 3.0))
    assert mapping.inputs["Vector"].links[0].from_socket == coordinates.outputs["UV"]
    for key in NODE:
        node = image_node(mat, key)
        assert node.extension == "REPEAT" and node.projection == "FLAT"
        assert linked_from(node.inputs["Vector"]) == mapping
        assert node.image.size[0] == 384, "the real served size (alchemy 1.5x), not the asked one"
        assert node.image.colorspace_settings.name == ("sRGB" if key == "albedo" else "Non-Color")
    assert linked_from(bsdf.inputs["Base Color"]) == image_node(mat, "albedo")
    assert linked_from(bsdf.inputs["Roughness"]) == image_node(mat, "roughness")
    normal_map = linked_from(bsdf.inputs["Normal"])
    assert normal_map.type == "NORMAL_MAP" and normal_map.space == "TANGENT"
    assert linked_from(normal_map.inputs["Color"]) == image_node(mat, "normal")
    displacement = linked_from(nodes["Leonardo Output"].inputs["Displacement"])
    assert displacement.type == "DISPLACEMENT"
    assert linked_from(displacement.inputs["Height"]) == image_node(mat, "height")
    record = bpy.context.scene.leonardo.jobs[-1]
    assert record.state == "APPLIED" and record.kind == "seamless" and record.cost == 2
    shown = bpy.context.scene.leonardo.seamless
    assert shown.job_id == record.job_id and shown.chosen == 0 and len(shown.candidates) == 2
    assert all(Path(c.path).is_file() for c in shown.candidates)


def test_the_texture_repeats_and_the_mapping_scale_controls_it(service, tmp_path):
    plane = add_plane("Floor", size=3.0)  # exactly fills the test camera's 3 m orthographic view
    select_only(plane)
    assert generate(num_images=1, seed=5) == {"FINISHED"}
    mat = material_of(plane)
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    mapping = nodes["Leonardo Mapping"]
    # Show the albedo as it is looked up through the material's own coordinates and mapping, with
    # no lighting: shading noise from a few samples must not decide whether the texture repeats.
    emission = nodes.new("ShaderNodeEmission")
    links.new(image_node(mat, "albedo").outputs["Color"], emission.inputs["Color"])
    links.new(emission.outputs["Emission"], nodes["Leonardo Output"].inputs["Surface"])
    bpy.context.scene.cycles.filter_width = 0.01  # every sample at the pixel centre

    def halves_differ(scale: float) -> float:
        mapping.inputs["Scale"].default_value = (scale, scale, scale)
        pixels = render_from((0.0, 0.0, 1.0), tmp_path / f"tiles-{scale}.png", size=64, samples=4)
        return float(np.abs(pixels[:, :32] - pixels[:, 32:]).mean() + np.abs(pixels[:32] - pixels[32:]).mean())

    once, twice = halves_differ(1.0), halves_differ(2.0)
    assert once > 0.02, f"the tile is not uniform, so its halves differ at scale 1 ({once:.4f})"
    assert twice < 0.2 * once, f"at scale 2 each half shows one whole tile ({twice:.4f} vs {once:.4f})"


def seam_ratio(pixels: np.ndarray) -> float:
    """How much larger the step across the wrap-around edges is than a typical step inside (~1: no seam)."""
    inside = np.abs(np.diff(pixels, axis=1)).mean() + np.abs(np.diff(pixels, axis=0)).mean()
    across = np.abs(pixels[:, 0] - pixels[:, -1]).mean() + np.abs(pixels[0] - pixels[-1]).mean()
    return float(across / max(inside, 1e-6))


def test_the_derived_maps_blender_loads_tile_across_their_edges(service):
    plane = add_plane("Floor")
    select_only(plane)
    assert generate(num_images=1, seed=7) == {"FINISHED"}
    mat = material_of(plane)
    for key in ("albedo", "normal", "roughness", "height"):
        image = image_node(mat, key).image
        width, height = image.size
        pixels = np.empty(width * height * image.channels, dtype=np.float32)
        image.pixels.foreach_get(pixels)
        pixels = pixels.reshape(height, width, image.channels)[..., :3]
        assert seam_ratio(pixels) < 2.0, f"the {key} map shows a seam where it repeats"
        cut = pixels[: height * 3 // 5, : width * 3 // 5]  # the same map cut short does show one
        assert seam_ratio(cut) > 3.0, f"{key}: the seam measure cannot tell a seam ({seam_ratio(cut):.2f})"


def settle(addon) -> None:
    """Let the account refresh that follows every job finish (it makes requests of its own)."""
    blender = addon.blender
    assert blender.dispatcher.run_until(lambda: not blender.tasks.busy(), timeout=30)


def test_switching_candidates_and_rederiving_cost_no_request(service, addon):
    plane = add_plane("Floor")
    select_only(plane)
    assert generate(num_images=3) == {"FINISHED"}
    mat = material_of(plane)
    settle(addon)
    requests = len(service.requests)
    assert bpy.ops.leonardo.seamless_choose(index=2, wait=True) == {"FINISHED"}
    assert Path(image_node(mat, "albedo").image.filepath).name.startswith("candidate-2")
    assert "-c2-" in Path(image_node(mat, "normal").image.filepath).name
    assert bpy.context.scene.leonardo.seamless.chosen == 2
    assert bpy.ops.leonardo.seamless_rederive(normal_strength=2.5, wait=True) == {"FINISHED"}
    assert Path(image_node(mat, "normal").image.filepath).name == "normal-c2-s250.png"
    assert bpy.ops.leonardo.seamless_choose(index=0, wait=True) == {"FINISHED"}
    assert Path(image_node(mat, "normal").image.filepath).name == "normal-c0-s250.png", "the strength stays"
    assert len(service.requests) == requests, "switching and re-deriving are local"
    job = bpy.context.scene.leonardo.jobs[-1]
    assert '"chosen": 0' in job.payload and '"normal_strength": 2.5' in job.payload


def test_box_projection_for_meshes_without_good_uvs(service):
    cube = add_cube(uvs=False)
    assert generate(num_images=1, projection="BOX") == {"FINISHED"}
    mat = material_of(cube)
    nodes = mat.node_tree.nodes
    assert nodes["Leonardo Mapping"].inputs["Vector"].links[0].from_socket.name == "Object"
    assert all(image_node(mat, key).projection == "BOX" for key in NODE)
    bump = linked_from(nodes["Leonardo BSDF"].inputs["Normal"])
    assert bump.type == "BUMP" and linked_from(bump.inputs["Height"]) == image_node(mat, "height")
    assert not nodes["Leonardo Output"].inputs["Displacement"].is_linked, "no second bump"
    assert bpy.ops.leonardo.seamless_projection(projection="UV") == {"FINISHED"}
    assert linked_from(nodes["Leonardo BSDF"].inputs["Normal"]).type == "NORMAL_MAP"
    assert image_node(mat, "albedo").projection == "FLAT"


def test_an_image_of_the_file_guides_a_tileable_variant(service, addon):
    image = bpy.data.images.new("Bricks", 48, 32)
    image.pixels.foreach_set(np.tile([0.6, 0.3, 0.2, 1.0], 48 * 32).astype(np.float32))
    add_plane("Floor")
    uploads = service.count("POST", "/init-image")
    assert generate(num_images=1, init_image="Bricks", init_strength=0.4) == {"FINISHED"}
    assert service.count("POST", "/init-image") == uploads + 1
    body = seamless_bodies(service)[-1]
    assert body["init_strength"] == 0.4 and body["init_image_id"] and body["tiling"] is True
    job_id = bpy.context.scene.leonardo.seamless.job_id
    assert not (addon.blender.addon.user_dir("init_images") / f"{job_id}.png").exists(), "its copy is cleaned up"
    with pytest.raises(RuntimeError, match="no image 'Nope'"):
        generate(init_image="Nope")


def test_the_render_result_guides_a_tileable_variant(service, tmp_path):
    add_plane("Floor")
    render_from((0.0, 0.0, 1.0), tmp_path / "render.png", size=32, samples=1)
    uploads = service.requests_for("POST", "upload/init-image")
    assert generate(num_images=1, init_image="Render Result") == {"FINISHED"}
    sent = service.requests_for("POST", "upload/init-image")
    assert len(sent) == len(uploads) + 1
    assert seamless_bodies(service)[-1]["init_image_id"]


def test_settings_the_service_would_refuse_are_refused_before_sending(service):
    add_plane("Floor")
    creates = service.count("POST", "/generations")
    with pytest.raises(RuntimeError, match="multiple of 8"):
        generate(width=250)
    with pytest.raises(RuntimeError, match="1 to 4 candidates"):
        generate(width=1024, num_images=5)
    with pytest.raises(RuntimeError, match="Steps"):
        generate(num_inference_steps=5)
    assert service.count("POST", "/generations") == creates


def test_nothing_is_sent_while_online_access_is_off(addon, offline, clean_scene):
    assert not bpy.ops.leonardo.generate_seamless.poll()
    assert not bpy.ops.leonardo.seamless_variation.poll()
    assert not bpy.ops.leonardo.improve_prompt.poll()
