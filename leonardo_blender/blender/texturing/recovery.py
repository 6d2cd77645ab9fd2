"""Nothing lost: bring jobs forward after a file load, an add-on enable or a crash.

* Jobs in the open file: merge the newer state from the journal, apply results that were downloaded
  but not applied, resume paid jobs that had not finished (polling only: never a second paid
  request; a job whose create may or may not have arrived is looked up, not re-sent), and mark jobs
  that were interrupted before reaching the service as such (nothing was charged).
* Jobs only in the journal (Blender closed or crashed before the file was saved): adopted into the
  file they belong to automatically; those of never-saved sessions are counted and can be recovered
  into the current file with ``leonardo.recover_jobs``.

Never makes a request itself: resuming hands the work to the dispatcher, and only when online access
is allowed and a key is set.
"""

from __future__ import annotations

import time
from pathlib import Path

import bpy

from ...core.jobs import ENGINE_SEAMLESS, JobState, TextureJob
from .. import addon, online
from . import applying, records, texture_jobs

INTERRUPTED_BEFORE_SUBMIT = (
    "Interrupted before it reached the service; nothing was charged. Resume it to send it now, or texture again."
)
JOURNAL_KEEP_SECONDS = 30 * 24 * 3600


def _maps_on_disk(job: TextureJob) -> bool:
    return bool(job.maps) and all(Path(path).is_file() for path in job.maps.values())


def interrupted_before_paying(job: TextureJob) -> bool:
    """True for a job stopped before any paid request could have been sent (nothing to look for).

    Such a job is marked failed with Resume offered (``retry_free``): reopening a file never spends
    credits on its own; the user decides whether to send what was queued."""
    sent = job.has_paid_work or any(view.submitted_at is not None for view in job.views) or job.submitted_at
    if job.state in (JobState.EXPORTING, JobState.UPLOADING, JobState.QUEUED):
        return not sent
    if job.state is JobState.SUBMITTING:
        if job.engine_used == ENGINE_SEAMLESS or job.projection or job.views:
            return not sent
        return not job.model_asset_id
    return False


def recoverable_jobs() -> list[TextureJob]:
    """Journal jobs of sessions that were never saved (or whose file is gone), not in this file."""
    in_file = {item.job_id for scene in bpy.data.scenes for item in scene.leonardo.jobs}
    found = []
    for job in records.journal().all():
        if job.id in in_file or (job.state is JobState.APPLIED and job.material_name in bpy.data.materials):
            continue
        if job.state is JobState.APPLIED or not job.has_paid_work:
            continue
        if not job.blend_path or not Path(job.blend_path).exists():
            found.append(job)
    return found


def adopt(jobs: list[TextureJob]) -> None:
    """Add journal jobs to the current file's job list."""
    scene_name = bpy.context.scene.name
    for job in jobs:
        job.scene_name = scene_name
        job.blend_path = bpy.data.filepath
        records.write_record(job)


def _adopt_jobs_of_this_file() -> None:
    if not bpy.data.filepath:
        return
    in_file = {item.job_id for scene in bpy.data.scenes for item in scene.leonardo.jobs}
    mine = [
        job
        for job in records.journal().all()
        if job.id not in in_file
        and job.blend_path
        and records.same_file(job.blend_path, bpy.data.filepath)
        and job.state.paid
    ]
    adopt(mine)


def _prune_journal() -> None:
    journal = records.journal()
    cutoff = time.time() - JOURNAL_KEEP_SECONDS
    for job in journal.all():
        if job.state.finished and job.state_since < cutoff:
            journal.remove(job.id)


def resume_unfinished() -> list[str]:
    """Bring every job of the open file forward. Returns the ids of jobs resumed on the network."""
    _prune_journal()
    _adopt_jobs_of_this_file()
    journal = records.journal()
    resumed: list[str] = []
    settings = addon.settings()
    can_reach_service = online.why_offline() is None and settings.has_key and not settings.url_problem
    for scene in bpy.data.scenes:
        for item in list(scene.leonardo.jobs):
            if not item.payload or texture_jobs.is_running(item.job_id):
                continue
            job = TextureJob.from_json(item.payload)
            newer = journal.load(job.id)
            if newer is not None and newer.state_since > job.state_since:
                if newer.state is JobState.APPLIED and job.state is not JobState.APPLIED:
                    # Applied after this file was last saved: the material is not in it. Apply again
                    # from the maps on disk (or download them again): the generation is paid for.
                    newer.move_to(JobState.DOWNLOADED if _maps_on_disk(newer) else JobState.DOWNLOADING)
                job = newer
                records.write_record(job)
            if job.state is JobState.DOWNLOADED:
                applying.apply(job)
            elif interrupted_before_paying(job):
                job.fail(INTERRUPTED_BEFORE_SUBMIT)
                job.retry_free = True
                records.write_record(job)
            elif job.state in records.RESUMABLE:
                if can_reach_service and texture_jobs.resume(job) is None:
                    resumed.append(job.id)
                elif not can_reach_service:
                    item.error = "Waiting: allow online access and set an API key to resume"
    bpy.context.window_manager.leonardo.recoverable_jobs = len(recoverable_jobs())
    return resumed


class LEONARDO_OT_recover_jobs(bpy.types.Operator):
    """Bring jobs from earlier unsaved sessions (e.g. after a crash) into this file's job list"""

    bl_idname = "leonardo.recover_jobs"
    bl_label = "Recover Jobs"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        jobs = recoverable_jobs()
        if not jobs:
            self.report({"INFO"}, "No job to recover")
            return {"CANCELLED"}
        adopt(jobs)
        resumed = resume_unfinished()
        self.report({"INFO"}, f"Recovered {len(jobs)} job(s); {len(resumed)} resumed")
        return {"FINISHED"}
