"""The seamless engine's worker side against the emulator: one tiling generation, its candidates, the
maps derived from the chosen one, and the job machinery (slots, lost answers, resume, cancel).

Plain Python (no bpy), real HTTP to the emulator on 127.0.0.1.
"""

from __future__ import annotations

import random
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from leonardo_blender.api import LeonardoClient
from leonardo_blender.core import imaging
from leonardo_blender.core.backoff import Backoff
from leonardo_blender.core.jobs import ENGINE_SEAMLESS, JobState, SeamlessParams, TextureJob, TextureParams
from leonardo_blender.core.journal import Journal
from leonardo_blender.core.model_families import DEFAULT_MODEL_ID
from leonardo_blender.core.pipeline import PipelineSettings, TexturePipeline
from leonardo_blender.core.pipeline.seamless import candidate_file
from leonardo_blender.core.scheduler import Suspend
from leonardo_blender.core.slots import SlotPool
from leonardo_blender.emulator import FaultRule
from leonardo_blender.emulator.content.images import seam_error
from tests.core.conftest import png_bytes

FAST_POLL = Backoff(base=0.05, cap=0.1, factor=1.5, jitter=0.0)


def make_job(
    prompt: str = "mossy cobblestone", seed: int | None = 77, negative_prompt: str = "", **seamless
) -> TextureJob:
    seamless.setdefault("width", 256)
    seamless.setdefault("height", 256)
    seamless.setdefault("num_images", 3)
    params = TextureParams(
        prompt=prompt,
        negative_prompt=negative_prompt,
        seed=seed,
        engine=ENGINE_SEAMLESS,
        seamless=SeamlessParams(**seamless),
    )
    return TextureJob(params=params, object_name="Floor", target_objects=["Floor"])


def pipeline_for(emulator, tmp_path: Path, job: TextureJob, *, cancel=None, slots=None, settings=None):
    client = LeonardoClient(emulator.api_key, emulator.base_url, cancel=cancel)
    client.transport.backoff = FAST_POLL
    snapshots: list[TextureJob] = []
    pipeline = TexturePipeline(
        client,
        job,
        maps_dir=tmp_path / "maps",
        journal=Journal(tmp_path / "journal"),
        publish=snapshots.append,
        settings=settings or PipelineSettings(poll_interval=0.05, reconcile_wait=0.05),
        rng=random.Random(3),
        slots=slots,
    )
    return pipeline, client, snapshots


def run(emulator, tmp_path: Path, job: TextureJob, **kwargs) -> tuple[TextureJob, list[TextureJob]]:
    pipeline, client, snapshots = pipeline_for(emulator, tmp_path, job, **kwargs)
    try:
        return pipeline.run(), snapshots
    finally:
        client.close()


def generation_bodies(emulator) -> list[dict]:
    return [r.json_body for r in emulator.requests_for("POST", "/generations") if r.status == 200]


def pixels(path: str | Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def test_one_tiling_generation_gives_every_candidate_and_tiling_maps_of_the_first(emulator, tmp_path):
    job = make_job(
        negative_prompt="grass",
        guidance_scale=9,
        num_inference_steps=24,
        scheduler="EULER_DISCRETE",
        preset_style="ENVIRONMENT",
    )
    done, snapshots = run(emulator, tmp_path, job)
    assert done.state is JobState.DOWNLOADED, done.error
    (body,) = generation_bodies(emulator)
    assert body["tiling"] is True
    assert (body["width"], body["height"], body["num_images"], body["seed"]) == (256, 256, 3, 77)
    assert (body["guidance_scale"], body["num_inference_steps"]) == (9, 24)
    assert (body["scheduler"], body["presetStyle"], body["modelId"]) == (
        "EULER_DISCRETE",
        "ENVIRONMENT",
        DEFAULT_MODEL_ID,
    )
    assert body["negative_prompt"] == "grass" and "init_image_id" not in body
    assert done.cost == 3 and done.seed_used == 77 and done.generation_id
    assert len(done.candidates) == 3 and done.chosen == 0
    for index, candidate in enumerate(done.candidates):
        path = candidate_file(done, index)
        assert path is not None and path.parent == tmp_path / "maps"
        assert (candidate.width, candidate.height) == (384, 384)  # alchemy serves 1.5x: the real size is read
        assert seam_error(path.read_bytes()) < 2.0, "the served candidate tiles"
    assert done.maps["ALBEDO"] == done.candidates[0].path
    assert set(done.maps) == {"ALBEDO", "NORMAL", "ROUGHNESS", "DISPLACEMENT"}
    for map_type in ("NORMAL", "ROUGHNESS", "DISPLACEMENT"):
        data = Path(done.maps[map_type]).read_bytes()
        assert imaging.image_size(data) == (384, 384)
        assert seam_error(data) < 2.0, f"the derived {map_type.lower()} map tiles"
    states = [s.state for s in snapshots]
    assert states.index(JobState.SUBMITTING) < states.index(JobState.GENERATING) < states.index(JobState.DOWNLOADING)
    assert Journal(tmp_path / "journal").load(done.id).generation_id == done.generation_id


def test_the_emulator_serves_seams_unless_tiling_is_asked_for(emulator):
    from leonardo_blender.api.image_models import ImageGenerationRequest

    with LeonardoClient(emulator.api_key, emulator.base_url) as client:
        errors = {}
        for tiling in (True, False):
            created = client.create_image_generation(
                ImageGenerationRequest(prompt="stone", width=256, height=256, num_images=1, seed=5, tiling=tiling)
            )
            generation = client.image_generation(created.id)
            while generation.status.value == "PENDING":
                threading.Event().wait(0.05)
                generation = client.image_generation(created.id)
            errors[tiling] = seam_error(client.files.fetch(generation.images[0].url))
    assert errors[True] < 2.0 < 4.0 < errors[False]


def test_the_maps_tile_because_their_derivatives_wrap(emulator, tmp_path):
    done, _ = run(emulator, tmp_path, make_job(num_images=1))
    from leonardo_blender.core.pipeline.seamless import derive_candidate_maps

    rgb = imaging.decode_image(Path(done.maps["ALBEDO"]).read_bytes())
    rolled_path = tmp_path / "rolled" / "candidate-0.png"
    rolled_path.parent.mkdir()
    imaging.write_png(rolled_path, np.roll(rgb, (rgb.shape[0] // 2, rgb.shape[1] // 3), axis=(0, 1)))
    rolled_maps = derive_candidate_maps(rolled_path, 0, 1.0, imaging.decode_image)
    for map_type in ("NORMAL", "ROUGHNESS", "DISPLACEMENT"):
        expected = np.roll(pixels(done.maps[map_type]), (rgb.shape[0] // 2, rgb.shape[1] // 3), axis=(0, 1))
        assert np.array_equal(pixels(rolled_maps[map_type]), expected), f"{map_type}: no edge is special"


def test_switching_candidate_and_strength_derives_locally(emulator, tmp_path):
    from leonardo_blender.core.pipeline.seamless import derive_candidate_maps, existing_maps

    done, _ = run(emulator, tmp_path, make_job())
    requests_before = len(emulator.requests)
    second = candidate_file(done, 1)
    assert second is not None and existing_maps(second, 1, 1.0) is None
    soft = derive_candidate_maps(second, 1, 0.5, imaging.decode_image)
    strong = derive_candidate_maps(second, 1, 2.0, imaging.decode_image)
    assert soft["ALBEDO"] == strong["ALBEDO"] == str(second)
    assert soft["ROUGHNESS"] == strong["ROUGHNESS"] and soft["NORMAL"] != strong["NORMAL"]

    def tilt(maps: dict[str, str]) -> float:
        return float(np.abs(pixels(maps["NORMAL"])[:, :, :2].astype(int) - 128).mean())

    assert tilt(strong) > 1.5 * tilt(soft), "a stronger normal map tilts more"
    assert existing_maps(second, 1, 2.0) == strong  # on disk now: switching back derives nothing
    assert len(emulator.requests) == requests_before, "switching and re-deriving cost no request"


def test_an_init_image_is_uploaded_and_guides_the_generation(emulator, tmp_path):
    init = tmp_path / "init.png"
    init.write_bytes(png_bytes((64, 64), (120, 90, 60)))
    done, _ = run(emulator, tmp_path, make_job(init_image_path=str(init), init_strength=0.35))
    assert done.state is JobState.DOWNLOADED, done.error
    (body,) = generation_bodies(emulator)
    assert body["init_image_id"] == done.params.seamless.init_image_id
    assert body["init_strength"] == 0.35 and body["tiling"] is True
    assert emulator.count("POST", "/init-image") == 1


def test_a_lost_create_answer_is_reconciled_not_paid_twice(emulator, tmp_path):
    emulator.faults.add(FaultRule(route="POST /generations", kind="drop", after_processing=True, times=1))
    done, _ = run(emulator, tmp_path, make_job())
    assert done.state is JobState.DOWNLOADED, done.error
    assert emulator.count("POST", "/generations") == 1
    assert done.generation_id in emulator.state.generations


def test_resume_after_a_crash_polls_and_never_resends(emulator, tmp_path):
    done, _ = run(emulator, tmp_path, make_job())
    saved = TextureJob.from_json(done.to_json())
    saved.candidates, saved.maps, saved.state = [], {}, JobState.GENERATING
    resumed, _ = run(emulator, tmp_path / "resumed", saved)
    assert resumed.state is JobState.DOWNLOADED, resumed.error
    assert resumed.generation_id == done.generation_id
    assert emulator.count("POST", "/generations") == 1
    # sent, then the crash: the job is looked up in the account's generations, not sent again
    unanswered = TextureJob.from_json(done.to_json())
    unanswered.generation_id, unanswered.candidates, unanswered.maps = None, [], {}
    unanswered.state = JobState.RECONCILING
    adopted, _ = run(emulator, tmp_path / "adopted", unanswered, settings=PipelineSettings(poll_interval=0.05))
    assert adopted.state is JobState.DOWNLOADED and adopted.generation_id == done.generation_id
    assert emulator.count("POST", "/generations") == 1


def test_a_job_waits_queued_for_a_concurrency_slot(emulator, tmp_path):
    slots = SlotPool(capacity=1)
    slots.hold("another job")
    job = make_job()
    pipeline, client, _ = pipeline_for(emulator, tmp_path, job, slots=slots)
    try:
        with pytest.raises(Suspend) as pause:
            pipeline.step()
        assert pause.value.slot == job.id and job.state is JobState.QUEUED
        assert emulator.count("POST", "/generations") == 0, "nothing sent while the slots are full"
        slots.release("another job")
        done = pipeline.run()
    finally:
        client.close()
    assert done.state is JobState.DOWNLOADED and emulator.count("POST", "/generations") == 1
    assert slots.in_flight() == 0


def test_cancel_stops_polling_and_resume_finishes_without_paying_again(make_emulator, tmp_path):
    emulator = make_emulator(job_seconds=2.0)  # still PENDING when the cancel comes
    cancel = threading.Event()
    timer = threading.Timer(0.5, cancel.set)
    timer.start()
    try:
        stopped, _ = run(emulator, tmp_path, make_job(), cancel=cancel)
    finally:
        timer.cancel()
    assert stopped.state is JobState.CANCELLED and stopped.generation_id
    resumed, _ = run(emulator, tmp_path, TextureJob.from_json(stopped.to_json()))
    assert resumed.state is JobState.DOWNLOADED, resumed.error
    assert resumed.generation_id == stopped.generation_id
    assert emulator.count("POST", "/generations") == 1


def test_a_refused_create_leaves_no_paid_record_and_is_sent_again_on_resume(emulator, tmp_path):
    emulator.set_credits(0)
    refused, _ = run(emulator, tmp_path, make_job())
    assert refused.state is JobState.FAILED and refused.retry_free and refused.generation_id is None
    assert Journal(tmp_path / "journal").load(refused.id) is None, "nothing paid, nothing to reconcile"
    emulator.set_credits(10_000)
    done, _ = run(emulator, tmp_path, TextureJob.from_json(refused.to_json()))
    assert done.state is JobState.DOWNLOADED, done.error
    statuses = [r.status for r in emulator.requests_for("POST", "/generations")]
    assert len(statuses) == 2 and statuses[0] != 200 and statuses[1] == 200


def test_a_generation_the_service_failed_is_reported(emulator, tmp_path):
    emulator.faults.add(FaultRule(route="POST /generations", kind="failed_job"))
    failed, _ = run(emulator, tmp_path, make_job())
    assert failed.state is JobState.FAILED and failed.service_failed
    assert "failed" in failed.error.lower()


def test_invalid_sizes_are_refused_before_anything_is_sent(emulator, tmp_path):
    failed, _ = run(emulator, tmp_path, make_job(width=250))
    assert failed.state is JobState.FAILED and "multiples of 8" in failed.error
    assert emulator.count("POST", "/generations") == 0


def test_candidates_are_found_after_the_folder_moved(emulator, tmp_path):
    done, _ = run(emulator, tmp_path, make_job(num_images=2))
    moved = tmp_path / "beside-the-blend"
    (tmp_path / "maps").rename(moved)
    done.maps = {kind: str(moved / Path(path).name) for kind, path in done.maps.items()}
    assert candidate_file(done, 1) == moved / Path(done.candidates[1].path).name
