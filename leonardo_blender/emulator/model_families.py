"""Platform models and their base families, and which controlnet preprocessors each family offers.

Every model ``GET /platformModels`` lists belongs to one family (SD1_5, SD2_1, SDXL, PHOENIX); the
family decides which ``controlnets[].preprocessorId`` values ``POST /generations`` accepts (the docs'
"Generate Images Using Image Guidance" table, reference section 15). The SDXL and Phoenix ids are the
live ones from the docs; the SD1.5 and SD2.1 models are the emulator's own, named "(emulated)".
"""

from __future__ import annotations

from dataclasses import dataclass

SD1_5 = "SD1_5"
SD2_1 = "SD2_1"
SDXL = "SDXL"
PHOENIX = "PHOENIX"
FAMILIES: tuple[str, ...] = (SD1_5, SD2_1, SDXL, PHOENIX)


@dataclass(frozen=True)
class PlatformModel:
    """One platform model: ``sd_version`` is what ``GET /generations/{id}`` echoes as ``sdVersion``."""

    id: str
    name: str
    description: str
    family: str
    sd_version: str


LIGHTNING_XL = "b24e16ff-06e3-43eb-8d33-4416c2d75876"
KINO_XL = "aa77f04e-3eec-4034-9c07-d0f619684628"
DIFFUSION_XL = "1e60896f-3c26-4296-8ecc-53e2afecc132"
VISION_XL = "5c232a9e-9061-4777-980a-ddc8e65647c6"
PHOENIX_MODEL = "6b645e3a-d64f-4341-a6d8-7a3690fbf042"
EMULATED_SD1_5 = "e0e0e0e0-0015-4000-8000-00000000e015"
EMULATED_SD2_1 = "e0e0e0e0-0021-4000-8000-00000000e021"

DEFAULT_MODEL_ID = LIGHTNING_XL
"""The spec's default ``modelId`` of ``POST /generations``."""

PLATFORM_MODELS: tuple[PlatformModel, ...] = (
    PlatformModel(
        LIGHTNING_XL, "Leonardo Lightning XL", "Fast general-purpose SDXL model (emulated).", SDXL, "SDXL_LIGHTNING"
    ),
    PlatformModel(KINO_XL, "Leonardo Kino XL", "Cinematic SDXL model (emulated).", SDXL, "SDXL_1_0"),
    PlatformModel(DIFFUSION_XL, "Leonardo Diffusion XL", "General SDXL model (emulated).", SDXL, "SDXL_0_9"),
    PlatformModel(VISION_XL, "Leonardo Vision XL", "Photographic SDXL model (emulated).", SDXL, "SDXL_1_0"),
    PlatformModel(PHOENIX_MODEL, "Leonardo Phoenix", "Prompt-adherent model (emulated).", PHOENIX, "PHOENIX"),
    PlatformModel(EMULATED_SD1_5, "Stable Diffusion 1.5 (emulated)", "An SD1.5 model (emulated).", SD1_5, "v1_5"),
    PlatformModel(EMULATED_SD2_1, "Stable Diffusion 2.1 (emulated)", "An SD2.1 model (emulated).", SD2_1, "v2"),
)

_BY_ID = {model.id: model for model in PLATFORM_MODELS}


@dataclass(frozen=True)
class Preprocessor:
    """A controlnet kind and its ``preprocessorId`` per family (absent = the family does not offer it)."""

    name: str
    ids: dict[str, int]


PREPROCESSORS: tuple[Preprocessor, ...] = (
    Preprocessor("Style Reference", {SDXL: 67, PHOENIX: 166}),
    Preprocessor("Character Reference", {SDXL: 133}),
    Preprocessor("Content Reference", {SDXL: 100}),
    Preprocessor("Edge to Image", {SD1_5: 1, SD2_1: 12, SDXL: 19}),
    Preprocessor("Depth to Image", {SD1_5: 3, SD2_1: 13, SDXL: 20}),
    Preprocessor("Pose to Image", {SD1_5: 7, SD2_1: 16, SDXL: 21}),
    Preprocessor("Text Image Input", {SD1_5: 11, SD2_1: 18, SDXL: 22}),
    Preprocessor("Sketch to Image", {SD1_5: 10, SD2_1: 17}),
    Preprocessor("Normal Map", {SD1_5: 6, SD2_1: 15}),
    Preprocessor("Line Art", {SD1_5: 5}),
    Preprocessor("Pattern to Image", {SD1_5: 8}),
    Preprocessor("QR Code to Image", {SD1_5: 9}),
)

DEPTH_TO_IMAGE = "Depth to Image"
STYLE_REFERENCE = "Style Reference"


def platform_model(model_id: str) -> PlatformModel | None:
    """The platform model with this id (case-insensitive), or None for an id the emulator does not know."""
    return _BY_ID.get(model_id.lower())


def preprocessor_name(preprocessor_id: int) -> str | None:
    """The controlnet kind of a ``preprocessorId`` in any family ("Depth to Image"), or None."""
    for preprocessor in PREPROCESSORS:
        if preprocessor_id in preprocessor.ids.values():
            return preprocessor.name
    return None


def offered(family: str, preprocessor_id: int) -> bool:
    """Whether ``family`` offers ``preprocessorId`` (e.g. 20 for SDXL, nothing for Phoenix's depth)."""
    return any(preprocessor.ids.get(family) == preprocessor_id for preprocessor in PREPROCESSORS)


def preprocessor_id_for(name: str, family: str) -> int | None:
    """The ``preprocessorId`` of controlnet kind ``name`` in ``family``, or None if it is not offered."""
    for preprocessor in PREPROCESSORS:
        if preprocessor.name == name:
            return preprocessor.ids.get(family)
    raise KeyError(f"unknown controlnet kind {name!r}")


def is_depth(preprocessor_id: int) -> bool:
    """Whether ``preprocessorId`` is Depth to Image in some family (3, 13 or 20)."""
    return preprocessor_name(preprocessor_id) == DEPTH_TO_IMAGE
