"""API routes about the account and helpers: ``/me``, pricing calculator, prompt helpers, catalogues.

``/me`` reports the credit balance as ``apiSubscriptionTokens`` (``apiPaidTokens`` stays 0) and
``concurrency_slots`` as ``apiConcurrencySlots``; every paid create takes its cost from the balance.
Prompt helpers cost 4 credits each. ``/platformModels`` lists ``model_families.PLATFORM_MODELS``; the
pricing calculator answers what the creates charge (:mod:`..pricing`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..context import AppContext
from ..http.errors import unexpected
from ..http.router import Call, Route
from ..http.schemas import BOOLEAN, FLOAT, INT, STRING, Enum, Field, InputObject, Schema, action_root, schema
from ..model_families import PLATFORM_MODELS
from ..pricing import FIXED_SERVICE_COSTS, PROMPT_COST, cost_object, image_generation_cost, texture_cost
from ..state import iso, utc_now

MAX_IMPROVE_PROMPT = 200
RANDOM_PROMPTS = (
    "weathered bronze statue with green patina and scratched edges",
    "hand-painted fantasy wood with gold filigree inlays",
    "rusty sci-fi metal panels with yellow hazard stripes",
    "mossy cobblestone with wet puddles",
    "glazed ceramic with blue floral pattern",
    "worn leather with stitched seams and brass rivets",
    "carved marble with veins of gold",
    "cracked desert clay with dry grass tufts",
)


def me(ctx: AppContext, call: Call) -> dict[str, Any]:
    with ctx.state.lock:
        credits = ctx.state.credits
    renewal = iso(utc_now().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=30))
    return {
        "user_details": [
            {
                "user": {"id": ctx.user_id, "username": ctx.config.username},
                "tokenRenewalDate": None,
                "paidTokens": 0,
                "subscriptionTokens": 0,
                "subscriptionGptTokens": 0,
                "subscriptionModelTokens": 0,
                "apiConcurrencySlots": ctx.config.concurrency_slots,
                "apiPaidTokens": 0,
                "apiSubscriptionTokens": credits,
                "apiPlanTokenRenewalDate": renewal,
            }
        ]
    }


def pricing(ctx: AppContext, call: Call) -> dict[str, Any]:
    service = call.args["service"]
    params = (call.args.get("serviceParams") or {}).get(service) or {}
    if service == "TEXTURE_GENERATION":
        cost = texture_cost(bool(params.get("preview") or False))
    elif service == "IMAGE_GENERATION":
        width = params.get("imageWidth") or 1024
        height = params.get("imageHeight") or 768
        count = params.get("numImages") or 4
        if width < 1 or height < 1 or count < 1:
            raise unexpected("invalid dimensions")
        cost = image_generation_cost(width, height, count)
    else:
        cost = FIXED_SERVICE_COSTS[service]
    return {"calculateProductionApiServiceCost": {"cost": cost}}


def _prompt_answer(ctx: AppContext, prompt: str) -> dict[str, Any]:
    ctx.state.charge(PROMPT_COST, ctx.user_id)
    return {"promptGeneration": {"prompt": prompt, "apiCreditCost": PROMPT_COST, "cost": cost_object(PROMPT_COST)}}


def random_prompt(ctx: AppContext, call: Call) -> dict[str, Any]:
    return _prompt_answer(ctx, ctx.rng.choice(RANDOM_PROMPTS))


def improve_prompt(ctx: AppContext, call: Call) -> dict[str, Any]:
    prompt = call.args["prompt"].strip()
    if len(call.args["prompt"]) >= MAX_IMPROVE_PROMPT:
        raise unexpected("Prompt is too long, please keep it under 200 characters")
    if not prompt:
        raise unexpected("Invalid prompt, the prompt must not be empty.")
    extra = "cinematic motion, smooth camera move" if call.args.get("isVideo") else "physically based materials"
    instructions = (call.args.get("promptInstructions") or "").strip()
    parts = [
        prompt,
        *([instructions] if instructions else []),
        "highly detailed",
        extra,
        "soft studio lighting",
    ]
    return _prompt_answer(ctx, ", ".join(parts))


def platform_models(ctx: AppContext, call: Call) -> dict[str, Any]:
    return {
        "custom_models": [
            {
                "description": model.description,
                "featured": True,
                "generated_image": None,
                "id": model.id,
                "name": model.name,
                "nsfw": False,
            }
            for model in PLATFORM_MODELS
        ]
    }


def elements(ctx: AppContext, call: Call) -> dict[str, Any]:
    return {
        "loras": [
            {
                "akUUID": "5f3e58d8-7af3-4d5b-92e3-11b1d8f5a1c0",
                "baseModel": "SDXL_1_0",
                "creatorName": "Emulator",
                "description": "Crystalline look (emulated).",
                "name": "Crystal",
                "urlImage": None,
                "weightDefault": 1,
                "weightMax": 2,
                "weightMin": -1,
            }
        ]
    }


SERVICES = Enum(
    "pricingCalculatorServices",
    (
        "IMAGE_GENERATION",
        "FANTASY_AVATAR_GENERATION",
        "MOTION_SVD_GENERATION",
        "MOTION_VIDEO_GENERATION",
        "VEO3_MOTION_VIDEO_GENERATION",
        "LCM_GENERATION",
        "MODEL_TRAINING",
        "TEXTURE_GENERATION",
        "UNIVERSAL_UPSCALER",
        "UNIVERSAL_UPSCALER_ULTRA",
    ),
)


def _params(name: str, **fields: Any) -> Field:
    return Field(InputObject(name, {key: Field(kind) for key, kind in fields.items()}))


_IMAGE_PARAM_BOOLEANS = (
    "promptMagic",
    "alchemyMode",
    "photoRealMode",
    "highResolution",
    "isModelCustom",
    "isPhoenix",
    "isSDXL",
    "isSDXLLightning",
    "ultra",
    "isFluxDev",
    "isFluxKontext",
    "isFluxSchnell",
    "isUltra",
)
SERVICE_PARAMS = InputObject(
    "ServiceParams",
    {
        "TEXTURE_GENERATION": _params("TextureGenerationParams", preview=BOOLEAN),
        "IMAGE_GENERATION": _params(
            "ImageGenerationParams",
            imageHeight=INT,
            imageWidth=INT,
            numImages=INT,
            inferenceSteps=INT,
            promptMagicStrength=FLOAT,
            promptMagicVersion=STRING,
            photoRealStrength=FLOAT,
            photoRealVersion=STRING,
            loraCount=INT,
            controlnetsCost=INT,
            **dict.fromkeys(_IMAGE_PARAM_BOOLEANS, BOOLEAN),
        ),
        "UNIVERSAL_UPSCALER": _params("UniversalUpscalerParams", megapixel=FLOAT),
        "UNIVERSAL_UPSCALER_ULTRA": _params(
            "UniversalUpscalerUltraParams", inputWidth=INT, inputHeight=INT, upscaleMultiplier=FLOAT
        ),
        "LCM_GENERATION": _params("LcmGenerationParams", height=INT, width=INT, instantRefine=BOOLEAN, refine=BOOLEAN),
        "MODEL_TRAINING": _params("ModelTrainingParams", resolution=INT, sd_version=STRING, datasetImageCount=INT),
        "MOTION_VIDEO_GENERATION": _params("MotionVideoGenerationParams", resolution=STRING),
        "VEO3_MOTION_VIDEO_GENERATION": _params("Veo3MotionVideoGenerationParams", resolution=STRING),
        "FANTASY_AVATAR_GENERATION": _params(
            "FantasyAvatarGenerationParams", imageHeight=INT, imageWidth=INT, numImages=INT
        ),
        "MOTION_SVD_GENERATION": _params("MotionSvdGenerationParams", isPublic=BOOLEAN),
    },
)

ROUTES = [
    Route("GET", "/me", Schema(), me),
    Route(
        "POST",
        "/pricing-calculator",
        schema(
            action_root("calculateProductionApiServiceCost"),
            service=Field(SERVICES, required=True),
            serviceParams=Field(SERVICE_PARAMS),
        ),
        pricing,
    ),
    Route("POST", "/prompt/random", Schema(error_root=action_root("promptGeneration")), random_prompt),
    Route(
        "POST",
        "/prompt/improve",
        schema(
            action_root("promptGeneration"),
            prompt=Field(STRING, required=True),
            promptInstructions=Field(STRING),
            isVideo=Field(BOOLEAN),
        ),
        improve_prompt,
    ),
    Route("GET", "/platformModels", Schema(), platform_models),
    Route("GET", "/elements", Schema(), elements),
]
