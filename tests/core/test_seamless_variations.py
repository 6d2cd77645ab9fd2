"""Paid variations of a seamless candidate (upscale, universal upscaler, background removal) as steps of
the same job, against the emulator: sent once, polled, downloaded, swapped in, resumable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from leonardo_blender.core.jobs import Candidate, JobState, TextureJob
from leonardo_blender.core.journal import Journal
from leonardo_blender.core.pipeline.seamless import candidate_file
from leonardo_blender.core.pipeline.seamless_variations import (
    DONE,
    FAILED,
    NOBG,
    REQUESTED,
    UNIVERSAL_UPSCALER,
    UPSCALE,
    check_variation,
)
from leonardo_blender.emulator import FaultRule
from tests.core.test_seamless_pipeline import make_job, run


def request_variation(job: TextureJob, kind: str, source: int, **options) -> TextureJob:
    """What the Blender layer does: append the request and hand the job back to the machinery."""
    check_variation(job, kind, source, options)
    job.candidates.append(Candidate(image_id="", transform=kind, source=source, options=options, status=REQUESTED))
    job.move_to(JobState.DOWNLOADING)
    return TextureJob.from_json(job.to_json())  # as the record in the .blend has it


@pytest.fixture
def generated(emulator, tmp_path) -> TextureJob:
    done, _ = run(emulator, tmp_path, make_job(num_images=2))
    assert done.state is JobState.DOWNLOADED, done.error
    return done


def test_upscale_is_polled_downloaded_and_swapped_in(emulator, tmp_path, generated):
    generated.chosen = 1
    job = request_variation(generated, UPSCALE, 1)
    done, snapshots = run(emulator, tmp_path, job)
    assert done.state is JobState.DOWNLOADED, done.error
    upscaled = done.candidates[2]
    assert upscaled.status == DONE and upscaled.variation_id and upscaled.cost == 5
    assert emulator.requests_for("POST", "/variations/upscale")[0].json_body == {"id": done.candidates[1].image_id}
    assert done.chosen == 2 and done.maps["ALBEDO"] == str(candidate_file(done, 2))
    assert (upscaled.width, upscaled.height) == (768, 768), "twice the 384 px candidate"
    with Image.open(done.maps["NORMAL"]) as normal:
        assert normal.size == (768, 768), "the derived maps follow the upscaled image"
    assert done.cost == generated.cost + 5
    assert JobState.GENERATING in [s.state for s in snapshots]
    journaled = Journal(tmp_path / "journal").load(done.id)
    assert journaled.candidates[2].variation_id == upscaled.variation_id
    # resumed again: nothing left to do, nothing sent twice
    again, _ = run(emulator, tmp_path, TextureJob.from_json(done.to_json()))
    assert again.state is JobState.DOWNLOADED and emulator.count("POST", "/variations/upscale") == 1


def test_universal_upscaler_sends_its_style_creativity_and_multiplier(emulator, tmp_path, generated):
    job = request_variation(
        generated, UNIVERSAL_UPSCALER, 0, style="CG ART & GAME ASSETS", creativity=3, multiplier=2.0
    )
    done, _ = run(emulator, tmp_path, job)
    assert done.state is JobState.DOWNLOADED, done.error
    (request,) = emulator.requests_for("POST", "/variations/universal-upscaler")
    assert request.json_body == {
        "generatedImageId": done.candidates[0].image_id,
        "prompt": "mossy cobblestone",
        "creativityStrength": 3,
        "upscaleMultiplier": 2.0,
        "upscalerStyle": "CG ART & GAME ASSETS",
    }
    assert (done.candidates[2].width, done.chosen) == (768, 2)


def test_background_removal_of_a_variation_says_so_and_keeps_the_alpha(emulator, tmp_path, generated):
    upscaled, _ = run(emulator, tmp_path, request_variation(generated, UPSCALE, 0))
    done, _ = run(emulator, tmp_path, request_variation(upscaled, NOBG, 2))
    assert done.state is JobState.DOWNLOADED, done.error
    (request,) = emulator.requests_for("POST", "/variations/nobg")
    assert request.json_body == {"id": done.candidates[2].variation_id, "isVariation": True}
    cutout = candidate_file(done, 3)
    assert cutout is not None and cutout.suffix == ".png" and done.chosen == 3
    with Image.open(cutout) as image:
        assert image.mode == "RGBA" and np.asarray(image)[:, :, 3].min() in (0, 255)


def test_a_lost_variation_answer_is_adopted_from_the_image_not_sent_again(emulator, tmp_path, generated):
    emulator.faults.add(FaultRule(route="POST /variations/upscale", kind="drop", after_processing=True))
    done, _ = run(emulator, tmp_path, request_variation(generated, UPSCALE, 0))
    assert done.state is JobState.DOWNLOADED, done.error
    assert emulator.count("POST", "/variations/upscale") == 1
    assert done.candidates[2].variation_id in emulator.state.variations and done.candidates[2].cost is None


def test_a_refused_variation_is_not_marked_sent_and_resumes(emulator, tmp_path, generated):
    emulator.set_credits(1)
    try:
        failed, _ = run(emulator, tmp_path, request_variation(generated, UPSCALE, 0))
    finally:
        emulator.set_credits(1_000_000)
    assert failed.state is JobState.FAILED and failed.retry_free
    assert failed.candidates[2].status == REQUESTED and failed.maps, "the material keeps its maps"
    done, _ = run(emulator, tmp_path, TextureJob.from_json(failed.to_json()))
    assert done.state is JobState.DOWNLOADED and done.chosen == 2


def test_a_variation_the_service_failed_leaves_the_material_as_it_was(emulator, tmp_path, generated):
    emulator.faults.add(FaultRule(route="POST /variations/upscale", kind="failed_job"))
    done, _ = run(emulator, tmp_path, request_variation(generated, UPSCALE, 1))
    assert done.state is JobState.DOWNLOADED
    assert done.candidates[2].status == FAILED and done.chosen == 0
    assert "upscale" in done.note and Path(done.maps["ALBEDO"]) == candidate_file(done, 0)


@pytest.mark.parametrize(
    ("kind", "options", "message"),
    [
        ("UNZOOM", {}, "Unknown variation"),
        (UNIVERSAL_UPSCALER, {"creativity": 11}, "Creativity"),
        (UNIVERSAL_UPSCALER, {"multiplier": 2.5}, "multiplier"),
        (UNIVERSAL_UPSCALER, {"style": "OIL"}, "style"),
    ],
)
def test_variations_the_service_would_refuse_are_refused_locally(generated, kind, options, message):
    with pytest.raises(ValueError, match=message):
        check_variation(generated, kind, 0, options)


def test_the_plain_upscaler_refuses_a_variation_as_its_source(emulator, tmp_path, generated):
    upscaled, _ = run(emulator, tmp_path, request_variation(generated, UPSCALE, 0))
    with pytest.raises(ValueError, match="Universal Upscaler"):
        check_variation(upscaled, UPSCALE, 2, {})
