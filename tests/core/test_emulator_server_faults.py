"""Emulator: fault injection on all three hosts, control routes and rate limits."""

from __future__ import annotations

import io
import json
import time

import pytest
import requests
from PIL import Image, UnidentifiedImageError

from leonardo_blender.emulator import FaultRule
from leonardo_blender.emulator.http.cdn_host import OVERSIZED_BYTES

from .conftest import CUBE_OBJ


def test_latency_delays_then_serves(emulator, api):
    emulator.faults.add(FaultRule(route="GET /me", kind="latency", seconds=0.3))
    started = time.monotonic()
    assert api.get("/me").status_code == 200
    assert time.monotonic() - started >= 0.3
    assert len(emulator.faults) == 0, "times=1: only the first request is delayed"


def test_status_with_retry_after_for_a_number_of_times(emulator, api):
    model_id = api.upload_model()
    emulator.faults.add(FaultRule(route="POST /generations-texture", kind="status", status=429, retry_after=1, times=2))
    body = {"prompt": "x", "modelAssetId": model_id}
    for _ in range(2):
        refused = api.post("/generations-texture", body)
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
        assert refused.json()["code"] == "rate-limit" and set(refused.json()) == {"error", "path", "code"}
    assert emulator.state.texture_generations == {}
    assert api.post("/generations-texture", body).status_code == 200
    assert emulator.count("POST", "/generations-texture") == 3
    assert len(emulator.state.texture_generations) == 1
    assert len(emulator.faults) == 0


def test_status_after_processing_loses_the_answer_but_creates_the_job(emulator, api):
    model_id = api.upload_model()
    emulator.faults.add(
        FaultRule(
            route="POST /generations-texture",
            kind="status",
            status=502,
            after_processing=True,
            message="Bad Gateway",
        )
    )
    lost = api.post("/generations-texture", {"prompt": "x", "modelAssetId": model_id})
    assert lost.status_code == 502 and lost.json() == {
        "error": "Bad Gateway",
        "path": "$",
        "code": "unexpected",
    }
    assert len(emulator.state.texture_generations) == 1
    assert emulator.credits == 10_000 - 150
    (job_id,) = emulator.state.texture_generations
    listed = api.get(f"/generations-texture/model/{model_id}").json()["model_asset_texture_generations"]
    assert [g["id"] for g in listed] == [job_id]


def test_drop_closes_the_connection_without_an_answer(emulator, api):
    emulator.faults.add(FaultRule(route="GET /me", kind="drop"))
    with pytest.raises(requests.ConnectionError):
        requests.get(api.url("/me"), headers=api.session.headers, timeout=5)
    assert emulator.requests[-1].status == 0
    assert api.get("/me").status_code == 200


def test_drop_after_processing_creates_exactly_one_job(emulator, api):
    model_id = api.upload_model()
    emulator.faults.add(FaultRule(route="POST /generations-texture", kind="drop", after_processing=True))
    with pytest.raises(requests.ConnectionError):
        requests.post(
            api.url("/generations-texture"),
            json={"prompt": "x", "modelAssetId": model_id},
            headers=api.session.headers,
            timeout=5,
        )
    assert len(emulator.state.texture_generations) == 1
    (job_id,) = emulator.state.texture_generations
    assert api.wait_texture(job_id)["status"] == "COMPLETE"


def test_failed_job(emulator, api):
    model_id = api.upload_model()
    emulator.faults.add(FaultRule(route="POST /generations-texture", kind="failed_job"))
    failed_id = api.create_texture(model_id)
    ok_id = api.create_texture(model_id)
    failed = api.wait_texture(failed_id)
    assert failed["status"] == "FAILED" and failed["model_asset_texture_images"] == []
    assert api.wait_texture(ok_id)["status"] == "COMPLETE"
    emulator.faults.add(FaultRule(route="POST /generations", kind="failed_job"))
    generation_id = api.post("/generations", {"prompt": "x", "width": 64, "height": 64, "num_images": 1}).json()[
        "sdGenerationJob"
    ]["generationId"]
    generation = api.wait(lambda: api.generation(generation_id))
    assert generation["status"] == "FAILED" and generation["generated_images"] == []


def test_corrupt_image_on_the_cdn(emulator, api):
    done = api.wait_texture(api.create_texture(api.upload_model()))
    urls = {image["type"]: image["url"] for image in done["model_asset_texture_images"]}
    emulator.faults.add(FaultRule(route="GET cdn/textures/albedo.jpg", kind="corrupt_image", times=-1))
    for _ in range(2):
        broken = requests.get(urls["ALBEDO"], timeout=5)
        assert broken.status_code == 200
        with pytest.raises(UnidentifiedImageError):
            Image.open(io.BytesIO(broken.content)).load()
    fine = requests.get(urls["NORMAL"], timeout=5)
    Image.open(io.BytesIO(fine.content)).load()
    emulator.faults.clear()
    Image.open(io.BytesIO(requests.get(urls["ALBEDO"], timeout=5).content)).load()


def test_oversized_image_on_the_cdn(emulator, api):
    done = api.wait_texture(api.create_texture(api.upload_model()))
    urls = {image["type"]: image["url"] for image in done["model_asset_texture_images"]}
    emulator.faults.add(FaultRule(route="GET cdn/textures/albedo.jpg", kind="oversized_image"))
    with requests.get(urls["ALBEDO"], timeout=5, stream=True) as big:
        assert big.status_code == 200 and int(big.headers["Content-Length"]) == OVERSIZED_BYTES
    assert len(requests.get(urls["ALBEDO"], timeout=5).content) < OVERSIZED_BYTES  # times=1: used up


def test_faults_on_the_upload_and_cdn_hosts(emulator, api):
    emulator.faults.add(FaultRule(route="POST upload", kind="status", status=503, retry_after=2))
    slot = api.new_model_slot()
    fields = json.loads(slot["modelFields"])
    refused = requests.post(slot["modelUrl"], data=fields, files={"file": ("m.obj", CUBE_OBJ)}, timeout=5)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "2"
    assert "<Code>SlowDown</Code>" in refused.text
    assert (
        requests.post(slot["modelUrl"], data=fields, files={"file": ("m.obj", CUBE_OBJ)}, timeout=5).status_code == 204
    )
    emulator.faults.add(FaultRule(route="GET /cdn", kind="drop"))
    mesh_url = api.get(f"/models-3d/{slot['modelId']}").json()["model_assets_by_pk"]["meshUrl"]
    with pytest.raises(requests.ConnectionError):
        requests.get(mesh_url, timeout=5)
    assert requests.get(mesh_url, timeout=5).status_code == 200


def test_glob_and_wildcard_routes(emulator, api):
    emulator.faults.add(FaultRule(route="GET /generations-texture/*", kind="status", status=500, times=-1))
    emulator.faults.add(FaultRule(route="* *", kind="status", status=503))
    assert api.get("/me").status_code == 503
    assert api.get("/me").status_code == 200
    unknown = "00000000-0000-4000-8000-000000000000"
    assert api.get(f"/generations-texture/{unknown}").status_code == 500
    assert api.get(f"/generations-texture/model/{unknown}").status_code == 500


def test_fault_rule_validation():
    with pytest.raises(ValueError):
        FaultRule(route="GET /me", kind="explode")
    with pytest.raises(ValueError):
        FaultRule(route="/me", kind="drop")
    with pytest.raises(ValueError):
        FaultRule(route="GET /me", kind="status")
    with pytest.raises(ValueError):
        FaultRule(route="GET /me", kind="latency")
    with pytest.raises(ValueError):
        FaultRule(route="GET /me", kind="drop", times=0)
    with pytest.raises(ValueError):
        FaultRule(route="GET /me", kind="latency", seconds=1, after_processing=True)


def test_control_routes(emulator, api):
    control = emulator.origin + "/_emulator"
    added = requests.post(control + "/faults", json={"route": "GET /me", "kind": "status", "status": 418}, timeout=5)
    assert added.status_code == 200 and added.json()["rule"]["status"] == 418
    assert requests.get(control + "/faults", timeout=5).json()["faults"][0]["remaining"] == 1
    assert api.get("/me").status_code == 418
    requests.post(
        control + "/faults",
        json={"route": "GET /me", "kind": "status", "status": 500, "times": -1},
        timeout=5,
    )
    assert requests.delete(control + "/faults", timeout=5).json() == {"cleared": 1}
    assert api.get("/me").status_code == 200
    bad = requests.post(control + "/faults", json={"route": "GET /me", "kind": "nope"}, timeout=5)
    assert bad.status_code == 400
    assert (
        requests.post(control + "/faults", json={"route": "GET /me", "kind": "drop", "extra": 1}, timeout=5).status_code
        == 400
    )
    api.upload_model()
    stats = requests.get(control + "/stats", timeout=5).json()
    assert stats["counts"]["GET /me"] == 2
    assert stats["uploads_received"] == 1 and stats["texture_jobs_created"] == 0
    assert stats["credits"] == emulator.credits and stats["foreign_authorization_headers"] == []
    assert requests.post(control + "/credits", json={"credits": 7}, timeout=5).json() == {"credits": 7}
    assert api.get("/me").json()["user_details"][0]["apiSubscriptionTokens"] == 7


def test_rate_limits(make_emulator, client_for):
    emu = make_emulator(rate_limit_per_route=2, rate_limit_total=6)
    api = client_for(emu)
    model_id = api.upload_model()  # 1 request
    body = {"prompt": "x", "modelAssetId": model_id, "preview": True}
    assert [api.post("/generations-texture", body).status_code for _ in range(3)] == [200, 200, 429]
    limited = api.post("/generations-texture", body)
    assert limited.json()["code"] == "rate-limit" and int(limited.headers["Retry-After"]) >= 1
    assert len(emu.state.texture_generations) == 2
    # 3 of the 6 overall used (rejected requests do not count); other routes still pass
    assert [api.get("/me").status_code for _ in range(3)] == [200, 200, 200]
    overall = api.get("/me")
    assert overall.status_code == 429 and overall.json()["code"] == "rate-limit"
