"""Emulator: image generation as the live service does it for depth-guided texturing (reference §15).

Model families and their controlnet preprocessors, init image checks, alchemy's larger served images,
the position code of Depth-to-Image generations, Style Reference from a generated view, pricing and
the counters add-on tests use.
"""

from __future__ import annotations

import io
import uuid

import numpy as np
import pytest
import requests
from PIL import Image

from leonardo_blender.emulator import controlnet_code_blue, position_code
from leonardo_blender.emulator.content.controlnet_images import BACKGROUND
from leonardo_blender.emulator.model_families import (
    DEFAULT_MODEL_ID,
    DIFFUSION_XL,
    EMULATED_SD1_5,
    EMULATED_SD2_1,
    KINO_XL,
    LIGHTNING_XL,
    PHOENIX_MODEL,
    VISION_XL,
)

from .conftest import png_bytes

SDXL_MODELS = (LIGHTNING_XL, KINO_XL, DIFFUSION_XL, VISION_XL)
PROMPT_FRONT = "weathered bronze statue, front view"
PROMPT_SIDE = "weathered bronze statue, left side view"
# the object of the depth maps below: a rectangle (near = bright gradient), background 0
OBJECT_BOX = (16, 12, 48, 36)  # left, top, right, bottom (exclusive) in a 64 x 48 map


def depth_png(size: tuple[int, int] = (64, 48), box: tuple[int, int, int, int] = OBJECT_BOX) -> bytes:
    width, height = size
    depth = np.zeros((height, width), dtype=np.uint8)
    left, top, right, bottom = box
    depth[top:bottom, left:right] = np.linspace(255, 40, right - left, dtype=np.uint8)[None, :]
    buffer = io.BytesIO()
    Image.fromarray(depth, "L").save(buffer, "PNG")
    return buffer.getvalue()


def decode(url: str) -> Image.Image:
    response = requests.get(url, timeout=5)
    assert response.status_code == 200, response.text
    picture = Image.open(io.BytesIO(response.content))
    picture.load()
    return picture


def generate(api, expect: int = 200, **fields):
    body = {"prompt": PROMPT_FRONT, "width": 64, "height": 48, "num_images": 1, **fields}
    response = api.post("/generations", body)
    assert response.status_code == expect, response.text
    return response.json() if expect != 200 else response.json()["sdGenerationJob"]


def depth_net(image_id: str, preprocessor_id: int = 20, **extra):
    return {"initImageId": image_id, "initImageType": "UPLOADED", "preprocessorId": preprocessor_id, **extra}


def finished(api, generation_id: str):
    record = api.wait(lambda: api.generation(generation_id))
    assert record["status"] == "COMPLETE"
    return record


# -- models ---------------------------------------------------------------------------------------------


def test_platform_models_cover_every_family(api):
    models = {m["id"]: m["name"] for m in api.get("/platformModels").json()["custom_models"]}
    for model_id in (*SDXL_MODELS, PHOENIX_MODEL, EMULATED_SD1_5, EMULATED_SD2_1):
        assert model_id in models
    assert "(emulated)" in models[EMULATED_SD1_5] and "(emulated)" in models[EMULATED_SD2_1]
    assert models[KINO_XL] == "Leonardo Kino XL" and models[PHOENIX_MODEL] == "Leonardo Phoenix"
    for model_id in models:
        uuid.UUID(model_id)


def test_unknown_model_is_refused_with_the_documented_message(emulator, api):
    before = emulator.credits
    unknown = str(uuid.uuid4())
    body = generate(api, expect=400, modelId=unknown)
    assert body == {
        "error": f"{unknown} is not supported within the Production API. Please try again with a different model ID.",
        "path": "$",
        "code": "unexpected",
    }
    assert emulator.credits == before and emulator.state.generations == {}


def test_model_defaults_and_echo(emulator, api):
    default = api.generation(generate(api)["generationId"])
    assert default["modelId"] == DEFAULT_MODEL_ID == LIGHTNING_XL and default["sdVersion"] == "SDXL_LIGHTNING"
    phoenix = api.generation(generate(api, modelId=PHOENIX_MODEL)["generationId"])
    assert phoenix["modelId"] == PHOENIX_MODEL and phoenix["sdVersion"] == "PHOENIX"
    upper = api.generation(generate(api, modelId=KINO_XL.upper())["generationId"])
    assert upper["modelId"] == KINO_XL


# -- controlnets ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_id", "preprocessor_id"),
    [
        *((model_id, 20) for model_id in SDXL_MODELS),
        (EMULATED_SD1_5, 3),
        (EMULATED_SD2_1, 13),
        (LIGHTNING_XL, 19),
        (EMULATED_SD1_5, 9),
    ],
)
def test_preprocessors_the_family_offers_are_accepted(emulator, api, model_id, preprocessor_id):
    init_id = api.upload_init_image(depth_png())
    job = generate(api, modelId=model_id, controlnets=[depth_net(init_id, preprocessor_id, weight=1)])
    assert job["apiCreditCost"] > 0


@pytest.mark.parametrize(
    ("model_id", "preprocessor_id", "words"),
    [
        (PHOENIX_MODEL, 20, ("Depth to Image", "Leonardo Phoenix", "Phoenix", "Style Reference (166)")),
        (LIGHTNING_XL, 3, ("Depth to Image", "preprocessorId 3", "SDXL")),
        (EMULATED_SD1_5, 20, ("Depth to Image", "SD1.5")),
        (EMULATED_SD2_1, 67, ("Style Reference", "SD2.1")),
        (PHOENIX_MODEL, 67, ("Style Reference", "Phoenix")),
        (KINO_XL, 999, ("preprocessorId 999", "SDXL")),
    ],
)
def test_preprocessors_the_family_lacks_are_refused(emulator, api, model_id, preprocessor_id, words):
    init_id = api.upload_init_image(depth_png())
    before = emulator.credits
    body = generate(api, expect=400, modelId=model_id, controlnets=[depth_net(init_id, preprocessor_id)])
    assert body["code"] == "unexpected" and body["path"] == "$"
    for word in words:
        assert word in body["error"]
    assert emulator.credits == before and emulator.state.generations == {}


def test_controlnet_init_image_rules(emulator, api):
    before = emulator.credits
    never_uploaded = api.post("/init-image", {"extension": "png"}).json()["uploadInitImage"]["id"]
    for image_id in (str(uuid.uuid4()), never_uploaded):
        body = generate(api, expect=400, controlnets=[depth_net(image_id)])
        assert body == {"error": "invalid init image id", "path": "$", "code": "unexpected"}
    no_id = generate(api, expect=400, controlnets=[{"initImageType": "UPLOADED", "preprocessorId": 20}])
    assert no_id["error"] == "invalid init image id"
    uploaded = api.upload_init_image(depth_png())
    for image_id in (str(uuid.uuid4()), uploaded):  # GENERATED needs an image generated here
        body = generate(api, expect=400, controlnets=[depth_net(image_id, initImageType="GENERATED")])
        assert body == {"error": "couldn't access image", "path": "$", "code": "unexpected"}
    no_preprocessor = generate(api, expect=400, controlnets=[{"initImageId": uploaded, "initImageType": "UPLOADED"}])
    assert "preprocessorId" in no_preprocessor["error"]
    assert emulator.credits == before and emulator.state.generations == {}


def test_controlnet_weight_and_strength(emulator, api):
    init_id = api.upload_init_image(depth_png())
    for weight in (-0.1, 2.01, 5):
        body = generate(api, expect=400, controlnets=[depth_net(init_id, weight=weight)])
        assert body["code"] == "unexpected" and "weight" in body["error"]
    for weight in (0, 0.75, 2):
        generate(api, controlnets=[depth_net(init_id, weight=weight)])
    for strength in ("Low", "Mid", "High", "Ultra", "Max"):
        generate(api, controlnets=[depth_net(init_id, strengthType=strength)])
    wrong = generate(api, expect=400, controlnets=[depth_net(init_id, strengthType="Huge")])
    assert wrong["code"] == "validation-failed"
    unknown_field = generate(api, expect=400, controlnets=[depth_net(init_id, strength="Mid")])
    assert unknown_field["code"] == "validation-failed"


def test_guidance_scale_is_an_integer(api):
    generate(api, guidance_scale=7)
    generate(api, guidance_scale=7.0)
    assert generate(api, expect=400, guidance_scale=7.5)["code"] == "validation-failed"
    assert generate(api, expect=400, guidance_scale=21)["code"] == "unexpected"


# -- alchemy ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("alchemy", "served"), [(None, (96, 72)), (True, (96, 72)), (False, (64, 48))])
def test_alchemy_serves_larger_images(api, alchemy, served):
    fields = {} if alchemy is None else {"alchemy": alchemy}
    record = finished(api, generate(api, num_images=2, **fields)["generationId"])
    assert (record["imageWidth"], record["imageHeight"]) == (64, 48)
    for image in record["generated_images"]:
        assert decode(image["url"]).size == served


# -- the position code of depth-guided images ------------------------------------------------------------


def _interior(mask: np.ndarray, margin: int) -> np.ndarray:
    """Pixels of ``mask`` whose whole ``margin`` neighbourhood is in ``mask`` too (no JPEG edge ringing)."""
    inner = mask.copy()
    for dy in range(-margin, margin + 1):
        for dx in range(-margin, margin + 1):
            inner &= np.roll(np.roll(mask, dy, axis=0), dx, axis=1)
    inner[:margin] = inner[-margin:] = False
    inner[:, :margin] = inner[:, -margin:] = False
    return inner


def check_position_code(picture: Image.Image, prompt: str, box: tuple[int, int, int, int]) -> None:
    """Every interior object pixel carries its position code and the prompt's blue; background is 20.

    JPEG (quality 97, 4:4:4) keeps codes within 3 levels outside the 8x8 blocks the silhouette crosses,
    and within about 10 levels next to it.
    """
    rgb = np.asarray(picture.convert("RGB")).astype(int)
    height, width = rgb.shape[:2]
    left, top, right, bottom = box
    obj = np.zeros((height, width), dtype=bool)
    obj[top:bottom, left:right] = True
    expected = np.zeros_like(rgb)
    for row in range(height):
        for col in range(width):
            expected[row, col] = position_code(col, row, width, height, prompt) if obj[row, col] else BACKGROUND
    error = np.abs(rgb - expected)
    inner_obj, inner_bg = _interior(obj, 8), _interior(~obj, 8)
    assert inner_obj.sum() > 100 and inner_bg.sum() > 100
    assert error[inner_obj].max() <= 3 and error[inner_bg].max() <= 3
    near_obj, near_bg = _interior(obj, 1), _interior(~obj, 1)
    assert error[near_obj].max() <= 12 and error[near_bg].max() <= 12
    assert error[near_obj].mean() < 1.0
    assert abs(np.median(rgb[inner_obj][:, 2]) - controlnet_code_blue(prompt)) <= 1


def test_depth_controlnet_images_carry_the_position_code(api):
    init_id = api.upload_init_image(depth_png())
    job = generate(api, num_images=2, seed=5, controlnets=[depth_net(init_id, weight=1.0)])
    record = finished(api, job["generationId"])
    assert len(record["generated_images"]) == 2
    for image in record["generated_images"]:
        assert image["url"].split("?")[0].endswith(".jpg")
        picture = decode(image["url"])
        assert picture.format == "JPEG" and picture.size == (96, 72)  # alchemy: 1.5x
        check_position_code(picture, PROMPT_FRONT, (24, 18, 72, 54))  # the object box scaled by 1.5


def test_position_code_without_alchemy_and_per_prompt_blue(api):
    assert controlnet_code_blue(PROMPT_FRONT) != controlnet_code_blue(PROMPT_SIDE)
    init_id = api.upload_init_image(depth_png((128, 96), (20, 10, 100, 90)))
    for prompt in (PROMPT_FRONT, PROMPT_SIDE):
        job = generate(api, prompt=prompt, width=128, height=96, alchemy=False, controlnets=[depth_net(init_id)])
        picture = decode(finished(api, job["generationId"])["generated_images"][0]["url"])
        assert picture.size == (128, 96)
        check_position_code(picture, prompt, (20, 10, 100, 90))


def test_depth_map_of_another_size_is_resized_to_the_served_image(api):
    init_id = api.upload_init_image(depth_png())  # 64 x 48: half the request's size
    job = generate(api, width=128, height=96, alchemy=False, controlnets=[depth_net(init_id)])
    picture = decode(finished(api, job["generationId"])["generated_images"][0]["url"])
    check_position_code(picture, PROMPT_FRONT, (32, 24, 96, 72))


def test_generations_without_depth_keep_procedural_images(api):
    init_id = api.upload_init_image(png_bytes((64, 48)))
    job = generate(api, alchemy=False, seed=3, init_image_id=init_id, init_strength=0.5)
    rgb = np.asarray(decode(finished(api, job["generationId"])["generated_images"][0]["url"]).convert("RGB"))
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 500  # a procedural picture, not a code


def test_style_reference_from_a_generated_view(emulator, api):
    depth_id = api.upload_init_image(depth_png())
    first = generate(api, controlnets=[depth_net(depth_id)])
    early = generate(
        api,
        expect=400,
        controlnets=[
            depth_net(depth_id),
            {
                "initImageId": str(uuid.uuid4()),
                "initImageType": "GENERATED",
                "preprocessorId": 67,
                "strengthType": "Mid",
            },
        ],
    )
    assert early["error"] == "couldn't access image"
    view = finished(api, first["generationId"])["generated_images"][0]["id"]
    style = {"initImageId": view, "initImageType": "GENERATED", "preprocessorId": 67, "strengthType": "High"}
    for model_id in SDXL_MODELS:
        second = generate(api, prompt=PROMPT_SIDE, modelId=model_id, controlnets=[depth_net(depth_id), style])
        picture = decode(finished(api, second["generationId"])["generated_images"][0]["url"])
        check_position_code(picture, PROMPT_SIDE, (24, 18, 72, 54))
    phoenix = generate(api, modelId=PHOENIX_MODEL, controlnets=[{**style, "preprocessorId": 166, "influence": 0.5}])
    assert phoenix["apiCreditCost"] > 0


# -- pricing and counters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height", "count"), [(1024, 1024, 1), (512, 768, 4), (64, 48, 2)])
def test_pricing_matches_what_the_create_charges(emulator, api, width, height, count):
    params = {
        "imageWidth": width,
        "imageHeight": height,
        "numImages": count,
        "isSDXL": True,
        "alchemyMode": True,
        "controlnetsCost": 2,
    }
    quoted = api.post(
        "/pricing-calculator", {"service": "IMAGE_GENERATION", "serviceParams": {"IMAGE_GENERATION": params}}
    )
    assert quoted.status_code == 200, quoted.text
    init_id = api.upload_init_image(depth_png())
    before = emulator.credits
    job = generate(api, width=width, height=height, num_images=count, controlnets=[depth_net(init_id)])
    assert quoted.json()["calculateProductionApiServiceCost"]["cost"] == job["apiCreditCost"]
    assert emulator.credits == before - job["apiCreditCost"] and job["cost"] == {
        "amount": str(job["apiCreditCost"]),
        "unit": "CREDITS",
    }


def test_counters_of_paid_image_generations(emulator, api):
    init_id = api.upload_init_image(depth_png())
    generate(api)
    generate(api, controlnets=[depth_net(init_id)])
    generate(api, expect=400, modelId=str(uuid.uuid4()))
    assert emulator.count("POST", "/generations") == 3
    assert emulator.image_generations_created == emulator.stats()["image_generations_created"] == 2
    assert emulator.stats()["texture_jobs_created"] == 0
