"""Start, follow, cancel and resume texture jobs: the glue between operators, the job scheduler and the .blend.

Main thread only. A job is prepared here (export or capture of the mesh) and handed to the scheduler
(``machinery``), whose workers see plain values only. Snapshots come back through
``dispatcher.post`` and are mirrored into the .blend and the journal (``records``); when the maps are
on disk, ``applying`` builds the material on the main thread, finding the object again by its identity.
"""

from __future__ import annotations

import contextlib
import threading
import traceback
from functools import partial
from pathlib import Path

import bpy

from ...api.client import LeonardoClient
from ...core.jobs import JobState, TextureJob, TextureParams
from ...core.pipeline import PipelineSettings, TexturePipeline
from ...core.projection import MeshArrays
from .. import addon, dispatcher, storage
from . import applying, engines, image_decoding, machinery, mesh_capture, mesh_export, records

# -- starting -------------------------------------------------------------------------------------------


def start(
    context: bpy.types.Context,
    obj: bpy.types.Object,
    params: TextureParams,
    *,
    auto_unwrap: bool,
    batch_id: str = "",
) -> tuple[TextureJob, tuple[str, ...]]:
    """Export or capture ``obj`` and start its job on a worker. Returns the job and any warnings.

    An object in Edit Mode is textured with its current edits (Object Mode for the export, then back)."""
    settings = addon.settings()
    with mesh_export.object_mode(context, obj):
        prepared = mesh_export.prepare(context, obj, auto_unwrap=auto_unwrap)
        job = TextureJob(
            batch_id=batch_id,
            params=params,
            object_name=obj.name,
            object_uid=applying.ensure_uid(obj),
            scene_name=context.scene.name,
            blend_path=bpy.data.filepath,
            uv_map=prepared.uv_map,
        )
        obj_path = None
        if engines.needs_obj_export(params.engine):
            obj_path = addon.user_dir("exports") / f"{job.id}.obj"
            mesh_export.export_obj(context, obj, obj_path)
        mesh = (
            mesh_capture.capture(context, obj, prepared.uv_map) if engines.needs_mesh_capture(params.engine) else None
        )
    previous = (obj.leonardo.model_asset_id, obj.leonardo.mesh_fingerprint) if obj.leonardo.model_asset_id else None
    records.write_record(job)
    _launch(job, settings, obj_path=obj_path, mesh=mesh, previous_upload=previous)
    return job, prepared.warnings


def submit(job: TextureJob) -> None:
    """Record and start a job that needs no mesh (a seamless material): the same machinery as the others."""
    records.write_record(job)
    _launch(job, addon.settings(), obj_path=None, mesh=None)


def resume(job: TextureJob) -> str | None:
    """Go on with a job without paying twice for what the service accepted. None when resumed, else why not."""
    if is_running(job.id):
        return "This job is still running (or stopping); try again in a moment"
    reason = records.why_not_resumable(job)
    if reason:
        return reason
    if job.state is JobState.SUBMITTING and not job.views and not job.projection:
        job.move_to(JobState.RECONCILING)  # we cannot know whether the create arrived: look, never resend
    settings = addon.settings()
    records.write_record(job)
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
        for j in records.all_records()
        if j.id != job.id
        for generation_id in (j.generation_id, *(v.generation_id for v in j.views))
        if generation_id
    )
    cancel = threading.Event()
    running = records.Running(cancel=cancel, latest=job.snapshot(), blend_path=job.blend_path)
    records.live[job.id] = running
    mesh_path = records.mesh_path_for(job.id)
    client = LeonardoClient(settings.api_key, settings.base_url, timeouts=settings.timeouts, cancel=cancel)
    pipeline = TexturePipeline(
        client,
        job.snapshot(),
        maps_dir=maps_dir,
        obj_path=obj_path,
        mesh_path=mesh_path,
        journal=records.journal(),
        publish=lambda snapshot: dispatcher.post(partial(_on_snapshot, snapshot)),
        settings=PipelineSettings(
            job_timeout=settings.job_timeout,
            known_generation_ids=known,
            texture_api_unavailable=engines.texture_api_unavailable(),
        ),
        previous_upload=previous_upload,
        decode_image=image_decoding.decode,
        interrupted=running.interrupted,
        slots=machinery.slots(),
        durations=machinery.durations(),
        waker=machinery.scheduler().waker(job.id),
    )

    def _done(result: TextureJob | None, error: BaseException | None) -> None:  # worker thread
        client.close()
        if obj_path is not None:
            with contextlib.suppress(OSError):
                obj_path.unlink()
        dispatcher.post(partial(_on_finished, job.id, error))

    dispatcher.hold()  # keep draining the main-thread queue while the job lives
    machinery.scheduler().submit(job.id, machinery.JobTask(pipeline, mesh, mesh_path), _done)


def _on_snapshot(snapshot: TextureJob) -> None:
    running = records.live.get(snapshot.id)
    if running is not None:
        snapshot.blend_path = running.blend_path  # the main thread knows where the job lives now
        running.latest = snapshot
    engines.observe(snapshot)
    if not records.belongs_to_open_file(snapshot):
        records.save_later(snapshot)  # another file is open: nothing goes into it; reopening resumes
        return
    obj = applying.find_object(snapshot)
    if obj is not None and snapshot.model_asset_id and snapshot.mesh_fingerprint:
        link = obj.leonardo
        if (link.model_asset_id, link.mesh_fingerprint) != (
            snapshot.model_asset_id,
            snapshot.mesh_fingerprint,
        ):
            link.model_asset_id = snapshot.model_asset_id
            link.mesh_fingerprint = snapshot.mesh_fingerprint
    if snapshot.state is JobState.DOWNLOADED:
        applying.apply(snapshot, push_undo=True, fresh=True)
        return
    records.write_record(snapshot)


def _on_finished(job_id: str, error: BaseException | None) -> None:
    dispatcher.release()
    running = records.live.pop(job_id, None)
    for listener in records.finished_listeners:
        listener(job_id)
    if error is not None:
        traceback.print_exception(type(error), error, error.__traceback__)
        job = running.latest if running else records.load_job(job_id)
        if job is not None and not job.state.finished:
            job.fail(f"Unexpected error: {error}")
            records.write_record(job)
            records.journal().save(job)


# -- control --------------------------------------------------------------------------------------------


def is_running(job_id: str) -> bool:
    return job_id in records.live


def running_ids() -> list[str]:
    return list(records.live)


def cancel(job_id: str) -> bool:
    running = records.live.get(job_id)
    if running is None:
        return False
    running.cancel.set()
    machinery.wake(job_id)  # a sleeping or queued job ends now, not at its next poll
    return True


def cancel_batch(batch_id: str) -> int:
    """Cancel every running job of the batch (all running jobs when ``batch_id`` is empty)."""
    cancelled = 0
    for job_id, running in list(records.live.items()):
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
    for running in records.live.values():
        running.interrupted.set()
        running.cancel.set()


def forget_running() -> None:
    """After ``unregister``: drop the bookkeeping (workers were told to stop)."""
    records.live.clear()


def finished(job_id: str) -> bool:
    if job_id in records.live:
        return False
    job = records.load_job(job_id)
    return job is None or job.state.finished or job.state is JobState.DOWNLOADED


def wait(job_ids: list[str], timeout: float | None) -> bool:
    """Block (draining the main-thread queue) until the jobs are done. For headless use."""
    return dispatcher.run_until(lambda: all(finished(i) for i in job_ids), timeout=timeout)
