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


#: ``TextureParams.engine``: which service textures the mesh.
ENGINE_AUTO = "AUTO"  # the texture endpoint, falling back to projection when the service no longer has it
ENGINE_TEXTURE_API = "TEXTURE_API"  # POST /generations-texture (Leonardo's 3D texture generation)
ENGINE_PROJECTION = "PROJECTION"  # depth-guided image generation, projected and baked into the mesh's UVs
ENGINE_SEAMLESS = "SEAMLESS"  # one tileable image (``tiling: true``) and PBR maps derived from it
ENGINES = (ENGINE_AUTO, ENGINE_TEXTURE_API, ENGINE_PROJECTION)


class JobState(enum.StrEnum):
    EXPORTING = "EXPORTING"  # main thread writes the OBJ / captures the mesh
    UPLOADING = "UPLOADING"  # worker uploads the mesh (texture API) or the depth maps (projection)
    QUEUED = "QUEUED"  # waiting for one of the account's concurrency slots (nothing sent, nothing paid)
    SUBMITTING = "SUBMITTING"  # worker asks for the generation (paid)
    RECONCILING = "RECONCILING"  # the create may have reached the service; looking for the job
    GENERATING = "GENERATING"  # accepted by the service; polling
    DOWNLOADING = "DOWNLOADING"  # COMPLETE; fetching the maps (or the views' images)
    BAKING = "BAKING"  # projection: projecting the views into the mesh's UVs and deriving the maps
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
    JobState.QUEUED: "Queued",
    JobState.SUBMITTING: "Submitting",
    JobState.RECONCILING: "Confirming with the service",
    JobState.GENERATING: "Generating",
    JobState.DOWNLOADING: "Downloading maps",
    JobState.BAKING: "Baking views into the UVs",
    JobState.DOWNLOADED: "Ready to apply",
    JobState.APPLIED: "Applied",
    JobState.FAILED: "Failed",
    JobState.CANCELLED: "Cancelled",
}

_PAID = {
    JobState.RECONCILING,
    JobState.GENERATING,
    JobState.DOWNLOADING,
    JobState.BAKING,
    JobState.DOWNLOADED,
    JobState.APPLIED,
}

_NEXT: dict[JobState, set[JobState]] = {
    JobState.EXPORTING: {JobState.UPLOADING, JobState.SUBMITTING, JobState.QUEUED},
    JobState.UPLOADING: {JobState.SUBMITTING, JobState.QUEUED},
    JobState.QUEUED: {JobState.SUBMITTING, JobState.UPLOADING},
    JobState.SUBMITTING: {JobState.GENERATING, JobState.RECONCILING, JobState.UPLOADING, JobState.QUEUED},
    JobState.RECONCILING: {JobState.GENERATING},
    JobState.GENERATING: {JobState.DOWNLOADING, JobState.SUBMITTING, JobState.BAKING},
    JobState.DOWNLOADING: {JobState.DOWNLOADED, JobState.BAKING, JobState.GENERATING},
    JobState.BAKING: {JobState.DOWNLOADED},
    JobState.DOWNLOADED: {JobState.APPLIED, JobState.DOWNLOADING},
    JobState.APPLIED: {JobState.DOWNLOADED, JobState.DOWNLOADING},
    JobState.FAILED: {
        JobState.QUEUED,
        JobState.GENERATING,
        JobState.DOWNLOADING,
        JobState.SUBMITTING,
        JobState.UPLOADING,
        JobState.BAKING,
    },
    JobState.CANCELLED: {
        JobState.QUEUED,
        JobState.GENERATING,
        JobState.DOWNLOADING,
        JobState.SUBMITTING,
        JobState.UPLOADING,
        JobState.BAKING,
    },
}


class IllegalTransitionError(RuntimeError):
    pass


@dataclass(frozen=True)
class SeamlessParams:
    """A seamless tileable material: what ``POST /generations`` gets (with ``tiling: true``) and how the
    material is made from the chosen candidate."""

    width: int = 1024
    height: int = 1024
    num_images: int = 4
    guidance_scale: int | None = None
    num_inference_steps: int | None = None
    scheduler: str | None = None
    preset_style: str | None = None
    #: Image-to-image: a local image file uploaded as the init image, and how strongly it guides.
    init_image_path: str = ""
    init_strength: float = 0.5
    #: The derived maps: normal strength; the material: texture scale and UV or box projection.
    normal_strength: float = 1.0
    scale: float = 1.0
    projection: str = "UV"
    #: The init image's id once the worker uploaded ``init_image_path`` (``POST /init-image``).
    init_image_id: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SeamlessParams:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class Candidate:
    """One generated image of a seamless job (or its upscaled / background-free variation)."""

    image_id: str
    url: str = ""
    path: str = ""
    #: Set when this image replaced another: "UPSCALE", "UNIVERSAL_UPSCALER", "NOBG"...
    transform: str = ""
    variation_id: str = ""
    #: A variation: the candidate it is made from, its request's options (universal upscaler style,
    #: creativity, multiplier), and where it stands: "REQUESTED" (not sent), "SUBMITTING" (sent, no
    #: answer recorded), "GENERATING" (``variation_id`` known), "DONE", "FAILED" ("" for generated images).
    source: int = -1
    options: dict[str, Any] = field(default_factory=dict)
    status: str = ""
    submitted_at: float | None = None
    accepted_at: float | None = None
    cost: int | None = None
    error: str = ""
    #: The downloaded image's real size (alchemy and upscalers serve other sizes than asked).
    width: int = 0
    height: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Candidate:
        known = {f.name for f in fields(cls)}
        candidate = cls(**{k: v for k, v in data.items() if k in known})
        candidate.options = dict(candidate.options) if isinstance(candidate.options, dict) else {}
        return candidate


@dataclass(frozen=True)
class TextureParams:
    """What the user asked for; the wire names live in ``api.models.TextureRequest`` and
    ``api.image_models.ImageGenerationRequest``."""

    prompt: str
    negative_prompt: str = ""
    seed: int | None = None
    sd_version: str = "v2"
    front_rotation_offset: int = 0
    preview: bool = False
    preview_direction: str = "front"
    engine: str = ENGINE_AUTO
    #: Projection engine: the image model ("" = the default SDXL model), the size of each generated
    #: view (multiple of 8), the size of the baked maps, and whether the first view guides the others'
    #: style (Style Reference, SDXL only).
    image_model_id: str = ""
    generation_size: int = 1024
    bake_size: int = 2048
    style_reference: bool = True
    #: Seamless tileable materials (engine SEAMLESS); None for the mesh engines.
    seamless: SeamlessParams | None = None

    @property
    def kind(self) -> str:
        if self.engine == ENGINE_SEAMLESS:
            return "seamless"
        return f"preview ({self.preview_direction})" if self.preview else "full"


class ViewState(enum.StrEnum):
    """Where one view of a projection job stands. Its paid create is recorded the moment it is accepted."""

    PLANNED = "PLANNED"  # depth map not uploaded yet
    UPLOADED = "UPLOADED"  # depth map uploaded as an init image
    SUBMITTING = "SUBMITTING"  # the paid create was sent; its answer is not recorded yet
    GENERATING = "GENERATING"  # accepted (``generation_id`` known); polling
    READY = "READY"  # COMPLETE on the service (``image_id`` and ``image_url`` known)
    DOWNLOADED = "DOWNLOADED"  # the image is on disk (``image_path``)
    FAILED = "FAILED"  # the service failed this view; the bake goes on without it

    @property
    def paid(self) -> bool:
        return self in (ViewState.GENERATING, ViewState.READY, ViewState.DOWNLOADED)


@dataclass
class ViewStep:
    """One view of a projection job: a depth map uploaded, one paid image generation, one image."""

    name: str
    spec: dict[str, Any] = field(default_factory=dict)  # ``core.projection.ViewSpec.to_dict()``
    state: ViewState = ViewState.PLANNED
    init_image_id: str | None = None
    prompt: str = ""
    generation_id: str | None = None
    image_id: str | None = None
    image_url: str = ""
    image_path: str = ""
    cost: int | None = None
    submitted_at: float | None = None
    accepted_at: float | None = None
    error: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ViewStep:
        known = {f.name for f in fields(cls)} - {"state"}
        step = cls(**{k: v for k, v in data.items() if k in known})
        try:
            step.state = ViewState(data.get("state", ViewState.PLANNED.value))
        except ValueError:
            step.state = ViewState.FAILED
            step.error = f"Unknown view state {data.get('state')!r}"
        step.spec = dict(step.spec or {})
        return step


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
    #: Jobs started by one press of the button (one per selected object) share a batch.
    batch_id: str = ""
    #: The engine that actually runs the job ("" until decided; AUTO resolves to one of the others).
    engine_used: str = ""
    #: A plain-words note for the user, e.g. why AUTO fell back to projection.
    note: str = ""
    #: Projection engine: one step per view, in order.
    views: list[ViewStep] = field(default_factory=list)
    #: The service itself failed the generation: resuming would only find the failure again.
    service_failed: bool = False
    #: The last paid request was certainly refused (rate limit, credits, a connection never made):
    #: nothing was charged, and resuming sends it again.
    retry_free: bool = False
    #: Seamless jobs: the generated candidates, the one in use, and the objects the material goes on.
    candidates: list[Candidate] = field(default_factory=list)
    chosen: int = 0
    target_objects: list[str] = field(default_factory=list)

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
    def projection(self) -> bool:
        return self.engine_used == ENGINE_PROJECTION

    @property
    def paid_views(self) -> list[ViewStep]:
        return [view for view in self.views if view.generation_id]

    @property
    def has_paid_work(self) -> bool:
        """A generation exists on the service for this job (or one of its views)."""
        return self.generation_id is not None or bool(self.paid_views)

    @property
    def resumable(self) -> bool:
        """Unfinished work that can go on without paying again (the generation already exists)."""
        if self.state in (JobState.GENERATING, JobState.DOWNLOADING, JobState.RECONCILING, JobState.BAKING):
            return True
        return self.state in (JobState.FAILED, JobState.CANCELLED) and self.has_paid_work and not self.maps

    def view_progress(self) -> tuple[int, int]:
        """(views whose image is ready or downloaded, views in all)."""
        done = sum(1 for v in self.views if v.state in (ViewState.READY, ViewState.DOWNLOADED))
        return done, len(self.views)

    def status_text(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        if self.state is JobState.GENERATING:
            elapsed = format_duration(now - (self.accepted_at or self.state_since))
            if self.views:
                done, total = self.view_progress()
                current = min(total, done + 1)
                return f"View {current}/{total}: generating {elapsed}"
            return f"{self.state.label} {elapsed}"
        if self.state is JobState.FAILED and self.error:
            return f"Failed: {self.error}"
        if self.state is JobState.UPLOADING and self.projection:
            return "Uploading depth maps"
        if self.state is JobState.DOWNLOADING and self.views:
            return "Downloading views"
        return self.state.label

    def snapshot(self) -> TextureJob:
        """An independent copy to hand to another thread."""
        return replace(
            self,
            params=self.params,
            maps=dict(self.maps),
            views=[replace(view, spec=dict(view.spec)) for view in self.views],
            candidates=[replace(candidate) for candidate in self.candidates],
            target_objects=list(self.target_objects),
        )

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
        params_data = dict(data.get("params") or {})
        seamless = params_data.get("seamless")
        params_data["seamless"] = SeamlessParams.from_dict(seamless) if isinstance(seamless, dict) else None
        known_params = {f.name for f in fields(TextureParams)}
        params = TextureParams(**{k: v for k, v in params_data.items() if k in known_params})
        known = {f.name for f in fields(cls)} - {"params", "state", "views", "candidates"}
        job = cls(params=params, **{k: v for k, v in data.items() if k in known})
        job.views = [ViewStep.from_dict(v) for v in (data.get("views") or []) if isinstance(v, dict)]
        job.candidates = [Candidate.from_dict(c) for c in (data.get("candidates") or []) if isinstance(c, dict)]
        job.target_objects = [str(name) for name in (job.target_objects or [])]
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
