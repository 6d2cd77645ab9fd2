"""A seamless job is cancellable and resumable, and survives a killed Blender: the job is resumed by
polling, never paid twice."""

from __future__ import annotations

import bpy
import pytest

from leonardo_blender.emulator import Emulator, EmulatorConfig
from tests.blender import blender_process
from tests.blender.test_seamless import settle

MODULE = "bl_ext.user_default.leonardo_blender"


@pytest.fixture
def slow_service(addon, online, clean_scene, monkeypatch):
    """An emulator whose generations take a few seconds, so there is time to crash in the middle."""
    with Emulator(EmulatorConfig(job_seconds=4.0, texture_size=64)) as emu:
        monkeypatch.setenv("LEONARDO_API_KEY", emu.api_key)
        monkeypatch.setenv("LEONARDO_API_BASE_URL", emu.base_url)
        yield emu
        settle(addon)


def test_killed_blender_resumes_the_seamless_job_without_paying_again(slow_service, tmp_path):
    blend = tmp_path / "tiles.blend"
    env = blender_process.child_env(slow_service)
    blender_process.run_until_printed_then_kill(
        f"""
        import sys, time
        blender = sys.modules[{MODULE!r}].blender
        bpy.ops.wm.read_homefile(use_empty=True)
        bpy.ops.mesh.primitive_plane_add(size=4)
        bpy.context.active_object.name = "Floor"
        bpy.ops.wm.save_as_mainfile(filepath={str(blend)!r})
        bpy.ops.leonardo.generate_seamless(prompt="survives a crash", width=256, height=256, num_images=2)
        jobs = bpy.context.scene.leonardo.jobs
        assert blender.dispatcher.run_until(lambda: jobs[-1].state == "GENERATING", timeout=30)
        bpy.ops.wm.save_mainfile()
        print("SAVED", flush=True)
        time.sleep(600)
        """,
        env,
        "SAVED",
    )
    assert slow_service.count("POST", "/generations") == 1

    output = blender_process.run(
        f"""
        import sys
        blender = sys.modules[{MODULE!r}].blender
        bpy.ops.wm.open_mainfile(filepath={str(blend)!r})   # load_post resumes the job
        jobs = bpy.context.scene.leonardo.jobs
        blender.dispatcher.run_until(lambda: jobs[-1].state in ("APPLIED", "FAILED"), timeout=60)
        print("STATE", jobs[-1].state, jobs[-1].error)
        floor = bpy.data.objects["Floor"]
        print("MATERIAL", floor.material_slots[floor.data.polygons[0].material_index].material.name)
        print("CANDIDATES", len(bpy.context.scene.leonardo.seamless.candidates))
        """,
        env,
    )
    assert "STATE APPLIED" in output, output[-2000:]
    assert "MATERIAL Leonardo tile survives a crash" in output and "CANDIDATES 2" in output
    assert slow_service.count("POST", "/generations") == 1, "the resumed job was paid twice"


def test_cancel_then_resume_follows_the_same_generation(slow_service, addon):
    blender = addon.blender
    bpy.ops.mesh.primitive_plane_add(size=2)
    assert bpy.ops.leonardo.generate_seamless(prompt="slate", width=256, height=256, num_images=1) == {"FINISHED"}
    job_id = bpy.context.scene.leonardo.seamless.job_id

    def record():  # -> LEONARDO_PG_job
        return blender.texturing.records.find_record(job_id)[1]

    assert blender.dispatcher.run_until(lambda: record().state == "GENERATING", timeout=30)
    assert bpy.ops.leonardo.cancel_job(job_id=job_id) == {"FINISHED"}
    assert blender.texturing.texture_jobs.wait([job_id], 30)
    assert record().state == "CANCELLED" and record().resumable and record().generation_id
    assert bpy.ops.leonardo.resume_job(job_id=job_id) == {"FINISHED"}
    assert blender.texturing.texture_jobs.wait([job_id], 60)
    assert record().state == "APPLIED"
    assert slow_service.count("POST", "/generations") == 1, "resumed by polling, never paid twice"
