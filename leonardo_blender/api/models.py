"""Typed results and requests of the Leonardo REST API (v1): account, uploads, model assets, textures.

Image generations, variations and the prompt helpers are in ``image_models.py``.

The wire format mixes casings (``modelAssetId`` beside ``front_rotation_offset``, ``negativePrompt``
beside ``model_asset_texture_images``); these dataclasses are the one place that knows it. Parsing is
lenient about extra keys and nullable values and strict about what we rely on: a missing id raises
``UnexpectedResponseError`` instead of leaking a ``KeyError`` upward.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .errors import UnexpectedResponseError
from .wire import opt_int, opt_str, parse_fields, require

FRONT_ROTATION_OFFSETS = (-90, 0, 90, 180)
SD_VERSIONS = ("v1_5", "v2")
PREVIEW_DIRECTIONS = ("front", "back", "left", "right")
SEED_MAX = 2147483637


class JobStatus(StrEnum):
    PENDING = "PENDING"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"

    @classmethod
    def parse(cls, value: Any) -> JobStatus:
        try:
            return cls(str(value).upper())
        except ValueError:
            # Unknown states are treated as still running; the job timeout ends them.
            return cls.PENDING

    @property
    def finished(self) -> bool:
        return self is not JobStatus.PENDING


# --- account ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserInfo:
    user_id: str
    username: str | None
    api_subscription_tokens: int
    api_paid_tokens: int
    api_concurrency_slots: int
    subscription_tokens: int = 0
    paid_tokens: int = 0
    token_renewal_date: str | None = None
    api_plan_token_renewal_date: str | None = None

    @property
    def api_credits(self) -> int:
        """Credits available to API calls (subscription plus paid top-ups)."""
        return self.api_subscription_tokens + self.api_paid_tokens

    @classmethod
    def from_wire(cls, body: Mapping[str, Any]) -> UserInfo:
        details = body.get("user_details")
        if not isinstance(details, list) or not details or not isinstance(details[0], Mapping):
            raise UnexpectedResponseError("The account answer has no user details")
        row = details[0]
        user = row.get("user") or {}
        return cls(
            user_id=str(require(user, "id", "user")),
            username=opt_str(user, "username"),
            api_subscription_tokens=opt_int(row, "apiSubscriptionTokens") or 0,
            api_paid_tokens=opt_int(row, "apiPaidTokens") or 0,
            api_concurrency_slots=opt_int(row, "apiConcurrencySlots") or 0,
            subscription_tokens=opt_int(row, "subscriptionTokens") or 0,
            paid_tokens=opt_int(row, "paidTokens") or 0,
            token_renewal_date=opt_str(row, "tokenRenewalDate"),
            api_plan_token_renewal_date=opt_str(row, "apiPlanTokenRenewalDate"),
        )


@dataclass(frozen=True)
class CreatedJob:
    """The acknowledgement of a paid create: the job id and what it costs."""

    id: str
    api_credit_cost: int | None = None
    cost_amount: str | None = None
    cost_unit: str | None = None

    @classmethod
    def from_wire(cls, body: Mapping[str, Any], envelope: str, id_key: str = "id") -> CreatedJob:
        job = body.get(envelope)
        if not isinstance(job, Mapping):
            raise UnexpectedResponseError(f"The service's answer has no '{envelope}'")
        raw_cost = job.get("cost")
        cost: Mapping[str, Any] = raw_cost if isinstance(raw_cost, Mapping) else {}
        return cls(
            id=str(require(job, id_key, envelope)),
            api_credit_cost=opt_int(job, "apiCreditCost"),
            cost_amount=opt_str(cost, "amount"),
            cost_unit=opt_str(cost, "unit"),
        )


# --- uploads ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadSlot:
    """A presigned POST: send every field unchanged, then the file, to ``url`` without auth."""

    id: str
    url: str
    fields: dict[str, str]
    key: str | None = None

    def __repr__(self) -> str:  # the fields hold a signed policy; keep them out of logs
        return f"UploadSlot(id={self.id!r}, url={self.url.split('?')[0]!r}, fields=<{len(self.fields)}>)"

    @classmethod
    def from_model_upload(cls, body: Mapping[str, Any]) -> UploadSlot:
        slot = body.get("uploadModelAsset")
        if not isinstance(slot, Mapping):
            raise UnexpectedResponseError("The service's answer has no 'uploadModelAsset'")
        return cls(
            id=str(require(slot, "modelId", "upload slot")),
            url=str(require(slot, "modelUrl", "upload slot")),
            fields=parse_fields(require(slot, "modelFields", "upload slot")),
            key=opt_str(slot, "modelKey"),
        )

    @classmethod
    def from_init_image_upload(cls, body: Mapping[str, Any]) -> UploadSlot:
        slot = body.get("uploadInitImage")
        if not isinstance(slot, Mapping):
            raise UnexpectedResponseError("The service's answer has no 'uploadInitImage'")
        return cls(
            id=str(require(slot, "id", "upload slot")),
            url=str(require(slot, "url", "upload slot")),
            fields=parse_fields(require(slot, "fields", "upload slot")),
            key=opt_str(slot, "key"),
        )


@dataclass(frozen=True)
class ModelAsset:
    id: str
    name: str | None
    mesh_url: str | None
    created_at: str | None
    updated_at: str | None
    user_id: str | None

    @classmethod
    def from_wire(cls, row: Mapping[str, Any]) -> ModelAsset:
        return cls(
            id=str(require(row, "id", "model asset")),
            name=opt_str(row, "name"),
            mesh_url=opt_str(row, "meshUrl"),
            created_at=opt_str(row, "createdAt"),
            updated_at=opt_str(row, "updatedAt"),
            user_id=opt_str(row, "userId"),
        )


@dataclass(frozen=True)
class InitImage:
    id: str
    url: str | None
    created_at: str | None

    @classmethod
    def from_wire(cls, row: Mapping[str, Any]) -> InitImage:
        return cls(
            id=str(require(row, "id", "init image")),
            url=opt_str(row, "url"),
            created_at=opt_str(row, "createdAt"),
        )


# --- texture generations -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TextureRequest:
    """``POST /generations-texture``. Optional fields left ``None`` are not sent at all."""

    prompt: str
    model_asset_id: str
    negative_prompt: str | None = None
    front_rotation_offset: int | None = None
    sd_version: str | None = None
    preview: bool | None = None
    preview_direction: str | None = None
    seed: int | None = None

    def validate(self) -> None:
        """Refuse locally what the service would refuse (or silently misread)."""
        if not self.prompt or not self.prompt.strip():
            raise ValueError("The prompt is empty")
        if len(self.prompt) > 1500:
            raise ValueError("The prompt is longer than 1500 characters")
        if not self.model_asset_id:
            raise ValueError("No model asset id")
        if self.front_rotation_offset is not None and self.front_rotation_offset not in FRONT_ROTATION_OFFSETS:
            raise ValueError(f"front_rotation_offset must be one of {FRONT_ROTATION_OFFSETS}")
        if self.sd_version is not None and self.sd_version not in SD_VERSIONS:
            raise ValueError(f"sd_version must be one of {SD_VERSIONS}")
        if self.preview_direction is not None and self.preview_direction not in PREVIEW_DIRECTIONS:
            raise ValueError(f"preview_direction must be one of {PREVIEW_DIRECTIONS}")
        if self.seed is not None and not (0 <= self.seed <= SEED_MAX):
            raise ValueError(f"seed must be between 0 and {SEED_MAX}")

    def to_wire(self) -> dict[str, Any]:
        self.validate()
        body: dict[str, Any] = {"prompt": self.prompt, "modelAssetId": self.model_asset_id}
        if self.negative_prompt:
            body["negative_prompt"] = self.negative_prompt
        if self.front_rotation_offset is not None:
            body["front_rotation_offset"] = int(self.front_rotation_offset)
        if self.sd_version is not None:
            body["sd_version"] = self.sd_version
        if self.preview is not None:
            body["preview"] = bool(self.preview)
        if self.preview_direction is not None:
            body["preview_direction"] = self.preview_direction
        if self.seed is not None:
            body["seed"] = int(self.seed)
        return body


@dataclass(frozen=True)
class TextureImage:
    id: str
    type: str
    url: str

    @classmethod
    def from_wire(cls, row: Mapping[str, Any]) -> TextureImage:
        return cls(
            id=str(row.get("id") or ""),
            type=str(require(row, "type", "texture image")).upper(),
            url=str(require(row, "url", "texture image")),
        )


@dataclass(frozen=True)
class TextureGeneration:
    id: str
    status: JobStatus
    prompt: str | None
    negative_prompt: str | None
    seed: int | None
    created_at: str | None
    images: tuple[TextureImage, ...] = ()

    def image(self, map_type: str) -> TextureImage | None:
        return next((img for img in self.images if img.type == map_type.upper()), None)

    @classmethod
    def from_wire(cls, row: Mapping[str, Any]) -> TextureGeneration:
        images = row.get("model_asset_texture_images") or []
        return cls(
            id=str(require(row, "id", "texture generation")),
            status=JobStatus.parse(row.get("status")),
            prompt=opt_str(row, "prompt"),
            negative_prompt=opt_str(row, "negativePrompt"),
            seed=opt_int(row, "seed"),
            created_at=opt_str(row, "createdAt"),
            images=tuple(TextureImage.from_wire(i) for i in images if isinstance(i, Mapping)),
        )
