"""Emulator: the 3D texture flow end to end, costs and credits, unknown ids and deletes."""

from __future__ import annotations

import io
import json
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import requests
from PIL import Image

from .conftest import CUBE_OBJ

FULL_TYPES = ["ALBEDO", "NORMAL", "ROUGHNESS", "DISPLACEMENT"]


def test_full_texture_flow(make_emulator, client_for):
    emulator = make_emulator(job_seconds=0.5)  # long enough to see PENDING even on a loaded machine
    api = client_for(emulator)
    # 1. upload slot
    slot = api.new_model_slot("crate")
    fields = json.loads(slot["modelFields"])
    assert isinstance(slot["modelFields"], str)
    for name in (
        "key",
        "bucket",
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Security-Token",
        "Policy",
        "X-Amz-Signature",
    ):
        assert name in fields
    assert fields["key"] == slot["modelKey"]
    assert slot["modelUrl"].startswith(f"{emulator.upload_origin}/")
    # 2. multipart upload, fields then file, no Authorization header
    upload = requests.post(slot["modelUrl"], data=fields, files={"file": ("crate.obj", CUBE_OBJ)}, timeout=5)
    assert upload.status_code == 204 and upload.content == b""
    # 3. create
    created = api.post(
        "/generations-texture",
        {
            "prompt": "old wooden crate",
            "modelAssetId": slot["modelId"],
            "negative_prompt": "blurry",
            "front_rotation_offset": 90,
            "sd_version": "v2",
            "preview": False,
            "preview_direction": "front",
            "seed": 4242,
        },
    )
    assert created.status_code == 200, created.text
    job = created.json()["textureGenerationJob"]
    assert job["apiCreditCost"] == 150 and job["cost"] == {"amount": "150", "unit": "CREDITS"}
    # 4. pending first, then complete
    first = api.texture(job["id"])
    assert first["status"] == "PENDING" and first["model_asset_texture_images"] == []
    done = api.wait_texture(job["id"])
    assert done["status"] == "COMPLETE"
    assert set(done) == {
        "createdAt",
        "id",
        "model_asset_texture_images",
        "negativePrompt",
        "prompt",
        "seed",
        "status",
    }
    assert done["prompt"] == "old wooden crate" and done["negativePrompt"] == "blurry" and done["seed"] == 4242
    images = done["model_asset_texture_images"]
    assert [image["type"] for image in images] == FULL_TYPES
    # 5. download every map from the CDN
    for image in images:
        parts = urlsplit(image["url"])
        assert f"{parts.scheme}://{parts.netloc}" == emulator.cdn_origin
        assert parts.path.endswith(f"/{image['type'].lower()}.jpg")
        assert "Expires" in parse_qs(parts.query)
        download = requests.get(image["url"], timeout=5)
        assert download.status_code == 200 and download.headers["Content-Type"] == "image/jpeg"
        picture = Image.open(io.BytesIO(download.content))
        picture.load()
        assert picture.format == "JPEG" and picture.size == (64, 64)
    assert emulator.stats()["foreign_authorization_headers"] == []
    assert emulator.count("GET", "cdn/textures") == 4


def test_job_stays_pending_for_job_seconds(make_emulator, client_for):
    emu = make_emulator(job_seconds=0.6)
    api = client_for(emu)
    started = time.monotonic()
    job_id = api.create_texture(api.upload_model())
    assert api.wait_texture(job_id)["status"] == "COMPLETE"
    assert time.monotonic() - started >= 0.6


def test_preview_costs_30_and_full_150(emulator, api):
    model_id = api.upload_model()
    before = emulator.credits
    preview = api.post(
        "/generations-texture",
        {"prompt": "p", "modelAssetId": model_id, "preview": True, "preview_direction": "left"},
    ).json()["textureGenerationJob"]
    assert preview["apiCreditCost"] == 30 and emulator.credits == before - 30
    full = api.post("/generations-texture", {"prompt": "p", "modelAssetId": model_id}).json()
    assert full["textureGenerationJob"]["apiCreditCost"] == 150 and emulator.credits == before - 180
    assert api.get("/me").json()["user_details"][0]["apiSubscriptionTokens"] == before - 180
    assert [i["type"] for i in api.wait_texture(preview["id"])["model_asset_texture_images"]] == FULL_TYPES


def test_preview_map_types_and_hdrp_mask_are_configurable(make_emulator, client_for):
    emu = make_emulator(preview_map_types=("ALBEDO",), include_hdrp_mask=True)
    api = client_for(emu)
    model_id = api.upload_model()
    preview = api.wait_texture(api.create_texture(model_id, preview=True))
    assert [i["type"] for i in preview["model_asset_texture_images"]] == ["ALBEDO"]
    full = api.wait_texture(api.create_texture(model_id))
    assert [i["type"] for i in full["model_asset_texture_images"]] == [*FULL_TYPES, "HDRP_MASK"]


def test_insufficient_credits_creates_nothing(make_emulator, client_for):
    emu = make_emulator(credits=100)
    api = client_for(emu)
    model_id = api.upload_model()
    response = api.post("/generations-texture", {"prompt": "x", "modelAssetId": model_id})
    assert response.status_code == 400
    assert response.json() == {
        "error": f"not enough api tokens userId: {emu.user_id}",
        "path": "$",
        "code": "unexpected",
    }
    assert emu.state.texture_generations == {} and emu.credits == 100
    assert api.post("/generations-texture", {"prompt": "x", "modelAssetId": model_id, "preview": True}).ok
    assert emu.credits == 70


def test_seed_is_random_when_absent_and_always_an_int(api):
    model_id = api.upload_model()
    seeds = {api.texture(api.create_texture(model_id))["seed"] for _ in range(3)}
    assert all(isinstance(seed, int) and seed >= 0 for seed in seeds)
    assert len(seeds) > 1


def test_model_asset_must_exist_and_be_uploaded(emulator, api):
    unknown = api.post("/generations-texture", {"prompt": "x", "modelAssetId": str(uuid.uuid4())})
    assert unknown.status_code == 400 and unknown.json()["code"] == "unexpected"
    assert "not found" in unknown.json()["error"]
    pending = api.new_model_slot()
    never_uploaded = api.post("/generations-texture", {"prompt": "x", "modelAssetId": pending["modelId"]})
    assert never_uploaded.status_code == 400 and "upload" in never_uploaded.json()["error"]
    assert emulator.credits == 10_000
    # a slot without upload is invisible: null by id, not listed
    assert api.get(f"/models-3d/{pending['modelId']}").json() == {"model_assets_by_pk": None}
    assert api.get(f"/models-3d/user/{emulator.user_id}").json() == {"model_assets": []}


def test_model_extension_rules(api):
    for extension in ("fbx", "glb", ""):
        response = api.post("/models-3d/upload", {"modelExtension": extension})
        assert response.status_code == 400
        assert response.json() == {"error": "invalid file extension", "path": "$", "code": "unexpected"}
    assert api.post("/models-3d/upload", {"modelExtension": "OBJ"}).status_code == 200
    assert api.post("/models-3d/upload", {"name": "x"}).json()["code"] == "validation-failed"


def test_unknown_ids_answer_200_with_null(api):
    unknown = str(uuid.uuid4())
    expectations = {
        ("GET", f"/models-3d/{unknown}"): {"model_assets_by_pk": None},
        ("DELETE", f"/models-3d/{unknown}"): {"delete_model_assets_by_pk": None},
        ("GET", f"/generations-texture/{unknown}"): {"model_asset_texture_generations_by_pk": None},
        ("DELETE", f"/generations-texture/{unknown}"): {"delete_model_asset_texture_generations_by_pk": None},
        ("GET", f"/generations-texture/model/{unknown}"): {"model_asset_texture_generations": []},
        ("GET", f"/generations/{unknown}"): {"generations_by_pk": None},
        ("DELETE", f"/generations/{unknown}"): {"delete_generations_by_pk": None},
        ("GET", f"/init-image/{unknown}"): {"init_images_by_pk": None},
        ("DELETE", f"/init-image/{unknown}"): {"delete_init_images_by_pk": None},
        ("GET", f"/variations/{unknown}"): {"generated_image_variation_generic": []},
    }
    for (method, path), expected in expectations.items():
        response = api.session.request(method, api.url(path), timeout=5)
        assert response.status_code == 200, path
        assert response.json() == expected, path


def test_get_and_delete_model_and_texture(emulator, api):
    model_id = api.upload_model(name="statue")
    model = api.get(f"/models-3d/{model_id}").json()["model_assets_by_pk"]
    assert set(model) == {"createdAt", "id", "meshUrl", "name", "updatedAt", "userId"}
    assert model["name"] == "statue" and model["userId"] == emulator.user_id
    mesh = requests.get(model["meshUrl"], timeout=5)
    assert mesh.status_code == 200 and mesh.content == CUBE_OBJ
    job_id = api.create_texture(model_id)
    api.wait_texture(job_id)
    deleted = api.delete(f"/generations-texture/{job_id}").json()
    assert deleted == {"delete_model_asset_texture_generations_by_pk": {"id": job_id}}
    assert api.texture(job_id) is None
    assert api.delete(f"/models-3d/{model_id}").json() == {"delete_model_assets_by_pk": {"id": model_id}}
    assert api.get(f"/models-3d/{model_id}").json() == {"model_assets_by_pk": None}
    assert requests.get(model["meshUrl"], timeout=5).status_code == 404


def test_deleting_a_model_deletes_its_texture_generations(emulator, api):
    model_id, other_id = api.upload_model(), api.upload_model()
    doomed = api.wait_texture(api.create_texture(model_id))
    kept = api.create_texture(other_id)
    url = doomed["model_asset_texture_images"][0]["url"]
    assert requests.get(url, timeout=5).status_code == 200
    api.delete(f"/models-3d/{model_id}")
    assert api.texture(doomed["id"]) is None
    assert api.texture(kept) is not None
    assert requests.get(url, timeout=5).status_code == 404
    assert api.get(f"/generations-texture/model/{model_id}").json() == {"model_asset_texture_generations": []}
