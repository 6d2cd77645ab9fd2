"""App handlers: resume unfinished jobs on file load, move textures beside the .blend on save, and
keep job records in step after undo.

Handlers never make a request themselves: resuming hands the work to a worker through the
dispatcher, and only when online access is allowed and a key is set.
"""

from __future__ import annotations

import bpy
from bpy.app.handlers import persistent

from ..core.jobs import JobState, TextureJob
from . import addon, dispatcher, online, storage, texture_jobs

INTERRUPTED_BEFORE_SUBMIT = "Interrupted before it reached the service; nothing was charged. Texture again."


def resume_unfinished() -> list[str]:
    """Bring every job of the open file forward: merge the journal, apply downloaded results,
    resume paid jobs that have not finished. Returns the ids of resumed jobs."""
    journal = texture_jobs.journal()
    resumed: list[str] = []
    can_reach_service = online.why_offline() is None and addon.settings().has_key
    for scene in bpy.data.scenes:
        for item in list(scene.leonardo.jobs):
            if not item.payload or texture_jobs.is_running(item.job_id):
                continue
            job = TextureJob.from_json(item.payload)
            newer = journal.load(job.id)
            if newer is not None and newer.state_since > job.state_since:
                job = newer
                texture_jobs.write_record(job)
            if job.state is JobState.DOWNLOADED:
                texture_jobs.apply(job)
            elif job.state in (JobState.EXPORTING, JobState.UPLOADING) or (
                job.state is JobState.SUBMITTING and not job.model_asset_id
            ):
                job.fail(INTERRUPTED_BEFORE_SUBMIT)
                texture_jobs.write_record(job)
            elif job.state in texture_jobs.RESUMABLE:
                if can_reach_service and texture_jobs.resume(job):
                    resumed.append(job.id)
                elif not can_reach_service:
                    item.error = "Waiting: allow online access and set an API key to resume"
    return resumed


@persistent
def on_load_post(filepath: str = "", *_args: object) -> None:
    resume_unfinished()
    dispatcher.wake()


@persistent
def on_save_pre(filepath: str = "", *_args: object) -> None:
    if not filepath:
        return
    settings = addon.settings()
    moved = storage.relocate_unsaved_images(filepath, settings.texture_folder)
    if not moved:
        return
    for scene in bpy.data.scenes:
        for item in scene.leonardo.jobs:
            if not item.payload:
                continue
            job = texture_jobs.load_job(item.job_id) or TextureJob.from_json(item.payload)
            if storage.rewrite_job_maps(job, moved):
                job.blend_path = filepath
                texture_jobs.write_record(job)
                texture_jobs.journal().save(job)


@persistent
def on_undo_redo(*_args: object) -> None:
    """Undo may roll a record back while its worker goes on: re-mirror the live state."""
    for job_id in texture_jobs.running_ids():
        job = texture_jobs.load_job(job_id)
        if job is not None:
            texture_jobs.write_record(job)


_HANDLERS = (
    ("load_post", on_load_post),
    ("save_pre", on_save_pre),
    ("undo_post", on_undo_redo),
    ("redo_post", on_undo_redo),
)


def _resume_after_enable() -> None:
    if bpy.data.filepath or any(len(s.leonardo.jobs) for s in bpy.data.scenes):
        resume_unfinished()
    return None


def register() -> None:
    for name, function in _HANDLERS:
        handlers = getattr(bpy.app.handlers, name)
        if function not in handlers:
            handlers.append(function)
    if not bpy.app.background:
        # bpy.data is not available inside register(): look for unfinished jobs a moment later.
        bpy.app.timers.register(_resume_after_enable, first_interval=1.0)


def unregister() -> None:
    for name, function in _HANDLERS:
        handlers = getattr(bpy.app.handlers, name)
        while function in handlers:
            handlers.remove(function)
    if bpy.app.timers.is_registered(_resume_after_enable):
        bpy.app.timers.unregister(_resume_after_enable)
