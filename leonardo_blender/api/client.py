"""The Leonardo REST API v1 as typed Python calls (no ``bpy``).

One ``LeonardoClient`` per worker task: it owns an authenticated session to the API host and a
credential-free session for storage and downloads, plus a cancel event that interrupts waits.

Every endpoint group the add-on uses is covered: 3D model assets (with the presigned upload),
texture generations, the account, the pricing calculator, image generations (``tiling`` for
seamless textures), init images, variations, prompt helpers and platform models. List calls walk
every page. Single-row lookups raise ``NotFoundError`` when the API answers ``null``.

Every id that goes into a request path is validated first (``urls.path_id``: UUID-shaped, else
``InvalidIdError`` and nothing is sent). Every answer is parsed by the strict readers of ``wire.py``:
whatever the service sends ends in a sane value or a ``LeonardoError``. A paid create whose 2xx answer
cannot be parsed raises with ``outcome_unknown=True`` (it was probably carried out; reconcile).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from . import errors
from .files import DEFAULT_MAX_DOWNLOAD_BYTES, FileTransfer
from .image_models import (
    ImageGeneration,
    ImageGenerationRequest,
    PlatformModel,
    PromptResult,
    UniversalUpscaleRequest,
    Variation,
)
from .models import (
    MAX_PLAUSIBLE_COST,
    CreatedJob,
    InitImage,
    ModelAsset,
    TextureGeneration,
    TextureRequest,
    UploadSlot,
    UserInfo,
)
from .transport import DEFAULT_BASE_URL, MAX_JSON_BYTES, Retry, Timeouts, Transport
from .urls import path_id
from .wire import as_object, field_object, to_int, type_name

log = logging.getLogger(__name__)

T = TypeVar("T")

PAGE_SIZE = 50
MAX_PAGES = 1000
#: Paging stops after this many pages in a row that bring no new row (a server ignoring ``offset``).
MAX_STALE_PAGES = 2
INIT_IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}


class LeonardoClient:
    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeouts: Timeouts | None = None,
        max_retries: int = 4,
        cancel: threading.Event | None = None,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        max_json_bytes: int = MAX_JSON_BYTES,
    ) -> None:
        self.cancel = cancel or threading.Event()
        self.transport = Transport(
            base_url,
            api_key,
            timeouts=timeouts,
            max_retries=max_retries,
            cancel=self.cancel,
            max_json_bytes=max_json_bytes,
        )
        self.files = FileTransfer(cancel=self.cancel, max_download_bytes=max_download_bytes)

    def __repr__(self) -> str:
        return f"LeonardoClient(base_url={self.transport.base_url!r})"

    def __enter__(self) -> LeonardoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.transport.close()
        self.files.close()

    # -- plumbing ----------------------------------------------------------------------------------

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self.transport.request("GET", path, params=params)

    def _paid(self, path: str, body: Mapping[str, Any] | None, parse: Callable[[dict[str, Any]], T]) -> T:
        """Send a paid create and parse its answer; an unparseable 2xx answer means "outcome unknown"."""
        answer = self.transport.request("POST", path, json_body=body, retry=Retry.PAID)
        try:
            return parse(answer)
        except errors.UnexpectedResponseError as exc:
            raise errors.UnexpectedResponseError(
                f"{exc.message} (the request may have been carried out; it was not sent again)",
                status=exc.status,
                outcome_unknown=True,
            ) from None

    def _by_pk(self, body: Mapping[str, Any], key: str, what: str, ident: str) -> Mapping[str, Any]:
        return parse_by_pk(body, key, what, ident)

    def _delete(self, path: str, key: str, what: str, ident: str) -> str:
        body = self.transport.request("DELETE", path)
        row = parse_by_pk(body, key, what, ident)
        deleted = row.get("id")
        return deleted if isinstance(deleted, str) and deleted else ident

    def _pages(
        self, path: str, envelope: str, parse: Callable[[Mapping[str, Any]], T], page_size: int = PAGE_SIZE
    ) -> Iterator[T]:
        """Walk ``offset``/``limit`` pages until an empty one (robust to a server-side page cap).

        Rows shift when items are created while paging, so rows already seen are skipped; a server that
        ignores ``offset`` (the same rows again and again) ends the walk after ``MAX_STALE_PAGES`` pages
        without anything new. A row that cannot be parsed is skipped (and logged), not fatal.
        """
        offset = 0
        seen: set[str] = set()
        stale = 0
        for _ in range(MAX_PAGES):
            rows = parse_page(self._get(path, {"offset": offset, "limit": page_size}), envelope)
            if not rows:
                return
            fresh = 0
            for row in rows:
                ident = row.get("id")
                key = ident if isinstance(ident, str) else None
                if key is not None and key in seen:
                    continue
                try:
                    item = parse(row)
                except errors.UnexpectedResponseError as exc:
                    log.warning("Skipping a row of '%s': %s", envelope, exc.message)
                    continue
                if key is not None:
                    seen.add(key)
                fresh += 1
                yield item
            stale = 0 if fresh else stale + 1
            if stale >= MAX_STALE_PAGES:
                return
            offset += len(rows)

    # -- account ---------------------------------------------------------------------------------

    def me(self) -> UserInfo:
        return UserInfo.from_wire(self._get("/me"))

    def texture_cost(self, *, preview: bool) -> int:
        """Credits a texture generation will cost (pricing calculator)."""
        return self.pricing("TEXTURE_GENERATION", {"preview": bool(preview)})

    def pricing(self, service: str, params: Mapping[str, Any]) -> int:
        body = self.transport.request(
            "POST",
            "/pricing-calculator",
            json_body={"service": service, "serviceParams": {service: dict(params)}},
            retry=Retry.IDEMPOTENT,
        )
        return parse_pricing(body)

    # -- 3D model assets ---------------------------------------------------------------------------

    def create_model_upload(self, name: str | None, extension: str = "obj") -> UploadSlot:
        body: dict[str, Any] = {"modelExtension": extension}
        if name:
            body["name"] = name
        return UploadSlot.from_model_upload(
            self.transport.request("POST", "/models-3d/upload", json_body=body, retry=Retry.CREATE)
        )

    def upload_model(self, data: bytes | Path, name: str | None, filename: str = "model.obj") -> str:
        """Upload an OBJ (bytes, or a file streamed from disk) as a new 3D model asset; returns its id.
        A stale slot is renewed once."""
        for attempt in range(2):
            slot = self.create_model_upload(name)
            try:
                self.files.upload(slot, data, filename, "application/octet-stream")
                return slot.id
            except errors.UploadError as exc:
                if attempt == 0 and exc.expired:
                    continue
                raise
        raise AssertionError("unreachable")

    def model_assets(self, user_id: str, page_size: int = PAGE_SIZE) -> list[ModelAsset]:
        user = path_id(user_id, "user id")
        return list(self._pages(f"/models-3d/user/{user}", "model_assets", ModelAsset.from_wire, page_size))

    def model_asset(self, model_id: str) -> ModelAsset:
        model = path_id(model_id, "3D model id")
        body = self._get(f"/models-3d/{model}")
        return ModelAsset.from_wire(self._by_pk(body, "model_assets_by_pk", "3D model", model))

    def delete_model_asset(self, model_id: str) -> str:
        model = path_id(model_id, "3D model id")
        return self._delete(f"/models-3d/{model}", "delete_model_assets_by_pk", "3D model", model)

    # -- texture generations -----------------------------------------------------------------------

    def create_texture(self, request: TextureRequest) -> CreatedJob:
        return self._paid(
            "/generations-texture",
            request.to_wire(),
            lambda body: CreatedJob.from_wire(body, "textureGenerationJob"),
        )

    def texture_generation(self, generation_id: str) -> TextureGeneration:
        generation = path_id(generation_id, "texture generation id")
        body = self._get(f"/generations-texture/{generation}")
        row = self._by_pk(body, "model_asset_texture_generations_by_pk", "texture generation", generation)
        return TextureGeneration.from_wire(row)

    def texture_generations_for_model(self, model_id: str, page_size: int = PAGE_SIZE) -> list[TextureGeneration]:
        model = path_id(model_id, "3D model id")
        return list(
            self._pages(
                f"/generations-texture/model/{model}",
                "model_asset_texture_generations",
                TextureGeneration.from_wire,
                page_size,
            )
        )

    def delete_texture_generation(self, generation_id: str) -> str:
        generation = path_id(generation_id, "texture generation id")
        return self._delete(
            f"/generations-texture/{generation}",
            "delete_model_asset_texture_generations_by_pk",
            "texture generation",
            generation,
        )

    # -- image generations -------------------------------------------------------------------------

    def create_image_generation(self, request: ImageGenerationRequest) -> CreatedJob:
        return self._paid(
            "/generations",
            request.to_wire(),
            lambda body: CreatedJob.from_wire(body, "sdGenerationJob", id_key="generationId"),
        )

    def image_generation(self, generation_id: str) -> ImageGeneration:
        generation = path_id(generation_id, "generation id")
        body = self._get(f"/generations/{generation}")
        return ImageGeneration.from_wire(self._by_pk(body, "generations_by_pk", "generation", generation))

    def image_generations_for_user(self, user_id: str, page_size: int = PAGE_SIZE) -> list[ImageGeneration]:
        user = path_id(user_id, "user id")
        return list(self._pages(f"/generations/user/{user}", "generations", ImageGeneration.from_wire, page_size))

    def delete_image_generation(self, generation_id: str) -> str:
        generation = path_id(generation_id, "generation id")
        return self._delete(f"/generations/{generation}", "delete_generations_by_pk", "generation", generation)

    # -- init images -------------------------------------------------------------------------------

    def create_init_image_upload(self, extension: str) -> UploadSlot:
        body = self.transport.request("POST", "/init-image", json_body={"extension": extension}, retry=Retry.CREATE)
        return UploadSlot.from_init_image_upload(body)

    def upload_init_image(self, path: Path) -> str:
        """Upload a local image to use as an init image; returns its id."""
        extension = path.suffix.lower().lstrip(".")
        if extension not in INIT_IMAGE_TYPES:
            raise ValueError(f"Init images must be one of {', '.join(INIT_IMAGE_TYPES)}")
        slot = self.create_init_image_upload(extension)
        self.files.upload(slot, path, path.name, INIT_IMAGE_TYPES[extension])
        return slot.id

    def init_image(self, image_id: str) -> InitImage:
        image = path_id(image_id, "init image id")
        body = self._get(f"/init-image/{image}")
        return InitImage.from_wire(self._by_pk(body, "init_images_by_pk", "init image", image))

    def delete_init_image(self, image_id: str) -> str:
        image = path_id(image_id, "init image id")
        return self._delete(f"/init-image/{image}", "delete_init_images_by_pk", "init image", image)

    # -- variations --------------------------------------------------------------------------------

    def _variation(self, path: str, envelope: str, body: Mapping[str, Any]) -> CreatedJob:
        return self._paid(path, body, lambda answer: CreatedJob.from_wire(answer, envelope))

    def upscale(self, image_id: str) -> CreatedJob:
        return self._variation("/variations/upscale", "sdUpscaleJob", {"id": image_id})

    def unzoom(self, image_id: str, *, is_variation: bool = False) -> CreatedJob:
        return self._variation("/variations/unzoom", "sdUnzoomJob", {"id": image_id, "isVariation": is_variation})

    def remove_background(self, image_id: str, *, is_variation: bool = False) -> CreatedJob:
        return self._variation("/variations/nobg", "sdNobgJob", {"id": image_id, "isVariation": is_variation})

    def universal_upscale(self, request: UniversalUpscaleRequest) -> CreatedJob:
        return self._variation("/variations/universal-upscaler", "universalUpscaler", request.to_wire())

    def variation(self, variation_id: str) -> Variation:
        variation = path_id(variation_id, "variation id")
        return parse_variation(self._get(f"/variations/{variation}"), variation)

    # -- prompts and models ------------------------------------------------------------------------

    def random_prompt(self) -> PromptResult:
        return self._paid("/prompt/random", None, PromptResult.from_wire)

    def improve_prompt(self, prompt: str, instructions: str | None = None) -> PromptResult:
        body: dict[str, Any] = {"prompt": prompt}
        if instructions:
            body["promptInstructions"] = instructions
        return self._paid("/prompt/improve", body, PromptResult.from_wire)

    def platform_models(self) -> list[PlatformModel]:
        return parse_platform_models(self._get("/platformModels"))

    # -- downloads ---------------------------------------------------------------------------------

    def download(self, url: str, destination: Path, *, what: str = "image") -> Path:
        return self.files.download(url, destination, what=what)


# -- answers of the calls above, as pure functions (fuzzed in tests/core/test_parsers_fuzz.py) ----------


def parse_by_pk(body: Any, key: str, what: str, ident: str) -> Mapping[str, Any]:
    """The ``*_by_pk`` row: ``NotFoundError`` for ``null``, ``UnexpectedResponseError`` for a non-object."""
    row = as_object(body, f"{what} answer").get(key)
    if row is None:
        raise errors.NotFoundError(f"The {what} {ident} does not exist (or was deleted)")
    if not isinstance(row, Mapping):
        raise errors.UnexpectedResponseError(f"The service's '{key}' is {type_name(row)}, not an object")
    return row


def parse_page(body: Any, envelope: str) -> list[Mapping[str, Any]]:
    """The rows of one list page (rows that are not objects are left out)."""
    rows = as_object(body, "list answer").get(envelope)
    if not isinstance(rows, list):
        raise errors.UnexpectedResponseError(f"The service's answer has no '{envelope}' list")
    return [row for row in rows if isinstance(row, Mapping)] if rows else []


def parse_pricing(body: Any) -> int:
    """The pricing calculator's cost in credits (a whole number from 0 to ``MAX_PLAUSIBLE_COST``)."""
    row = field_object(body, "calculateProductionApiServiceCost", "pricing answer")
    cost = to_int(row.get("cost"), minimum=0, maximum=MAX_PLAUSIBLE_COST)
    if cost is None:
        raise errors.UnexpectedResponseError(
            f"The pricing answer's 'cost' is {type_name(row.get('cost'))} that is not a plausible credit amount"
        )
    return cost


def parse_variation(body: Any, ident: str) -> Variation:
    rows = as_object(body, "variation answer").get("generated_image_variation_generic")
    if not isinstance(rows, list):
        raise errors.UnexpectedResponseError("The variation answer has no list")
    if not rows:
        raise errors.NotFoundError(f"The variation {ident} does not exist")
    return Variation.from_wire(rows[0])


def parse_platform_models(body: Any) -> list[PlatformModel]:
    rows = as_object(body, "models answer").get("custom_models")
    if not isinstance(rows, list):
        raise errors.UnexpectedResponseError("The models answer has no 'custom_models' list")
    models = []
    for row in rows:
        if not isinstance(row, Mapping):
            continue
        try:
            models.append(PlatformModel.from_wire(row))
        except errors.UnexpectedResponseError as exc:
            log.warning("Skipping a platform model: %s", exc.message)
    return models
