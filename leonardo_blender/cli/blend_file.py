"""The open .blend: opening it, listing its meshes, saving it as the output and checkpointing.

Main thread, with ``bpy``. The output is saved once before the first job starts (so the add-on
writes maps beside it from the start), then as checkpoints whenever the service has accepted new
jobs (so a killed run loses nothing that was paid for: reopening the output resumes its jobs), and
once at the end. Checkpoints are spaced by at least ``CHECKPOINT_SECONDS`` and by ten times the
last save's duration, so a large scene is not saved over and over.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .blender_session import one_line
from .errors import UsageError
from .plan import Meshes

FINAL_STATES = ("APPLIED", "FAILED", "CANCELLED")
CHECKPOINT_SECONDS = 3.0


class BlendFile:
    def __init__(self, bpy: Any) -> None:
        self.bpy = bpy
        self._last_save_end: float | None = None
        self._last_save_seconds = 0.0
        self._checkpointed: set[str] = set()
        self.checkpoint_problem: str | None = None

    def open(self, blend: Path) -> Meshes:
        """Open ``blend`` and list the meshes of its scene's view layer."""
        try:
            self.bpy.ops.wm.open_mainfile(filepath=str(blend.resolve()), load_ui=False)
        except RuntimeError as exc:
            raise UsageError(f"cannot open {blend} as a .blend file: {one_line(str(exc))}") from None
        meshes = [obj for obj in self.bpy.context.view_layer.objects if obj.type == "MESH"]
        return Meshes(
            visible=[obj.name for obj in meshes if obj.visible_get()],
            hidden=[obj.name for obj in meshes if not obj.visible_get()],
        )

    def unfinished_jobs(self) -> list[str]:
        """Objects of jobs saved in the file that have not finished (the command leaves them alone)."""
        return [
            item.object_name
            for scene in self.bpy.data.scenes
            for item in scene.leonardo.jobs
            if item.state not in FINAL_STATES
        ]

    def save_as(self, out: Path) -> None:
        """Save the open file as ``out``; a ``UsageError`` when that is impossible (nothing was sent yet)."""
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            self.bpy.ops.wm.save_as_mainfile(filepath=str(out.resolve()))
        except (OSError, RuntimeError) as exc:
            raise UsageError(f"cannot save --out {out}: {one_line(str(exc))}") from None

    def save(self) -> str | None:
        """Save the open file where it is; None when saved, else why not."""
        started = time.monotonic()
        try:
            self.bpy.ops.wm.save_mainfile()
        except RuntimeError as exc:
            return one_line(str(exc))
        self._last_save_end = time.monotonic()
        self._last_save_seconds = self._last_save_end - started
        return None

    def checkpoint(self, accepted_job_ids: set[str]) -> None:
        """Save when jobs were accepted since the last checkpoint (and the last save is not too recent)."""
        if self.checkpoint_problem is not None or accepted_job_ids <= self._checkpointed:
            return
        if self._last_save_end is not None:
            spacing = max(CHECKPOINT_SECONDS, 10 * self._last_save_seconds)
            if time.monotonic() - self._last_save_end < spacing:
                return
        self._checkpointed = set(accepted_job_ids)
        self.checkpoint_problem = self.save()
