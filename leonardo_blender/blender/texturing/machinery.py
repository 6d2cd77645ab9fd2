"""The machinery every job runs on: one scheduler, the account's concurrency slots, learned durations.

Main thread creates and shuts them down; workers use them (all three are thread-safe, no ``bpy``).
"""

from __future__ import annotations

from pathlib import Path

from ...core.jobs import TextureJob
from ...core.pipeline import TexturePipeline
from ...core.polling import Durations
from ...core.projection import MeshArrays
from ...core.scheduler import JobScheduler
from ...core.slots import SlotPool
from .. import addon


class JobTask:
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


def wake(job_id: str) -> None:
    """Step a job now (after a cancel): a sleeping or queued job ends at once, not at its next poll."""
    if _scheduler is not None:
        _scheduler.wake(job_id)


def queue_position(job_id: str) -> int | None:
    """How many paid requests wait for a slot before this job's (None when it is not waiting)."""
    return _slots.ahead_of(job_id)


def shutdown() -> None:
    """On unregister: stop the scheduler (jobs are journaled; they resume on the next start)."""
    global _scheduler, _slots
    if _scheduler is not None:
        _scheduler.shutdown()
        _scheduler = None
    _slots = SlotPool()
