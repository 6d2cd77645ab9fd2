"""Emulator: offset/limit paging (newest first) on every list route."""

from __future__ import annotations

import json
import uuid

import requests

from .conftest import CUBE_OBJ


def _fast_models(api, count):
    """Upload ``count`` models; returns their ids in creation order."""
    ids = []
    for index in range(count):
        slot = api.new_model_slot(f"model-{index}")
        response = requests.post(
            slot["modelUrl"],
            data=json.loads(slot["modelFields"]),
            files={"file": ("m.obj", CUBE_OBJ)},
            timeout=5,
        )
        assert response.status_code == 204
        ids.append(slot["modelId"])
    return ids


def test_models_page_through_all_items_without_duplicates(emulator, api):
    made = _fast_models(api, 25)
    path = f"/models-3d/user/{emulator.user_id}"
    default_page = api.get(path).json()["model_assets"]
    assert len(default_page) == 10
    seen, offset, pages = [], 0, 0
    while True:
        batch = api.get(path, params={"offset": offset, "limit": 10}).json()["model_assets"]
        pages += 1
        seen += [item["id"] for item in batch]
        if len(batch) < 10:
            break
        offset += 10
    assert pages == 3
    assert len(seen) == len(set(seen)) == 25
    assert seen == list(reversed(made)), "newest first"
    assert [item["id"] for item in default_page] == seen[:10]
    assert api.get(path, params={"offset": 30}).json() == {"model_assets": []}
    assert api.get(path, params={"limit": 0}).json() == {"model_assets": []}
    assert len(api.get(path, params={"limit": 100}).json()["model_assets"]) == 25
    negative = api.get(path, params={"offset": -1})
    assert negative.status_code == 400


def test_another_users_list_is_empty(emulator, api):
    _fast_models(api, 2)
    other = str(uuid.uuid4())
    assert api.get(f"/models-3d/user/{other}").json() == {"model_assets": []}
    assert api.get(f"/generations/user/{other}").json() == {"generations": []}


def test_texture_generations_of_a_model_page(emulator, api):
    model_id, other_model = _fast_models(api, 2)
    made = [api.create_texture(model_id, preview=True) for _ in range(12)]
    api.create_texture(other_model, preview=True)
    path = f"/generations-texture/model/{model_id}"
    first = api.get(path).json()["model_asset_texture_generations"]
    second = api.session.get(api.url(path), json={"offset": 10, "limit": 10}, timeout=5).json()
    ids = [g["id"] for g in first] + [g["id"] for g in second["model_asset_texture_generations"]]
    assert ids == list(reversed(made))


def test_image_generations_of_a_user_page(emulator, api):
    made = [
        api.post("/generations", {"prompt": f"p{i}", "width": 64, "height": 64, "num_images": 1}).json()[
            "sdGenerationJob"
        ]["generationId"]
        for i in range(12)
    ]
    path = f"/generations/user/{emulator.user_id}"
    first = api.get(path, params={"limit": 5}).json()["generations"]
    rest = api.get(path, params={"offset": 5, "limit": 20}).json()["generations"]
    assert [g["id"] for g in first + rest] == list(reversed(made))
