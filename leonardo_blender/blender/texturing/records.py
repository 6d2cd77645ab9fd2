"""What is known about texture jobs: their records in the .blend, the journal outside it, the live ones.

Main thread only. ``write_record`` mirrors a job into ``Scene.leonardo.jobs`` (saved with the file);
the journal (``core.journal``) keeps paid jobs outside the .blend; ``live`` holds the jobs running in
this session with their latest snapshot. Also here: whether a job can be resumed, and why not.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import bpy

from ...core.jobs import ENGINE_SEAMLESS, JobState, TextureJob
from ...core.journal import Journal
from .. import addon

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
    #: The .blend the job belongs to, kept up to date on the main thread (a "Save As" mid-job moves it);
    #: the worker's own copy of the record does not know.
    blend_path: str = ""


live: dict[str, Running] = {}
#: Called on the main thread with the job id whenever a job's worker ends (e.g. refresh the balance).
finished_listeners: list[Callable[[str], None]] = []
_journal: Journal | None = None


_journal_writer: ThreadPoolExecutor | None = None


def save_later(job: TextureJob, *, drop_mesh: bool = False) -> None:
    """Main thread: journal ``job`` (and drop its captured mesh) on a writer thread, in order.

    The journal write ends in an fsync; done on the main thread, every file-system call waits for the
    GIL behind the job threads and a few milliseconds become tens. The job is copied first."""
    global _journal_writer
    snapshot, store = job.snapshot(), journal()
    mesh = mesh_path_for(job.id) if drop_mesh else None
    if _journal_writer is None:
        _journal_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="leonardo-journal")

    def write() -> None:
        store.save(snapshot)
        if mesh is not None:
            with contextlib.suppress(OSError):
                mesh.unlink()  # the captured mesh is no longer needed

    _journal_writer.submit(write)


def flush_writes() -> None:
    """On unregister: finish the journal writes still queued (nothing paid may be lost)."""
    global _journal_writer
    if _journal_writer is not None:
        _journal_writer.shutdown(wait=True)
        _journal_writer = None


def journal() -> Journal:
    global _journal
    if _journal is None:
        _journal = Journal(addon.user_dir("jobs"))
    return _journal


# -- records in the .blend -------------------------------------------------------------------------------


def same_file(a: str, b: str) -> bool:
    if a == b:
        return True
    if not a or not b:
        return False
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def belongs_to_open_file(job: TextureJob) -> bool:
    """False while another .blend is open than the one the job was started in: its record and its
    material wait (in the journal) until that file is opened again."""
    return same_file(job.blend_path, bpy.data.filepath)


def find_record(job_id: str) -> tuple[bpy.types.Scene, bpy.types.PropertyGroup] | tuple[None, None]:
    for scene in bpy.data.scenes:
        for item in scene.leonardo.jobs:
            if item.job_id == job_id:
                return scene, item
    return None, None


def load_job(job_id: str) -> TextureJob | None:
    running = live.get(job_id)
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
    if job.engine_used == ENGINE_SEAMLESS:
        if job.generation_id is not None or job.state in (JobState.SUBMITTING, JobState.RECONCILING):
            return None
        if job.retry_free:
            return None
        if job.submitted_at is not None:
            return (
                "The service never confirmed this generation; look for it in the Seamless History "
                "(it may exist) before generating again"
            )
        return "This job never reached the service, so nothing was charged; generate again"
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
