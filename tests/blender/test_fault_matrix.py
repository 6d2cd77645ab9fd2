"""Every path a user takes either works or says why: the fault matrix, in real Blender against the emulator.

Each case sets up one fault (a refused key, a busy service, a broken connection, a damaged map, a
hostile server...), presses the button as a user would, and checks four things: the message the user
reads (in ``self.report`` and the job list) says what happened and what to do; no Python traceback
reaches the console; the job ends in a state the user can act on (applied, resumable, or simply
texture again); and the emulator's count of paid jobs shows nothing was paid twice. The README's
Troubleshooting section quotes these messages (checked by ``test_readme_troubleshooting_matches``).
"""

from __future__ import annotations

import re
import socket
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import bpy
import pytest

from leonardo_blender.core.jobs import TextureJob
from leonardo_blender.emulator import Emulator, EmulatorConfig, FaultRule
from tests.blender.scene_helpers import add_cube, material_of
from tests.blender.test_library import settle

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Outcome:
    state: str  # APPLIED, FAILED or CANCELLED
    message: str = ""  # a fragment of what the user reads ("" for a clean success)
    paid: int = 1  # paid texture jobs the emulator created for this case
    next_step: str = "done"  # done | resume (Resume goes on without paying again) | again (texture again)


def run_case(emulator: Emulator, *, wait: float = 60.0, **kwargs) -> tuple[str, object]:
    """Press the button; return (what the operator said, the job record)."""
    kwargs.setdefault("prompt", "rusty iron")
    try:
        result = bpy.ops.leonardo.texture_selected(wait=True, timeout=wait, **kwargs)
        said = str(result)
    except RuntimeError as exc:
        said = str(exc)
    jobs = bpy.context.scene.leonardo.jobs
    return said, (jobs[-1] if len(jobs) else None)


def paid(emulator: Emulator) -> int:
    return int(emulator.stats()["texture_jobs_created"])


def check(outcome: Outcome, said: str, record, emulator: Emulator, paid_before: int, capfd) -> None:
    assert record is not None, f"no job was recorded; the operator said {said!r}"
    assert record.state == outcome.state, f"{record.state}: {record.error or said}"
    if outcome.message:
        shown = f"{said} {record.error}"
        assert outcome.message.lower() in shown.lower(), f"{outcome.message!r} not in {shown!r}"
    assert paid(emulator) - paid_before == outcome.paid, "paid jobs"
    if outcome.next_step == "resume":
        assert record.resumable, "the user should be offered Resume"
    elif outcome.next_step == "again":
        assert not record.resumable
    printed = capfd.readouterr()
    assert "Traceback" not in printed.out + printed.err, "a traceback reached the console"


def fault(emulator: Emulator, route: str, kind: str, **options) -> None:
    emulator.faults.add(FaultRule(route=route, kind=kind, **options))


# -- the service refuses ------------------------------------------------------------------------------------


def test_wrong_key(service, monkeypatch, capfd):
    add_cube()
    before = paid(service)
    monkeypatch.setenv("LEONARDO_API_KEY", str(uuid.uuid4()))
    said, record = run_case(service)
    check(Outcome("FAILED", "Check the API key", paid=0, next_step="again"), said, record, service, before, capfd)


def test_malformed_key(service, monkeypatch, capfd):
    add_cube()
    before = paid(service)
    monkeypatch.setenv("LEONARDO_API_KEY", "not-a-leonardo-key")
    said, record = run_case(service)
    check(Outcome("FAILED", "Check the API key", paid=0, next_step="again"), said, record, service, before, capfd)


def test_no_credits_then_top_up_and_resume(service, capfd):
    add_cube()
    before, credits = paid(service), service.credits
    service.set_credits(0)
    try:
        said, record = run_case(service)
        check(Outcome("FAILED", "Top up API credits", paid=0, next_step="resume"), said, record, service, before, capfd)
    finally:
        service.set_credits(credits)
    assert bpy.ops.leonardo.resume_job(job_id=record.job_id) == {"FINISHED"}
    assert bpy.ops.leonardo.wait_jobs(timeout=60) == {"FINISHED"}
    assert record.state == "APPLIED" and paid(service) - before == 1


def test_content_moderation(service, capfd):
    add_cube()
    before = paid(service)
    fault(service, "POST /generations-texture", "status", status=400, message="content moderation filter: rusty")
    said, record = run_case(service)
    check(Outcome("FAILED", "Change the prompt", paid=0, next_step="again"), said, record, service, before, capfd)


def test_validation_refusal(service, capfd):
    add_cube()
    before = paid(service)
    fault(
        service,
        "POST /generations-texture",
        "status",
        status=400,
        message="expected a boolean for type 'Boolean', but found a string",
    )
    said, record = run_case(service)
    check(Outcome("FAILED", "report it", paid=0, next_step="again"), said, record, service, before, capfd)


# -- a busy or failing service -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "route, options",
    [
        ("POST /generations-texture", {"status": 429, "retry_after": 1, "times": 2}),
        ("POST /generations-texture", {"status": 429, "times": 2}),
        ("GET /generations-texture/{id}", {"status": 429, "retry_after": 1, "times": 3}),
        ("GET /generations-texture/{id}", {"status": 429, "times": 2}),
        ("GET cdn/textures", {"status": 429, "retry_after": 0, "times": 2}),
        ("GET cdn/textures", {"status": 429, "times": 2}),
        ("GET /generations-texture/{id}", {"status": 503, "times": 4}),
        ("POST upload", {"status": 503, "times": 2}),
    ],
    ids=[
        "429-create-retry-after",
        "429-create",
        "429-poll-retry-after",
        "429-poll",
        "429-download-retry-after",
        "429-download",
        "5xx-burst-poll",
        "5xx-upload",
    ],
)
def test_busy_service_is_waited_out(service, capfd, route, options):
    add_cube()
    before = paid(service)
    fault(service, route, "status", **options)
    said, record = run_case(service)
    check(Outcome("APPLIED"), said, record, service, before, capfd)


def test_rate_limited_beyond_the_retries_says_nothing_was_charged(service, capfd):
    add_cube()
    before = paid(service)
    fault(service, "POST /generations-texture", "status", status=429, retry_after=0, times=6)
    said, record = run_case(service)
    check(Outcome("FAILED", "nothing was charged", paid=0, next_step="resume"), said, record, service, before, capfd)


@pytest.mark.parametrize(
    "kind, options", [("status", {"status": 500}), ("drop", {})], ids=["500-after-create", "dropped-after-create"]
)
def test_a_lost_answer_to_the_paid_create_is_found_not_paid_twice(service, capfd, kind, options):
    add_cube()
    before = paid(service)
    fault(service, "POST /generations-texture", kind, after_processing=True, **options)
    said, record = run_case(service)
    check(Outcome("APPLIED"), said, record, service, before, capfd)


def test_a_create_that_failed_before_processing_is_not_sent_again(service, capfd):
    add_cube()
    before = paid(service)
    fault(service, "POST /generations-texture", "status", status=500)
    said, record = run_case(service)
    check(Outcome("FAILED", "was not sent again", paid=0), said, record, service, before, capfd)


def test_connection_refused(service, monkeypatch, capfd):
    add_cube()
    before = paid(service)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: nobody listens there
    monkeypatch.setenv("LEONARDO_API_BASE_URL", f"http://127.0.0.1:{port}/api/rest/v1")
    said, record = run_case(service)
    check(Outcome("FAILED", "Cannot connect", paid=0, next_step="again"), said, record, service, before, capfd)


def test_connection_reset_while_polling(service, capfd):
    add_cube()
    before = paid(service)
    fault(service, "GET /generations-texture/{id}", "drop", after_processing=True, times=2)
    said, record = run_case(service)
    check(Outcome("APPLIED"), said, record, service, before, capfd)


def test_read_timeout_while_polling(service, addon, capfd):
    add_cube()
    before = paid(service)
    prefs = bpy.context.preferences.addons[addon.__name__].preferences
    old = prefs.read_timeout
    prefs.read_timeout = 5.0
    try:
        fault(service, "GET /generations-texture/{id}", "latency", seconds=6.0, times=1)
        said, record = run_case(service)
    finally:
        prefs.read_timeout = old
    check(Outcome("APPLIED"), said, record, service, before, capfd)


def test_upload_refused_by_the_storage_host(service, capfd):
    add_cube()
    before = paid(service)
    fault(service, "POST upload", "status", status=403, message="Access Denied", times=2)
    said, record = run_case(service)
    check(Outcome("FAILED", "storage host refused", paid=0, next_step="again"), said, record, service, before, capfd)


def test_expired_upload_link_is_renewed(service, capfd):
    add_cube()
    before = paid(service)
    fault(service, "POST upload", "status", status=403, message="Request has expired", times=1)
    said, record = run_case(service)
    check(Outcome("APPLIED"), said, record, service, before, capfd)


# -- what the job brings back ---------------------------------------------------------------------------------


def test_the_service_fails_the_generation(service, capfd):
    add_cube()
    before = paid(service)
    fault(service, "POST /generations-texture", "failed_job")
    said, record = run_case(service)
    outcome = Outcome("FAILED", "texture generation failed", paid=1, next_step="again")
    check(outcome, said, record, service, before, capfd)


def test_stuck_pending_stop_waiting_keep_the_id_and_resume_later(service, capfd):
    add_cube()
    before = paid(service)
    fault(service, "GET /generations-texture/{id}", "latency", seconds=1.0, times=3)
    said, record = run_case(service, wait=0.6)
    check(Outcome("CANCELLED", "Gave up waiting", paid=1, next_step="resume"), said, record, service, before, capfd)
    assert record.generation_id
    assert bpy.ops.leonardo.wait_jobs(timeout=30) == {"FINISHED"}  # lets the stopping worker end
    assert bpy.ops.leonardo.resume_job(job_id=record.job_id) == {"FINISHED"}
    assert bpy.ops.leonardo.wait_jobs(timeout=60) == {"FINISHED"}
    assert record.state == "APPLIED" and paid(service) - before == 1


@pytest.mark.parametrize(
    "kind, options, message",
    [
        ("status", {"status": 404, "times": -1}, "Downloading the albedo map failed"),
        ("corrupt_image", {"times": -1}, "damaged"),
        ("oversized_image", {"times": -1}, "larger than the 256 MiB allowed"),
    ],
    ids=["map-missing", "map-corrupt", "map-oversized"],
)
def test_a_broken_map_fails_resumably_and_resume_pays_nothing(service, capfd, kind, options, message):
    add_cube()
    before = paid(service)
    fault(service, "GET cdn/textures/albedo.jpg", kind, **options)
    said, record = run_case(service)
    check(Outcome("FAILED", message, paid=1, next_step="resume"), said, record, service, before, capfd)
    service.faults.clear()
    assert bpy.ops.leonardo.resume_job(job_id=record.job_id) == {"FINISHED"}
    assert bpy.ops.leonardo.wait_jobs(timeout=60) == {"FINISHED"}
    assert record.state == "APPLIED" and paid(service) - before == 1


def test_a_hostile_server_cannot_write_outside_the_texture_folder(addon, online, clean_scene, monkeypatch, capfd):
    with Emulator(EmulatorConfig(hostile="path-types", job_seconds=0.2, texture_size=64)) as hostile:
        monkeypatch.setenv("LEONARDO_API_KEY", hostile.api_key)
        monkeypatch.setenv("LEONARDO_API_BASE_URL", hostile.base_url)
        add_cube()
        before = paid(hostile)
        said, record = run_case(hostile)
        check(Outcome("APPLIED"), said, record, hostile, before, capfd)
        job = TextureJob.from_json(record.payload)
        folder = Path(job.maps["ALBEDO"]).parent
        assert set(job.maps) <= {"ALBEDO", "NORMAL", "ROUGHNESS", "DISPLACEMENT", "HDRP_MASK"}
        assert all(Path(path).parent == folder for path in job.maps.values())
        assert not Path("/tmp/abs.jpg").exists() and not (folder.parent / "evil.jpg").exists()
        settle(addon)


@pytest.mark.parametrize(
    "mode, message",
    [("file-urls", "not an http(s) URL"), ("missing-albedo", "lists no albedo map")],
    ids=["non-http-map-url", "complete-without-albedo"],
)
def test_a_finished_job_with_unusable_maps_fails_resumably(
    addon, online, clean_scene, monkeypatch, capfd, mode, message
):
    with Emulator(EmulatorConfig(hostile=mode, job_seconds=0.2, texture_size=64)) as hostile:
        monkeypatch.setenv("LEONARDO_API_KEY", hostile.api_key)
        monkeypatch.setenv("LEONARDO_API_BASE_URL", hostile.base_url)
        add_cube()
        said, record = run_case(hostile)
        check(Outcome("FAILED", message, paid=1, next_step="resume"), said, record, hostile, 0, capfd)
        hostile.set_hostile("")
        assert bpy.ops.leonardo.resume_job(job_id=record.job_id) == {"FINISHED"}
        assert bpy.ops.leonardo.wait_jobs(timeout=60) == {"FINISHED"}
        assert record.state == "APPLIED" and paid(hostile) == 1
        settle(addon)


# -- the user's side --------------------------------------------------------------------------------------------


def test_an_unusable_texture_folder_is_refused_before_paying(service, addon, tmp_path, capfd):
    add_cube()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    prefs = bpy.context.preferences.addons[addon.__name__].preferences
    old = prefs.texture_folder
    before, requests = paid(service), len(service.requests)
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "scene.blend"))
    prefs.texture_folder = str(blocker / "textures")
    try:
        with pytest.raises(RuntimeError, match="Maps cannot be saved"):
            bpy.ops.leonardo.texture_selected(prompt="nowhere", wait=True, timeout=30)
    finally:
        prefs.texture_folder = old
    assert len(service.requests) == requests and paid(service) == before
    assert "Traceback" not in "".join(capfd.readouterr())


def test_a_non_ascii_texture_folder_works(service, addon, tmp_path, capfd):
    folder = tmp_path / "Projekt čeština"
    folder.mkdir()
    bpy.ops.wm.save_as_mainfile(filepath=str(folder / "scène.blend"))
    add_cube()
    prefs = bpy.context.preferences.addons[addon.__name__].preferences
    old = prefs.texture_folder
    prefs.texture_folder = "//texturas/über"
    before = paid(service)
    try:
        said, record = run_case(service)
    finally:
        prefs.texture_folder = old
    check(Outcome("APPLIED"), said, record, service, before, capfd)
    job = TextureJob.from_json(record.payload)
    assert all(str(folder / "texturas" / "über") in path for path in job.maps.values())


def test_the_object_is_edited_while_its_job_runs(service, addon, capfd):
    cube = add_cube()
    before = paid(service)
    assert bpy.ops.leonardo.texture_selected(prompt="edited meanwhile") == {"FINISHED"}
    blender = sys.modules[addon.__name__].blender
    assert blender.dispatcher.run_until(lambda: bpy.context.scene.leonardo.jobs[-1].state == "GENERATING", 30)
    cube.data.vertices[0].co.z += 0.5
    assert bpy.ops.leonardo.wait_jobs(timeout=60) == {"FINISHED"}
    check(Outcome("APPLIED"), "", bpy.context.scene.leonardo.jobs[-1], service, before, capfd)


def test_another_file_opened_while_a_job_runs(service, addon, tmp_path, capfd):
    first, other = tmp_path / "first.blend", tmp_path / "other.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(other))
    bpy.ops.wm.read_homefile(use_empty=True)
    add_cube("Original")
    bpy.ops.wm.save_as_mainfile(filepath=str(first))
    before = paid(service)
    fault(service, "GET /generations-texture/{id}", "latency", seconds=0.5, times=2)
    assert bpy.ops.leonardo.texture_selected(prompt="left behind") == {"FINISHED"}
    blender = sys.modules[addon.__name__].blender
    assert blender.dispatcher.run_until(lambda: bpy.context.scene.leonardo.jobs[-1].state == "GENERATING", 30)
    bpy.ops.wm.save_mainfile()
    bpy.ops.wm.open_mainfile(filepath=str(other))
    blender.dispatcher.run_until(lambda: not blender.texturing.texture_jobs.running_ids(), timeout=60)
    assert len(bpy.context.scene.leonardo.jobs) == 0, "the job wrote into another file"
    assert not any(m.name.startswith("Leonardo") for m in bpy.data.materials)
    bpy.ops.wm.open_mainfile(filepath=str(first))
    settle(addon)
    record = bpy.context.scene.leonardo.jobs[-1]
    check(Outcome("APPLIED"), "", record, service, before, capfd)
    assert material_of(bpy.data.objects["Original"]).name.startswith("Leonardo left behind")


# -- the projection engine under the same faults --------------------------------------------------------------


def test_projection_waits_out_a_busy_service_and_pays_each_view_once(service, capfd):
    add_cube()
    creates = service.stats()["image_generations_created"]
    fault(service, "POST /generations", "status", status=429, retry_after=0, times=2)
    fault(service, "GET /generations/{id}", "status", status=503, times=3)
    said, record = run_case(service, engine="PROJECTION", generation_size=256, bake_size=256)
    assert record.state == "APPLIED", record.error or said
    assert service.stats()["image_generations_created"] - creates == 5
    assert "Traceback" not in "".join(capfd.readouterr())


# -- the README quotes these messages -------------------------------------------------------------------------

MATRIX_MESSAGES = {
    "Check the API key",
    "Top up API credits",
    "Change the prompt",
    "report it",
    "nothing was charged",
    "was not sent again",
    "Cannot connect",
    "storage host refused",
    "texture generation failed",
    "Gave up waiting",
    "Downloading the albedo map failed",
    "damaged",
    "larger than the 256 MiB allowed",
    "not an http(s) URL",
    "lists no albedo map",
    "Maps cannot be saved",
}


def test_readme_troubleshooting_matches():
    """Every message the README's Troubleshooting section quotes is one this matrix produces, and
    every message the matrix checks is explained there."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Troubleshooting", 1)[1].split("\n## ", 1)[0]
    quoted = set(re.findall(r"\*\*“([^”]+)”\*\*", section))
    assert quoted, "the Troubleshooting section quotes no message"
    unknown = {q for q in quoted if not any(m.lower() in q.lower() for m in MATRIX_MESSAGES)}
    assert not unknown, f"quoted but not produced by the matrix: {unknown}"
    missing = {m for m in MATRIX_MESSAGES if not any(m.lower() in q.lower() for q in quoted)}
    assert not missing, f"produced by the matrix but not explained in the README: {missing}"
