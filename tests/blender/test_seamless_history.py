"""The Seamless History (apply, delete), the prompt helpers, models and prices, and the seamless panels,
in real Blender against the emulator."""

from __future__ import annotations

import time

import bpy
import pytest

from leonardo_blender.api import LeonardoClient
from leonardo_blender.api.image_models import ImageGenerationRequest
from tests.blender.scene_helpers import material_of, select_only
from tests.blender.test_panels import draw
from tests.blender.test_seamless import add_plane, generate, settle

SEAMLESS_PANELS = ["LEONARDO_PT_seamless", "LEONARDO_PT_seamless_candidates", "LEONARDO_PT_seamless_history"]


def made_elsewhere(service, prompt: str) -> str:
    """A tiling generation made outside Blender (the web app, another file), finished."""
    with LeonardoClient(service.api_key, service.base_url) as client:
        created = client.create_image_generation(
            ImageGenerationRequest(prompt=prompt, width=256, height=256, num_images=2, seed=9, tiling=True)
        )
        deadline = time.monotonic() + 30
        while client.image_generation(created.id).status.value == "PENDING":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    return created.id


def refresh_history(addon) -> bpy.types.PropertyGroup:
    assert bpy.ops.leonardo.seamless_history_refresh() == {"FINISHED"}
    settle(addon)
    state = bpy.context.window_manager.leonardo.seamless
    assert not state.history_error, state.history_error
    return state


def test_history_lists_every_page_applies_and_deletes(service, addon):
    floor = add_plane("Floor")
    select_only(floor)
    assert generate(prompt="history tile", num_images=1) == {"FINISHED"}
    foreign = made_elsewhere(service, "terracotta roof tiles")
    settle(addon)
    state = refresh_history(addon)
    mine = service.state.generations
    listed = {row.generation_id for row in state.history}
    assert listed == {g.id for g in mine.values() if g.user_id == service.user_id}, "every page"
    pages = [r.query for r in service.requests_for("GET", "/generations/user/{userId}")]
    assert len(pages) >= 2 and pages[-1]["offset"] == str(len(listed)), "paged until an empty page"
    local = next(row for row in state.history if row.prompt == "history tile")
    assert local.seamless and local.thumbnail
    row = next(row for row in state.history if row.generation_id == foreign)
    assert not row.seamless and row.thumbnail and row.images == 2
    # a generation made elsewhere: downloaded (no new generation paid) and put on the selection
    wall = add_plane("Wall", location=(3.0, 0.0, 0.0))
    select_only(wall)
    creates = service.count("POST", "/generations")
    state.history_index = list(state.history).index(row)
    assert bpy.ops.leonardo.seamless_history_apply(generation_id=foreign) == {"FINISHED"}
    assert bpy.ops.leonardo.wait_jobs(timeout=60) == {"FINISHED"}
    assert material_of(wall).name.startswith("Leonardo tile terracotta roof tiles")
    assert service.count("POST", "/generations") == creates
    assert len(bpy.context.scene.leonardo.seamless.candidates) == 2
    # one this machine made: a free material switch, nothing downloaded
    requests = len(service.requests)
    assert bpy.ops.leonardo.seamless_history_apply(generation_id=local.generation_id) == {"FINISHED"}
    assert material_of(wall).name.startswith("Leonardo tile history tile")
    assert len(service.requests) == requests
    # delete on the service; the local material stays
    assert bpy.ops.leonardo.seamless_history_delete(generation_id=foreign) == {"FINISHED"}
    settle(addon)
    assert service.count("DELETE", "/generations/{id}") >= 1 and foreign not in service.state.generations
    assert foreign not in {r.generation_id for r in state.history}
    assert material_of(wall) is not None


def test_history_hides_the_projection_engine_views_unless_asked(service, addon):
    from leonardo_blender.core.pipeline.projection import TEXTURE_HINT

    made_elsewhere(service, f"red brick, front view, {TEXTURE_HINT}")
    state = refresh_history(addon)
    view = next(row for row in state.history if row.prompt.endswith(TEXTURE_HINT))
    assert view.projection_view
    ui_list = bpy.types.LEONARDO_UL_seamless_history

    class Stand(ui_list):  # filter_items reads only these attributes of the list
        bitflag_filter_item = 1 << 30
        filter_name = ""

    flags, _order = ui_list.filter_items(Stand, bpy.context, state, "history")
    assert flags[list(state.history).index(view)] == 0
    state.show_views = True
    flags, _order = ui_list.filter_items(Stand, bpy.context, state, "history")
    assert all(flags)


def test_prompt_helpers_improve_and_randomise_every_prompt_field(service, addon):
    scene = bpy.context.scene
    scene.leonardo.seamless.prompt = "wet slate"
    assert bpy.ops.leonardo.improve_prompt(field="SEAMLESS", wait=True) == {"FINISHED"}
    improved = scene.leonardo.seamless.prompt
    assert improved.startswith("wet slate, ") and "highly detailed" in improved
    assert service.requests_for("POST", "/prompt/improve")[-1].json_body == {"prompt": "wet slate"}
    scene.leonardo.prompt = ""
    assert bpy.ops.leonardo.random_prompt(field="TEXTURE", wait=True) == {"FINISHED"}
    assert scene.leonardo.prompt
    assert "(4 credits)" in bpy.context.window_manager.leonardo.seamless.prompt_message
    # the improver's limit is explained, and nothing is sent
    improves = service.count("POST", "/prompt/improve")
    scene.leonardo.prompt = "x" * 230
    with pytest.raises(RuntimeError, match="under 200 characters; this one has 230"):
        bpy.ops.leonardo.improve_prompt(field="TEXTURE", wait=True)
    assert service.count("POST", "/prompt/improve") == improves
    # the buttons sit beside both prompt fields
    assert "op:leonardo.improve_prompt" in draw("LEONARDO_PT_texture")
    assert "op:leonardo.random_prompt" in draw("LEONARDO_PT_seamless")


def test_models_are_listed_cached_and_settings_priced(service, addon):
    settings = bpy.context.scene.leonardo.seamless
    assert bpy.ops.leonardo.seamless_refresh() == {"FINISHED"}
    settle(addon)
    names = {item.name for item in settings.bl_rna.properties["model"].enum_items_static} | {
        item[1] for item in addon.blender.seamless.catalog.model_items(settings, bpy.context)
    }
    assert "Stable Diffusion 1.5 (emulated)" in names, "the account's platform models"
    cache = addon.blender.addon.user_dir("cache") / "platform_models.json"
    assert cache.is_file() and "emulated" in cache.read_text()
    settings.width, settings.height, settings.num_images = 512, 512, 3  # each change asks the calculator
    settle(addon)
    body = service.requests_for("POST", "/pricing-calculator")[-1].json_body
    assert body["serviceParams"]["IMAGE_GENERATION"]["numImages"] == 3
    assert any(line == "Generate Seamless · 3 credits" for line in draw("LEONARDO_PT_seamless"))
    settings.num_images = 4
    assert any("(est.)" in line for line in draw("LEONARDO_PT_seamless")), "until the calculator answers"
    settle(addon)
    assert "Generate Seamless · 4 credits" in draw("LEONARDO_PT_seamless")


@pytest.mark.parametrize("panel_name", SEAMLESS_PANELS)
def test_seamless_panels_draw_in_an_empty_file(addon, clean_scene, panel_name):
    draw(panel_name)


def test_seamless_panels_draw_with_candidates_and_history(service, addon):
    add_plane("Floor")
    assert generate(num_images=2) == {"FINISHED"}
    settle(addon)
    refresh_history(addon)
    bpy.context.window_manager.leonardo.seamless.history_index = 0
    main = draw("LEONARDO_PT_seamless")
    assert "op:leonardo.generate_seamless" in main and "prop:init_image" in main
    candidates = draw("LEONARDO_PT_seamless_candidates")
    assert candidates.count("op:leonardo.seamless_choose") == 2
    assert "prop:default_value" in candidates, "the Mapping node's scale"
    assert "op:leonardo.seamless_projection" in candidates and "op:leonardo.seamless_rederive" in candidates
    assert candidates.count("op:leonardo.seamless_variation") == 3
    history = draw("LEONARDO_PT_seamless_history")
    assert "op:leonardo.seamless_history_apply" in history and "op:leonardo.seamless_history_delete" in history
    jobs = draw("LEONARDO_PT_jobs")
    assert any("seamless" in line for line in jobs)
