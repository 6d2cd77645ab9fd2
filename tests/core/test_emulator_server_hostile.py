"""Emulator: hostile modes serve the nonsense the add-on's security tests need."""

from __future__ import annotations

import json
import math
import time

import pytest
import requests

from leonardo_blender.emulator import HOSTILE_MODES, EmulatorConfig
from leonardo_blender.emulator.__main__ import build_parser, config_from_args
from leonardo_blender.emulator.hostile import FILE_URL, HOSTILE_IDS, HOSTILE_TYPES, HUGE_NUMBER, PADDING_KEY


def _texture_job(emulator, api) -> str:
    model_id = api.upload_model()
    response = api.post("/generations-texture", {"prompt": "rusty metal", "modelAssetId": model_id})
    assert response.status_code == 200, response.text
    real_id = max(emulator.state.texture_generations.values(), key=lambda g: g.seq).id
    return real_id


def _wait_real(emulator, job_id: str, table: str = "texture_generations") -> None:
    """Wait on the emulator's own state (hostile answers cannot be polled)."""
    deadline = time.monotonic() + 15
    while getattr(emulator.state, table)[job_id].status == "PENDING":
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_path_types(make_emulator, client_for):
    emulator = make_emulator(hostile="path-types")
    api = client_for(emulator)
    job_id = _texture_job(emulator, api)
    _wait_real(emulator, job_id)
    record = api.texture(job_id)
    types = [image["type"] for image in record["model_asset_texture_images"]]
    assert types == ["ALBEDO", "NORMAL", "ROUGHNESS", "DISPLACEMENT", *HOSTILE_TYPES]
    assert set(HOSTILE_TYPES) == {"../../evil", "/tmp/abs", "ALBEDO/../../x"}
    for image in record["model_asset_texture_images"][4:]:
        assert requests.get(image["url"], timeout=5).status_code == 200  # real files behind them
    model_id = emulator.state.texture_generations[job_id].model_asset_id
    listed = api.get(f"/generations-texture/model/{model_id}").json()["model_asset_texture_generations"]
    assert [image["type"] for image in listed[0]["model_asset_texture_images"]][4:] == list(HOSTILE_TYPES)


def test_path_ids(make_emulator, client_for):
    emulator = make_emulator(hostile="path-ids")
    api = client_for(emulator)
    slot = api.post("/models-3d/upload", {"name": "cube", "modelExtension": "obj"}).json()["uploadModelAsset"]
    assert slot["modelId"] == "../../etc"
    created = api.post("/generations", {"prompt": "x", "width": 64, "height": 64, "num_images": 2}).json()
    assert created["sdGenerationJob"]["generationId"] == "../../etc"
    assert api.upload_init_image() == "../../etc"  # the upload host itself works as usual
    me = api.get("/me").json()["user_details"][0]["user"]
    assert me["id"] == "../../etc"
    (real_id,) = emulator.state.generations  # the emulator itself keeps real ids
    _wait_real(emulator, real_id, "generations")
    record = api.generation(real_id)
    assert record["id"] == HOSTILE_IDS[0] and record["modelId"] == HOSTILE_IDS[1]
    assert [image["id"] for image in record["generated_images"]] == list(HOSTILE_IDS[2:4])
    listed = api.get(f"/generations/user/{emulator.user_id}").json()["generations"]
    assert listed[0]["id"] == "../../etc" and len(listed[0]["generated_images"]) == 2
    assert {image["id"] for image in listed[0]["generated_images"]} <= set(HOSTILE_IDS)


def test_huge_json(make_emulator, client_for):
    emulator = make_emulator(hostile="huge-json", hostile_json_bytes=256 * 1024)
    api = client_for(emulator)
    response = api.get("/me")
    assert response.status_code == 200 and len(response.content) >= 256 * 1024
    body = response.json()
    assert body["user_details"][0]["user"]["id"] == emulator.user_id and len(body[PADDING_KEY]) > 250_000
    unknown = api.get("/generations/00000000-0000-4000-8000-000000000000")
    assert len(unknown.content) >= 256 * 1024 and unknown.json()["generations_by_pk"] is None
    created = api.post("/generations", {"prompt": "x", "width": 64, "height": 64, "num_images": 1})
    assert len(created.content) < 1024  # only GET answers are oversized
    assert len(api.get("/no-such-route").content) < 1024  # errors are untouched


def test_wrong_types(make_emulator, client_for):
    emulator = make_emulator(hostile="wrong-types")
    api = client_for(emulator)
    slot = api.post("/models-3d/upload", {"name": "cube", "modelExtension": "obj"}).json()["uploadModelAsset"]
    assert slot["modelFields"] == 42
    created = api.post("/generations", {"prompt": "x", "width": 64, "height": 64, "num_images": 1}).json()
    assert created["sdGenerationJob"]["apiCreditCost"] == HUGE_NUMBER == 10**30
    (real_id,) = emulator.state.generations
    _wait_real(emulator, real_id, "generations")
    raw = api.get(f"/generations/{real_id}")
    assert '"seed": 1e999' in raw.text
    record = raw.json()["generations_by_pk"]
    assert record["status"] == 1 and record["generated_images"] == 7 and math.isinf(record["seed"])
    assert api.get("/me").json()["user_details"][0]["apiSubscriptionTokens"] == "10000"
    assert emulator.credits == 10_000 - emulator.state.generations[real_id].api_credit_cost  # state stays true


def test_missing_albedo_and_file_urls_until_switched_off(make_emulator, client_for):
    emulator = make_emulator(hostile="missing-albedo")
    api = client_for(emulator)
    job_id = _texture_job(emulator, api)
    _wait_real(emulator, job_id)
    images = api.texture(job_id)["model_asset_texture_images"]
    assert [image["type"] for image in images] == ["NORMAL", "ROUGHNESS", "DISPLACEMENT"]
    emulator.set_hostile("file-urls")
    images = api.texture(job_id)["model_asset_texture_images"]
    assert len(images) == 4 and {image["url"] for image in images} == {FILE_URL}
    emulator.set_hostile("")
    images = api.texture(job_id)["model_asset_texture_images"]
    assert all(requests.get(image["url"], timeout=5).status_code == 200 for image in images)
    with pytest.raises(ValueError, match="evil"):
        emulator.set_hostile("evil")


def test_modes_combine_and_leave_control_routes_alone(make_emulator, client_for):
    emulator = make_emulator(hostile="path-ids, wrong-types")
    api = client_for(emulator)
    created = api.post("/generations", {"prompt": "x", "width": 64, "height": 64, "num_images": 1}).json()
    assert created["sdGenerationJob"] == {
        "generationId": "../../etc",
        "apiCreditCost": HUGE_NUMBER,
        "cost": created["sdGenerationJob"]["cost"],
    }
    stats = requests.get(emulator.origin + "/_emulator/stats", timeout=5).json()
    assert stats["image_generations_created"] == 1  # the control routes stay honest


def test_config_and_cli():
    assert set(HOSTILE_MODES) == {"path-types", "path-ids", "huge-json", "wrong-types", "missing-albedo", "file-urls"}
    assert EmulatorConfig(hostile="path-ids,huge-json").hostile_modes == {"path-ids", "huge-json"}
    assert EmulatorConfig().hostile_modes == frozenset()
    with pytest.raises(ValueError, match="evil"):
        EmulatorConfig(hostile="evil")
    config = config_from_args(build_parser().parse_args(["--hostile", "wrong-types"]))
    assert config.hostile_modes == {"wrong-types"}
    assert json.loads(json.dumps(sorted(config.hostile_modes))) == ["wrong-types"]
