"""API routes of image generations (§5) and init images (§6).

Generation value rules (400 ``unexpected``): width/height multiples of 8 in 32..1536 ("invalid
dimensions"), num_images 1..8, or 1..4 when a side exceeds 768 ("Too many images"), init ids must
exist. Images are made by ``images.generation_image`` in the background and served by the CDN;
``generated_images`` stays empty until the generation is COMPLETE. Init images, like model assets,
exist for the API only once their upload succeeded.
"""

from __future__ import annotations

import json
import time
from functools import partial
from typing import Any

from .context import AppContext
from .errors import unexpected
from .faults import PHASE_JOB
from .generation_schema import GENERATION_SCHEMA
from .jobs import generation_work
from .keys import INIT_IMAGE_BUCKET, generation_image_key, init_image_key, new_id
from .pricing import cost_object, image_generation_cost
from .router import Call, Route
from .routes_textures import check_prompt, check_seed
from .schemas import PAGING, STRING, UUID, Field, action_root, query_root, schema
from .state import GeneratedImage, Generation, InitImage, Job, UploadSlot, Variation, iso, page, utc_now

DEFAULT_MODEL_ID = "b24e16ff-06e3-43eb-8d33-4416c2d75876"
INIT_EXTENSIONS = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
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
        "modelId": params.get("modelId") or DEFAULT_MODEL_ID,
        "imageWidth": generation.width,
        "imageHeight": generation.height,
        "inferenceSteps": params.get("num_inference_steps") or 15,
        "guidanceScale": params.get("guidance_scale") or 7,
        "initStrength": params.get("init_strength"),
        "seed": generation.seed,
        "scheduler": params.get("scheduler") or "EULER_DISCRETE",
        "sdVersion": params.get("sd_version") or "SDXL_LIGHTNING",
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
                    "baseModel": params.get("sd_version") or "SDXL_1_0",
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
    if generated_id is not None and generated_id.lower() not in ctx.state.generated_images:
        raise unexpected("couldn't access image")
    return width, height, count


def create_generation(ctx: AppContext, call: Call) -> dict[str, Any]:
    args, state = call.args, ctx.state
    with state.lock:
        width, height, count = _check_generation_args(ctx, args)
        seed = check_seed(ctx, args.get("seed"))
        cost = image_generation_cost(width, height, count)
        state.charge(cost, ctx.user_id)
        generation_id = new_id()
        fault = ctx.faults.take_one(PHASE_JOB, call.route_key)
        generation = Generation(
            id=generation_id,
            user_id=ctx.user_id,
            prompt=args["prompt"],
            params=dict(args),
            width=width,
            height=height,
            num_images=count,
            seed=seed,
            api_credit_cost=cost,
            created_at=utc_now(),
            seq=state.next_seq(),
            job=Job(ready_at=ctx.job_ready_at(), fail=fault is not None),
        )
        for index in range(count):
            image = GeneratedImage(
                new_id(), generation_id, index, generation_image_key(ctx.user_id, generation_id, index)
            )
            generation.images.append(image)
            state.generated_images[image.id] = image
        state.generations[generation_id] = generation
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
        for image in generation.images:
            state.generated_images.pop(image.id, None)
        state.delete_blobs([image.key for image in generation.images])
        return {"delete_generations_by_pk": {"id": generation.id}}


def visible_init_image(ctx: AppContext, image_id: str) -> InitImage | None:
    image = ctx.state.init_images.get(image_id.lower())
    return image if image is not None and image.uploaded else None


def upload_init_image(ctx: AppContext, call: Call) -> dict[str, Any]:
    extension = call.args["extension"].lower()
    if extension not in INIT_EXTENSIONS:
        raise unexpected("invalid file extension")
    image_id = new_id()
    key = init_image_key(ctx.user_id, image_id, extension)
    expires_at = time.time() + ctx.config.upload_expiry_seconds
    with ctx.state.lock:
        ctx.state.init_images[image_id] = InitImage(
            image_id, ctx.user_id, extension, key, utc_now(), ctx.state.next_seq()
        )
        ctx.state.upload_slots[key] = UploadSlot(key, INIT_IMAGE_BUCKET, "init-image", image_id, expires_at)
    fields = ctx.signer.post_fields(
        INIT_IMAGE_BUCKET, key, expires_at, extra={"Content-Type": INIT_EXTENSIONS[extension]}
    )
    return {
        "uploadInitImage": {
            "fields": json.dumps(fields),
            "id": image_id,
            "key": key,
            "url": f"{ctx.upload_origin}/{INIT_IMAGE_BUCKET}",
        }
    }


def get_init_image(ctx: AppContext, call: Call) -> dict[str, Any]:
    with ctx.state.lock:
        image = visible_init_image(ctx, call.args["id"])
        body = {"createdAt": iso(image.created_at), "id": image.id, "url": ctx.cdn_url(image.key)} if image else None
        return {"init_images_by_pk": body}


def delete_init_image(ctx: AppContext, call: Call) -> dict[str, Any]:
    state = ctx.state
    with state.lock:
        image = visible_init_image(ctx, call.args["id"])
        if image is None:
            return {"delete_init_images_by_pk": None}
        del state.init_images[image.id]
        state.upload_slots.pop(image.key, None)
        state.delete_blobs([image.key])
        return {"delete_init_images_by_pk": {"id": image.id}}


def _by_id(root: str) -> Any:
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
    Route(
        "POST",
        "/init-image",
        schema(action_root("uploadInitImage"), extension=Field(STRING, required=True)),
        upload_init_image,
    ),
    Route("GET", "/init-image/{id}", _by_id("init_images_by_pk"), get_init_image),
    Route("DELETE", "/init-image/{id}", _by_id("delete_init_images_by_pk"), delete_init_image),
]
