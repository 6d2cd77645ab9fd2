"""The texture job record: its states, its legal transitions and its persistence format.

A job is created on the main thread when the user presses the button and then advanced by a worker.
Workers own a private copy and publish snapshots; the Blender layer mirrors each snapshot into the
.blend (``Scene.leonardo.jobs``) and the journal (``journal.py``) keeps one outside the .blend, so a
crash between two saves still loses nothing that was paid for.

The JSON format is versioned (``FORMAT``); unknown keys are ignored and missing ones defaulted, so
files written by newer or older versions of the add-on still load.
"""

from __future__ import annotations

import enum
import json
import time
import uuid
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

FORMAT = 1


class JobState(enum.StrEnum):
    EXPORTING = "EXPORTING"  # main thread writes the OBJ
    UPLOADING = "UPLOADING"  # worker uploads the mesh as a model asset
    SUBMITTING = "SUBMITTING"  # worker asks for the texture generation (paid)
    RECONCILING = "RECONCILING"  # the create may have reached the service; looking for the job
    GENERATING = "GENERATING"  # accepted by the service; polling
    DOWNLOADING = "DOWNLOADING"  # COMPLETE; fetching the maps
    DOWNLOADED = "DOWNLOADED"  # maps on disk; waiting for the main thread to build the material
    APPLIED = "APPLIED"  # material built on the object
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def finished(self) -> bool:
        return self in (JobState.APPLIED, JobState.FAILED, JobState.CANCELLED)

    @property
    def paid(self) -> bool:
        """True once the service may have charged for this job."""
        return self in _PAID


_LABELS = {
    JobState.EXPORTING: "Exporting mesh",
    JobState.UPLOADING: "Uploading mesh",
    JobState.SUBMITTING: "Submitting",
    JobState.RECONCILING: "Confirming with the service",
    JobState.GENERATING: "Generating",
    JobState.DOWNLOADING: "Downloading maps",
    JobState.DOWNLOADED: "Ready to apply",
    JobState.APPLIED: "Applied",
    JobState.FAILED: "Failed",
    JobState.CANCELLED: "Cancelled",
}

_PAID = {
    JobState.RECONCILING,
    JobState.GENERATING,
    JobState.DOWNLOADING,
    JobState.DOWNLOADED,
    JobState.APPLIED,
}

_NEXT: dict[JobState, set[JobState]] = {
    JobState.EXPORTING: {JobState.UPLOADING, JobState.SUBMITTING},
    JobState.UPLOADING: {JobState.SUBMITTING},
    JobState.SUBMITTING: {JobState.GENERATING, JobState.RECONCILING, JobState.UPLOADING},
    JobState.RECONCILING: {JobState.GENERATING},
    JobState.GENERATING: {JobState.DOWNLOADING},
    JobState.DOWNLOADING: {JobState.DOWNLOADED},
    JobState.DOWNLOADED: {JobState.APPLIED, JobState.DOWNLOADING},
    JobState.APPLIED: {JobState.DOWNLOADED, JobState.DOWNLOADING},
    JobState.FAILED: {JobState.GENERATING, JobState.DOWNLOADING, JobState.SUBMITTING, JobState.UPLOADING},
    JobState.CANCELLED: {JobState.GENERATING, JobState.DOWNLOADING, JobState.SUBMITTING, JobState.UPLOADING},
}


class IllegalTransitionError(RuntimeError):
    pass


@dataclass(frozen=True)
class TextureParams:
    """What the user asked for; the wire names live in ``api.models.TextureRequest``."""

    prompt: str
    negative_prompt: str = ""
    seed: int | None = None
    sd_version: str = "v2"
    front_rotation_offset: int = 0
    preview: bool = False
    preview_direction: str = "front"

    @property
    def kind(self) -> str:
        return f"preview ({self.preview_direction})" if self.preview else "full"


@dataclass
class TextureJob:
    params: TextureParams
    object_name: str = ""
    object_uid: str = ""
    scene_name: str = ""
    blend_path: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    state: JobState = JobState.EXPORTING
    model_asset_id: str | None = None
    mesh_fingerprint: str | None = None
    generation_id: str | None = None
    seed_used: int | None = None
    cost: int | None = None
    created_at: float = field(default_factory=time.time)
    submitted_at: float | None = None
    accepted_at: float | None = None
    completed_at: float | None = None
    state_since: float = field(default_factory=time.time)
    error: str = ""
    error_action: str = ""
    maps: dict[str, str] = field(default_factory=dict)
    material_name: str = ""
    uv_map: str = ""

    # -- state machine -------------------------------------------------------------------------------

    def can_move_to(self, new: JobState) -> bool:
        return new in (JobState.FAILED, JobState.CANCELLED) or new in _NEXT[self.state]

    def move_to(self, new: JobState, *, now: float | None = None) -> None:
        if new == self.state:
            return
        if not self.can_move_to(new):
            raise IllegalTransitionError(f"{self.state.value} -> {new.value}")
        self.state = new
        self.state_since = time.time() if now is None else now
        if new not in (JobState.FAILED, JobState.CANCELLED):
            self.error = ""
            self.error_action = ""

    def fail(self, message: str, action: str = "") -> None:
        self.move_to(JobState.FAILED)
        self.error = message
        self.error_action = action

    # -- what the panel shows ------------------------------------------------------------------------

    @property
    def resumable(self) -> bool:
        """Unfinished work that can go on without paying again (the generation already exists)."""
        if self.state in (JobState.GENERATING, JobState.DOWNLOADING, JobState.RECONCILING):
            return True
        return self.state in (JobState.FAILED, JobState.CANCELLED) and self.generation_id is not None and not self.maps

    def status_text(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        if self.state is JobState.GENERATING:
            return f"{self.state.label} {format_duration(now - (self.accepted_at or self.state_since))}"
        if self.state is JobState.FAILED and self.error:
            return f"Failed: {self.error}"
        return self.state.label

    def snapshot(self) -> TextureJob:
        """An independent copy to hand to another thread."""
        return replace(self, params=self.params, maps=dict(self.maps))

    # -- persistence -----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = self.state.value
        data["format"] = FORMAT
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TextureJob:
        params_data = data.get("params") or {}
        known_params = {f.name for f in fields(TextureParams)}
        params = TextureParams(**{k: v for k, v in params_data.items() if k in known_params})
        known = {f.name for f in fields(cls)} - {"params", "state"}
        job = cls(params=params, **{k: v for k, v in data.items() if k in known})
        try:
            job.state = JobState(data.get("state", JobState.FAILED.value))
        except ValueError:
            job.state = JobState.FAILED
            job.error = f"Unknown state {data.get('state')!r} in a saved job"
        job.maps = {str(k): str(v) for k, v in (job.maps or {}).items()}
        return job

    @classmethod
    def from_json(cls, text: str) -> TextureJob:
        return cls.from_dict(json.loads(text))


def format_duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
