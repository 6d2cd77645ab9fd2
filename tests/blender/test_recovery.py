"""Nothing lost: a killed Blender, a file saved mid-job, jobs of an unsaved session."""

from __future__ import annotations

import json
import time

import bpy
import pytest

from leonardo_blender.api import LeonardoClient
from leonardo_blender.api.models import TextureRequest
from leonardo_blender.core.jobs import JobState, TextureJob, TextureParams
from leonardo_blender.emulator import Emulator, EmulatorConfig
from tests.blender import blender_process
from tests.blender.scene_helpers import add_cube, material_of, select_only
from tests.blender.test_library import settle
from tests.core.obj_samples import cube_obj

MODULE = "bl_ext.user_default.leonardo_blender"


@pytest.fixture
def slow_service(addon, online, clean_scene, monkeypatch):
    """An emulator whose jobs take a few seconds, so there is time to crash in the middle."""
    with Emulator(EmulatorConfig(job_seconds=4.0, texture_size=64)) as emu:
        monkeypatch.setenv("LEONARDO_API_KEY", emu.api_key)
        monkeypatch.setenv("LEONARDO_API_BASE_URL", emu.base_url)
        yield emu
        settle(addon)


def test_killed_blender_resumes_on_open_without_paying_again(slow_service, tmp_path):
    blend = tmp_path / "crash.blend"
    env = blender_process.child_env(slow_service)
    blender_process.run_until_printed_then_kill(
        f"""
        import sys, time
        blender = sys.modules[{MODULE!r}].blender
        bpy.ops.wm.read_homefile(use_empty=True)
        bpy.ops.mesh.primitive_cube_add()
        bpy.context.active_object.name = "Survivor"
        bpy.ops.wm.save_as_mainfile(filepath={str(blend)!r})
        bpy.ops.leonardo.texture_selected(prompt="survives a crash")
        jobs = bpy.context.scene.leonardo.jobs
        assert blender.dispatcher.run_until(lambda: jobs[-1].state == "GENERATING", timeout=30)
        bpy.ops.wm.save_mainfile()
        print("SAVED", flush=True)
        time.sleep(600)
        """,
        env,
        "SAVED",
    )
    assert slow_service.count("POST", "/generations-texture") == 1

    output = blender_process.run(
        f"""
        import sys
        blender = sys.modules[{MODULE!r}].blender
        bpy.ops.wm.open_mainfile(filepath={str(blend)!r})   # load_post resumes the job
        jobs = bpy.context.scene.leonardo.jobs
        blender.dispatcher.run_until(lambda: jobs[-1].state in ("APPLIED", "FAILED"), timeout=60)
        print("STATE", jobs[-1].state, jobs[-1].error)
        bpy.ops.wm.save_mainfile()
        """,
        env,
    )
    assert "STATE APPLIED" in output, output[-2000:]
    assert slow_service.count("POST", "/generations-texture") == 1, "the resumed job was paid twice"
    bpy.ops.wm.open_mainfile(filepath=str(blend))
    assert material_of(bpy.data.objects["Survivor"]).name.startswith("Leonardo survives a crash")


def test_file_saved_mid_job_gets_its_result_back_when_reopened(service, addon, tmp_path):
    blend = tmp_path / "midway.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend))
    add_cube("Midway")
    service.faults.add(service.fault("GET /generations-texture/{id}", "latency", seconds=0.3, times=2))
    assert bpy.ops.leonardo.texture_selected(prompt="saved too early") == {"FINISHED"}
    jobs = bpy.context.scene.leonardo.jobs
    assert addon.blender.dispatcher.run_until(lambda: jobs[-1].state == "GENERATING", timeout=30)
    bpy.ops.wm.save_mainfile()
    settle(addon)
    assert jobs[-1].state == "APPLIED"
    creates = service.count("POST", "/generations-texture")
    # Close without saving again, reopen: the file only knows the job was generating.
    bpy.ops.wm.open_mainfile(filepath=str(blend))
    settle(addon)
    assert bpy.context.scene.leonardo.jobs[-1].state == "APPLIED"
    assert material_of(bpy.data.objects["Midway"]).name.startswith("Leonardo saved too early")
    assert service.count("POST", "/generations-texture") == creates


def test_jobs_of_an_unsaved_session_can_be_recovered(service, addon):
    with LeonardoClient(service.api_key, service.base_url) as client:
        asset_id = client.upload_model(cube_obj(), name="lost")
        created = client.create_texture(TextureRequest(prompt="lost and found", model_asset_id=asset_id))
    lost = TextureJob(
        params=TextureParams(prompt="lost and found"),
        object_name="Gone",
        model_asset_id=asset_id,
        generation_id=created.id,
        accepted_at=time.time(),
    )
    lost.state = JobState.GENERATING
    addon.blender.texturing.records.journal().save(lost)  # what a crashed, never-saved session leaves behind

    addon.blender.texturing.recovery.resume_unfinished()
    assert bpy.context.window_manager.leonardo.recoverable_jobs >= 1
    assert bpy.ops.leonardo.recover_jobs() == {"FINISHED"}
    settle(addon)
    record = next(r for r in bpy.context.scene.leonardo.jobs if r.job_id == lost.id)
    assert record.state == "DOWNLOADED" and "no longer exists" in record.error
    heir = add_cube("Heir")
    select_only(heir)
    assert bpy.ops.leonardo.apply_job(job_id=lost.id, to_active=True) == {"FINISHED"}
    assert material_of(heir)["leonardo_generation_id"] == created.id
    assert json.loads(record.payload)["state"] == "APPLIED"
    addon.blender.texturing.recovery.resume_unfinished()
    assert lost.id not in {j.id for j in addon.blender.texturing.recovery.recoverable_jobs()}


def test_interrupted_before_submitting_is_marked_uncharged(service, addon, tmp_path):
    job = TextureJob(params=TextureParams(prompt="never sent"), object_name="Crate")
    job.move_to(JobState.UPLOADING)
    addon.blender.texturing.records.write_record(job)
    blend = tmp_path / "interrupted.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend))
    before = service.count("POST", "/generations-texture")
    bpy.ops.wm.open_mainfile(filepath=str(blend))
    record = bpy.context.scene.leonardo.jobs[-1]
    assert record.state == "FAILED" and "nothing was charged" in record.error
    assert service.count("POST", "/generations-texture") == before


def test_unfinished_jobs_resume_after_the_addon_is_enabled(service, addon):
    import sys

    import addon_utils

    cube = add_cube("Waiting")
    with LeonardoClient(service.api_key, service.base_url) as client:
        asset_id = client.upload_model(cube_obj(), name="waiting")
        created = client.create_texture(TextureRequest(prompt="after enable", model_asset_id=asset_id))
    job = TextureJob(
        params=TextureParams(prompt="after enable"),
        object_name=cube.name,
        scene_name=bpy.context.scene.name,
        model_asset_id=asset_id,
        generation_id=created.id,
        accepted_at=time.time(),
    )
    job.state = JobState.GENERATING
    addon.blender.texturing.records.write_record(job)  # the file knows a paid job that nobody follows

    addon_utils.disable(addon.__name__, default_set=False)
    addon_utils.enable(addon.__name__, default_set=False)
    blender = sys.modules[addon.__name__].blender
    creates = service.count("POST", "/generations-texture")
    # In the UI a timer resumes a moment after enabling; headless, wait_jobs does the same.
    assert bpy.ops.leonardo.wait_jobs(timeout=30) == {"FINISHED"}
    blender.dispatcher.run_until(lambda: not blender.texturing.texture_jobs.running_ids(), timeout=30)
    record = next(r for r in bpy.context.scene.leonardo.jobs if r.job_id == job.id)
    assert record.state == "APPLIED", record.error
    assert material_of(bpy.data.objects["Waiting"])["leonardo_generation_id"] == created.id
    assert service.count("POST", "/generations-texture") == creates
