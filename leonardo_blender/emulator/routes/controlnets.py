"""Checks of ``controlnets[]`` on ``POST /generations`` (image guidance, reference section 15).

Per entry, in order (each a 400 ``unexpected``):

* ``preprocessorId`` must be given and offered by the model's family (``model_families``); the live
  message for a wrong one is unknown, the emulator's names the preprocessor, the model, its family and
  what the family offers.
* ``weight``, when given, is 0..2 (``strengthType`` is an enum the schema checks).
* ``initImageType`` ``UPLOADED`` (the default when absent) needs an init image whose upload succeeded:
  "invalid init image id"; ``GENERATED`` needs an image of a COMPLETE generation: "couldn't access image".

The image of the first Depth-to-Image controlnet is returned so the generation can paint its position
code (:mod:`..content.controlnet_images`); the bytes are copied at create time.
"""

from __future__ import annotations

from typing import Any

from ..context import AppContext
from ..http.errors import unexpected
from ..model_families import PREPROCESSORS, PlatformModel, is_depth, offered, preprocessor_name
from .checks import finished_generated_image, visible_init_image

FAMILY_LABELS = {"SD1_5": "SD1.5", "SD2_1": "SD2.1", "SDXL": "SDXL", "PHOENIX": "Phoenix"}
MAX_WEIGHT = 2.0


def _family_offer(family: str) -> str:
    offers = [f"{p.name} ({p.ids[family]})" for p in PREPROCESSORS if family in p.ids]
    return ", ".join(offers) if offers else "none"


def _check_preprocessor(index: int, preprocessor_id: int | None, model: PlatformModel) -> int:
    if preprocessor_id is None:
        raise unexpected(f"controlnets[{index}]: preprocessorId is required")
    if offered(model.family, preprocessor_id):
        return preprocessor_id
    name = preprocessor_name(preprocessor_id)
    what = f"preprocessorId {preprocessor_id} ({name})" if name else f"preprocessorId {preprocessor_id}"
    family = FAMILY_LABELS.get(model.family, model.family)
    raise unexpected(
        f"{what} is not available for {model.name}, a {family} model; "
        f"{family} models offer: {_family_offer(model.family)}"
    )


def _image_key(ctx: AppContext, image_type: str, image_id: str | None) -> str:
    if image_type == "GENERATED":
        generated = finished_generated_image(ctx, image_id) if image_id else None
        if generated is None:
            raise unexpected("couldn't access image")
        return generated.key
    uploaded = visible_init_image(ctx, image_id) if image_id else None
    if uploaded is None:
        raise unexpected("invalid init image id")
    return uploaded.key


def check_controlnets(ctx: AppContext, controlnets: list[dict[str, Any]] | None, model: PlatformModel) -> bytes | None:
    """Validate every entry; return the depth image bytes of the first Depth-to-Image controlnet, if any.

    The caller holds the state lock.
    """
    depth: bytes | None = None
    for index, controlnet in enumerate(controlnets or []):
        preprocessor_id = _check_preprocessor(index, controlnet.get("preprocessorId"), model)
        weight = controlnet.get("weight")
        if weight is not None and not 0.0 <= weight <= MAX_WEIGHT:
            raise unexpected(f"invalid controlnet weight {weight}: expected a value between 0 and {MAX_WEIGHT:g}")
        key = _image_key(ctx, controlnet.get("initImageType") or "UPLOADED", controlnet.get("initImageId"))
        if depth is None and is_depth(preprocessor_id):
            blob = ctx.state.blobs.get(key)
            if blob is None:
                raise unexpected("invalid init image id")
            depth = blob.data
    return depth
