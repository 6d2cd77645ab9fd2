"""Emulator: ``texture_api_withdrawn`` answers POST /generations-texture as the live service did in May 2026."""

from __future__ import annotations

import uuid

import requests

from leonardo_blender.emulator.__main__ import build_parser, config_from_args

ENDPOINT_NOT_FOUND = {"error": "Endpoint not found", "path": "$", "code": "not-found"}


def test_withdrawn_create_is_the_routing_404_and_costs_nothing(make_emulator, client_for):
    emulator = make_emulator(texture_api_withdrawn=True)
    api = client_for(emulator)
    model_id = api.upload_model()
    before = emulator.credits
    correct = api.post("/generations-texture", {"prompt": "rusty metal", "modelAssetId": model_id, "preview": True})
    unknown_route = api.post("/no-such-endpoint", {"prompt": "rusty metal"})
    nonsense_body = api.post("/generations-texture", {"sd_Version": "v2"})
    for response in (correct, unknown_route, nonsense_body):
        assert response.status_code == 404
        assert response.json() == ENDPOINT_NOT_FOUND
    assert correct.headers["Content-Type"] == unknown_route.headers["Content-Type"]
    assert emulator.credits == before
    assert emulator.state.texture_generations == {}
    assert emulator.stats()["texture_jobs_created"] == emulator.texture_jobs_created == 0
    # the attempts are still visible to tests, under the route's key
    assert emulator.count("POST", "/generations-texture") == 2
    assert [r.status for r in emulator.requests_for("POST", "/generations-texture")] == [404, 404]


def test_withdrawn_create_still_needs_the_key(make_emulator):
    emulator = make_emulator(texture_api_withdrawn=True)
    response = requests.post(emulator.base_url + "/generations-texture", json={"prompt": "x"}, timeout=5)
    assert response.status_code == 401 and response.json()["code"] == "access-denied"


def test_everything_else_keeps_working_when_withdrawn(make_emulator, client_for):
    emulator = make_emulator(texture_api_withdrawn=True)
    api = client_for(emulator)
    model_id = api.upload_model()
    model = api.get(f"/models-3d/{model_id}").json()["model_assets_by_pk"]
    assert model["id"] == model_id and requests.get(model["meshUrl"], timeout=5).status_code == 200
    listed = api.get(f"/models-3d/user/{emulator.user_id}").json()["model_assets"]
    assert [m["id"] for m in listed] == [model_id]
    unknown = str(uuid.uuid4())
    assert api.get(f"/generations-texture/{unknown}").json() == {"model_asset_texture_generations_by_pk": None}
    assert api.get(f"/generations-texture/model/{model_id}").json() == {"model_asset_texture_generations": []}
    deleted = api.delete(f"/generations-texture/{unknown}").json()
    assert deleted == {"delete_model_asset_texture_generations_by_pk": None}
    price = api.post(
        "/pricing-calculator",
        {"service": "TEXTURE_GENERATION", "serviceParams": {"TEXTURE_GENERATION": {"preview": True}}},
    )
    assert price.json() == {"calculateProductionApiServiceCost": {"cost": 30}}
    generation = api.post("/generations", {"prompt": "x", "width": 64, "height": 64, "num_images": 1})
    assert generation.status_code == 200, generation.text
    assert api.delete(f"/models-3d/{model_id}").json() == {"delete_model_assets_by_pk": {"id": model_id}}


def test_withdrawn_route_ignores_faults_and_rate_limits(make_emulator, client_for):
    emulator = make_emulator(texture_api_withdrawn=True, rate_limit_per_route=1)
    api = client_for(emulator)
    emulator.faults.add(emulator.fault("POST /generations-texture", "status", status=503))
    for _ in range(3):
        assert api.post("/generations-texture", {"prompt": "x", "modelAssetId": "y"}).status_code == 404
    assert len(emulator.faults) == 1  # the fault was never consumed: the route does not exist


def test_cli_switch():
    config = config_from_args(build_parser().parse_args(["--texture-api-withdrawn"]))
    assert config.texture_api_withdrawn is True
    assert config_from_args(build_parser().parse_args([])).texture_api_withdrawn is False
