"""Emulator: concurrency slots, in both readings the docs leave open (``reject`` with a 429, or ``queue``)."""

from __future__ import annotations

import time

import pytest

from leonardo_blender.emulator import EmulatorConfig
from leonardo_blender.emulator.__main__ import build_parser, config_from_args
from leonardo_blender.emulator.concurrency import SlotPool
from leonardo_blender.emulator.state import QUEUED, Job


def _image(api, expect: int = 200):
    response = api.post("/generations", {"prompt": "x", "width": 64, "height": 64, "num_images": 1})
    assert response.status_code == expect, response.text
    return response.json()


def _status(api, job) -> str:
    return str(api.generation(job["sdGenerationJob"]["generationId"])["status"])


def _wait_complete(api, job, timeout: float = 15.0) -> float:
    """Poll until COMPLETE; the monotonic time it was first seen COMPLETE."""
    generation_id = job["sdGenerationJob"]["generationId"]
    record = api.wait(lambda: api.generation(generation_id), timeout=timeout)
    assert record["status"] == "COMPLETE"
    return time.monotonic()


# -- the slot pool, with explicit times -------------------------------------------------------------------


def _job(created: float, done: float | None = None) -> Job:
    job = Job(ready_at=QUEUED, created_at=created)
    job.done_at = done
    return job


def test_pool_starts_a_waiting_job_when_its_slot_freed():
    pool = SlotPool(slots=1, job_seconds=1.0)
    first, second = _job(0.0, done=0.2), _job(0.1, done=0.3)
    pool.add(first, now=0.0)
    pool.add(second, now=0.1)
    assert first.ready_at == 1.0 and second.queued
    assert pool.in_flight(0.9) == 1 and pool.waiting(0.9) == 1
    pool.promote(5.0)  # long after: the start is when the slot freed, not when someone looked
    assert second.ready_at == 2.0
    assert pool.in_flight(5.0) == 0 and pool.waiting(5.0) == 0


def test_pool_frees_slots_in_time_order():
    pool = SlotPool(slots=2, job_seconds=1.0)
    slow, fast = _job(0.0, done=2.5), _job(0.0, done=0.0)  # finish at 2.5 and 1.0
    waiting = [_job(0.0, done=0.0) for _ in range(3)]
    for job in (slow, fast, *waiting):
        pool.add(job, now=0.0)
    pool.promote(10.0)
    # fast's slot frees at 1 -> waiting[0] runs 1..2 -> its slot frees at 2 (before slow's at 2.5)
    assert [job.ready_at for job in waiting] == [2.0, 3.0, 3.5]


def test_pool_unfinished_work_keeps_the_slot_and_deletion_frees_it():
    pool = SlotPool(slots=1, job_seconds=1.0)
    running, waiting = _job(0.0), _job(0.0, done=0.0)  # running has not finished its work
    pool.add(running, now=0.0)
    pool.add(waiting, now=0.0)
    pool.promote(10.0)
    assert waiting.queued
    running.retired_at = 11.0
    pool.promote(12.0)
    assert waiting.ready_at == 12.0


def test_pool_skips_deleted_waiting_jobs():
    pool = SlotPool(slots=1, job_seconds=1.0)
    jobs = [_job(0.0, done=0.0) for _ in range(3)]
    for job in jobs:
        pool.add(job, now=0.0)
    jobs[1].retired_at = 0.5
    pool.promote(10.0)
    assert jobs[1].queued and jobs[2].ready_at == 2.0


# -- reject ----------------------------------------------------------------------------------------------


def test_reject_mode_answers_429_beyond_the_slots(make_emulator, client_for):
    emulator = make_emulator(concurrency_mode="reject", concurrency_slots=2, job_seconds=0.8)
    api = client_for(emulator)
    assert api.get("/me").json()["user_details"][0]["apiConcurrencySlots"] == 2
    model_id = api.upload_model()
    first = _image(api)
    texture = api.post("/generations-texture", {"prompt": "x", "modelAssetId": model_id, "preview": True})
    assert texture.status_code == 200, texture.text
    before, generations = emulator.credits, len(emulator.state.generations)
    refused = _image(api, expect=429)
    assert refused["code"] == "rate-limit" and refused["path"] == "$"
    assert "Concurrency limit reached" in refused["error"]
    refused_texture = api.post("/generations-texture", {"prompt": "x", "modelAssetId": model_id})
    assert refused_texture.status_code == 429
    assert emulator.credits == before and len(emulator.state.generations) == generations
    assert emulator.stats()["texture_jobs_created"] == 1 and emulator.image_generations_created == 1
    assert emulator.jobs_in_flight() == {"pending": 2, "running": 2, "queued": 0}
    _wait_complete(api, first)
    assert _status(api, _image(api)) == "PENDING"  # a slot freed: accepted again


def test_reject_mode_deleting_a_pending_job_frees_its_slot(make_emulator, client_for):
    emulator = make_emulator(concurrency_mode="reject", concurrency_slots=1, job_seconds=30)
    api = client_for(emulator)
    first = _image(api)
    _image(api, expect=429)
    api.delete(f"/generations/{first['sdGenerationJob']['generationId']}")
    _image(api)


def test_validation_comes_before_the_concurrency_check(make_emulator, client_for):
    api = client_for(make_emulator(concurrency_mode="reject", concurrency_slots=1, job_seconds=30))
    _image(api)
    bad = api.post("/generations", {"prompt": "x", "width": 100})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid dimensions"


# -- queue -----------------------------------------------------------------------------------------------


def test_queue_mode_accepts_charges_and_starts_the_timer_when_a_slot_frees(make_emulator, client_for):
    emulator = make_emulator(concurrency_mode="queue", concurrency_slots=1, job_seconds=0.5)
    api = client_for(emulator)
    before = emulator.credits
    created = time.monotonic()
    first, second = _image(api), _image(api)
    charged = first["sdGenerationJob"]["apiCreditCost"] + second["sdGenerationJob"]["apiCreditCost"]
    assert emulator.credits == before - charged
    assert emulator.jobs_in_flight() == {"pending": 2, "running": 1, "queued": 1}
    first_done = _wait_complete(api, first)
    assert first_done - created >= 0.45
    assert _status(api, second) == "PENDING"
    second_done = _wait_complete(api, second)
    assert second_done - created >= 0.95  # its 0.5 s only started when the first one's slot freed
    assert emulator.jobs_in_flight() == {"pending": 0, "running": 0, "queued": 0}


def test_queue_mode_shares_slots_between_textures_and_images(make_emulator, client_for):
    emulator = make_emulator(concurrency_mode="queue", concurrency_slots=1, job_seconds=0.4)
    api = client_for(emulator)
    model_id = api.upload_model()
    texture_id = api.create_texture(model_id, preview=True)
    image = _image(api)
    assert emulator.jobs_in_flight()["queued"] == 1
    assert api.wait_texture(texture_id)["status"] == "COMPLETE"
    _wait_complete(api, image)


def test_queue_mode_deleting_the_running_job_starts_the_next(make_emulator, client_for):
    emulator = make_emulator(concurrency_mode="queue", concurrency_slots=1, job_seconds=60)
    api = client_for(emulator)
    first, second = _image(api), _image(api)
    assert emulator.jobs_in_flight()["queued"] == 1
    api.delete(f"/generations/{first['sdGenerationJob']['generationId']}")
    assert emulator.jobs_in_flight() == {"pending": 1, "running": 1, "queued": 0}
    assert _status(api, second) == "PENDING"


def test_off_mode_runs_everything_at_once(make_emulator, client_for):
    emulator = make_emulator(concurrency_slots=1, job_seconds=0.3)
    api = client_for(emulator)
    jobs = [_image(api) for _ in range(4)]
    started = time.monotonic()
    for job in jobs:
        _wait_complete(api, job)
    assert time.monotonic() - started < 5
    assert emulator.jobs_in_flight()["running"] == 0


def test_config_and_cli():
    with pytest.raises(ValueError):
        EmulatorConfig(concurrency_mode="wait")
    with pytest.raises(ValueError):
        EmulatorConfig(concurrency_slots=0)
    config = config_from_args(build_parser().parse_args(["--concurrency-mode", "queue", "--concurrency-slots", "3"]))
    assert (config.concurrency_mode, config.concurrency_slots) == ("queue", 3)
    assert config_from_args(build_parser().parse_args([])).concurrency_mode == "off"
