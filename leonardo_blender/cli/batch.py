"""Run the jobs of one open .blend through the add-on: one job per object, at most N at a time.

Main thread, with ``bpy``. Each job is started with the add-on's own operator on a selection of
exactly that object (``leonardo.texture_selected(wait=False, ...)``), so every object can have its
own settings. Waiting drives the add-on's main-thread queue with its ``dispatcher.run_until``
(headless Blender runs no timers). Each turn of that loop starts queued objects, updates the
progress display, saves a checkpoint when the service has accepted new jobs, and stops the run
(cancelling what still runs) on ``--timeout``, Ctrl+C or SIGTERM.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from .blend_file import FINAL_STATES, BlendFile
from .blender_session import one_line
from .console import PROGRAM, NativeOutput
from .errors import InterruptedRunError
from .interrupts import Interrupts
from .plan import WorkItem
from .progress import NOT_STARTED, Progress, Status
from .report import ObjectResult
from .values import engine_name

STOP_GRACE_SECONDS = 30.0
LOOP_SECONDS = 0.05


@dataclass
class Tracked:
    item: WorkItem
    job_id: str | None = None
    started: bool = False
    #: Why no job runs for this object (the operator refused it, or it was never started).
    failure: str | None = None
    failure_state: str = "FAILED"
    stop_reason: str | None = None  # the job was cancelled by --timeout, Ctrl+C or SIGTERM

    @property
    def name(self) -> str:
        return self.item.object_name


class Batch:
    def __init__(
        self, bpy: Any, addon: ModuleType, blend: BlendFile, native: NativeOutput | None, progress: Progress
    ) -> None:
        self.bpy = bpy
        self.addon = addon
        self.blend = blend
        self.native = native
        self.progress = progress
        self.interrupted: str | None = None
        self._records: dict[str, Any] = {}
        self._busy = False

    # -- the loop ------------------------------------------------------------------------------------

    def run(self, items: list[WorkItem], *, parallel: int, timeout: float | None) -> list[Tracked]:
        """Texture ``items`` and return how each went; ``interrupted`` tells whether the run was stopped."""
        tracked = [Tracked(item) for item in items]
        deadline = None if timeout is None else time.monotonic() + timeout
        dispatcher = self.addon.blender.dispatcher

        with Interrupts() as interrupts:

            def step() -> bool:
                self._refresh()
                self._start_queued(tracked, parallel)
                statuses = [self.status(t) for t in tracked]
                self.progress.update(statuses)
                self.blend.checkpoint({i for i, r in self._records.items() if r.generation_id or r.cost > 0})
                if interrupts.requested:
                    self.interrupted = interrupts.requested
                    self.progress.message(f"{interrupts.requested}: cancelling the running jobs, then saving")
                    self._stop(tracked, f"interrupted ({interrupts.requested})")
                    return True
                if deadline is not None and time.monotonic() >= deadline:
                    self._stop(tracked, f"gave up after {timeout:g} s (--timeout)")
                    return True
                return all(s.finished for s in statuses)

            try:
                dispatcher.run_until(step, interval=LOOP_SECONDS)
                dispatcher.run_until(lambda: self._all_finished(tracked), timeout=STOP_GRACE_SECONDS)
            except KeyboardInterrupt:
                raise InterruptedRunError("interrupted twice: quit without waiting for the jobs to stop") from None
        self._refresh()
        self.progress.update([self.status(t) for t in tracked], force=True)
        return tracked

    def _refresh(self) -> None:
        """Read the job records (and whether the add-on still has work) once per turn of the loop."""
        self._records = {record.job_id: record for record in self.bpy.context.scene.leonardo.jobs}
        self._busy = bool(self.addon.blender.dispatcher.busy())

    def _all_finished(self, tracked: list[Tracked]) -> bool:
        self._refresh()
        return all(self._finished(t) for t in tracked) and not self._busy

    def _finished(self, entry: Tracked) -> bool:
        """Its record reached a final state, or it never will: the add-on has no work left at all."""
        if entry.failure is not None:
            return True
        if not entry.started:
            return False
        record = self._records.get(entry.job_id or "")
        return record is None or record.state in FINAL_STATES or not self._busy

    # -- starting and stopping -----------------------------------------------------------------------

    def _start_queued(self, tracked: list[Tracked], parallel: int) -> None:
        running = sum(1 for t in tracked if t.started and not self._finished(t))
        for entry in tracked:
            if running >= parallel:
                return
            if not entry.started:
                self._start(entry)
                self._refresh()
                running += 0 if self._finished(entry) else 1

    def _start(self, entry: Tracked) -> None:
        bpy = self.bpy
        entry.started = True
        view_layer = bpy.context.view_layer
        obj = view_layer.objects.get(entry.name)
        if obj is None:
            entry.failure = "it is no longer in the scene's view layer"
            return
        try:
            for other in view_layer.objects:
                other.select_set(False)
            obj.select_set(True)
            view_layer.objects.active = obj
        except RuntimeError as exc:
            entry.failure = f"it cannot be selected: {one_line(str(exc))}"
            return
        before = set(self._records)
        try:
            bpy.ops.leonardo.texture_selected(**entry.item.settings.operator_kwargs())
        except RuntimeError as exc:  # the add-on refused it, with its reason
            entry.failure = one_line(str(exc))
        for warning in self.take_warnings():
            self.progress.message(f"{PROGRAM}: warning: {warning}")
        jobs = bpy.context.scene.leonardo.jobs
        new = [r.job_id for r in jobs if r.job_id not in before and r.object_name == entry.name]
        if new:
            entry.job_id = new[-1]
        elif entry.failure is None:
            entry.failure = "the add-on started no job for it"

    def take_warnings(self) -> list[str]:
        """The add-on's warnings (its ``Warning: ...`` reports) printed since the last call."""
        if self.native is None:
            return []
        return [line.split(": ", 1)[1].strip() for line in self.native.take_lines() if line.startswith("Warning: ")]

    def _stop(self, tracked: list[Tracked], reason: str) -> None:
        """Cancel what runs and give up on what has not started."""
        for entry in tracked:
            if entry.failure is not None:
                continue
            if not entry.started:
                entry.started = True
                entry.failure = f"not started: {reason}"
                entry.failure_state = "CANCELLED"
            elif not self._finished(entry):
                entry.stop_reason = reason
                with contextlib.suppress(RuntimeError):  # it finished meanwhile
                    self.bpy.ops.leonardo.cancel_job(job_id=entry.job_id)

    # -- what it looks like --------------------------------------------------------------------------

    def status(self, entry: Tracked) -> Status:
        if entry.failure is not None:
            state = entry.failure_state
            return Status(entry.name, state, finished=True, summary=f"{state.lower()}: {entry.failure}")
        if not entry.started:
            return Status(entry.name, NOT_STARTED)
        record = self._records.get(entry.job_id or "")
        if record is None:
            return Status(entry.name, "FAILED", finished=True, summary="failed: its job record disappeared")
        finished = self._finished(entry)
        return Status(
            entry.name,
            record.state,
            finished=finished,
            views_done=record.views_done,
            views_total=record.views_total,
            cost=record.cost if record.cost >= 0 else None,
            summary=self.result(entry, file="", output=None).describe() if finished else "",
        )

    def result(self, entry: Tracked, *, file: str, output: str | None) -> ObjectResult:
        record = self._records.get(entry.job_id or "")
        if entry.failure is not None or record is None:
            return ObjectResult(
                object=entry.name,
                state=entry.failure_state if entry.failure is not None else "FAILED",
                material=None,
                seed=None,
                cost=None,
                error=entry.failure or "its job record disappeared",
                engine=None,
                job_id=entry.job_id,
                file=file,
                output=output,
                prompt=entry.item.settings.prompt,
            )
        state = record.state if record.state in FINAL_STATES else "FAILED"
        error = record.error or f"it stopped while {record.state.lower()}"
        if entry.stop_reason:
            error = f"{entry.stop_reason}; the service may still finish it: open the output in Blender and resume it"
        return ObjectResult(
            object=entry.name,
            state=state,
            material=record.material_name or None,
            seed=int(record.seed_used) if record.seed_used.isdigit() else None,
            cost=record.cost if record.cost >= 0 else None,
            error=None if state == "APPLIED" else error,
            engine=engine_name(record.engine) if record.engine else None,
            job_id=entry.job_id,
            file=file,
            output=output,
            prompt=record.prompt or entry.item.settings.prompt,
        )
