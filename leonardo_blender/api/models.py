"""Typed results and requests of the Leonardo REST API (v1).

The wire format mixes casings (``modelAssetId`` beside ``front_rotation_offset``, ``negativePrompt``
beside ``model_asset_texture_images``); these dataclasses are the one place that knows it. Parsing is
lenient about extra keys and nullable values and strict about what we rely on: a missing id raises
``UnexpectedResponseError`` instead of leaking a ``KeyError`` upward.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .errors import UnexpectedResponseError

TEXTURE_MAP_TYPES = ("ALBEDO", "NORMAL", "ROUGHNESS", "DISPLACEMENT", "HDRP_MASK")
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


def _require(data: Mapping[str, Any], key: str, what: str) -> Any:
    value = data.get(key) if isinstance(data, Mapping) else None
    if value is None:
        raise UnexpectedResponseError(f"The {what} in the service's answer has no '{key}'")
    return value


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else str(value)


def _opt_int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _parse_fields(raw: Any) -> dict[str, str]:
    """Presigned POST fields arrive as a JSON *string*; accept an object too."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise UnexpectedResponseError("The upload fields are not valid JSON") from exc
    if not isinstance(raw, Mapping):
        raise UnexpectedResponseError("The upload fields are not an object")
    return {str(k): str(v) for k, v in raw.items()}


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
            user_id=str(_require(user, "id", "user")),
            username=_opt_str(user, "username"),
            api_subscription_tokens=_opt_int(row, "apiSubscriptionTokens") or 0,
            api_paid_tokens=_opt_int(row, "apiPaidTokens") or 0,
            api_concurrency_slots=_opt_int(row, "apiConcurrencySlots") or 0,
            subscription_tokens=_opt_int(row, "subscriptionTokens") or 0,
            paid_tokens=_opt_int(row, "paidTokens") or 0,
            token_renewal_date=_opt_str(row, "tokenRenewalDate"),
            api_plan_token_renewal_date=_opt_str(row, "apiPlanTokenRenewalDate"),
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
            id=str(_require(job, id_key, envelope)),
            api_credit_cost=_opt_int(job, "apiCreditCost"),
            cost_amount=_opt_str(cost, "amount"),
            cost_unit=_opt_str(cost, "unit"),
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
            id=str(_require(slot, "modelId", "upload slot")),
            url=str(_require(slot, "modelUrl", "upload slot")),
            fields=_parse_fields(_require(slot, "modelFields", "upload slot")),
            key=_opt_str(slot, "modelKey"),
        )

    @classmethod
    def from_init_image_upload(cls, body: Mapping[str, Any]) -> UploadSlot:
        slot = body.get("uploadInitImage")
        if not isinstance(slot, Mapping):
            raise UnexpectedResponseError("The service's answer has no 'uploadInitImage'")
        return cls(
            id=str(_require(slot, "id", "upload slot")),
            url=str(_require(slot, "url", "upload slot")),
            fields=_parse_fields(_require(slot, "fields", "upload slot")),
            key=_opt_str(slot, "key"),
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
            id=str(_require(row, "id", "model asset")),
            name=_opt_str(row, "name"),
            mesh_url=_opt_str(row, "meshUrl"),
            created_at=_opt_str(row, "createdAt"),
            updated_at=_opt_str(row, "updatedAt"),
            user_id=_opt_str(row, "userId"),
        )


@dataclass(frozen=True)
class InitImage:
    id: str
    url: str | None
    created_at: str | None

    @classmethod
    def from_wire(cls, row: Mapping[str, Any]) -> InitImage:
        return cls(
            id=str(_require(row, "id", "init image")),
            url=_opt_str(row, "url"),
            created_at=_opt_str(row, "createdAt"),
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
            type=str(_require(row, "type", "texture image")).upper(),
            url=str(_require(row, "url", "texture image")),
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
            id=str(_require(row, "id", "texture generation")),
            status=JobStatus.parse(row.get("status")),
            prompt=_opt_str(row, "prompt"),
            negative_prompt=_opt_str(row, "negativePrompt"),
            seed=_opt_int(row, "seed"),
            created_at=_opt_str(row, "createdAt"),
            images=tuple(TextureImage.from_wire(i) for i in images if isinstance(i, Mapping)),
        )


# --- image generations and variations ---------------------------------------------------------------

#: Python name -> wire name for ``POST /generations`` (the spec's exact spelling).
IMAGE_REQUEST_WIRE_NAMES = {
    "prompt": "prompt",
    "negative_prompt": "negative_prompt",
    "model_id": "modelId",
    "sd_version": "sd_version",
    "width": "width",
    "height": "height",
    "num_images": "num_images",
    "num_inference_steps": "num_inference_steps",
    "guidance_scale": "guidance_scale",
    "seed": "seed",
    "scheduler": "scheduler",
    "preset_style": "presetStyle",
    "tiling": "tiling",
    "public": "public",
    "alchemy": "alchemy",
    "photo_real": "photoReal",
    "init_image_id": "init_image_id",
    "init_generation_image_id": "init_generation_image_id",
    "init_strength": "init_strength",
    "transparency": "transparency",
}


@dataclass(frozen=True)
class ImageGenerationRequest:
    """``POST /generations``. ``tiling=True`` asks for a seamless, tileable image."""

    prompt: str
    negative_prompt: str | None = None
    model_id: str | None = None
    sd_version: str | None = None
    width: int | None = None
    height: int | None = None
    num_images: int | None = None
    num_inference_steps: int | None = None
    guidance_scale: float | None = None
    seed: int | None = None
    scheduler: str | None = None
    preset_style: str | None = None
    tiling: bool | None = None
    public: bool | None = None
    alchemy: bool | None = None
    photo_real: bool | None = None
    init_image_id: str | None = None
    init_generation_image_id: str | None = None
    init_strength: float | None = None
    transparency: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        if not self.prompt or not self.prompt.strip():
            raise ValueError("The prompt is empty")
        for dim in (self.width, self.height):
            if dim is not None and (dim % 8 or not 32 <= dim <= 1536):
                raise ValueError("Width and height must be multiples of 8 between 32 and 1536")
        body = {
            wire: getattr(self, name)
            for name, wire in IMAGE_REQUEST_WIRE_NAMES.items()
            if getattr(self, name) is not None
        }
        body.update(self.extra)
        return body


@dataclass(frozen=True)
class Variation:
    id: str
    status: JobStatus
    transform_type: str | None
    url: str | None
    created_at: str | None

    @classmethod
    def from_wire(cls, row: Mapping[str, Any]) -> Variation:
        return cls(
            id=str(_require(row, "id", "variation")),
            status=JobStatus.parse(row.get("status")),
            transform_type=_opt_str(row, "transformType"),
            url=_opt_str(row, "url"),
            created_at=_opt_str(row, "createdAt"),
        )


@dataclass(frozen=True)
class GeneratedImage:
    id: str
    url: str
    nsfw: bool = False
    variations: tuple[Variation, ...] = ()

    @classmethod
    def from_wire(cls, row: Mapping[str, Any]) -> GeneratedImage:
        variations = row.get("generated_image_variation_generics") or []
        return cls(
            id=str(_require(row, "id", "generated image")),
            url=str(_require(row, "url", "generated image")),
            nsfw=bool(row.get("nsfw") or False),
            variations=tuple(Variation.from_wire(v) for v in variations if isinstance(v, Mapping)),
        )


@dataclass(frozen=True)
class ImageGeneration:
    id: str
    status: JobStatus
    prompt: str | None
    negative_prompt: str | None
    model_id: str | None
    width: int | None
    height: int | None
    seed: int | None
    created_at: str | None
    images: tuple[GeneratedImage, ...] = ()

    @classmethod
    def from_wire(cls, row: Mapping[str, Any]) -> ImageGeneration:
        images = row.get("generated_images") or []
        return cls(
            id=str(_require(row, "id", "generation")),
            status=JobStatus.parse(row.get("status")),
            prompt=_opt_str(row, "prompt"),
            negative_prompt=_opt_str(row, "negativePrompt"),
            model_id=_opt_str(row, "modelId"),
            width=_opt_int(row, "imageWidth"),
            height=_opt_int(row, "imageHeight"),
            seed=_opt_int(row, "seed"),
            created_at=_opt_str(row, "createdAt"),
            images=tuple(GeneratedImage.from_wire(i) for i in images if isinstance(i, Mapping)),
        )


@dataclass(frozen=True)
class UniversalUpscaleRequest:
    """``POST /variations/universal-upscaler``: exactly one of the three source ids."""

    generated_image_id: str | None = None
    init_image_id: str | None = None
    variation_id: str | None = None
    prompt: str | None = None
    creativity_strength: int | None = None
    upscale_multiplier: float | None = None
    upscaler_style: str | None = None

    def to_wire(self) -> dict[str, Any]:
        sources = [s for s in (self.generated_image_id, self.init_image_id, self.variation_id) if s]
        if len(sources) != 1:
            raise ValueError("Give exactly one of generated_image_id, init_image_id, variation_id")
        names = {
            "generated_image_id": "generatedImageId",
            "init_image_id": "initImageId",
            "variation_id": "variationId",
            "prompt": "prompt",
            "creativity_strength": "creativityStrength",
            "upscale_multiplier": "upscaleMultiplier",
            "upscaler_style": "upscalerStyle",
        }
        return {wire: getattr(self, name) for name, wire in names.items() if getattr(self, name) is not None}


# --- helpers ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PromptResult:
    prompt: str
    api_credit_cost: int | None

    @classmethod
    def from_wire(cls, body: Mapping[str, Any]) -> PromptResult:
        row = body.get("promptGeneration")
        if not isinstance(row, Mapping):
            raise UnexpectedResponseError("The service's answer has no 'promptGeneration'")
        return cls(prompt=str(_require(row, "prompt", "prompt")), api_credit_cost=_opt_int(row, "apiCreditCost"))


@dataclass(frozen=True)
class PlatformModel:
    id: str
    name: str | None
    description: str | None
    featured: bool
    nsfw: bool
    preview_url: str | None

    @classmethod
    def from_wire(cls, row: Mapping[str, Any]) -> PlatformModel:
        raw_image = row.get("generated_image")
        image: Mapping[str, Any] = raw_image if isinstance(raw_image, Mapping) else {}
        return cls(
            id=str(_require(row, "id", "platform model")),
            name=_opt_str(row, "name"),
            description=_opt_str(row, "description"),
            featured=bool(row.get("featured") or False),
            nsfw=bool(row.get("nsfw") or False),
            preview_url=_opt_str(image, "url"),
        )
