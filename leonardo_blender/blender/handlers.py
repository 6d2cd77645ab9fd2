"""App handlers: resume unfinished jobs on file load, move textures beside the .blend on save, and
keep job records in step after undo.

Handlers never make a request themselves: resuming hands the work to a worker through the
dispatcher, and only when online access is allowed and a key is set.
"""

from __future__ import annotations

import bpy
from bpy.app.handlers import persistent

from ..core.jobs import TextureJob
from . import addon, dispatcher, storage
from .texturing import records, recovery, texture_jobs


@persistent
def on_load_post(filepath: str = "", *_args: object) -> None:
    recovery.resume_unfinished()
    dispatcher.wake()


@persistent
def on_save_pre(filepath: str = "", *_args: object) -> None:
    """Before writing: move maps of unsaved work beside the new file, and tie jobs to that file."""
    if not filepath:
        return
    settings = addon.settings()
    moved = storage.relocate_unsaved_images(filepath, settings.texture_folder)
    for scene in bpy.data.scenes:
        for item in scene.leonardo.jobs:
            if not item.payload:
                continue
            job = records.load_job(item.job_id) or TextureJob.from_json(item.payload)
            changed = storage.rewrite_job_maps(job, moved)
            if changed or job.blend_path != filepath:
                job.blend_path = filepath
                running = records.live.get(job.id)
                if running is not None:
                    running.blend_path = filepath  # later snapshots of the running job follow the file
                records.write_record(job)
                if job.state.paid:
                    records.journal().save(job)


@persistent
def on_undo_redo(*_args: object) -> None:
    """Undo may roll a record back while its worker goes on: re-mirror the live state."""
    for job_id in texture_jobs.running_ids():
        job = records.load_job(job_id)
        if job is not None:
            records.write_record(job)


_HANDLERS = (
    ("load_post", on_load_post),
    ("save_pre", on_save_pre),
    ("undo_post", on_undo_redo),
    ("redo_post", on_undo_redo),
)


def _resume_after_enable() -> None:
    if bpy.data.filepath or any(len(s.leonardo.jobs) for s in bpy.data.scenes):
        recovery.resume_unfinished()
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
