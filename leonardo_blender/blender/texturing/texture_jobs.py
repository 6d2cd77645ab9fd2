"""Start, follow, cancel, resume and apply texture jobs: the glue between operators, workers and the .blend.

Main thread only, except the ``_work`` closure, which runs on a worker and sees plain values only.
Job snapshots from workers arrive through ``dispatcher.post`` and are mirrored into
``Scene.leonardo.jobs`` (saved with the .blend) and the journal (outside it). When the maps are on
disk, the material is built here on the main thread, finding the object again by name.
"""

from __future__ import annotations

import contextlib
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import bpy

from ...api.client import LeonardoClient
from ...core.jobs import JobState, TextureJob, TextureParams
from ...core.journal import Journal
from ...core.pipeline import PipelineSettings, TexturePipeline
from ...core.polling import Durations
from ...core.projection import MeshArrays
from ...core.scheduler import JobScheduler
from ...core.slots import SlotPool
from .. import addon, dispatcher, material, storage
from . import engines, image_decoding, mesh_capture, mesh_export

#: States in which a job left in a .blend can go on without paying again.
RESUMABLE = {
    JobState.GENERATING,
    JobState.DOWNLOADING,
    JobState.RECONCILING,
    JobState.SUBMITTING,
    JobState.BAKING,
}


#: States in which the job list offers Resume (when ``can_resume`` agrees).
RESUME_OFFERED = {
    JobState.FAILED,
    JobState.CANCELLED,
    JobState.GENERATING,
    JobState.DOWNLOADING,
    JobState.RECONCILING,
    JobState.SUBMITTING,
    JobState.BAKING,
}


@dataclass
class Running:
    cancel: threading.Event
    latest: TextureJob
    #: Set with ``cancel`` when the add-on shuts down: the job stops but stays resumable.
    interrupted: threading.Event = field(default_factory=threading.Event)


_running: dict[str, Running] = {}
#: Called on the main thread with the job id whenever a job's worker ends (e.g. refresh the balance).
finished_listeners: list[Callable[[str], None]] = []
_journal: Journal | None = None


def journal() -> Journal:
    global _journal
    if _journal is None:
        _journal = Journal(addon.user_dir("jobs"))
    return _journal


# -- records in the .blend -------------------------------------------------------------------------------


def find_record(job_id: str) -> tuple[bpy.types.Scene, bpy.types.PropertyGroup] | tuple[None, None]:
    for scene in bpy.data.scenes:
        for item in scene.leonardo.jobs:
            if item.job_id == job_id:
                return scene, item
    return None, None


def load_job(job_id: str) -> TextureJob | None:
    running = _running.get(job_id)
    if running is not None:
        return running.latest
    _, item = find_record(job_id)
    if item is not None and item.payload:
        return TextureJob.from_json(item.payload)
    return journal().load(job_id)


def write_record(job: TextureJob) -> None:
    """Create or update the job's entry in its scene (the current one if that scene is gone)."""
    _, item = find_record(job.id)
    if item is None:
        scene = bpy.data.scenes.get(job.scene_name) or bpy.context.scene
        item = scene.leonardo.jobs.add()
        item.job_id = job.id
        scene.leonardo.active_job_index = len(scene.leonardo.jobs) - 1
    item.payload = job.to_json()
    item.state = job.state.value
    item.object_name = job.object_name
    item.prompt = job.params.prompt
    item.kind = job.params.kind
    item.generation_id = job.generation_id or ""
    item.seed_used = "" if job.seed_used is None else str(job.seed_used)
    item.cost = -1 if job.cost is None else int(job.cost)
    item.error = job.error
    item.error_action = job.error_action
    item.accepted_at = float(job.accepted_at or 0.0)
    item.material_name = job.material_name
    item.engine = job.engine_used
    item.note = job.note
    item.views_done, item.views_total = job.view_progress()
    item.resumable = job.state in RESUME_OFFERED and can_resume(job)
    item.batch_id = job.batch_id


def all_records() -> list[TextureJob]:
    jobs = []
    for scene in bpy.data.scenes:
        for item in scene.leonardo.jobs:
            if item.payload:
                jobs.append(load_job(item.job_id) or TextureJob.from_json(item.payload))
    return jobs


# -- starting -------------------------------------------------------------------------------------------


def start(
    context: bpy.types.Context,
    obj: bpy.types.Object,
    params: TextureParams,
    *,
    auto_unwrap: bool,
    batch_id: str = "",
) -> tuple[TextureJob, tuple[str, ...]]:
    """Export or capture ``obj`` and start its job on a worker. Returns the job and any warnings."""
    settings = addon.settings()
    prepared = mesh_export.prepare(context, obj, auto_unwrap=auto_unwrap)
    job = TextureJob(
        batch_id=batch_id,
        params=params,
        object_name=obj.name,
        object_uid=ensure_uid(obj),
        scene_name=context.scene.name,
        blend_path=bpy.data.filepath,
        uv_map=prepared.uv_map,
    )
    obj_path = None
    if engines.needs_obj_export(params.engine):
        obj_path = addon.user_dir("exports") / f"{job.id}.obj"
        mesh_export.export_obj(context, obj, obj_path)
    mesh = mesh_capture.capture(context, obj, prepared.uv_map) if engines.needs_mesh_capture(params.engine) else None
    previous = (obj.leonardo.model_asset_id, obj.leonardo.mesh_fingerprint) if obj.leonardo.model_asset_id else None
    write_record(job)
    _launch(job, settings, obj_path=obj_path, mesh=mesh, previous_upload=previous)
    return job, prepared.warnings


def mesh_path_for(job_id: str) -> Path:
    """Where a projection job keeps its captured mesh until it is done (for resumes and re-bakes)."""
    return addon.user_dir("meshes") / f"{job_id}.npz"


def why_not_resumable(job: TextureJob) -> str | None:
    """Why Resume would lead nowhere (a sentence for the user), or None when it can go on without a
    second paid request for what the service already accepted."""
    if job.state is JobState.APPLIED:
        return "This job is already applied"
    if job.service_failed:
        return "The service itself failed this generation; texture again (perhaps with another prompt or seed)"
    if job.projection or job.views:
        if not mesh_path_for(job.id).is_file():  # depth maps and the bake need the captured mesh
            return "The mesh captured for this job is gone; texture the object again"
        return None
    if job.generation_id is not None or job.state in (JobState.SUBMITTING, JobState.RECONCILING):
        return None
    if job.retry_free and job.model_asset_id:
        return None  # refused before anything was charged: resuming sends it again
    return "This job never reached the service, so nothing was charged; texture the object again"


def can_resume(job: TextureJob) -> bool:
    return why_not_resumable(job) is None


def resume(job: TextureJob) -> str | None:
    """Go on with a job without paying twice for what the service accepted. None when resumed, else why not."""
    if is_running(job.id):
        return "This job is still running (or stopping); try again in a moment"
    reason = why_not_resumable(job)
    if reason:
        return reason
    if job.state is JobState.SUBMITTING and not job.views and not job.projection:
        job.move_to(JobState.RECONCILING)  # we cannot know whether the create arrived: look, never resend
    settings = addon.settings()
    write_record(job)
    _launch(job, settings, obj_path=None, mesh=None)
    return None


def _launch(
    job: TextureJob,
    settings: addon.Settings,
    *,
    obj_path: Path | None,
    mesh: MeshArrays | None,
    previous_upload: tuple[str, str] | None = None,
) -> None:
    maps_dir = storage.maps_dir_for(job, settings.texture_folder)
    known = tuple(
        generation_id
        for j in all_records()
        if j.id != job.id
        for generation_id in (j.generation_id, *(v.generation_id for v in j.views))
        if generation_id
    )
    cancel = threading.Event()
    running = Running(cancel=cancel, latest=job.snapshot())
    _running[job.id] = running
    mesh_path = mesh_path_for(job.id)
    client = LeonardoClient(settings.api_key, settings.base_url, timeouts=settings.timeouts, cancel=cancel)
    pipeline = TexturePipeline(
        client,
        job.snapshot(),
        maps_dir=maps_dir,
        obj_path=obj_path,
        mesh_path=mesh_path,
        journal=journal(),
        publish=lambda snapshot: dispatcher.post(partial(_on_snapshot, snapshot)),
        settings=PipelineSettings(
            job_timeout=settings.job_timeout,
            known_generation_ids=known,
            texture_api_unavailable=engines.texture_api_unavailable(),
        ),
        previous_upload=previous_upload,
        decode_image=image_decoding.decode,
        interrupted=running.interrupted,
        slots=slots(),
        durations=durations(),
        waker=scheduler().waker(job.id),
    )

    def _done(result: TextureJob | None, error: BaseException | None) -> None:  # worker thread
        client.close()
        if obj_path is not None:
            with contextlib.suppress(OSError):
                obj_path.unlink()
        dispatcher.post(partial(_on_finished, job.id, error))

    dispatcher.hold()  # keep draining the main-thread queue while the job lives
    scheduler().submit(job.id, _JobTask(pipeline, mesh, mesh_path), _done)


class _JobTask:
    """What the scheduler steps: the captured mesh is written first (worker file I/O), then the pipeline."""

    def __init__(self, pipeline: TexturePipeline, mesh: MeshArrays | None, mesh_path: Path) -> None:
        self.pipeline = pipeline
        self.mesh = mesh
        self.mesh_path = mesh_path

    def step(self) -> TextureJob:
        if self.mesh is not None:
            self.mesh.save(self.mesh_path)
            self.mesh = None
        return self.pipeline.step()


# -- the machinery: one scheduler, the account's slots, learned durations ---------------------------------------

_scheduler: JobScheduler | None = None
_slots = SlotPool()
_durations: Durations | None = None


def scheduler() -> JobScheduler:
    global _scheduler
    if _scheduler is None:
        _scheduler = JobScheduler()
    return _scheduler


def slots() -> SlotPool:
    """The account's concurrency slots (capacity from ``/me``, refreshed with the account)."""
    return _slots


def durations() -> Durations:
    global _durations
    if _durations is None:
        _durations = Durations(addon.user_dir("cache") / "durations.json")
    return _durations


def queue_position(job_id: str) -> int | None:
    """How many paid requests wait for a slot before this job's (None when it is not waiting)."""
    return _slots.ahead_of(job_id)


def shutdown_machinery() -> None:
    """On unregister: stop the scheduler (jobs are journaled; they resume on the next start)."""
    global _scheduler, _slots
    if _scheduler is not None:
        _scheduler.shutdown()
        _scheduler = None
    _slots = SlotPool()


# -- results on the main thread --------------------------------------------------------------------------


def ensure_uid(obj: bpy.types.Object) -> str:
    """The object's identity for jobs (created on first use; it survives renames)."""
    if not obj.leonardo.uid:
        obj.leonardo.uid = uuid.uuid4().hex
    return obj.leonardo.uid


def find_object(job: TextureJob) -> bpy.types.Object | None:
    """The job's object, even if it was renamed since (its ``uid`` travels with it)."""
    if job.object_uid:
        by_uid = next((o for o in bpy.data.objects if o.leonardo.uid == job.object_uid), None)
        if by_uid is not None:
            return by_uid
    by_name = bpy.data.objects.get(job.object_name)
    # An object of that name without an identity is the job's own (its identity may have been undone);
    # one with another identity is a different object that took the name.
    if by_name is not None and by_name.leonardo.uid in ("", job.object_uid):
        return by_name
    return None


def _on_snapshot(snapshot: TextureJob) -> None:
    running = _running.get(snapshot.id)
    if running is not None:
        running.latest = snapshot
    engines.observe(snapshot)
    obj = find_object(snapshot)
    if obj is not None and snapshot.model_asset_id and snapshot.mesh_fingerprint:
        link = obj.leonardo
        if (link.model_asset_id, link.mesh_fingerprint) != (
            snapshot.model_asset_id,
            snapshot.mesh_fingerprint,
        ):
            link.model_asset_id = snapshot.model_asset_id
            link.mesh_fingerprint = snapshot.mesh_fingerprint
    if snapshot.state is JobState.DOWNLOADED:
        apply(snapshot, push_undo=True)
        return
    write_record(snapshot)


def _on_finished(job_id: str, error: BaseException | None) -> None:
    dispatcher.release()
    running = _running.pop(job_id, None)
    for listener in finished_listeners:
        listener(job_id)
    if error is not None:
        traceback.print_exception(type(error), error, error.__traceback__)
        job = running.latest if running else load_job(job_id)
        if job is not None and not job.state.finished:
            job.fail(f"Unexpected error: {error}")
            write_record(job)
            journal().save(job)


def apply(job: TextureJob, object_name: str | None = None, *, push_undo: bool = False) -> bpy.types.Material | None:
    """Build (or reuse) the job's material and put it on its object (or ``object_name``).

    ``push_undo``: record an undo step (when applied by the timer, outside any operator), so that
    Ctrl+Z undoes the texture, not the user's previous action, and the record stays consistent."""
    target = bpy.data.objects.get(object_name) if object_name else find_object(job)
    missing = [path for path in job.maps.values() if not Path(path).is_file()]
    if missing:
        job.maps = {}
        job.fail(f"{len(missing)} downloaded map(s) are missing from disk; resume to download them again", "retry")
        write_record(job)
        return None
    settings = addon.settings()
    existing = next((m for m in bpy.data.materials if m.get(material.MATERIAL_TAG) == job.id), None)
    mat = existing or _build(job, settings)
    job.material_name = mat.name
    if target is None or target.type != "MESH":
        job.error = f"'{job.object_name}' no longer exists; apply the result to another object from the job list"
        write_record(job)
        journal().save(job)
        return mat
    material.assign(target, mat)
    job.object_name = target.name
    job.object_uid = ensure_uid(target)
    job.move_to(JobState.APPLIED)
    write_record(job)
    journal().save(job)
    with contextlib.suppress(OSError):
        mesh_path_for(job.id).unlink()  # the captured mesh is no longer needed
    if push_undo and not bpy.app.background:
        with contextlib.suppress(RuntimeError):  # no window (e.g. while a file loads)
            bpy.ops.ed.undo_push(message="Leonardo texture applied")
    return mat


def _build(job: TextureJob, settings: addon.Settings) -> bpy.types.Material:
    prompt = job.params.prompt.strip()
    short = prompt if len(prompt) <= 40 else prompt[:39].rstrip() + "…"
    seed = job.seed_used if job.seed_used is not None else job.params.seed
    name = f"Leonardo {short}" + (f" ({seed})" if seed is not None else "")
    if job.params.preview:
        name += f" preview {job.params.preview_direction}"  # its promoted full texture keeps the plain name
    scene = bpy.data.scenes.get(job.scene_name) or bpy.context.scene
    mat = material.build_material(
        name,
        job.maps,
        uv_map=job.uv_map,
        true_displacement=bool(scene.leonardo.true_displacement),
        tags={
            material.MATERIAL_TAG: job.id,
            "leonardo_generation_id": job.generation_id or "",
            "leonardo_prompt": prompt,
            "leonardo_seed": "" if seed is None else str(seed),
            "leonardo_engine": job.engine_used,
        },
    )
    if settings.pack_images:
        storage.pack_material_images(mat)
    else:
        storage.make_image_paths_relative(mat)
    if settings.mark_as_assets:
        mark_as_asset(mat, job.maps.get("ALBEDO"))
    return mat


def mark_as_asset(mat: bpy.types.Material, preview_image: str | None) -> None:
    """Show the material in the Asset Browser, with the albedo map as its preview."""
    mat.asset_mark()
    mat.asset_data.description = mat.get("leonardo_prompt", "")
    mat.asset_data.tags.new("Leonardo", skip_if_exists=True)
    if preview_image and Path(preview_image).is_file():
        with contextlib.suppress(RuntimeError), bpy.context.temp_override(id=mat):
            bpy.ops.ed.lib_id_load_custom_preview(filepath=preview_image)


# -- control --------------------------------------------------------------------------------------------


def is_running(job_id: str) -> bool:
    return job_id in _running


def running_ids() -> list[str]:
    return list(_running)


def cancel(job_id: str) -> bool:
    running = _running.get(job_id)
    if running is None:
        return False
    running.cancel.set()
    if _scheduler is not None:
        _scheduler.wake(job_id)  # a sleeping or queued job ends now, not at its next poll
    return True


def cancel_batch(batch_id: str) -> int:
    """Cancel every running job of the batch (all running jobs when ``batch_id`` is empty)."""
    cancelled = 0
    for job_id, running in list(_running.items()):
        if not batch_id or running.latest.batch_id == batch_id:
            cancelled += cancel(job_id)
    return cancelled


def batch_summary(batch_id: str) -> dict[str, int]:
    """Counts for one batch's progress line: done, running, queued, failed, and credits spent."""
    summary = {"done": 0, "running": 0, "queued": 0, "failed": 0, "credits": 0, "total": 0}
    for scene in bpy.data.scenes:
        for item in scene.leonardo.jobs:
            if item.batch_id != batch_id:
                continue
            summary["total"] += 1
            summary["credits"] += max(0, item.cost)
            if item.state in (JobState.APPLIED.value, JobState.DOWNLOADED.value):
                summary["done"] += 1
            elif item.state in (JobState.FAILED.value, JobState.CANCELLED.value):
                summary["failed"] += 1
            elif item.state == JobState.QUEUED.value:
                summary["queued"] += 1
            else:
                summary["running"] += 1
    return summary


def interrupt_all() -> None:
    """The add-on shuts down: stop every worker but leave the jobs resumable (not CANCELLED)."""
    for running in _running.values():
        running.interrupted.set()
        running.cancel.set()


def forget_running() -> None:
    """After ``unregister``: drop the bookkeeping (workers were told to stop)."""
    _running.clear()


def finished(job_id: str) -> bool:
    if job_id in _running:
        return False
    job = load_job(job_id)
    return job is None or job.state.finished or job.state is JobState.DOWNLOADED


def wait(job_ids: list[str], timeout: float | None) -> bool:
    """Block (draining the main-thread queue) until the jobs are done. For headless use."""
    return dispatcher.run_until(lambda: all(finished(i) for i in job_ids), timeout=timeout)
