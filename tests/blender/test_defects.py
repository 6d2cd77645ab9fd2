"""One test per defect a reviewer found by using the add-on as a new user would (issue 8), in real Blender.

Each failed on the main branch before its fix. The wider fault matrix is in ``test_fault_matrix.py``.
"""

from __future__ import annotations

import sys
import time

import addon_utils
import bpy
import numpy as np
import pytest

from leonardo_blender.emulator import Emulator, EmulatorConfig, FaultRule
from tests.blender.scene_helpers import add_cube, material_of
from tests.blender.test_library import settle


def texture(**kwargs) -> set[str]:
    kwargs.setdefault("prompt", "rusty iron")
    return bpy.ops.leonardo.texture_selected(wait=True, timeout=60, **kwargs)


def last_record():
    return bpy.context.scene.leonardo.jobs[-1]


@pytest.fixture
def slow_service(addon, online, clean_scene, monkeypatch):
    with Emulator(EmulatorConfig(job_seconds=2.5, texture_size=64)) as emu:
        monkeypatch.setenv("LEONARDO_API_KEY", emu.api_key)
        monkeypatch.setenv("LEONARDO_API_BASE_URL", emu.base_url)
        yield emu
        settle(sys.modules[addon.__name__])


def test_3_a_mesh_in_edit_mode_is_textured_with_its_edits(service):
    cube = add_cube()
    bpy.ops.object.mode_set(mode="EDIT")
    bpy.ops.mesh.select_all(action="SELECT")
    bpy.ops.transform.translate(value=(0.0, 0.0, 1.0))  # not yet flushed to the mesh
    assert texture() == {"FINISHED"}
    assert cube.mode == "EDIT", "the user's mode is given back"
    asset = service.state.model_assets[cube.leonardo.model_asset_id]
    heights = asset.mesh.positions[:, 1]  # OBJ's Y is Blender's Z
    assert np.isclose(heights.max(), 2.0) and np.isclose(heights.min(), 0.0), "the edits were not exported"
    assert last_record().state == "APPLIED"


def test_4_an_overlong_prompt_is_refused_before_anything_is_sent(service):
    add_cube()
    before = len(service.requests)
    with pytest.raises(RuntimeError, match="at most 1500"):
        texture(prompt="x" * 1501)
    assert len(service.requests) == before
    assert len(bpy.context.scene.leonardo.jobs) == 0


def test_5_wait_jobs_waits_for_account_assets_and_history(service, addon):
    service.faults.add(FaultRule("GET /me", "latency", seconds=1.0))
    assert bpy.ops.leonardo.refresh_account() == {"FINISHED"}
    assert bpy.ops.leonardo.refresh_assets() == {"FINISHED"}
    assert bpy.ops.leonardo.wait_jobs(timeout=30) == {"FINISHED"}
    runtime = bpy.context.window_manager.leonardo
    assert runtime.account_state == "Up to date" and runtime.credits >= 0
    assert not addon.blender.tasks.busy()


def test_6_preview_and_its_promoted_full_texture_have_their_own_names(service):
    cube = add_cube()
    assert texture(prompt="brass", seed=5, preview=True) == {"FINISHED"}
    preview = material_of(cube).name
    assert texture(prompt="brass", seed=5) == {"FINISHED"}
    full = material_of(cube).name
    assert preview == "Leonardo brass (5) preview front" and full == "Leonardo brass (5)"
    assert not any(m.name.endswith(".001") for m in bpy.data.materials)


def test_6_apply_and_remove_job_can_be_undone(service):
    for operator in (bpy.types.LEONARDO_OT_apply_job, bpy.types.LEONARDO_OT_remove_job):
        assert "UNDO" in operator.bl_options
    cube = add_cube()
    bpy.ops.ed.undo_push(message="cube")
    assert texture(prompt="first coat") == {"FINISHED"}
    first = material_of(cube)
    assert texture(prompt="second coat") == {"FINISHED"}
    first_job = bpy.context.scene.leonardo.jobs[0].job_id
    bpy.ops.ed.undo_push(message="two coats")
    assert bpy.ops.leonardo.apply_job(job_id=first_job, to_active=True) == {"FINISHED"}
    assert material_of(bpy.data.objects["Crate"]) == bpy.data.materials[first.name]
    bpy.ops.ed.undo_push(message="applied")
    assert bpy.ops.ed.undo() == {"FINISHED"}
    assert material_of(bpy.data.objects["Crate"]).name.startswith("Leonardo second coat")
    count = len(bpy.context.scene.leonardo.jobs)
    assert bpy.ops.leonardo.remove_job(job_id=first_job) == {"FINISHED"}
    assert len(bpy.context.scene.leonardo.jobs) == count - 1
    bpy.ops.ed.undo_push(message="removed")
    assert bpy.ops.ed.undo() == {"FINISHED"}
    assert len(bpy.context.scene.leonardo.jobs) == count


def test_8_a_create_still_rate_limited_can_be_resumed_and_is_paid_once(service, addon):
    add_cube()
    service.faults.add(FaultRule("POST /generations-texture", "status", status=429, retry_after=0, times=5))
    with pytest.raises(RuntimeError, match="nothing was charged"):
        texture()
    record = last_record()
    assert record.state == "FAILED" and record.resumable
    creates = service.count("POST", "/generations-texture")
    assert bpy.ops.leonardo.resume_job(job_id=record.job_id) == {"FINISHED"}
    assert bpy.ops.leonardo.wait_jobs(timeout=60) == {"FINISHED"}
    assert last_record().state == "APPLIED", last_record().error
    assert service.count("POST", "/generations-texture") == creates + 1
    assert service.texture_jobs_created == 1 or service.stats()["texture_jobs_created"] >= 1


def test_10_resume_after_wait_gave_up_never_pays_twice(slow_service, addon):
    add_cube()
    with pytest.raises(RuntimeError, match="Gave up waiting"):
        bpy.ops.leonardo.texture_selected(prompt="patience", wait=True, timeout=0.8)
    record = last_record()
    blender = sys.modules[addon.__name__].blender
    resumed, deadline = set(), time.monotonic() + 20
    while time.monotonic() < deadline:  # the worker may still be stopping: Resume says so, then works
        resumed = bpy.ops.leonardo.resume_job(job_id=record.job_id)
        if resumed == {"FINISHED"}:
            break
        blender.dispatcher.run_until(lambda: False, timeout=0.2)
    assert resumed == {"FINISHED"}
    message = record.error
    assert "never reached the service" not in message, "following that advice would pay twice"
    assert bpy.ops.leonardo.wait_jobs(timeout=60) == {"FINISHED"}
    assert last_record().state == "APPLIED", (last_record().error, message)
    assert slow_service.count("POST", "/generations-texture") == 1


def test_12_disabling_the_addon_mid_job_then_enabling_it_resumes_without_paying_twice(slow_service, addon):
    add_cube("Interrupted")
    assert bpy.ops.leonardo.texture_selected(prompt="interrupted") == {"FINISHED"}
    blender = sys.modules[addon.__name__].blender
    assert blender.dispatcher.run_until(lambda: last_record().state == "GENERATING", timeout=30)
    addon_utils.disable(addon.__name__, default_set=False)
    addon_utils.enable(addon.__name__, default_set=False)
    assert last_record().state not in ("CANCELLED", "FAILED")
    assert bpy.ops.leonardo.wait_jobs(timeout=60) == {"FINISHED"}
    assert last_record().state == "APPLIED", last_record().error
    assert material_of(bpy.data.objects["Interrupted"]).name.startswith("Leonardo interrupted")
    assert slow_service.count("POST", "/generations-texture") == 1


def test_13_a_job_the_service_failed_offers_no_resume(service):
    add_cube()
    service.faults.add(FaultRule("POST /generations-texture", "failed_job"))
    with pytest.raises(RuntimeError, match="failed"):
        texture()
    record = last_record()
    assert record.state == "FAILED" and not record.resumable
    assert bpy.ops.leonardo.resume_job(job_id=record.job_id) == {"CANCELLED"}
    assert service.count("GET", "/generations-texture/{id}") >= 1


def test_15_plain_http_to_another_host_is_refused_and_says_who_gets_the_key(service, monkeypatch):
    add_cube()
    monkeypatch.setenv("LEONARDO_API_BASE_URL", "http://leonardo.example.com/api/rest/v1")
    before = len(service.requests)
    with pytest.raises(RuntimeError, match="https"):
        texture()
    assert len(service.requests) == before
    monkeypatch.setenv("LEONARDO_API_BASE_URL", service.base_url)
    from leonardo_blender.api import key_recipient_warning

    assert key_recipient_warning("https://cloud.leonardo.ai/api/rest/v1") is None
    assert "example.org" in (key_recipient_warning("https://example.org/api") or "")
