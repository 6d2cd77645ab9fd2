"""API routes of variations (§7): upscale, unzoom, background removal, universal upscaler, get.

Sources: ``upscale``/``unzoom``/``nobg`` take the id of an image generated here (``"couldn't access
image"`` for an init image or an unknown id) or, with ``isVariation: true``, of a COMPLETE variation
(``"failed to find init variation"`` otherwise). The universal upscaler takes exactly one of
``generatedImageId``, ``initImageId``, ``variationId``. Outputs are made in the background with
``content.images.upscale`` / ``unzoom`` / ``remove_background``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from ..context import AppContext
from ..faults import PHASE_JOB
from ..http.errors import unexpected
from ..http.router import Call, Route
from ..http.schemas import BOOLEAN, FLOAT, INT, STRING, UUID, Enum, Field, action_root, query_root, schema
from ..jobs import variation_work
from ..keys import new_id, variation_key
from ..pricing import VARIATION_COSTS, cost_object
from ..state import Variation, iso, utc_now
from .checks import finished_generated_image, visible_init_image

UPSCALER_STYLES = Enum(
    "universal_upscaler_style", ("GENERAL", "CINEMATIC", "2D ART & ILLUSTRATION", "CG ART & GAME ASSETS")
)
ULTRA_STYLES = Enum("universal_upscaler_ultra_style", ("ARTISTIC", "REALISTIC"))
_UNIVERSAL_RANGES = {
    "creativityStrength": (1, 10),
    "upscaleMultiplier": (1.0, 2.0),
    "similarity": (1, 10),
    "detailContrast": (1, 10),
}


def variation_json(ctx: AppContext, variation: Variation) -> dict[str, Any]:
    """One ``generated_image_variation_generic`` row; ``url`` is null until the job is COMPLETE."""
    status = variation.status
    return {
        "createdAt": iso(variation.created_at),
        "id": variation.id,
        "status": status,
        "transformType": variation.transform_type,
        "url": ctx.cdn_url(variation.key) if status == "COMPLETE" else None,
    }


def _generated_source(ctx: AppContext, image_id: str) -> tuple[str, str]:
    image = finished_generated_image(ctx, image_id)
    if image is None:
        raise unexpected("couldn't access image")
    return image.id, image.key


def _variation_source(ctx: AppContext, variation_id: str) -> tuple[str, str]:
    variation = ctx.state.variations.get(variation_id.lower())
    if variation is None or variation.status != "COMPLETE":
        raise unexpected("failed to find init variation")
    return variation.id, variation.key


def _init_source(ctx: AppContext, image_id: str) -> tuple[str, str]:
    image = visible_init_image(ctx, image_id)
    if image is None:
        raise unexpected("invalid init image id")
    return image.id, image.key


def _create(ctx: AppContext, call: Call, kind: str, source: tuple[str, str], factor: float = 2.0) -> tuple[str, int]:
    """Charge, record and start a variation job; returns (id, cost). Caller holds the state lock."""
    state, cost = ctx.state, VARIATION_COSTS[kind]
    transform = {"upscale": "UPSCALE", "unzoom": "UNZOOM", "nobg": "NOBG", "universal-upscaler": "UPSCALE"}[kind]
    state.charge(cost, ctx.user_id)
    variation_id = new_id()
    fault = ctx.faults.take_one(PHASE_JOB, call.route_key)
    variation = Variation(
        id=variation_id,
        user_id=ctx.user_id,
        transform_type=transform,
        source_id=source[0],
        source_key=source[1],
        key=variation_key(ctx.user_id, variation_id, transform),
        factor=factor,
        api_credit_cost=cost,
        created_at=utc_now(),
        seq=state.next_seq(),
        job=ctx.plain_job(fail=fault is not None),
    )
    state.variations[variation_id] = variation
    if fault is None:
        ctx.jobs.submit(partial(variation_work, ctx.jobs, state, variation))
    return variation_id, cost


def _simple(kind: str, response_key: str) -> Any:
    def handler(ctx: AppContext, call: Call) -> dict[str, Any]:
        with ctx.state.lock:
            source_id = call.args["id"]
            if call.args.get("isVariation"):
                source = _variation_source(ctx, source_id)
            else:
                source = _generated_source(ctx, source_id)
            variation_id, cost = _create(ctx, call, kind, source)
        return {response_key: {"id": variation_id, "apiCreditCost": cost, "cost": cost_object(cost)}}

    return handler


def universal_upscaler(ctx: AppContext, call: Call) -> dict[str, Any]:
    args = call.args
    given = [name for name in ("generatedImageId", "initImageId", "variationId") if args.get(name) is not None]
    if len(given) != 1:
        raise unexpected("exactly one of generatedImageId, initImageId or variationId is required")
    for name, (low, high) in _UNIVERSAL_RANGES.items():
        value = args.get(name)
        if value is not None and not low <= value <= high:
            raise unexpected(f"invalid {name} {value}: expected a value between {low} and {high}")
    resolve = {
        "generatedImageId": _generated_source,
        "initImageId": _init_source,
        "variationId": _variation_source,
    }
    with ctx.state.lock:
        source = resolve[given[0]](ctx, args[given[0]])
        factor = args.get("upscaleMultiplier") or 1.5
        variation_id, cost = _create(ctx, call, "universal-upscaler", source, factor)
    return {"universalUpscaler": {"id": variation_id, "apiCreditCost": cost, "cost": cost_object(cost)}}


def get_variation(ctx: AppContext, call: Call) -> dict[str, Any]:
    with ctx.state.lock:
        variation = ctx.state.variations.get(call.args["id"])
        return {"generated_image_variation_generic": [variation_json(ctx, variation)] if variation else []}


def _variation_schema(action: str, with_flag: bool) -> Any:
    fields = {"id": Field(STRING, required=True)}
    if with_flag:
        fields["isVariation"] = Field(BOOLEAN)
    return schema(action_root(action), **fields)


UNIVERSAL_SCHEMA = schema(
    action_root("universalUpscaler"),
    generatedImageId=Field(STRING),
    initImageId=Field(STRING),
    variationId=Field(STRING),
    prompt=Field(STRING),
    creativityStrength=Field(INT),
    upscaleMultiplier=Field(FLOAT),
    upscalerStyle=Field(UPSCALER_STYLES),
    ultraUpscaleStyle=Field(ULTRA_STYLES),
    similarity=Field(INT),
    detailContrast=Field(INT),
)

ROUTES = [
    Route(
        "POST",
        "/variations/upscale",
        _variation_schema("sdUpscaleJob", False),
        _simple("upscale", "sdUpscaleJob"),
        rate_limited=True,
    ),
    Route(
        "POST",
        "/variations/unzoom",
        _variation_schema("sdUnzoomJob", True),
        _simple("unzoom", "sdUnzoomJob"),
        rate_limited=True,
    ),
    Route(
        "POST",
        "/variations/nobg",
        _variation_schema("sdNobgJob", True),
        _simple("nobg", "sdNobgJob"),
        rate_limited=True,
    ),
    Route("POST", "/variations/universal-upscaler", UNIVERSAL_SCHEMA, universal_upscaler, rate_limited=True),
    Route(
        "GET",
        "/variations/{id}",
        schema(query_root("generated_image_variation_generic"), id=Field(UUID, required=True)),
        get_variation,
    ),
]
