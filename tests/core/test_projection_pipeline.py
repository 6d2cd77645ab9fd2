"""The projection engine's worker side against the emulator: views, depth-guided generations, bake, resume.

Plain Python (no bpy): the mesh arrays are built here the way the Blender layer captures them.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from leonardo_blender.api import LeonardoClient
from leonardo_blender.core.backoff import Backoff
from leonardo_blender.core.jobs import (
    ENGINE_AUTO,
    ENGINE_PROJECTION,
    ENGINE_TEXTURE_API,
    JobState,
    TextureJob,
    TextureParams,
    ViewState,
)
from leonardo_blender.core.journal import Journal
from leonardo_blender.core.model_families import DEFAULT_MODEL_ID
from leonardo_blender.core.pipeline import FALLBACK_NOTE, PipelineSettings, TexturePipeline
from leonardo_blender.core.projection import MeshArrays
from leonardo_blender.emulator import FaultRule
from tests.core.obj_samples import cube_obj

FAST_POLL = Backoff(base=0.05, cap=0.1, factor=1.5, jitter=0.0)
PHOENIX = "6b645e3a-d64f-4341-a6d8-7a3690fbf042"


def cube_mesh() -> MeshArrays:
    """A 2 m cube at the origin, six faces each in its own UV cell (a 3 x 2 grid)."""
    corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=np.float32)
    faces = [  # outward counter-clockwise quads: -X, +X, -Y, +Y, -Z, +Z
        (0, 1, 3, 2),
        (4, 6, 7, 5),
        (0, 4, 5, 1),
        (2, 3, 7, 6),
        (0, 2, 6, 4),
        (1, 5, 7, 3),
    ]
    triangles, uvs = [], []
    for index, (a, b, c, d) in enumerate(faces):
        u0, v0 = (index % 3) / 3 + 0.01, (index // 3) / 2 + 0.01
        du, dv = 1 / 3 - 0.02, 1 / 2 - 0.02
        quad_uv = [(u0, v0), (u0 + du, v0), (u0 + du, v0 + dv), (u0, v0 + dv)]
        triangles += [(a, b, c), (a, c, d)]
        uvs += [(quad_uv[0], quad_uv[1], quad_uv[2]), (quad_uv[0], quad_uv[2], quad_uv[3])]
    return MeshArrays.from_arrays(corners, np.array(triangles), np.array(uvs))


class Recorder:
    def __init__(self) -> None:
        self.snapshots: list[TextureJob] = []

    def __call__(self, job: TextureJob) -> None:
        self.snapshots.append(job)


def make_job(**params) -> TextureJob:
    params.setdefault("prompt", "red brick")
    params.setdefault("engine", ENGINE_PROJECTION)
    params.setdefault("generation_size", 256)
    params.setdefault("bake_size", 256)
    return TextureJob(params=TextureParams(**params), object_name="Cube")


def run(emulator, tmp_path: Path, job: TextureJob, *, settings=None, obj=False, cancel=None, captured=True):
    tmp_path.mkdir(parents=True, exist_ok=True)
    mesh_path = tmp_path / "mesh.npz"
    if captured and not mesh_path.exists():
        cube_mesh().save(mesh_path)
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
        mesh_path=mesh_path,
        journal=Journal(tmp_path / "journal"),
        publish=recorder,
        settings=settings or PipelineSettings(poll_interval=0.05, reconcile_wait=0.05),
        rng=random.Random(5),
    )
    try:
        return pipeline.run(), recorder
    finally:
        client.close()


def generation_bodies(emulator) -> list[dict]:
    return [r.json_body for r in emulator.requests_for("POST", "/generations") if r.status == 200]


def test_full_projection_generates_five_views_with_one_seed_and_bakes_three_maps(emulator, tmp_path):
    job, recorder = run(emulator, tmp_path, make_job(seed=1234))
    assert job.state is JobState.DOWNLOADED, job.error
    assert job.engine_used == ENGINE_PROJECTION
    assert [v.name for v in job.views] == ["front", "right", "back", "left", "top"]
    assert all(v.state is ViewState.DOWNLOADED for v in job.views)
    bodies = generation_bodies(emulator)
    assert len(bodies) == 5
    assert {b["seed"] for b in bodies} == {1234}
    assert all(b["num_images"] == 1 and b["width"] == b["height"] == 256 for b in bodies)
    assert all(b["modelId"] == DEFAULT_MODEL_ID for b in bodies)
    for body, view in zip(bodies, job.views, strict=True):
        depth = body["controlnets"][0]
        assert depth == {
            "initImageId": view.init_image_id,
            "initImageType": "UPLOADED",
            "preprocessorId": 20,  # Depth to Image for SDXL
            "strengthType": "High",
        }
        assert body["prompt"].startswith("red brick, ") and view.name in body["prompt"]
    # the first view guides the others' style (Style Reference 67 on its generated image)
    assert len(bodies[0]["controlnets"]) == 1
    for body in bodies[1:]:
        style = body["controlnets"][1]
        assert style["preprocessorId"] == 67 and style["initImageType"] == "GENERATED"
        assert style["initImageId"] == job.views[0].image_id
    assert set(job.maps) == {"ALBEDO", "NORMAL", "ROUGHNESS"}
    for path in job.maps.values():
        with Image.open(path) as image:
            assert image.size == (256, 256)
    assert job.cost == sum(v.cost for v in job.views) and job.cost > 0
    states = [s.state for s in recorder.snapshots]
    for expected in (JobState.UPLOADING, JobState.GENERATING, JobState.DOWNLOADING, JobState.BAKING):
        assert expected in states
    assert emulator.foreign_authorization_headers == []


def test_preview_is_one_view_from_the_chosen_side(emulator, tmp_path):
    job, _ = run(emulator, tmp_path, make_job(preview=True, preview_direction="left", front_rotation_offset=90))
    assert job.state is JobState.DOWNLOADED, job.error
    assert [v.name for v in job.views] == ["left"]
    left = job.views[0].spec["direction"]
    # offset 90: the model faces +X; "right" is the side Blender's Right view shows when the model faces
    # -Y, turned with the model: (cos 90, sin 90, 0) = +Y, so "left" faces -Y
    assert np.allclose(left, (0.0, -1.0, 0.0), atol=1e-6)
    assert len(generation_bodies(emulator)) == 1


def test_a_model_without_depth_guidance_is_refused_before_any_request(emulator, tmp_path):
    before = len(emulator.requests)
    job, _ = run(emulator, tmp_path, make_job(image_model_id=PHOENIX))
    assert job.state is JobState.FAILED
    assert "Depth to Image" in job.error and "SDXL" in job.error
    assert len(emulator.requests) == before


def test_auto_falls_back_to_projection_on_the_routing_404(make_emulator, tmp_path):
    emulator = make_emulator(texture_api_withdrawn=True)
    # AUTO exported an OBJ only: the fallback reads the mesh from it on the worker
    job, _ = run(emulator, tmp_path, make_job(engine=ENGINE_AUTO), obj=True, captured=False)
    assert job.state is JobState.DOWNLOADED, job.error
    assert (tmp_path / "mesh.npz").is_file()
    assert job.engine_used == ENGINE_PROJECTION and job.note == FALLBACK_NOTE
    assert "deleted" not in job.note.lower()
    assert emulator.count("POST", "/generations-texture") == 1
    assert len(generation_bodies(emulator)) == 5
    # once known, AUTO goes straight to projection: no second attempt at the texture endpoint
    settings = PipelineSettings(poll_interval=0.05, texture_api_unavailable=True)
    again, _ = run(emulator, tmp_path / "again", make_job(engine=ENGINE_AUTO), settings=settings, obj=True)
    assert again.state is JobState.DOWNLOADED and again.engine_used == ENGINE_PROJECTION
    assert emulator.count("POST", "/generations-texture") == 1


def test_texture_api_engine_on_the_routing_404_names_projection(make_emulator, tmp_path):
    emulator = make_emulator(texture_api_withdrawn=True)
    job, _ = run(emulator, tmp_path, make_job(engine=ENGINE_TEXTURE_API), obj=True)
    assert job.state is JobState.FAILED
    assert "Projection" in job.error and "deleted" not in job.error.lower()
    assert "Nothing was charged" in job.error
    assert emulator.count("POST", "/generations") == 0


def test_a_lost_create_answer_is_reconciled_not_paid_twice(emulator, tmp_path):
    emulator.faults.add(FaultRule(route="POST /generations", kind="drop", after_processing=True, times=1))
    job, _ = run(emulator, tmp_path, make_job(style_reference=False))
    assert job.state is JobState.DOWNLOADED, job.error
    assert emulator.count("POST", "/generations") == 5  # the dropped one was processed and adopted
    assert len({v.generation_id for v in job.views}) == 5


def test_resume_after_a_crash_never_resends_an_accepted_view(emulator, tmp_path):
    """A job whose first two views were accepted (and one was sent but unanswered) goes on from there."""
    job, _ = run(emulator, tmp_path, make_job(style_reference=False))
    assert job.state is JobState.DOWNLOADED
    paid = emulator.count("POST", "/generations")
    saved = TextureJob.from_json(job.to_json())
    for view in saved.views[2:]:
        view.state, view.generation_id, view.image_id, view.image_url, view.image_path = (
            ViewState.UPLOADED,
            None,
            None,
            "",
            "",
        )
        view.submitted_at = view.accepted_at = None
    saved.views[2].state = ViewState.SUBMITTING  # it was sent: a lost answer or a crash right after
    saved.views[2].submitted_at = job.views[2].submitted_at
    generation_of_view_2 = job.views[2].generation_id
    saved.maps = {}
    saved.state = JobState.GENERATING
    resumed, _ = run(emulator, tmp_path / "resumed", saved)
    assert resumed.state is JobState.DOWNLOADED, resumed.error
    # views 0 and 1 were polled, view 2 adopted from the history, views 3 and 4 created once each
    assert emulator.count("POST", "/generations") == paid + 2
    assert resumed.views[2].generation_id == generation_of_view_2


def test_failed_views_are_skipped_and_named(emulator, tmp_path):
    emulator.faults.add(FaultRule(route="POST /generations", kind="failed_job", times=1))
    job, _ = run(emulator, tmp_path, make_job(style_reference=False))
    assert job.state is JobState.DOWNLOADED, job.error
    assert [v.state for v in job.views].count(ViewState.FAILED) == 1
    assert "front" in job.note
    assert emulator.count("POST", "/generations") == 5  # the failed view was not paid again


def test_credits_running_out_mid_job_keep_the_paid_views(emulator, tmp_path):
    emulator.set_credits(2)  # a 256 px view costs 1 credit: two views, then "not enough api tokens"
    job, _ = run(emulator, tmp_path, make_job(style_reference=False))
    assert job.state is JobState.FAILED
    assert "credit" in job.error.lower() or "tokens" in job.error.lower()
    paid = [v for v in job.views if v.generation_id]
    assert paid and len(paid) < 5
    assert Journal(tmp_path / "journal").load(job.id).paid_views  # nothing paid is lost
    emulator.set_credits(10_000)
    resumed, _ = run(emulator, tmp_path / "resumed", TextureJob.from_json(job.to_json()))
    assert resumed.state is JobState.DOWNLOADED, resumed.error
    assert emulator.count("POST", "/generations") >= 5
    assert len({v.generation_id for v in resumed.views}) == 5


def test_cancel_stops_polling(emulator, tmp_path):
    import threading

    cancel = threading.Event()
    emulator.faults.add(FaultRule(route="GET /generations/{id}", kind="latency", seconds=0.2, times=-1))
    timer = threading.Timer(0.5, cancel.set)
    timer.start()
    try:
        job, _ = run(emulator, tmp_path, make_job(), cancel=cancel)
    finally:
        timer.cancel()
    assert job.state is JobState.CANCELLED


@pytest.mark.parametrize("size", [256, 512])
def test_served_images_larger_than_asked_are_read_at_their_real_size(emulator, tmp_path, size):
    job, _ = run(emulator, tmp_path, make_job(generation_size=size, preview=True))
    assert job.state is JobState.DOWNLOADED, job.error
    with Image.open(job.views[0].image_path) as image:
        assert image.size == (size * 3 // 2, size * 3 // 2)  # alchemy serves 1.5x
