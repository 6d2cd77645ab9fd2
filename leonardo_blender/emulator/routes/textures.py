"""API routes of texture generation: create, get, list by model, delete (tag "Texture").

Request fields are exactly the contract's mixed-case names. Types are checked by the schema; the
value rules the spec leaves as free strings/integers are the handler's (400 ``unexpected``):
``sd_version`` in {v1_5, v2} (default v1_5), ``preview_direction`` in {front, back, left, right}
(default front), ``front_rotation_offset`` in {-90, 0, 90, 180} (default 0), ``seed`` in
0..9999999998 (random when absent, always echoed as an int).

With ``EmulatorConfig.texture_api_withdrawn`` the API host answers the create route (:data:`WITHDRAWABLE`)
with the routing 404 of an unknown path, as the live service did in May 2026, before reading the body:
nothing is charged and no job is made; the GET, list and DELETE routes keep working.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from ..context import AppContext
from ..faults import PHASE_JOB
from ..http.errors import unexpected
from ..http.router import Call, Route
from ..http.schemas import BIGINT, BOOLEAN, INT, PAGING, STRING, UUID, Field, action_root, query_root, schema
from ..jobs import texture_work
from ..keys import new_id, texture_key
from ..pricing import cost_object, texture_cost
from ..state import TextureGeneration, TextureImage, iso, page, utc_now
from .checks import check_prompt, check_seed, choice

SD_VERSIONS = ("v1_5", "v2")
PREVIEW_DIRECTIONS = ("front", "back", "left", "right")
ROTATION_OFFSETS = (-90, 0, 90, 180)


def texture_json(ctx: AppContext, generation: TextureGeneration) -> dict[str, Any]:
    """The GET shape (§3.2): no echo of modelAssetId/preview/sd_version; images only once COMPLETE."""
    status = generation.status
    images = (
        [{"id": image.id, "type": image.type, "url": ctx.cdn_url(image.key)} for image in generation.images]
        if status == "COMPLETE"
        else []
    )
    return {
        "createdAt": iso(generation.created_at),
        "id": generation.id,
        "model_asset_texture_images": images,
        "negativePrompt": generation.negative_prompt,
        "prompt": generation.prompt,
        "seed": generation.seed,
        "status": status,
    }


def create_texture(ctx: AppContext, call: Call) -> dict[str, Any]:
    args, state = call.args, ctx.state
    check_prompt(args["prompt"])
    rotation = choice(args, "front_rotation_offset", ROTATION_OFFSETS, 0)
    sd_version = choice(args, "sd_version", SD_VERSIONS, "v1_5")
    direction = choice(args, "preview_direction", PREVIEW_DIRECTIONS, "front")
    preview = bool(args.get("preview") or False)
    seed = check_seed(ctx, args.get("seed"))
    model_id = args["modelAssetId"]
    cost = texture_cost(preview)
    map_types = ctx.config.preview_map_types if preview else ctx.config.full_map_types
    with state.lock:
        asset = state.model_assets.get(model_id.lower())
        if asset is None:
            raise unexpected(f"model asset not found: {model_id}")
        if not asset.uploaded or asset.mesh is None:
            raise unexpected(f"model asset {model_id} has no uploaded mesh: POST the OBJ file to its modelUrl first")
        ctx.concurrency.check_capacity(ctx.user_id)
        state.charge(cost, ctx.user_id)
        generation_id = new_id()
        fault = ctx.faults.take_one(PHASE_JOB, call.route_key)
        generation = TextureGeneration(
            id=generation_id,
            user_id=ctx.user_id,
            model_asset_id=asset.id,
            prompt=args["prompt"],
            negative_prompt=args.get("negative_prompt"),
            seed=seed,
            front_rotation_offset=rotation,
            sd_version=sd_version,
            preview=preview,
            preview_direction=direction,
            api_credit_cost=cost,
            created_at=utc_now(),
            seq=state.next_seq(),
            job=ctx.paid_job(fail=fault is not None),
            images=[
                TextureImage(new_id(), map_type, texture_key(ctx.user_id, generation_id, map_type))
                for map_type in map_types
            ],
        )
        state.texture_generations[generation_id] = generation
        state.texture_jobs_created += 1
        mesh = asset.mesh
    if fault is None:
        ctx.jobs.submit(partial(texture_work, ctx.jobs, state, generation, mesh, ctx.config.texture_size))
    return {"textureGenerationJob": {"id": generation_id, "apiCreditCost": cost, "cost": cost_object(cost)}}


def get_texture(ctx: AppContext, call: Call) -> dict[str, Any]:
    with ctx.state.lock:
        generation = ctx.state.texture_generations.get(call.args["id"])
        return {"model_asset_texture_generations_by_pk": texture_json(ctx, generation) if generation else None}


def list_textures(ctx: AppContext, call: Call) -> dict[str, Any]:
    with ctx.state.lock:
        matching = [gen for gen in ctx.state.texture_generations.values() if gen.model_asset_id == call.args["modelId"]]
        items = page(matching, call.args.get("offset"), call.args.get("limit"))
        return {"model_asset_texture_generations": [texture_json(ctx, gen) for gen in items]}


def delete_texture(ctx: AppContext, call: Call) -> dict[str, Any]:
    with ctx.state.lock:
        generation = ctx.state.texture_generations.pop(call.args["id"], None)
        if generation is None:
            return {"delete_model_asset_texture_generations_by_pk": None}
        generation.job.retire()
        ctx.state.delete_blobs([image.key for image in generation.images])
        return {"delete_model_asset_texture_generations_by_pk": {"id": generation.id}}


CREATE_SCHEMA = schema(
    action_root("textureGenerationJob"),
    prompt=Field(STRING, required=True),
    modelAssetId=Field(STRING, required=True),
    negative_prompt=Field(STRING),
    front_rotation_offset=Field(INT),
    sd_version=Field(STRING),
    preview=Field(BOOLEAN),
    preview_direction=Field(STRING),
    seed=Field(BIGINT),
)

WITHDRAWABLE = frozenset({"POST /generations-texture"})
"""Route keys that ``texture_api_withdrawn`` turns into the routing 404."""

ROUTES = [
    Route("POST", "/generations-texture", CREATE_SCHEMA, create_texture, rate_limited=True),
    Route(
        "GET",
        "/generations-texture/model/{modelId}",
        schema(query_root("model_asset_texture_generations"), modelId=Field(UUID, required=True), **PAGING),
        list_textures,
    ),
    Route(
        "GET",
        "/generations-texture/{id}",
        schema(query_root("model_asset_texture_generations_by_pk"), id=Field(UUID, required=True), **PAGING),
        get_texture,
    ),
    Route(
        "DELETE",
        "/generations-texture/{id}",
        schema(query_root("delete_model_asset_texture_generations_by_pk"), id=Field(UUID, required=True)),
        delete_texture,
    ),
]
