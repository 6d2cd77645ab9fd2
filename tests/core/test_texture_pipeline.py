"""The worker side of a texture job, against the emulator: upload, submit, poll, download, recover."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from leonardo_blender.api import LeonardoClient
from leonardo_blender.core.backoff import Backoff
from leonardo_blender.core.jobs import JobState, TextureJob, TextureParams
from leonardo_blender.core.journal import Journal
from leonardo_blender.core.pipeline import PipelineSettings, TexturePipeline
from leonardo_blender.emulator import FaultRule
from tests.core.obj_samples import cube_obj

FAST_POLL = Backoff(base=0.05, cap=0.1, factor=1.5, jitter=0.0)


class Recorder:
    def __init__(self) -> None:
        self.snapshots: list[TextureJob] = []

    def __call__(self, job: TextureJob) -> None:
        self.snapshots.append(job)

    @property
    def states(self) -> list[JobState]:
        states: list[JobState] = []
        for snap in self.snapshots:
            if not states or states[-1] is not snap.state:
                states.append(snap.state)
        return states


def run(emulator, tmp_path, job=None, *, obj=True, settings=None, cancel=None, **params):
    job = job or TextureJob(params=TextureParams(prompt="painted wood", **params), object_name="Cube")
    obj_path = None
    if obj:
        obj_path = tmp_path / "cube.obj"
        obj_path.write_bytes(cube_obj())
    recorder = Recorder()
    client = LeonardoClient(emulator.api_key, emulator.base_url, cancel=cancel)
    client.transport.backoff = FAST_POLL
    pipeline = TexturePipeline(
        client,
        job,
        maps_dir=tmp_path / "maps",
        obj_path=obj_path,
        journal=Journal(tmp_path / "journal"),
        publish=recorder,
        settings=settings or PipelineSettings(poll_interval=0.05, reconcile_wait=0.05),
    )
    try:
        result = pipeline.run()
    finally:
        client.close()
    return result, recorder


def test_full_job_uploads_submits_polls_and_downloads(emulator, tmp_path):
    job, recorder = run(emulator, tmp_path, seed=77, front_rotation_offset=180)
    assert job.state is JobState.DOWNLOADED, job.error
    assert recorder.states == [
        JobState.UPLOADING,
        JobState.SUBMITTING,
        JobState.GENERATING,
        JobState.DOWNLOADING,
        JobState.DOWNLOADED,
    ]
    assert set(job.maps) == {"ALBEDO", "NORMAL", "ROUGHNESS", "DISPLACEMENT"}
    for path in job.maps.values():
        assert Path(path).read_bytes()[:3] == b"\xff\xd8\xff"
    assert job.seed_used == 77 and job.cost == 150
    assert job.model_asset_id in emulator.state.model_assets
    body = emulator.requests_for("POST", "/generations-texture")[-1].json_body
    assert body["front_rotation_offset"] == 180 and body["seed"] == 77
    journaled = Journal(tmp_path / "journal").load(job.id)
    assert journaled is not None and journaled.state is JobState.DOWNLOADED and journaled.maps == job.maps


def test_random_seed_is_reported_back(emulator, tmp_path):
    job, _ = run(emulator, tmp_path, preview=True)
    assert job.state is JobState.DOWNLOADED
    assert isinstance(job.seed_used, int)
    assert "seed" not in emulator.requests_for("POST", "/generations-texture")[-1].json_body


def test_known_asset_is_not_uploaded_again(emulator, tmp_path):
    first, _ = run(emulator, tmp_path)
    uploads = emulator.count("POST", "/models-3d/upload")
    job = TextureJob(params=TextureParams(prompt="stone"), model_asset_id=first.model_asset_id)
    second, recorder = run(emulator, tmp_path, job=job, obj=False)
    assert second.state is JobState.DOWNLOADED
    assert emulator.count("POST", "/models-3d/upload") == uploads
    assert JobState.UPLOADING not in recorder.states


def test_asset_deleted_on_the_service_is_uploaded_again(emulator, tmp_path):
    first, _ = run(emulator, tmp_path)
    LeonardoClient(emulator.api_key, emulator.base_url).delete_model_asset(first.model_asset_id)
    job = TextureJob(params=TextureParams(prompt="stone"), model_asset_id=first.model_asset_id)
    second, _ = run(emulator, tmp_path, job=job)
    assert second.state is JobState.DOWNLOADED
    assert second.model_asset_id != first.model_asset_id


def test_lost_answer_is_reconciled_without_a_second_paid_request(emulator, tmp_path):
    emulator.faults.add(FaultRule("POST /generations-texture", "drop", after_processing=True))
    jobs_before = len(emulator.state.texture_generations)
    job, recorder = run(emulator, tmp_path)
    assert job.state is JobState.DOWNLOADED, job.error
    assert JobState.RECONCILING in recorder.states
    assert emulator.count("POST", "/generations-texture") == 1
    assert len(emulator.state.texture_generations) == jobs_before + 1
    assert job.generation_id in emulator.state.texture_generations


def test_unconfirmed_create_fails_without_resending(emulator, tmp_path):
    emulator.faults.add(FaultRule("POST /generations-texture", "status", status=502))
    jobs_before = len(emulator.state.texture_generations)
    job, _ = run(emulator, tmp_path)
    assert job.state is JobState.FAILED
    assert "not sent again" in job.error
    assert emulator.count("POST", "/generations-texture") == 1
    assert len(emulator.state.texture_generations) == jobs_before


def test_failed_generation(emulator, tmp_path):
    emulator.faults.add(FaultRule("POST /generations-texture", "failed_job"))
    job, _ = run(emulator, tmp_path)
    assert job.state is JobState.FAILED and "failed" in job.error.lower()
    assert job.generation_id and not job.maps


def test_timeout_leaves_a_resumable_job(make_emulator, tmp_path):
    emu = make_emulator(job_seconds=2.0)
    job, _ = run(emu, tmp_path, settings=PipelineSettings(poll_interval=0.05, job_timeout=0.3))
    assert job.state is JobState.FAILED and "No result" in job.error
    assert job.resumable
    resumed, recorder = run(emu, tmp_path, job=job, obj=False)
    assert resumed.state is JobState.DOWNLOADED
    assert emu.count("POST", "/generations-texture") == 1
    assert recorder.states[0] is JobState.GENERATING


def test_resume_after_the_timeout_gets_a_fresh_timeout(make_emulator, tmp_path):
    """Defect 11: the timeout counted from the original acceptance, so a resumed job failed at once."""
    emu = make_emulator(job_seconds=1.5)
    settings = PipelineSettings(poll_interval=0.05, job_timeout=0.8)
    job, _ = run(emu, tmp_path, settings=settings)
    assert job.state is JobState.FAILED and "No result" in job.error
    job.accepted_at = (job.accepted_at or 0.0) - 3600.0  # resumed an hour later: far past any timeout
    resumed, _ = run(emu, tmp_path, job=job, obj=False, settings=settings)
    assert resumed.state is JobState.DOWNLOADED, resumed.error
    assert emu.count("POST", "/generations-texture") == 1


def test_cancel_stops_polling_quickly(make_emulator, tmp_path):
    emu = make_emulator(job_seconds=30.0)
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    started = time.monotonic()
    job, _ = run(emu, tmp_path, cancel=cancel)
    assert job.state is JobState.CANCELLED
    assert time.monotonic() - started < 5
    assert job.generation_id, "the paid job id is kept so it can be resumed"


def test_corrupt_map_is_downloaded_again(emulator, tmp_path):
    emulator.faults.add(FaultRule("GET cdn/textures/normal.jpg", "corrupt_image", times=1))
    job, _ = run(emulator, tmp_path)
    assert job.state is JobState.DOWNLOADED
    assert Path(job.maps["NORMAL"]).read_bytes()[:3] == b"\xff\xd8\xff"


def test_a_finished_generation_without_an_albedo_is_not_applied_half(make_emulator, tmp_path):
    emulator = make_emulator(hostile="missing-albedo")
    job, _ = run(emulator, tmp_path)
    assert job.state is JobState.FAILED and "no albedo map" in job.error
    assert job.generation_id and not job.maps, "the paid job is kept to be resumed, nothing half-applied"


@pytest.mark.parametrize("state", [JobState.GENERATING, JobState.RECONCILING])
def test_resume_from_a_saved_record_never_creates_again(emulator, tmp_path, state):
    first, _ = run(emulator, tmp_path)
    saved = TextureJob(
        params=first.params,
        model_asset_id=first.model_asset_id,
        generation_id=first.generation_id if state is JobState.GENERATING else None,
        submitted_at=first.submitted_at,
    )
    saved.state = state
    posts = emulator.count("POST", "/generations-texture")
    resumed, _ = run(
        emulator,
        tmp_path / "again",
        job=saved,
        obj=False,
        settings=PipelineSettings(poll_interval=0.05, reconcile_wait=0.05, known_generation_ids=()),
    )
    assert resumed.state is JobState.DOWNLOADED, resumed.error
    assert resumed.generation_id == first.generation_id
    assert emulator.count("POST", "/generations-texture") == posts


def test_service_timestamps_are_read_as_utc():
    from leonardo_blender.core.pipeline.base import epoch as _epoch

    assert _epoch("1970-01-01T00:01:00.000", default=-1) == 60.0
    assert _epoch("1970-01-01T00:01:00Z", default=-1) == 60.0
    assert _epoch("1970-01-01T01:01:00+01:00", default=-1) == 60.0
    assert _epoch("yesterday", default=-1) == -1
    assert _epoch(None, default=-2) == -2


def test_previous_upload_is_reused_only_for_the_same_fingerprint(emulator, tmp_path):
    from leonardo_blender.core.fingerprint import obj_fingerprint

    first, _ = run(emulator, tmp_path)
    uploads = emulator.count("POST", "/models-3d/upload")

    def again(previous):
        obj_path = tmp_path / "again.obj"
        obj_path.write_bytes(cube_obj(name="Renamed"))  # a new name, the same shape
        client = LeonardoClient(emulator.api_key, emulator.base_url)
        job = TextureJob(params=TextureParams(prompt="tin"), object_name="Cube")
        pipeline = TexturePipeline(
            client,
            job,
            maps_dir=tmp_path / "m2",
            obj_path=obj_path,
            publish=lambda s: None,
            settings=PipelineSettings(poll_interval=0.05),
            previous_upload=previous,
        )
        try:
            return pipeline.run()
        finally:
            client.close()

    reused = again((first.model_asset_id, obj_fingerprint(cube_obj())))
    assert reused.model_asset_id == first.model_asset_id
    assert emulator.count("POST", "/models-3d/upload") == uploads
    changed = again((first.model_asset_id, "0" * 64))
    assert changed.model_asset_id != first.model_asset_id
    assert emulator.count("POST", "/models-3d/upload") == uploads + 1
    assert changed.mesh_fingerprint == obj_fingerprint(cube_obj())
