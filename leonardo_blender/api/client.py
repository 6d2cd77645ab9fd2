"""The Leonardo REST API v1 as typed Python calls (no ``bpy``).

One ``LeonardoClient`` per worker task: it owns an authenticated session to the API host and a
credential-free session for storage and downloads, plus a cancel event that interrupts waits.

Every endpoint group the add-on uses is covered: 3D model assets (with the presigned upload),
texture generations, the account, the pricing calculator, image generations (``tiling`` for
seamless textures), init images, variations, prompt helpers and platform models. List calls walk
every page. Single-row lookups raise ``NotFoundError`` when the API answers ``null``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from . import errors
from .files import FileTransfer
from .image_models import (
    ImageGeneration,
    ImageGenerationRequest,
    PlatformModel,
    PromptResult,
    UniversalUpscaleRequest,
    Variation,
)
from .models import (
    CreatedJob,
    InitImage,
    ModelAsset,
    TextureGeneration,
    TextureRequest,
    UploadSlot,
    UserInfo,
)
from .transport import DEFAULT_BASE_URL, Retry, Timeouts, Transport

T = TypeVar("T")

PAGE_SIZE = 50
MAX_PAGES = 1000
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
    ) -> None:
        self.cancel = cancel or threading.Event()
        self.transport = Transport(base_url, api_key, timeouts=timeouts, max_retries=max_retries, cancel=self.cancel)
        self.files = FileTransfer(cancel=self.cancel)

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

    def _by_pk(self, body: Mapping[str, Any], key: str, what: str, ident: str) -> Mapping[str, Any]:
        row = body.get(key)
        if row is None:
            raise errors.NotFoundError(f"The {what} {ident} does not exist (or was deleted)")
        if not isinstance(row, Mapping):
            raise errors.UnexpectedResponseError(f"The service's '{key}' is not an object")
        return row

    def _delete(self, path: str, key: str, what: str, ident: str) -> str:
        body = self.transport.request("DELETE", path)
        row = self._by_pk(body, key, what, ident)
        return str(row.get("id") or ident)

    def _pages(
        self, path: str, envelope: str, parse: Callable[[Mapping[str, Any]], T], page_size: int = PAGE_SIZE
    ) -> Iterator[T]:
        """Walk ``offset``/``limit`` pages until an empty one (robust to a server-side page cap)."""
        offset = 0
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            body = self._get(path, {"offset": offset, "limit": page_size})
            rows = body.get(envelope)
            if not isinstance(rows, list):
                raise errors.UnexpectedResponseError(f"The service's answer has no '{envelope}' list")
            if not rows:
                return
            for row in rows:
                if not isinstance(row, Mapping):
                    continue
                ident = str(row.get("id"))
                if ident in seen:  # rows shift when items are created while paging
                    continue
                seen.add(ident)
                yield parse(row)
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
        row = body.get("calculateProductionApiServiceCost")
        if not isinstance(row, Mapping) or row.get("cost") is None:
            raise errors.UnexpectedResponseError("The pricing answer has no cost")
        return int(row["cost"])

    # -- 3D model assets ---------------------------------------------------------------------------

    def create_model_upload(self, name: str | None, extension: str = "obj") -> UploadSlot:
        body: dict[str, Any] = {"modelExtension": extension}
        if name:
            body["name"] = name
        return UploadSlot.from_model_upload(
            self.transport.request("POST", "/models-3d/upload", json_body=body, retry=Retry.CREATE)
        )

    def upload_model(self, data: bytes, name: str | None, filename: str = "model.obj") -> str:
        """Upload an OBJ as a new 3D model asset; returns its id. A stale slot is renewed once."""
        for attempt in range(2):
            slot = self.create_model_upload(name)
            try:
                self.files.upload(slot, data, filename, "application/octet-stream")
                return slot.id
            except errors.UploadError as exc:
                if attempt == 0 and getattr(exc, "expired", False):
                    continue
                raise
        raise AssertionError("unreachable")

    def model_assets(self, user_id: str, page_size: int = PAGE_SIZE) -> list[ModelAsset]:
        return list(self._pages(f"/models-3d/user/{user_id}", "model_assets", ModelAsset.from_wire, page_size))

    def model_asset(self, model_id: str) -> ModelAsset:
        body = self._get(f"/models-3d/{model_id}")
        return ModelAsset.from_wire(self._by_pk(body, "model_assets_by_pk", "3D model", model_id))

    def delete_model_asset(self, model_id: str) -> str:
        return self._delete(f"/models-3d/{model_id}", "delete_model_assets_by_pk", "3D model", model_id)

    # -- texture generations -----------------------------------------------------------------------

    def create_texture(self, request: TextureRequest) -> CreatedJob:
        body = self.transport.request("POST", "/generations-texture", json_body=request.to_wire(), retry=Retry.PAID)
        return CreatedJob.from_wire(body, "textureGenerationJob")

    def texture_generation(self, generation_id: str) -> TextureGeneration:
        body = self._get(f"/generations-texture/{generation_id}")
        row = self._by_pk(body, "model_asset_texture_generations_by_pk", "texture generation", generation_id)
        return TextureGeneration.from_wire(row)

    def texture_generations_for_model(self, model_id: str, page_size: int = PAGE_SIZE) -> list[TextureGeneration]:
        return list(
            self._pages(
                f"/generations-texture/model/{model_id}",
                "model_asset_texture_generations",
                TextureGeneration.from_wire,
                page_size,
            )
        )

    def delete_texture_generation(self, generation_id: str) -> str:
        return self._delete(
            f"/generations-texture/{generation_id}",
            "delete_model_asset_texture_generations_by_pk",
            "texture generation",
            generation_id,
        )

    # -- image generations -------------------------------------------------------------------------

    def create_image_generation(self, request: ImageGenerationRequest) -> CreatedJob:
        body = self.transport.request("POST", "/generations", json_body=request.to_wire(), retry=Retry.PAID)
        return CreatedJob.from_wire(body, "sdGenerationJob", id_key="generationId")

    def image_generation(self, generation_id: str) -> ImageGeneration:
        body = self._get(f"/generations/{generation_id}")
        return ImageGeneration.from_wire(self._by_pk(body, "generations_by_pk", "generation", generation_id))

    def image_generations_for_user(self, user_id: str, page_size: int = PAGE_SIZE) -> list[ImageGeneration]:
        return list(self._pages(f"/generations/user/{user_id}", "generations", ImageGeneration.from_wire, page_size))

    def delete_image_generation(self, generation_id: str) -> str:
        return self._delete(f"/generations/{generation_id}", "delete_generations_by_pk", "generation", generation_id)

    # -- init images -------------------------------------------------------------------------------

    def create_init_image_upload(self, extension: str) -> UploadSlot:
        body = self.transport.request("POST", "/init-image", json_body={"extension": extension}, retry=Retry.CREATE)
        return UploadSlot.from_init_image_upload(body)

    def upload_init_image(self, path: Path) -> str:
        """Upload a local image to use as an init image; returns its id."""
        extension = path.suffix.lower().lstrip(".")
        if extension not in INIT_IMAGE_TYPES:
            raise ValueError(f"Init images must be one of {', '.join(INIT_IMAGE_TYPES)}")
        data = path.read_bytes()
        slot = self.create_init_image_upload(extension)
        self.files.upload(slot, data, path.name, INIT_IMAGE_TYPES[extension])
        return slot.id

    def init_image(self, image_id: str) -> InitImage:
        body = self._get(f"/init-image/{image_id}")
        return InitImage.from_wire(self._by_pk(body, "init_images_by_pk", "init image", image_id))

    def delete_init_image(self, image_id: str) -> str:
        return self._delete(f"/init-image/{image_id}", "delete_init_images_by_pk", "init image", image_id)

    # -- variations --------------------------------------------------------------------------------

    def _variation(self, path: str, envelope: str, body: Mapping[str, Any]) -> CreatedJob:
        answer = self.transport.request("POST", path, json_body=body, retry=Retry.PAID)
        return CreatedJob.from_wire(answer, envelope)

    def upscale(self, image_id: str) -> CreatedJob:
        return self._variation("/variations/upscale", "sdUpscaleJob", {"id": image_id})

    def unzoom(self, image_id: str, *, is_variation: bool = False) -> CreatedJob:
        return self._variation("/variations/unzoom", "sdUnzoomJob", {"id": image_id, "isVariation": is_variation})

    def remove_background(self, image_id: str, *, is_variation: bool = False) -> CreatedJob:
        return self._variation("/variations/nobg", "sdNobgJob", {"id": image_id, "isVariation": is_variation})

    def universal_upscale(self, request: UniversalUpscaleRequest) -> CreatedJob:
        return self._variation("/variations/universal-upscaler", "universalUpscaler", request.to_wire())

    def variation(self, variation_id: str) -> Variation:
        body = self._get(f"/variations/{variation_id}")
        rows = body.get("generated_image_variation_generic")
        if not isinstance(rows, list):
            raise errors.UnexpectedResponseError("The variation answer has no list")
        if not rows:
            raise errors.NotFoundError(f"The variation {variation_id} does not exist")
        return Variation.from_wire(rows[0])

    # -- prompts and models ------------------------------------------------------------------------

    def random_prompt(self) -> PromptResult:
        return PromptResult.from_wire(self.transport.request("POST", "/prompt/random", retry=Retry.PAID))

    def improve_prompt(self, prompt: str, instructions: str | None = None) -> PromptResult:
        body: dict[str, Any] = {"prompt": prompt}
        if instructions:
            body["promptInstructions"] = instructions
        return PromptResult.from_wire(
            self.transport.request("POST", "/prompt/improve", json_body=body, retry=Retry.PAID)
        )

    def platform_models(self) -> list[PlatformModel]:
        body = self._get("/platformModels")
        rows = body.get("custom_models")
        if not isinstance(rows, list):
            raise errors.UnexpectedResponseError("The models answer has no 'custom_models' list")
        return [PlatformModel.from_wire(r) for r in rows if isinstance(r, Mapping)]

    # -- downloads ---------------------------------------------------------------------------------

    def download(self, url: str, destination: Path, *, what: str = "image") -> Path:
        return self.files.download(url, destination, what=what)
