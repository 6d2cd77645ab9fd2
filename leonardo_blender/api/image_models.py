"""Typed requests and results of image generations (``tiling`` for seamless textures), variations,
prompt helpers and platform models."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .models import MAX_PLAUSIBLE_COST, SEED_WIRE_MAX, JobStatus
from .wire import as_object, field_object, opt_bool, opt_flag, opt_int, opt_list, opt_str, req_id, req_str

#: Image sides beyond this are not believable (Alchemy upscales, but not to 100k pixels).
MAX_IMAGE_SIDE = 65_536

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


#: ``controlnets[].initImageType``: an uploaded init image or an image generated on Leonardo.
INIT_IMAGE_TYPES = ("UPLOADED", "GENERATED")
#: ``controlnets[].strengthType``.
STRENGTH_TYPES = ("Low", "Mid", "High", "Ultra", "Max")


@dataclass(frozen=True)
class Controlnet:
    """One ``controlnets[]`` entry of ``POST /generations`` (image guidance, reference section 15).

    ``preprocessor_id`` depends on the model's family (see ``core.model_families``); give either
    ``weight`` (0 to 2) or ``strength_type``.
    """

    init_image_id: str
    preprocessor_id: int
    init_image_type: str = "UPLOADED"
    weight: float | None = None
    strength_type: str | None = None
    influence: float | None = None

    def to_wire(self) -> dict[str, Any]:
        if not self.init_image_id:
            raise ValueError("A controlnet needs an init image id")
        if self.init_image_type not in INIT_IMAGE_TYPES:
            raise ValueError(f"initImageType must be one of {INIT_IMAGE_TYPES}")
        if self.weight is not None and not 0.0 <= self.weight <= 2.0:
            raise ValueError("A controlnet weight must be between 0 and 2")
        if self.strength_type is not None and self.strength_type not in STRENGTH_TYPES:
            raise ValueError(f"strengthType must be one of {STRENGTH_TYPES}")
        body: dict[str, Any] = {
            "initImageId": self.init_image_id,
            "initImageType": self.init_image_type,
            "preprocessorId": int(self.preprocessor_id),
        }
        if self.weight is not None:
            body["weight"] = float(self.weight)
        if self.strength_type is not None:
            body["strengthType"] = self.strength_type
        if self.influence is not None:
            body["influence"] = float(self.influence)
        return body


def guidance_scale_wire(value: Any) -> int:
    """``guidance_scale`` as the wire's integer 1-20; a fraction or anything else is a ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("guidance_scale must be a whole number between 1 and 20")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"guidance_scale must be a whole number between 1 and 20 (not {value})")
    number = int(value)
    if not 1 <= number <= 20:
        raise ValueError("guidance_scale must be between 1 and 20")
    return number


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
    #: An integer 1-20 on the wire (the spec's type); a whole float such as ``7.0`` is sent as ``7``.
    guidance_scale: int | float | None = None
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
    controlnets: tuple[Controlnet, ...] = ()
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
        if self.guidance_scale is not None:
            body["guidance_scale"] = guidance_scale_wire(self.guidance_scale)
        if self.controlnets:
            body["controlnets"] = [controlnet.to_wire() for controlnet in self.controlnets]
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
        row = as_object(row, "variation")
        return cls(
            id=req_id(row, "id", "variation"),
            status=JobStatus.parse(row.get("status")),
            transform_type=opt_str(row, "transformType"),
            url=opt_str(row, "url"),
            created_at=opt_str(row, "createdAt"),
        )


@dataclass(frozen=True)
class GeneratedImage:
    id: str
    url: str
    nsfw: bool = False
    variations: tuple[Variation, ...] = ()

    @classmethod
    def from_wire(cls, row: Mapping[str, Any]) -> GeneratedImage:
        row = as_object(row, "generated image")
        variations = opt_list(row, "generated_image_variation_generics", "generated image")
        return cls(
            id=req_id(row, "id", "generated image"),
            url=req_str(row, "url", "generated image"),
            nsfw=opt_flag(row, "nsfw"),
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
        row = as_object(row, "generation")
        images = opt_list(row, "generated_images", "generation")
        return cls(
            id=req_id(row, "id", "generation"),
            status=JobStatus.parse(row.get("status")),
            prompt=opt_str(row, "prompt"),
            negative_prompt=opt_str(row, "negativePrompt"),
            model_id=opt_str(row, "modelId"),
            width=opt_int(row, "imageWidth", minimum=1, maximum=MAX_IMAGE_SIDE),
            height=opt_int(row, "imageHeight", minimum=1, maximum=MAX_IMAGE_SIDE),
            seed=opt_int(row, "seed", minimum=0, maximum=SEED_WIRE_MAX),
            created_at=opt_str(row, "createdAt"),
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
        row = field_object(body, "promptGeneration", "answer")
        return cls(
            prompt=req_str(row, "prompt", "prompt"),
            api_credit_cost=opt_int(row, "apiCreditCost", minimum=0, maximum=MAX_PLAUSIBLE_COST),
        )


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
        row = as_object(row, "platform model")
        raw_image = row.get("generated_image")
        image: Mapping[str, Any] = raw_image if isinstance(raw_image, Mapping) else {}
        return cls(
            id=req_id(row, "id", "platform model"),
            name=opt_str(row, "name"),
            description=opt_str(row, "description"),
            featured=opt_bool(row, "featured"),
            nsfw=opt_flag(row, "nsfw"),
            preview_url=opt_str(image, "url"),
        )
