"""Upscaling a seamless candidate and removing its background, in real Blender against the emulator: paid
steps of the same job, shown with their price, swapped into the material when done."""

from __future__ import annotations

from pathlib import Path

import bpy
import pytest

from tests.blender.scene_helpers import linked_from, material_of, select_only
from tests.blender.test_panels import draw
from tests.blender.test_seamless import add_plane, generate, settle


@pytest.fixture
def floor(service, addon):
    plane = add_plane("Floor")
    select_only(plane)
    assert generate(num_images=2, seed=21) == {"FINISHED"}
    settle(addon)
    return plane


def albedo(obj: bpy.types.Object) -> bpy.types.Image:
    return material_of(obj).node_tree.nodes["Leonardo Albedo"].image


def test_upscale_swaps_the_upscaled_image_and_its_maps_into_the_material(service, floor):
    mat = material_of(floor)
    assert albedo(floor).size[0] == 384
    sent = service.count("POST", "/variations/upscale")
    assert bpy.ops.leonardo.seamless_variation(kind="UPSCALE", wait=True, timeout=60) == {"FINISHED"}
    assert service.count("POST", "/variations/upscale") == sent + 1
    assert material_of(floor) == mat, "the same material, its images swapped"
    assert albedo(floor).size[0] == 768 and Path(albedo(floor).filepath).name.startswith("candidate-2")
    assert mat.node_tree.nodes["Leonardo Normal"].image.size[0] == 768, "the derived maps follow"
    shown = bpy.context.scene.leonardo.seamless
    assert shown.chosen == 2 and shown.candidates[2].transform == "UPSCALE" and shown.candidates[2].width == 768
    record = bpy.context.scene.leonardo.jobs[-1]
    assert record.state == "APPLIED" and record.cost == 2 + 5
    # its price is known from now on, and shown on the button
    assert any("Upscale · 5 credits" in line for line in draw("LEONARDO_PT_seamless_candidates"))
    # the original is still a free switch away
    assert bpy.ops.leonardo.seamless_choose(index=0, wait=True) == {"FINISHED"}
    assert albedo(floor).size[0] == 384


def test_universal_upscaler_sends_its_options_and_its_price_is_asked_first(service, floor, addon):
    settings = bpy.context.scene.leonardo.seamless
    settings.upscaler_style, settings.creativity, settings.multiplier = "GAME", 4, 2.0
    assert bpy.ops.leonardo.seamless_refresh() == {"FINISHED"}
    settle(addon)
    pricing = [r.json_body for r in service.requests_for("POST", "/pricing-calculator")]
    assert {"service": "UNIVERSAL_UPSCALER", "serviceParams": {"UNIVERSAL_UPSCALER": {"megapixel": 0.59}}} in pricing
    assert any("Universal Upscale · 10 credits" in line for line in draw("LEONARDO_PT_seamless_candidates"))
    assert bpy.ops.leonardo.seamless_variation(kind="UNIVERSAL_UPSCALER", wait=True, timeout=60) == {"FINISHED"}
    request = service.requests_for("POST", "/variations/universal-upscaler")[-1]
    assert request.json_body["upscalerStyle"] == "CG ART & GAME ASSETS"
    assert (request.json_body["creativityStrength"], request.json_body["upscaleMultiplier"]) == (4, 2.0)
    assert albedo(floor).size[0] == 768


def test_background_removal_makes_a_decal_with_its_alpha(service, floor):
    assert bpy.ops.leonardo.seamless_variation(kind="NOBG", wait=True, timeout=60) == {"FINISHED"}
    mat = material_of(floor)
    node = mat.node_tree.nodes["Leonardo Albedo"]
    assert Path(node.image.filepath).suffix == ".png" and node.extension == "CLIP"
    assert linked_from(mat.node_tree.nodes["Leonardo BSDF"].inputs["Alpha"]) == node
    assert bpy.ops.leonardo.seamless_choose(index=0, wait=True) == {"FINISHED"}
    assert node.extension == "REPEAT" and not mat.node_tree.nodes["Leonardo BSDF"].inputs["Alpha"].is_linked


def test_a_variation_the_service_would_refuse_is_refused_here(service, floor):
    assert bpy.ops.leonardo.seamless_variation(kind="UPSCALE", wait=True, timeout=60) == {"FINISHED"}
    sent = service.count("POST", "/variations/upscale")
    with pytest.raises(RuntimeError, match="Universal Upscaler"):
        bpy.ops.leonardo.seamless_variation(kind="UPSCALE", wait=True)  # the chosen one is an upscale already
    with pytest.raises(RuntimeError, match="multiplier"):
        bpy.ops.leonardo.seamless_variation(kind="UNIVERSAL_UPSCALER", multiplier=3.0, wait=True)
    assert service.count("POST", "/variations/upscale") == sent
