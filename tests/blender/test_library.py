"""Account, model assets and texture history, managed from Blender against the emulator."""

from __future__ import annotations

import bpy
import pytest

from leonardo_blender.api import LeonardoClient
from leonardo_blender.api.models import JobStatus, TextureRequest
from tests.blender.scene_helpers import add_cube, material_of, select_only
from tests.core.obj_samples import cube_obj
from tests.core.waiting import wait_until


def settle(addon, timeout: float = 60) -> None:
    """Drain the main-thread queue until no task or job is running (headless: no timers)."""
    blender = addon.blender
    assert blender.dispatcher.run_until(
        lambda: (
            not blender.tasks._running
            and not blender.texturing.texture_jobs.running_ids()
            and not blender.dispatcher.busy()
        ),
        timeout=timeout,
    ), "tasks still running"


def runtime():
    return bpy.context.window_manager.leonardo


def texture(**kwargs) -> set[str]:
    kwargs.setdefault("prompt", "brushed steel")
    return bpy.ops.leonardo.texture_selected(wait=True, timeout=60, **kwargs)


@pytest.fixture
def client(service):
    with LeonardoClient(service.api_key, service.base_url) as c:
        yield c


def completed(client: LeonardoClient, generation_id: str):
    return wait_until(lambda: (g := client.texture_generation(generation_id)).status is JobStatus.COMPLETE and g)


# -- account --------------------------------------------------------------------------------------------


def test_account_box_shows_name_balance_slots_and_costs(service, addon):
    service.set_credits(4321)
    try:
        assert bpy.ops.leonardo.refresh_account() == {"FINISHED"}
        settle(addon)
        assert runtime().username == service.config.username
        assert runtime().credits == 4321
        assert runtime().concurrency_slots == service.config.concurrency_slots
        assert (runtime().cost_preview, runtime().cost_full) == (30, 150)
        add_cube()
        assert texture(preview=True) == {"FINISHED"}
        settle(addon)
        assert runtime().credits == 4321 - 30, "the balance is refreshed after each job"
    finally:
        service.set_credits(1_000_000)


def test_account_refresh_is_refused_offline(addon, emulator, offline, clean_scene, monkeypatch):
    monkeypatch.setenv("LEONARDO_API_KEY", emulator.api_key)
    monkeypatch.setenv("LEONARDO_API_BASE_URL", emulator.base_url)
    before = len(emulator.requests)
    assert not bpy.ops.leonardo.refresh_account.poll()
    assert not bpy.ops.leonardo.refresh_assets.poll()
    assert not bpy.ops.leonardo.refresh_history.poll()
    assert len(emulator.requests) == before


# -- model assets -----------------------------------------------------------------------------------------


def test_assets_list_every_page_and_shows_linked_objects(service, addon, client):
    uploaded = {client.upload_model(cube_obj(), name=f"prop {i:02d}") for i in range(13)}
    cube = add_cube("Crate")
    assert texture() == {"FINISHED"}
    assert bpy.ops.leonardo.refresh_assets() == {"FINISHED"}
    settle(addon)
    listed = {row.asset_id: row for row in runtime().assets}
    assert len(listed) > 10 and uploaded <= set(listed)
    assert listed[cube.leonardo.model_asset_id].linked_objects == "Crate"
    assert listed[cube.leonardo.model_asset_id].name == "Crate", "assets are named after the uploaded object"
    assert "model assets" in runtime().assets_state


def test_delete_several_assets(service, addon, client):
    doomed = [client.upload_model(cube_obj(), name=f"doomed {i}") for i in range(2)]
    cube = add_cube()
    cube.leonardo.model_asset_id = doomed[0]
    bpy.ops.leonardo.refresh_assets()
    settle(addon)
    for row in runtime().assets:
        row.checked = row.asset_id in doomed
    assert bpy.ops.leonardo.delete_assets() == {"FINISHED"}
    settle(addon)
    assert not set(doomed) & set(service.state.model_assets)
    assert not {row.asset_id for row in runtime().assets} & set(doomed)
    assert cube.leonardo.model_asset_id == "", "objects linked to a deleted asset forget it"


def test_link_an_object_to_an_existing_asset_then_texture_without_upload(service, addon, client):
    asset_id = client.upload_model(cube_obj(), name="shared shape")
    bpy.ops.leonardo.refresh_assets()
    settle(addon)
    runtime().assets_index = next(i for i, row in enumerate(runtime().assets) if row.asset_id == asset_id)
    cube = add_cube("Linked")
    assert bpy.ops.leonardo.link_asset() == {"FINISHED"}
    uploads = service.count("POST", "/models-3d/upload")
    assert texture() == {"FINISHED"}
    assert service.count("POST", "/models-3d/upload") == uploads
    assert service.requests_for("POST", "/generations-texture")[-1].json_body["modelAssetId"] == asset_id
    assert cube.leonardo.model_asset_id == asset_id


def test_import_an_assets_mesh(service, addon, client):
    asset_id = client.upload_model(cube_obj(), name="Imported Crate")
    bpy.ops.leonardo.refresh_assets()
    settle(addon)
    runtime().assets_index = next(i for i, row in enumerate(runtime().assets) if row.asset_id == asset_id)
    assert bpy.ops.leonardo.import_asset() == {"FINISHED"}
    settle(addon)
    obj = bpy.data.objects["Imported Crate"]
    assert len(obj.data.polygons) == 6 and len(obj.data.uv_layers) == 1
    assert obj.leonardo.model_asset_id == asset_id
    assert obj.dimensions.z == pytest.approx(2.0), "the service's Y-up mesh comes back Z-up"


# -- history ------------------------------------------------------------------------------------------------


def test_history_lists_every_generation_with_thumbnails(service, addon, client):
    cube = add_cube()
    assert texture(prompt="first") == {"FINISHED"}
    asset_id = cube.leonardo.model_asset_id
    made = [
        client.create_texture(TextureRequest(prompt=f"web {i}", model_asset_id=asset_id, preview=True)).id
        for i in range(11)
    ]
    for generation_id in made:
        completed(client, generation_id)
    assert bpy.ops.leonardo.refresh_history() == {"FINISHED"}
    settle(addon)
    rows = {row.generation_id: row for row in runtime().history}
    assert len(rows) == 12 and set(made) <= set(rows)
    local = next(row for row in rows.values() if row.prompt == "first")
    assert local.applied and local.local and local.kind == "full" and local.material_name
    assert rows[made[0]].kind == "" and not rows[made[0]].local
    thumbnails = addon.blender.library.thumbnails
    assert all(thumbnails.loaded(gid) for gid in rows), "every complete generation has a thumbnail"
    assert "12 generations" in runtime().history_state


def test_apply_from_history_downloads_once_then_switching_is_free(service, addon, client):
    cube = add_cube()
    assert texture(prompt="original") == {"FINISHED"}
    original = material_of(cube)
    other = client.create_texture(TextureRequest(prompt="made on the web", model_asset_id=cube.leonardo.model_asset_id))
    completed(client, other.id)
    bpy.ops.leonardo.refresh_history()
    settle(addon)
    creates = service.count("POST", "/generations-texture")
    assert bpy.ops.leonardo.apply_generation(generation_id=other.id) == {"FINISHED"}
    settle(addon)
    web_material = material_of(cube)
    assert web_material != original and web_material["leonardo_generation_id"] == other.id
    assert service.count("POST", "/generations-texture") == creates, "applying never pays again"

    before = len(service.requests)
    original_id = original["leonardo_generation_id"]
    assert bpy.ops.leonardo.apply_generation(generation_id=original_id) == {"FINISHED"}
    assert material_of(cube) == original
    assert bpy.ops.leonardo.apply_generation(generation_id=other.id) == {"FINISHED"}
    assert material_of(cube) == web_material
    assert len(service.requests) == before, "switching between variants makes no request"


def test_rerun_promote_copy_and_delete(service, addon):
    add_cube()
    assert texture(
        prompt="preview me",
        preview=True,
        preview_direction="left",
        seed=99,
        front_rotation_offset=90,
        negative_prompt="rust",
    ) == {"FINISHED"}
    bpy.ops.leonardo.refresh_history()
    settle(addon)
    row = next(r for r in runtime().history if r.prompt == "preview me")
    assert row.kind == "preview (left)"

    assert bpy.ops.leonardo.rerun_generation(generation_id=row.generation_id, promote=True) == {"FINISHED"}
    settle(addon)
    body = service.requests_for("POST", "/generations-texture")[-1].json_body
    assert body["preview"] is False and body["seed"] == 99 and body["prompt"] == "preview me"
    assert body["front_rotation_offset"] == 90 and body["negative_prompt"] == "rust"

    assert bpy.ops.leonardo.rerun_generation(generation_id=row.generation_id) == {"FINISHED"}
    settle(addon)
    body = service.requests_for("POST", "/generations-texture")[-1].json_body
    assert body["preview"] is True and body["preview_direction"] == "left"

    panel = bpy.context.scene.leonardo
    panel.prompt, panel.seed = "something else", ""
    assert bpy.ops.leonardo.copy_generation_settings(generation_id=row.generation_id) == {"FINISHED"}
    assert (panel.prompt, panel.seed, panel.facing, panel.preview) == ("preview me", "99", "POS_X", True)
    assert panel.negative_prompt == "rust" and panel.preview_direction == "left"

    assert bpy.ops.leonardo.delete_generation(generation_id=row.generation_id) == {"FINISHED"}
    settle(addon)
    assert row.generation_id not in service.state.texture_generations
    assert row.generation_id not in {r.generation_id for r in runtime().history}


def test_history_of_a_chosen_asset(service, addon, client):
    asset_id = client.upload_model(cube_obj(), name="chosen")
    generation = client.create_texture(TextureRequest(prompt="chosen one", model_asset_id=asset_id, preview=True))
    completed(client, generation.id)
    bpy.ops.leonardo.refresh_assets()
    settle(addon)
    runtime().assets_index = next(i for i, row in enumerate(runtime().assets) if row.asset_id == asset_id)
    runtime().history_source = "ASSET"
    try:
        bpy.ops.leonardo.refresh_history()
        settle(addon)
    finally:
        runtime().history_source = "OBJECT"
    assert [row.prompt for row in runtime().history] == ["chosen one"]


def test_restore_original_materials(service, addon):
    cube = add_cube()
    painted = bpy.data.materials.new("Painted")
    cube.data.materials.append(painted)
    assert texture() == {"FINISHED"}
    assert bpy.ops.leonardo.restore_materials() == {"FINISHED"}
    assert material_of(cube) == painted


# -- objects renamed or deleted while their job runs ------------------------------------------------------


def test_job_follows_a_renamed_object(service, addon):
    cube = add_cube("Before")
    assert bpy.ops.leonardo.texture_selected(prompt="renamed") == {"FINISHED"}
    cube.name = "After"
    settle(addon)
    assert material_of(bpy.data.objects["After"]).name.startswith("Leonardo renamed")
    record = bpy.context.scene.leonardo.jobs[-1]
    assert record.state == "APPLIED" and record.object_name == "After"


def test_job_of_a_deleted_object_keeps_its_result_for_another_object(service, addon):
    doomed = add_cube("Doomed")
    assert bpy.ops.leonardo.texture_selected(prompt="orphan") == {"FINISHED"}
    bpy.data.objects.remove(doomed)
    settle(addon)
    record = bpy.context.scene.leonardo.jobs[-1]
    assert record.state == "DOWNLOADED" and "no longer exists" in record.error
    assert record.material_name in bpy.data.materials, "the result is kept as a material"
    heir = add_cube("Heir")
    select_only(heir)
    assert bpy.ops.leonardo.apply_job(job_id=record.job_id, to_active=True) == {"FINISHED"}
    assert material_of(heir).name == record.material_name
    assert bpy.context.scene.leonardo.jobs[-1].state == "APPLIED"


def test_service_errors_show_in_the_panels(service, addon):
    from leonardo_blender.emulator import FaultRule

    service.faults.add(FaultRule("GET /models-3d/user/{userId}", "status", status=500, times=-1))
    service.faults.add(FaultRule("GET /me", "status", status=401, times=1))
    try:
        bpy.ops.leonardo.refresh_account()
        settle(addon)
        assert "API key" in runtime().account_error
        bpy.ops.leonardo.refresh_assets()
        settle(addon)
        assert runtime().assets_error and runtime().assets_state == ""
    finally:
        service.faults.clear()
    bpy.ops.leonardo.refresh_assets()
    settle(addon)
    assert runtime().assets_error == "" and "model asset" in runtime().assets_state


def test_undo_while_a_job_runs_loses_nothing(service, addon):
    bpy.ops.ed.undo_push(message="empty file")
    add_cube("Undone")
    bpy.ops.ed.undo_push(message="cube added")
    service.faults.add(service.fault("GET /generations-texture/{id}", "latency", seconds=0.3, times=2))
    assert bpy.ops.leonardo.texture_selected(prompt="undo-proof") == {"FINISHED"}
    job_id = bpy.context.scene.leonardo.jobs[-1].job_id
    assert addon.blender.dispatcher.run_until(
        lambda: bpy.context.scene.leonardo.jobs[-1].state == "GENERATING", timeout=30
    )
    bpy.data.objects["Undone"].location.x = 3.0
    bpy.ops.ed.undo_push(message="moved")
    assert bpy.ops.ed.undo() == {"FINISHED"}  # back to "cube added": before the job existed in the file
    assert bpy.data.objects["Undone"].location.x == 0.0
    assert job_id in {r.job_id for r in bpy.context.scene.leonardo.jobs}, "undo dropped the job record"
    settle(addon)
    record = next(r for r in bpy.context.scene.leonardo.jobs if r.job_id == job_id)
    assert record.state == "APPLIED", record.error
    assert material_of(bpy.data.objects["Undone"]).name.startswith("Leonardo undo-proof")
