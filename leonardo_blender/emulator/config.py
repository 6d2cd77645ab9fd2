"""Configuration of one local Leonardo API emulator instance (:class:`EmulatorConfig`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

DEMO_API_KEY = "5eed1e0a-d0b1-4e6d-9a3c-7e57de40c0de"
"""Well-known API key the emulator accepts when no key is configured (a valid UUID, never a real key)."""

ALL_MAP_TYPES: tuple[str, ...] = ("ALBEDO", "NORMAL", "ROUGHNESS", "DISPLACEMENT", "HDRP_MASK")
FULL_MAP_TYPES: tuple[str, ...] = ("ALBEDO", "NORMAL", "ROUGHNESS", "DISPLACEMENT")

CONCURRENCY_MODES: tuple[str, ...] = ("off", "reject", "queue")
HOSTILE_MODES: tuple[str, ...] = (
    "path-types",
    "path-ids",
    "huge-json",
    "wrong-types",
    "missing-albedo",
    "file-urls",
)

UUID_SHAPE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
"""What a Leonardo API key looks like (any UUID); other strings make the auth hook fail with a 500."""


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything that can be tuned on an :class:`~leonardo_blender.emulator.Emulator`.

    ``job_seconds`` is the minimum time a job stays ``PENDING``; rendering runs in the background from
    the moment the job is created, and a job whose rendering takes longer stays ``PENDING`` until it is
    done. ``upload_expiry_seconds`` is how long an upload slot (presigned POST) stays valid and
    ``url_expiry_seconds`` how long a signed CDN URL stays valid (rounded up to the next whole
    second, as the URL carries an integer ``Expires``). The rate limits are per minute.

    ``texture_api_withdrawn`` makes ``POST /generations-texture`` answer what the live service answered
    in May 2026: the routing 404 ``{"error": "Endpoint not found", "path": "$", "code": "not-found"}``
    (nothing charged, no job); every other texture and 3D-model route keeps working.

    ``concurrency_mode`` decides what happens when a user already has ``concurrency_slots`` paid jobs
    (texture and image generations) PENDING: ``"off"`` (no limit), ``"reject"`` (429, nothing charged,
    no job) or ``"queue"`` (accepted and charged; the job stays PENDING and its ``job_seconds`` timer
    starts only when a slot frees). See :mod:`.concurrency`.

    ``hostile`` is a comma-separated set of :data:`HOSTILE_MODES` that make the API answer nonsense on
    purpose, for the add-on's security tests (see :mod:`.hostile`); ``hostile_json_bytes`` is the
    size of the ``huge-json`` answers.
    """

    api_key: str | None = None
    job_seconds: float = 2.0
    texture_size: int = 1024
    credits: int = 10_000
    upload_expiry_seconds: float = 120.0
    url_expiry_seconds: float = 600.0
    include_hdrp_mask: bool = False
    preview_map_types: tuple[str, ...] = FULL_MAP_TYPES
    port: int = 0
    username: str = "emulator-user"
    concurrency_slots: int = 10
    rate_limit_per_route: int = 100
    rate_limit_total: int = 2000
    texture_api_withdrawn: bool = False
    concurrency_mode: str = "off"
    hostile: str = ""
    hostile_json_bytes: int = 16 * 1024 * 1024

    def __post_init__(self) -> None:
        if self.api_key is not None and not self.api_key:
            raise ValueError("api_key must be None (demo key) or a non-empty string")
        if self.job_seconds < 0:
            raise ValueError("job_seconds must be >= 0")
        if not 16 <= self.texture_size <= 8192:
            raise ValueError("texture_size must be between 16 and 8192 pixels")
        if self.credits < 0:
            raise ValueError("credits must be >= 0")
        if self.upload_expiry_seconds <= 0 or self.url_expiry_seconds <= 0:
            raise ValueError("expiry times must be > 0 seconds")
        if not self.preview_map_types:
            raise ValueError("preview_map_types must name at least one map type")
        unknown = [name for name in self.preview_map_types if name not in ALL_MAP_TYPES]
        if unknown:
            raise ValueError(f"unknown map types in preview_map_types: {unknown}")
        if not 0 <= self.port <= 65535:
            raise ValueError("port must be between 0 and 65535")
        if self.rate_limit_per_route < 1 or self.rate_limit_total < 1:
            raise ValueError("rate limits must be >= 1 request per minute")
        if self.concurrency_mode not in CONCURRENCY_MODES:
            raise ValueError(f"concurrency_mode must be one of {', '.join(CONCURRENCY_MODES)}")
        if self.concurrency_slots < 1:
            raise ValueError("concurrency_slots must be >= 1")
        unknown_hostile = sorted(self.hostile_modes - set(HOSTILE_MODES))
        if unknown_hostile:
            raise ValueError(f"unknown hostile modes {unknown_hostile}; expected some of {', '.join(HOSTILE_MODES)}")
        if self.hostile_json_bytes < 1024:
            raise ValueError("hostile_json_bytes must be >= 1024")

    @property
    def effective_api_key(self) -> str:
        """The key clients must send: the configured one, or :data:`DEMO_API_KEY`."""
        return self.api_key if self.api_key is not None else DEMO_API_KEY

    @property
    def hostile_modes(self) -> frozenset[str]:
        """The hostile modes switched on (``hostile`` split on commas, blanks ignored)."""
        return frozenset(part.strip() for part in self.hostile.split(",") if part.strip())

    @property
    def full_map_types(self) -> tuple[str, ...]:
        """Map types a full (non-preview) texture job produces."""
        return (*FULL_MAP_TYPES, "HDRP_MASK") if self.include_hdrp_mask else FULL_MAP_TYPES
