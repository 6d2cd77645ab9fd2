"""Variable schema of ``POST /generations`` (§5.1): every wire name of the 2025-08 spec / 2026 SDK.

Types only (Hasura ``validation-failed`` for a wrong one); value rules are in :mod:`.generations` and
:mod:`.controlnets`. ``guidance_scale`` is an Int on the wire (``7`` and ``7.0`` pass, ``7.5`` does
not); ``controlnets[].influence`` (Style Reference with several images, reference section 15) is
accepted beside the spec's controlnet fields.
"""

from __future__ import annotations

from ..http.schemas import (
    BIGINT,
    BOOLEAN,
    FLOAT,
    INT,
    STRING,
    Enum,
    Field,
    InputObject,
    ListOf,
    action_root,
    schema,
)

SD_VERSIONS = Enum(
    "sd_versions",
    (
        "v1_5",
        "v2",
        "v3",
        "SDXL_0_8",
        "SDXL_0_9",
        "SDXL_1_0",
        "SDXL_LIGHTNING",
        "PHOENIX",
        "FLUX",
        "FLUX_DEV",
        "KINO_2_0",
    ),
)
SCHEDULERS = Enum(
    "sd_generation_schedulers",
    ("KLMS", "EULER_ANCESTRAL_DISCRETE", "EULER_DISCRETE", "DDIM", "DPM_SOLVER", "PNDM", "LEONARDO"),
)
PRESET_STYLES = Enum(
    "sd_generation_style",
    (
        "ANIME",
        "BOKEH",
        "CINEMATIC",
        "CINEMATIC_CLOSEUP",
        "CREATIVE",
        "DYNAMIC",
        "ENVIRONMENT",
        "FASHION",
        "FILM",
        "FOOD",
        "GENERAL",
        "HDR",
        "ILLUSTRATION",
        "LEONARDO",
        "LONG_EXPOSURE",
        "MACRO",
        "MINIMALISTIC",
        "MONOCHROME",
        "MOODY",
        "NONE",
        "NEUTRAL",
        "PHOTOGRAPHY",
        "PORTRAIT",
        "RAYTRACED",
        "RENDER_3D",
        "RETRO",
        "SKETCH_BW",
        "SKETCH_COLOR",
        "STOCK_PHOTO",
        "VIBRANT",
        "UNPROCESSED",
    ),
)
TRANSPARENCY = Enum("transparency_type", ("disabled", "foreground_only"))
PHOTOREAL_VERSIONS = Enum("photoreal_versions", ("v1", "v2"))
CONTROLNET_TYPES = Enum("controlnet_type", ("POSE", "CANNY", "DEPTH"))
CANVAS_REQUEST_TYPES = Enum("canvas_request_type", ("INPAINT", "OUTPAINT", "SKETCH2IMG", "IMG2IMG"))
INIT_IMAGE_TYPES = Enum("init_image_type", ("GENERATED", "UPLOADED"))
STRENGTH_TYPES = Enum("strength_type", ("Low", "Mid", "High", "Ultra", "Max"))

CONTROLNET_INPUT = InputObject(
    "ControlnetInput",
    {
        "initImageId": Field(STRING),
        "initImageType": Field(INIT_IMAGE_TYPES),
        "preprocessorId": Field(INT),
        "weight": Field(FLOAT),
        "strengthType": Field(STRENGTH_TYPES),
        "influence": Field(FLOAT),
    },
)
ELEMENT_INPUT = InputObject("ElementInput", {"akUUID": Field(STRING, required=True), "weight": Field(FLOAT)})
USER_ELEMENT_INPUT = InputObject("UserElementInput", {"userLoraId": Field(INT), "weight": Field(FLOAT)})

GENERATION_SCHEMA = schema(
    action_root("sdGenerationJob"),
    prompt=Field(STRING, required=True),
    negative_prompt=Field(STRING),
    modelId=Field(STRING),
    sd_version=Field(SD_VERSIONS),
    width=Field(INT),
    height=Field(INT),
    num_images=Field(INT),
    num_inference_steps=Field(INT),
    guidance_scale=Field(INT),
    seed=Field(BIGINT),
    scheduler=Field(SCHEDULERS),
    presetStyle=Field(PRESET_STYLES),
    tiling=Field(BOOLEAN),
    public=Field(BOOLEAN),
    transparency=Field(TRANSPARENCY),
    init_image_id=Field(STRING),
    init_generation_image_id=Field(STRING),
    init_strength=Field(FLOAT),
    imagePrompts=Field(ListOf(STRING)),
    imagePromptWeight=Field(FLOAT),
    alchemy=Field(BOOLEAN),
    contrastRatio=Field(FLOAT),
    contrast=Field(FLOAT),
    expandedDomain=Field(BOOLEAN),
    fantasyAvatar=Field(BOOLEAN),
    highContrast=Field(BOOLEAN),
    highResolution=Field(BOOLEAN),
    photoReal=Field(BOOLEAN),
    photoRealVersion=Field(PHOTOREAL_VERSIONS),
    photoRealStrength=Field(FLOAT),
    promptMagic=Field(BOOLEAN),
    promptMagicStrength=Field(FLOAT),
    promptMagicVersion=Field(STRING),
    ultra=Field(BOOLEAN),
    unzoom=Field(BOOLEAN),
    unzoomAmount=Field(FLOAT),
    upscaleRatio=Field(FLOAT),
    enhancePrompt=Field(BOOLEAN),
    enhancePromptInstruction=Field(STRING),
    controlnets=Field(ListOf(CONTROLNET_INPUT)),
    elements=Field(ListOf(ELEMENT_INPUT)),
    userElements=Field(ListOf(USER_ELEMENT_INPUT)),
    controlNet=Field(BOOLEAN),
    controlNetType=Field(CONTROLNET_TYPES),
    weighting=Field(FLOAT),
    canvasRequest=Field(BOOLEAN),
    canvasRequestType=Field(CANVAS_REQUEST_TYPES),
    canvasInitId=Field(STRING),
    canvasMaskId=Field(STRING),
)
