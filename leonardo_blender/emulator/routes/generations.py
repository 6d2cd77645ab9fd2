"""API routes of image generations (§5): create, get, list by user, delete.

Value rules (400 ``unexpected``): ``modelId`` must be a model ``GET /platformModels`` lists ("<id> is
not supported within the Production API. ..."; absent = Lightning XL, the spec default);
width/height multiples of 8 in 32..1536 ("invalid dimensions"); num_images 1..8, or 1..4 when a side
exceeds 768 ("Too many images"); init ids must exist; ``controlnets[]`` as in :mod:`.controlnets`.

``alchemy`` defaults to true, and then the served images are 1.5x the requested width and height (the
docs: alchemy "will produce a higher Output Resolution than the Input dimensions");
``imageWidth``/``imageHeight`` keep echoing the requested size. With ``alchemy: false`` the served size
is the requested one. The cost depends on the requested size only (:mod:`..pricing`).

Images are made in the background (``jobs.generation_work``) and served by the CDN;
``generated_images`` stays empty until the generation is COMPLETE.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from ..context import AppContext
from ..faults import PHASE_JOB
from ..http.errors import unexpected
from ..http.router import Call, Route
from ..http.schemas import PAGING, UUID, Field, Schema, query_root, schema
from ..jobs import generation_work
from ..keys import generation_image_key, new_id
from ..model_families import DEFAULT_MODEL_ID, PlatformModel, platform_model
from ..pricing import cost_object, image_generation_cost
from ..state import GeneratedImage, Generation, iso, page, utc_now
from .checks import check_prompt, check_seed, finished_generated_image, visible_init_image
from .controlnets import check_controlnets
from .generation_schema import GENERATION_SCHEMA
from .variations import variation_json

ALCHEMY_SCALE = 1.5
_RANGES = {
    "num_inference_steps": (10, 60),
    "guidance_scale": (1, 20),
    "init_strength": (0.1, 0.9),
    "contrast": (1.0, 4.5),
}


def generation_json(ctx: AppContext, generation: Generation) -> dict[str, Any]:
    params, status = generation.params, generation.status
    return {
        "createdAt": iso(generation.created_at),
        "id": generation.id,
        "status": status,
        "prompt": generation.prompt,
        "negativePrompt": params.get("negative_prompt"),
        "modelId": generation.model_id,
        "imageWidth": generation.width,
        "imageHeight": generation.height,
        "inferenceSteps": params.get("num_inference_steps") or 15,
        "guidanceScale": params.get("guidance_scale") or 7,
        "initStrength": params.get("init_strength"),
        "seed": generation.seed,
        "scheduler": params.get("scheduler") or "EULER_DISCRETE",
        "sdVersion": generation.sd_version,
        "presetStyle": params.get("presetStyle"),
        "public": bool(params.get("public") or False),
        "photoReal": bool(params.get("photoReal") or False),
        "photoRealStrength": params.get("photoRealStrength"),
        "promptMagic": bool(params.get("promptMagic") or False),
        "promptMagicStrength": params.get("promptMagicStrength"),
        "promptMagicVersion": params.get("promptMagicVersion"),
        "ultra": bool(params.get("ultra") or False),
        "generated_images": [_image_json(ctx, image) for image in generation.images] if status == "COMPLETE" else [],
        "generation_elements": [
            {
                "id": index + 1,
                "weightApplied": element.get("weight") or 1,
                "lora": {
                    "akUUID": element["akUUID"],
                    "baseModel": generation.sd_version,
                    "description": "",
                    "name": f"Element {element['akUUID']}",
                    "urlImage": None,
                    "weightDefault": 1,
                    "weightMax": 2,
                    "weightMin": -1,
                },
            }
            for index, element in enumerate(params.get("elements") or [])
        ],
    }


def _image_json(ctx: AppContext, image: GeneratedImage) -> dict[str, Any]:
    variations = [v for v in ctx.state.variations.values() if v.source_id == image.id]
    return {
        "id": image.id,
        "url": ctx.cdn_url(image.key),
        "nsfw": False,
        "likeCount": 0,
        "fantasyAvatar": False,
        "imageToVideo": False,
        "motion": False,
        "motionModel": None,
        "motionMP4URL": None,
        "motionStrength": None,
        "generated_image_variation_generics": [
            {key: value for key, value in variation_json(ctx, v).items() if key != "createdAt"}
            for v in sorted(variations, key=lambda v: v.seq)
        ],
    }


def _model(args: dict[str, Any]) -> PlatformModel:
    model_id = args.get("modelId")
    model = platform_model(DEFAULT_MODEL_ID if model_id is None else model_id)
    if model is None:
        raise unexpected(
            f"{model_id} is not supported within the Production API. Please try again with a different model ID."
        )
    return model


def _check_generation_args(ctx: AppContext, args: dict[str, Any]) -> tuple[int, int, int]:
    check_prompt(args["prompt"])
    width = 1024 if args.get("width") is None else args["width"]
    height = 768 if args.get("height") is None else args["height"]
    if any(side % 8 or not 32 <= side <= 1536 for side in (width, height)):
        raise unexpected("invalid dimensions")
    count = 4 if args.get("num_images") is None else args["num_images"]
    if count < 1:
        raise unexpected("num_images must be at least 1")
    if count > (4 if max(width, height) > 768 else 8):
        raise unexpected("Too many images")
    for name, (low, high) in _RANGES.items():
        value = args.get(name)
        if value is not None and not low <= value <= high:
            raise unexpected(f"invalid {name} {value}: expected a value between {low} and {high}")
    init_id = args.get("init_image_id")
    if init_id is not None and not visible_init_image(ctx, init_id):
        raise unexpected("invalid init image id")
    generated_id = args.get("init_generation_image_id")
    if generated_id is not None and finished_generated_image(ctx, generated_id) is None:
        raise unexpected("couldn't access image")
    return width, height, count


def served_size(width: int, height: int, alchemy: bool) -> tuple[int, int]:
    """Size of the served images: 1.5x the request with alchemy, the request without."""
    if not alchemy:
        return width, height
    return round(width * ALCHEMY_SCALE), round(height * ALCHEMY_SCALE)


def create_generation(ctx: AppContext, call: Call) -> dict[str, Any]:
    args, state = call.args, ctx.state
    model = _model(args)
    with state.lock:
        width, height, count = _check_generation_args(ctx, args)
        depth_image = check_controlnets(ctx, args.get("controlnets"), model)
        seed = check_seed(ctx, args.get("seed"))
        served_width, served_height = served_size(width, height, args.get("alchemy") is not False)
        cost = image_generation_cost(width, height, count)
        ctx.concurrency.check_capacity(ctx.user_id)
        state.charge(cost, ctx.user_id)
        generation_id = new_id()
        fault = ctx.faults.take_one(PHASE_JOB, call.route_key)
        generation = Generation(
            id=generation_id,
            user_id=ctx.user_id,
            prompt=args["prompt"],
            params=dict(args),
            model_id=model.id,
            sd_version=args.get("sd_version") or model.sd_version,
            width=width,
            height=height,
            served_width=served_width,
            served_height=served_height,
            num_images=count,
            seed=seed,
            api_credit_cost=cost,
            created_at=utc_now(),
            seq=state.next_seq(),
            job=ctx.paid_job(fail=fault is not None),
            depth_image=depth_image,
        )
        for index in range(count):
            image = GeneratedImage(
                new_id(), generation_id, index, generation_image_key(ctx.user_id, generation_id, index)
            )
            generation.images.append(image)
            state.generated_images[image.id] = image
        state.generations[generation_id] = generation
        state.image_generations_created += 1
    if fault is None:
        ctx.jobs.submit(partial(generation_work, ctx.jobs, state, generation))
    return {"sdGenerationJob": {"generationId": generation_id, "apiCreditCost": cost, "cost": cost_object(cost)}}


def get_generation(ctx: AppContext, call: Call) -> dict[str, Any]:
    with ctx.state.lock:
        generation = ctx.state.generations.get(call.args["id"])
        return {"generations_by_pk": generation_json(ctx, generation) if generation else None}


def list_generations(ctx: AppContext, call: Call) -> dict[str, Any]:
    with ctx.state.lock:
        mine = [g for g in ctx.state.generations.values() if g.user_id == call.args["userId"]]
        items = page(mine, call.args.get("offset"), call.args.get("limit"))
        return {"generations": [generation_json(ctx, g) for g in items]}


def delete_generation(ctx: AppContext, call: Call) -> dict[str, Any]:
    state = ctx.state
    with state.lock:
        generation = state.generations.pop(call.args["id"], None)
        if generation is None:
            return {"delete_generations_by_pk": None}
        generation.job.retire()
        for image in generation.images:
            state.generated_images.pop(image.id, None)
        state.delete_blobs([image.key for image in generation.images])
        return {"delete_generations_by_pk": {"id": generation.id}}


def _by_id(root: str) -> Schema:
    return schema(query_root(root), id=Field(UUID, required=True))


ROUTES = [
    Route("POST", "/generations", GENERATION_SCHEMA, create_generation, rate_limited=True),
    Route("GET", "/generations/{id}", _by_id("generations_by_pk"), get_generation),
    Route("DELETE", "/generations/{id}", _by_id("delete_generations_by_pk"), delete_generation),
    Route(
        "GET",
        "/generations/user/{userId}",
        schema(query_root("generations"), userId=Field(UUID, required=True), **PAGING),
        list_generations,
    ),
]
