"""Several objects at once, within the account's concurrency slots, in real Blender against the emulator.

The emulator enforces the slots both ways the docs leave open: "reject" answers a create beyond the
slots with 429, "queue" accepts it but starts it only when a slot frees. The add-on must keep at most
``apiConcurrencySlots`` paid jobs in flight either way: the rest wait client-side, visibly queued.
"""

from __future__ import annotations

import bpy
import pytest

from leonardo_blender.emulator import Emulator, EmulatorConfig
from tests.blender.scene_helpers import add_cube, select_only
from tests.blender.test_library import settle


@pytest.fixture
def slotted(addon, online, clean_scene, monkeypatch, request):
    mode, slots, seconds = request.param
    config = EmulatorConfig(concurrency_mode=mode, concurrency_slots=slots, job_seconds=seconds, texture_size=64)
    with Emulator(config) as emu:
        monkeypatch.setenv("LEONARDO_API_KEY", emu.api_key)
        monkeypatch.setenv("LEONARDO_API_BASE_URL", emu.base_url)
        addon.blender.texturing.machinery.shutdown()  # a fresh slot pool learns this account
        yield emu
        settle(addon)


def cubes(count: int) -> list[bpy.types.Object]:
    objects = [add_cube(f"Crate.{i:03d}", location=(3.0 * i, 0.0, 0.0)) for i in range(count)]
    select_only(*objects)
    return objects


def refused(emulator: Emulator, route: str) -> int:
    return sum(1 for r in emulator.requests_for("POST", route) if r.status == 429)


@pytest.mark.parametrize("slotted", [("reject", 2, 0.6)], indirect=True)
def test_more_objects_than_slots_wait_their_turn_visibly(slotted, addon):
    cubes(5)
    assert bpy.ops.leonardo.texture_selected(prompt="crates") == {"FINISHED"}
    blender = addon.blender
    texture_jobs = blender.texturing.texture_jobs
    panel = blender.texturing.panel
    jobs = bpy.context.scene.leonardo.jobs
    seen_queued: list[str] = []

    def progress() -> bool:
        for item in jobs:
            if item.state == "QUEUED":
                seen_queued.append(panel.job_line(item))
        return all(item.state in ("APPLIED", "FAILED", "CANCELLED") for item in jobs)

    assert blender.dispatcher.run_until(progress, timeout=120)
    assert [item.state for item in jobs] == ["APPLIED"] * 5, [item.error for item in jobs]
    assert refused(slotted, "/generations-texture") == 0, "more paid jobs in flight than the account's slots"
    assert slotted.count("POST", "/generations-texture") == 5
    assert any("ahead)" in line for line in seen_queued), seen_queued
    assert blender.texturing.machinery.slots().capacity == 2  # learned from /me
    summary = texture_jobs.batch_summary(jobs[0].batch_id)
    assert summary["done"] == 5 and summary["total"] == 5 and summary["credits"] == 5 * 150


@pytest.mark.parametrize("slotted", [("queue", 2, 0.3)], indirect=True)
def test_a_service_that_queues_beyond_the_slots_works_too(slotted):
    cubes(4)
    assert bpy.ops.leonardo.texture_selected(prompt="queued crates", wait=True, timeout=120) == {"FINISHED"}
    assert [item.state for item in bpy.context.scene.leonardo.jobs] == ["APPLIED"] * 4
    assert slotted.count("POST", "/generations-texture") == 4


@pytest.mark.parametrize("slotted", [("reject", 3, 0.3)], indirect=True)
def test_projection_views_share_the_slots(slotted):
    cubes(2)  # ten views, three slots
    assert bpy.ops.leonardo.texture_selected(
        prompt="two crates", engine="PROJECTION", generation_size=256, bake_size=256, wait=True, timeout=180
    ) == {"FINISHED"}
    assert [item.state for item in bpy.context.scene.leonardo.jobs] == ["APPLIED"] * 2
    assert refused(slotted, "/generations") == 0
    assert slotted.count("POST", "/generations") == 10


@pytest.mark.parametrize("slotted", [("reject", 1, 2.0)], indirect=True)
def test_cancel_the_whole_batch(slotted, addon):
    cubes(3)
    assert bpy.ops.leonardo.texture_selected(prompt="cancel us") == {"FINISHED"}
    jobs = bpy.context.scene.leonardo.jobs
    blender = addon.blender
    assert blender.dispatcher.run_until(lambda: any(item.state == "QUEUED" for item in jobs), timeout=30)
    assert bpy.ops.leonardo.cancel_batch(batch_id=jobs[0].batch_id) == {"FINISHED"}
    assert blender.dispatcher.run_until(
        lambda: all(item.state in ("CANCELLED", "APPLIED", "FAILED") for item in jobs), timeout=30
    )
    states = [item.state for item in jobs]
    assert states.count("CANCELLED") >= 2, states
    assert slotted.count("POST", "/generations-texture") <= 1, "a queued job was sent after the cancel"
