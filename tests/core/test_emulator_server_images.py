"""Emulator: image generations, init images, variations, prompt helpers and catalogues."""

from __future__ import annotations

import io
import json
import uuid

import requests
from PIL import Image

from .conftest import png_bytes


def _decode(url):
    response = requests.get(url, timeout=5)
    assert response.status_code == 200, response.text
    picture = Image.open(io.BytesIO(response.content))
    picture.load()
    return picture


def _generate(api, **fields):
    body = {"prompt": "a tiled floor", "width": 64, "height": 48, "num_images": 2, **fields}
    response = api.post("/generations", body)
    assert response.status_code == 200, response.text
    return response.json()["sdGenerationJob"]


def test_image_generation_flow(make_emulator, client_for):
    emulator = make_emulator(job_seconds=0.5)  # long enough to see PENDING even on a loaded machine
    api = client_for(emulator)
    before = emulator.credits
    job = _generate(api, tiling=True, seed=77, negative_prompt="people", presetStyle="RENDER_3D")
    assert job["apiCreditCost"] > 0 and emulator.credits == before - job["apiCreditCost"]
    priced = api.post(
        "/pricing-calculator",
        {
            "service": "IMAGE_GENERATION",
            "serviceParams": {"IMAGE_GENERATION": {"imageWidth": 64, "imageHeight": 48, "numImages": 2}},
        },
    ).json()
    assert priced["calculateProductionApiServiceCost"]["cost"] == job["apiCreditCost"]
    pending = api.generation(job["generationId"])
    assert pending["status"] == "PENDING" and pending["generated_images"] == []
    done = api.wait(lambda: api.generation(job["generationId"]))
    assert done["status"] == "COMPLETE"
    assert done["seed"] == 77 and done["negativePrompt"] == "people" and done["presetStyle"] == "RENDER_3D"
    assert (done["imageWidth"], done["imageHeight"]) == (64, 48)
    assert len(done["generated_images"]) == 2
    for image in done["generated_images"]:
        assert image["url"].startswith(emulator.cdn_origin + "/")
        picture = _decode(image["url"])
        assert picture.format == "JPEG" and picture.size == (96, 72)  # alchemy (on by default) serves 1.5x
    assert api.delete(f"/generations/{job['generationId']}").json() == {
        "delete_generations_by_pk": {"id": job["generationId"]}
    }
    assert api.generation(job["generationId"]) is None
    assert requests.get(done["generated_images"][0]["url"], timeout=5).status_code == 404


def test_image_generation_value_rules(emulator, api):
    for width, height in ((100, 64), (16, 64), (64, 2048)):
        response = api.post("/generations", {"prompt": "x", "width": width, "height": height})
        assert response.status_code == 400
        assert response.json() == {"error": "invalid dimensions", "path": "$", "code": "unexpected"}
    too_many = api.post("/generations", {"prompt": "x", "width": 1024, "height": 1024, "num_images": 5})
    assert too_many.status_code == 400 and too_many.json()["error"] == "Too many images"
    assert api.post("/generations", {"prompt": "x", "width": 512, "height": 512, "num_images": 9}).status_code == 400
    bad_init = api.post("/generations", {"prompt": "x", "init_image_id": str(uuid.uuid4())})
    assert bad_init.json()["error"] == "invalid init image id"
    assert emulator.state.generations == {}


def test_init_image_flow(emulator, api):
    image_id = api.upload_init_image(png_bytes((40, 30)))
    record = api.get(f"/init-image/{image_id}").json()["init_images_by_pk"]
    assert set(record) == {"createdAt", "id", "url"} and record["id"] == image_id
    assert _decode(record["url"]).size == (40, 30)
    generation = api.post(
        "/generations",
        {
            "prompt": "x",
            "width": 64,
            "height": 64,
            "num_images": 1,
            "init_image_id": image_id,
            "init_strength": 0.5,
        },
    )
    assert generation.status_code == 200, generation.text
    assert api.delete(f"/init-image/{image_id}").json() == {"delete_init_images_by_pk": {"id": image_id}}
    assert api.get(f"/init-image/{image_id}").json() == {"init_images_by_pk": None}


def test_init_image_rules(api):
    for extension in ("gif", "obj", "PNGX"):
        response = api.post("/init-image", {"extension": extension})
        assert response.status_code == 400 and response.json()["error"] == "invalid file extension"
    assert api.post("/init-image", {"extension": "JPEG"}).status_code == 200
    slot = api.post("/init-image", {"extension": "png"}).json()["uploadInitImage"]
    not_an_image = requests.post(
        slot["url"],
        data=json.loads(slot["fields"]),
        files={"file": ("x.png", b"definitely not a png")},
        timeout=5,
    )
    assert not_an_image.status_code == 400 and "<Code>InvalidArgument</Code>" in not_an_image.text
    assert api.get(f"/init-image/{slot['id']}").json() == {"init_images_by_pk": None}


def test_variations(make_emulator, client_for):
    api = client_for(make_emulator(job_seconds=0.5))
    job = _generate(api, num_images=1)
    image = api.wait(lambda: api.generation(job["generationId"]))["generated_images"][0]
    source = _decode(image["url"])
    upscale = api.post("/variations/upscale", {"id": image["id"]}).json()["sdUpscaleJob"]
    unzoom = api.post("/variations/unzoom", {"id": image["id"]}).json()["sdUnzoomJob"]
    nobg = api.post("/variations/nobg", {"id": image["id"]}).json()["sdNobgJob"]
    for created in (upscale, unzoom, nobg):
        assert created["apiCreditCost"] > 0
    first = api.variation(upscale["id"])
    assert first["status"] == "PENDING" and first["url"] is None and first["transformType"] == "UPSCALE"
    done = {
        name: api.wait(lambda v=v: api.variation(v["id"]))
        for name, v in (("upscale", upscale), ("unzoom", unzoom), ("nobg", nobg))
    }
    assert {v["status"] for v in done.values()} == {"COMPLETE"}
    assert [done[n]["transformType"] for n in ("upscale", "unzoom", "nobg")] == ["UPSCALE", "UNZOOM", "NOBG"]
    upscaled = _decode(done["upscale"]["url"])
    assert upscaled.size == (source.size[0] * 2, source.size[1] * 2)
    cutout = _decode(done["nobg"]["url"])
    assert cutout.format == "PNG" and cutout.mode == "RGBA"
    listed = api.generation(job["generationId"])["generated_images"][0]["generated_image_variation_generics"]
    assert {v["id"] for v in listed} == {upscale["id"], unzoom["id"], nobg["id"]}
    # a variation of a variation needs isVariation
    chained = api.post("/variations/nobg", {"id": upscale["id"], "isVariation": True})
    assert chained.status_code == 200, chained.text
    wrong_flag = api.post("/variations/nobg", {"id": upscale["id"]})
    assert wrong_flag.status_code == 400 and wrong_flag.json()["error"] == "couldn't access image"
    not_a_variation = api.post("/variations/unzoom", {"id": image["id"], "isVariation": True})
    assert not_a_variation.json()["error"] == "failed to find init variation"


def test_variations_refuse_init_images_and_unknown_ids(emulator, api):
    init_id = api.upload_init_image()
    before = emulator.credits
    for path in ("/variations/upscale", "/variations/unzoom", "/variations/nobg"):
        for image_id in (init_id, str(uuid.uuid4())):
            response = api.post(path, {"id": image_id})
            assert response.status_code == 400
            assert response.json() == {"error": "couldn't access image", "path": "$", "code": "unexpected"}
    assert emulator.credits == before and emulator.state.variations == {}


def test_universal_upscaler(emulator, api):
    init_id = api.upload_init_image(png_bytes((32, 32)))
    created = api.post(
        "/variations/universal-upscaler",
        {"initImageId": init_id, "upscaleMultiplier": 2.0, "upscalerStyle": "CG ART & GAME ASSETS"},
    )
    assert created.status_code == 200, created.text
    job = created.json()["universalUpscaler"]
    done = api.wait(lambda: api.variation(job["id"]))
    assert _decode(done["url"]).size == (64, 64)
    none_given = api.post("/variations/universal-upscaler", {"prompt": "x"})
    assert none_given.status_code == 400
    both = api.post("/variations/universal-upscaler", {"initImageId": init_id, "generatedImageId": init_id})
    assert both.status_code == 400
    style = api.post("/variations/universal-upscaler", {"initImageId": init_id, "upscalerStyle": "ANIME"})
    assert style.json()["code"] == "validation-failed"


def test_prompt_helpers_cost_four_credits(emulator, api):
    before = emulator.credits
    random_prompt = api.post("/prompt/random")
    assert random_prompt.status_code == 200
    generated = random_prompt.json()["promptGeneration"]
    assert generated["prompt"] and generated["apiCreditCost"] == 4
    improved = api.post("/prompt/improve", {"prompt": "red brick wall", "promptInstructions": "make it old"})
    text = improved.json()["promptGeneration"]["prompt"]
    assert "red brick wall" in text and len(text) > len("red brick wall")
    assert emulator.credits == before - 8
    too_long = api.post("/prompt/improve", {"prompt": "x" * 200})
    assert too_long.status_code == 400
    assert too_long.json()["error"] == "Prompt is too long, please keep it under 200 characters"
    assert api.post("/prompt/improve", {"prompt": "x" * 199}).status_code == 200
    assert api.post("/prompt/random", {"prompt": "x"}).json()["code"] == "bad-request"


def test_catalogues(api):
    models = api.get("/platformModels").json()["custom_models"]
    assert len(models) >= 2
    for model in models:
        assert set(model) == {"description", "featured", "generated_image", "id", "name", "nsfw"}
        uuid.UUID(model["id"])
    assert api.get("/elements").json()["loras"]
