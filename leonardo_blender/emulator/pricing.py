"""Credit costs: one place for what a create route charges and what the pricing calculator answers.

Texture costs are documented (preview 30, full 150). Everything else is the emulator's own
deterministic formula, so the calculator and the create routes always agree. An image generation
costs by its *requested* size and image count only: alchemy (which serves larger images),
controlnets and the calculator's model flags (``isSDXL``, ``alchemyMode``, ``controlnetsCost``, ...)
change nothing, so ``IMAGE_GENERATION`` with ``imageWidth``/``imageHeight``/``numImages`` answers
exactly the ``apiCreditCost`` the create charges.
"""

from __future__ import annotations

import math

TEXTURE_PREVIEW_COST = 30
TEXTURE_FULL_COST = 150
PROMPT_COST = 4
VARIATION_COSTS = {"upscale": 5, "unzoom": 5, "nobg": 2, "universal-upscaler": 10}
FIXED_SERVICE_COSTS = {
    "FANTASY_AVATAR_GENERATION": 20,
    "MOTION_SVD_GENERATION": 25,
    "MOTION_VIDEO_GENERATION": 100,
    "VEO3_MOTION_VIDEO_GENERATION": 1000,
    "LCM_GENERATION": 1,
    "MODEL_TRAINING": 500,
    "UNIVERSAL_UPSCALER": VARIATION_COSTS["universal-upscaler"],
    "UNIVERSAL_UPSCALER_ULTRA": 20,
}
MEGAPIXEL_UNIT = 512 * 512


def texture_cost(preview: bool) -> int:
    return TEXTURE_PREVIEW_COST if preview else TEXTURE_FULL_COST


def image_generation_cost(width: int, height: int, num_images: int) -> int:
    """``num_images`` x one credit per started 512x512 area (at least one)."""
    return num_images * max(1, math.ceil(width * height / MEGAPIXEL_UNIT))


def cost_object(amount: int) -> dict[str, str]:
    """The 2026 SDK's ``cost`` object that create responses carry beside ``apiCreditCost``."""
    return {"amount": str(amount), "unit": "CREDITS"}
