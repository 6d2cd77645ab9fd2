"""In-memory data of one emulator: model assets, jobs, images, upload slots, stored files and credits.

Everything is guarded by the single re-entrant ``State.lock``; route handlers and job threads take it
for every read-modify-write. Jobs compute their status from the clock (see :class:`Job`), so nothing has
to flip them from ``PENDING`` at the right moment.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .http.errors import unexpected


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """Hasura ``timestamp`` text: UTC, millisecond precision, no offset (``2024-05-01T12:34:56.789``)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")


QUEUED = math.inf
"""``Job.ready_at`` of a job waiting for a concurrency slot (see :mod:`.concurrency`)."""


@dataclass
class Job:
    """Timing of a background job: ``PENDING`` until ``ready_at`` (monotonic) and the work is done.

    ``ready_at`` is :data:`QUEUED` while the job waits for a concurrency slot. ``done_at`` is when the
    work ended (rendered or failed) and ``retired_at`` when the job's record was deleted; together they
    say when the job stopped holding a concurrency slot (:attr:`finished_at`).
    """

    ready_at: float
    fail: bool = False
    rendered: bool = False
    error: str | None = None
    created_at: float = field(default_factory=time.monotonic)
    done_at: float | None = None
    retired_at: float | None = None

    @property
    def status(self) -> str:
        if time.monotonic() < self.ready_at:
            return "PENDING"
        if self.fail:
            return "FAILED"
        return "COMPLETE" if self.rendered else "PENDING"

    @property
    def queued(self) -> bool:
        return self.ready_at == QUEUED

    @property
    def finished_at(self) -> float | None:
        """Monotonic time the job stopped being PENDING (or was deleted); None while that is unknown."""
        if self.retired_at is not None:
            return self.retired_at
        if self.done_at is None or self.queued:
            return None
        return max(self.ready_at, self.done_at)

    def mark_rendered(self) -> None:
        self.rendered = True
        self.done_at = time.monotonic()

    def mark_failed(self, message: str | None = None) -> None:
        self.fail = True
        self.error = message
        self.done_at = time.monotonic()

    def retire(self) -> None:
        """The record was deleted: the job no longer holds (or waits for) a concurrency slot."""
        if self.retired_at is None:
            self.retired_at = time.monotonic()


@dataclass
class ModelAsset:
    """A 3D model asset; it exists for the API only once its OBJ upload succeeded (``uploaded``)."""

    id: str
    user_id: str
    name: str | None
    key: str
    created_at: datetime
    updated_at: datetime
    seq: int
    uploaded: bool = False
    mesh: Any = None  # ObjMesh once uploaded


@dataclass
class TextureImage:
    id: str
    type: str
    key: str


@dataclass
class TextureGeneration:
    id: str
    user_id: str
    model_asset_id: str
    prompt: str
    negative_prompt: str | None
    seed: int
    front_rotation_offset: int
    sd_version: str
    preview: bool
    preview_direction: str
    api_credit_cost: int
    created_at: datetime
    seq: int
    job: Job
    images: list[TextureImage] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.job.status


@dataclass
class GeneratedImage:
    id: str
    generation_id: str
    index: int
    key: str


@dataclass
class Generation:
    """An image generation; ``params`` keeps the validated request for the GET response.

    ``width``/``height`` are the requested size (echoed as ``imageWidth``/``imageHeight``);
    ``served_width``/``served_height`` the size of the images actually served (1.5x with alchemy).
    ``depth_image`` holds the bytes of the Depth-to-Image controlnet's image, taken at create time.
    """

    id: str
    user_id: str
    prompt: str
    params: dict[str, Any]
    model_id: str
    sd_version: str
    width: int
    height: int
    served_width: int
    served_height: int
    num_images: int
    seed: int
    api_credit_cost: int
    created_at: datetime
    seq: int
    job: Job
    images: list[GeneratedImage] = field(default_factory=list)
    depth_image: bytes | None = None

    @property
    def status(self) -> str:
        return self.job.status


@dataclass
class InitImage:
    """An uploaded init image; like model assets it exists for the API only once ``uploaded``."""

    id: str
    user_id: str
    extension: str
    key: str
    created_at: datetime
    seq: int
    uploaded: bool = False


@dataclass
class Variation:
    """An upscale / unzoom / background-removal job on a generated image, variation or init image."""

    id: str
    user_id: str
    transform_type: str  # UPSCALE | UNZOOM | NOBG
    source_id: str  # generated image, variation or init image the job works on
    source_key: str
    key: str
    factor: float
    api_credit_cost: int
    created_at: datetime
    seq: int
    job: Job

    @property
    def status(self) -> str:
        return self.job.status


@dataclass
class UploadSlot:
    """One presigned POST: which object it creates and until when (wall clock) it may be used."""

    key: str
    bucket: str
    kind: str  # "model" | "init-image"
    target_id: str
    expires_at: float


@dataclass
class Blob:
    data: bytes
    content_type: str
    last_modified: datetime = field(default_factory=utc_now)


class State:
    """All mutable data of one emulator, behind one lock."""

    def __init__(self, credits: int) -> None:
        self.lock = threading.RLock()
        self.credits = credits
        self.model_assets: dict[str, ModelAsset] = {}
        self.texture_generations: dict[str, TextureGeneration] = {}
        self.generations: dict[str, Generation] = {}
        self.generated_images: dict[str, GeneratedImage] = {}
        self.init_images: dict[str, InitImage] = {}
        self.variations: dict[str, Variation] = {}
        self.upload_slots: dict[str, UploadSlot] = {}
        self.blobs: dict[str, Blob] = {}
        self.uploads_received = 0
        self.texture_jobs_created = 0
        self.image_generations_created = 0
        self._seq = itertools.count(1)

    def next_seq(self) -> int:
        return next(self._seq)

    def charge(self, amount: int, user_id: str) -> None:
        """Take ``amount`` credits or raise the API's "not enough api tokens" error (nothing is taken)."""
        with self.lock:
            if amount > self.credits:
                raise unexpected(f"not enough api tokens userId: {user_id}")
            self.credits -= amount

    def delete_blobs(self, keys: list[str]) -> None:
        with self.lock:
            for key in keys:
                self.blobs.pop(key, None)


def page(items: list[Any], offset: int | None, limit: int | None) -> list[Any]:
    """Newest first (by ``seq``), then ``offset``/``limit`` (defaults 0/10)."""
    ordered = sorted(items, key=lambda item: item.seq, reverse=True)
    start = 0 if offset is None else offset
    count = 10 if limit is None else limit
    if start < 0 or count < 0:
        raise unexpected("offset and limit must not be negative")
    return ordered[start : start + count]
