"""Typed results and requests of the Leonardo REST API (v1): account, uploads, model assets, textures.

Image generations, variations and the prompt helpers are in ``image_models.py``.

The wire format mixes casings (``modelAssetId`` beside ``front_rotation_offset``, ``negativePrompt``
beside ``model_asset_texture_images``); these dataclasses are the one place that knows it. Parsing is
lenient about extra keys and nullable values and strict about what we rely on: a missing id, or a
value of the wrong JSON type where we need it, raises ``UnexpectedResponseError`` naming the field
instead of leaking a ``KeyError``/``TypeError``/``OverflowError`` upward. Optional numbers outside a
believable range (a cost of 10**30 credits, a seed of ``1e999``) are treated as unknown.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .errors import UnexpectedResponseError
from .wire import as_object, field_object, opt_int, opt_list, opt_str, parse_fields, req_id, req_str, type_name

log = logging.getLogger(__name__)

FRONT_ROTATION_OFFSETS = (-90, 0, 90, 180)
SD_VERSIONS = ("v1_5", "v2")
PREVIEW_DIRECTIONS = ("front", "back", "left", "right")
SEED_MAX = 2147483637
#: The seeds the service may report (the spec allows up to 9999999998 for some models).
SEED_WIRE_MAX = 2**63 - 1
#: Credits beyond this for one job are not believable: treated as an unknown cost.
MAX_PLAUSIBLE_COST = 1_000_000
#: Account balances beyond this are not believable: treated as unknown (0).
MAX_PLAUSIBLE_BALANCE = 10**12
#: ``model_asset_texture_images[].type``: the spec's enum ``MODEL_ASSET_TEXTURE_TYPES``, exactly.
TEXTURE_MAP_TYPES = ("ALBEDO", "NORMAL", "ROUGHNESS", "DISPLACEMENT", "HDRP_MASK")


class JobStatus(StrEnum):
    PENDING = "PENDING"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"

    @classmethod
    def parse(cls, value: Any) -> JobStatus:
        """A status string; unknown strings are still running (the job timeout ends them).

        A status that is not a string at all (a number, null, a list) is a broken answer:
        ``UnexpectedResponseError``.
        """
        if not isinstance(value, str):
            raise UnexpectedResponseError(f"The job's 'status' is {type_name(value)}, not a string")
        try:
            return cls(value.strip().upper())
        except ValueError:
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
        details = as_object(body, "account answer").get("user_details")
        if not isinstance(details, list) or not details or not isinstance(details[0], Mapping):
            raise UnexpectedResponseError("The account answer has no user details")
        row = details[0]
        user = field_object(row, "user", "user details")

        def balance(key: str) -> int:
            return opt_int(row, key, minimum=0, maximum=MAX_PLAUSIBLE_BALANCE) or 0

        return cls(
            user_id=req_id(user, "id", "user"),
            username=opt_str(user, "username"),
            api_subscription_tokens=balance("apiSubscriptionTokens"),
            api_paid_tokens=balance("apiPaidTokens"),
            api_concurrency_slots=opt_int(row, "apiConcurrencySlots", minimum=0, maximum=100_000) or 0,
            subscription_tokens=balance("subscriptionTokens"),
            paid_tokens=balance("paidTokens"),
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
        job = field_object(body, envelope, "answer")
        raw_cost = job.get("cost")
        cost: Mapping[str, Any] = raw_cost if isinstance(raw_cost, Mapping) else {}
        return cls(
            id=req_id(job, id_key, envelope),
            api_credit_cost=opt_int(job, "apiCreditCost", minimum=0, maximum=MAX_PLAUSIBLE_COST),
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
        slot = field_object(body, "uploadModelAsset", "answer")
        return cls(
            id=req_id(slot, "modelId", "upload slot"),
            url=req_str(slot, "modelUrl", "upload slot"),
            fields=parse_fields(slot.get("modelFields")),
            key=opt_str(slot, "modelKey"),
        )

    @classmethod
    def from_init_image_upload(cls, body: Mapping[str, Any]) -> UploadSlot:
        slot = field_object(body, "uploadInitImage", "answer")
        return cls(
            id=req_id(slot, "id", "upload slot"),
            url=req_str(slot, "url", "upload slot"),
            fields=parse_fields(slot.get("fields")),
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
        row = as_object(row, "model asset")
        return cls(
            id=req_id(row, "id", "model asset"),
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
        row = as_object(row, "init image")
        return cls(
            id=req_id(row, "id", "init image"),
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
        """One map. ``type`` must be one of ``TEXTURE_MAP_TYPES`` (else ``UnexpectedResponseError``)."""
        row = as_object(row, "texture image")
        raw_type = row.get("type")
        map_type = raw_type.strip().upper() if isinstance(raw_type, str) else None
        if map_type not in TEXTURE_MAP_TYPES:
            raise UnexpectedResponseError(
                f"The texture map type is not one of {', '.join(TEXTURE_MAP_TYPES)}"
                + (f" ({raw_type[:40]!r})" if isinstance(raw_type, str) else f" ({type_name(raw_type)})")
            )
        ident = row.get("id")
        return cls(
            id=ident if isinstance(ident, str) and len(ident) <= 200 else "",
            type=map_type,
            url=req_str(row, "url", "texture image"),
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
    #: Map entries that were left out: an undocumented ``type``, a second map of the same type, or
    #: an entry that is not an object. Only the five documented types ever reach a file name.
    ignored_images: int = 0

    def image(self, map_type: str) -> TextureImage | None:
        return next((img for img in self.images if img.type == map_type.upper()), None)

    @classmethod
    def from_wire(cls, row: Mapping[str, Any]) -> TextureGeneration:
        """Unknown map types are IGNORED (logged and counted in ``ignored_images``), not fatal: the
        documented maps of such an answer are still usable, and a strange ``type`` never becomes a
        file name. A ``type`` that is missing or not a string is ignored the same way."""
        row = as_object(row, "texture generation")
        images: list[TextureImage] = []
        ignored = 0
        for entry in opt_list(row, "model_asset_texture_images", "texture generation"):
            try:
                image = TextureImage.from_wire(entry)
            except UnexpectedResponseError as exc:
                log.warning("Ignoring a texture map: %s", exc.message)
                ignored += 1
                continue
            if any(known.type == image.type for known in images):
                log.warning("Ignoring a second %s map in one generation", image.type)
                ignored += 1
                continue
            images.append(image)
        return cls(
            id=req_id(row, "id", "texture generation"),
            status=JobStatus.parse(row.get("status")),
            prompt=opt_str(row, "prompt"),
            negative_prompt=opt_str(row, "negativePrompt"),
            seed=opt_int(row, "seed", minimum=0, maximum=SEED_WIRE_MAX),
            created_at=opt_str(row, "createdAt"),
            images=tuple(images),
            ignored_images=ignored,
        )
