"""Emulator: Hasura-like request validation (unknown keys, types, required fields, ids, bodies)."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def model_id(api):
    return api.upload_model()


def test_unknown_or_miscased_key_is_bad_request(api, model_id):
    for key in ("sd_Version", "modelId", "frontRotationOffset", "webhookCallbackUrl"):
        response = api.post("/generations-texture", {"prompt": "x", "modelAssetId": model_id, key: "v2"})
        assert response.status_code == 400
        assert response.json() == {"error": f"Unexpected variable {key}", "path": "$", "code": "bad-request"}


def test_wrong_type_is_validation_failed_with_action_path(api, model_id):
    response = api.post("/generations-texture", {"prompt": "x", "modelAssetId": model_id, "preview": "yes"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation-failed"
    assert body["error"] == "expected a boolean for type 'Boolean', but found a string"
    assert body["path"].startswith("$.selectionSet.textureGenerationJob.args")
    assert body["path"].endswith(".preview")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("front_rotation_offset", "90", "expected a 32-bit integer for type 'Int', but found a string"),
        ("front_rotation_offset", 45.5, "expected a 32-bit integer for type 'Int', but found a number"),
        ("prompt", 12, "expected a string for type 'String', but found a number"),
        ("seed", True, "expected a bigint for type 'bigint', but found a boolean"),
        ("negative_prompt", ["a"], "expected a string for type 'String', but found a list"),
    ],
)
def test_type_errors(api, model_id, field, value, expected):
    body = {"prompt": "x", "modelAssetId": model_id, field: value}
    response = api.post("/generations-texture", body)
    assert response.status_code == 400
    assert response.json()["code"] == "validation-failed"
    assert response.json()["error"] == expected


def test_integral_floats_are_accepted_for_int_fields(emulator, api, model_id):
    job_id = api.create_texture(model_id, front_rotation_offset=-90.0, seed=1234.0)
    generation = emulator.state.texture_generations[job_id]
    assert generation.front_rotation_offset == -90 and isinstance(generation.front_rotation_offset, int)
    assert api.texture(job_id)["seed"] == 1234


def test_missing_required_variable(api, model_id):
    response = api.post("/generations-texture", {"modelAssetId": model_id})
    assert response.status_code == 400
    assert response.json() == {
        "error": 'expecting a value for non-nullable variable: "prompt"',
        "path": "$",
        "code": "validation-failed",
    }
    missing_model = api.post("/generations-texture", {"prompt": "x"})
    assert missing_model.json()["error"] == 'expecting a value for non-nullable variable: "modelAssetId"'


def test_null_for_optional_fields_is_fine_but_not_for_required(api, model_id):
    ok = api.post(
        "/generations-texture",
        {"prompt": "x", "modelAssetId": model_id, "negative_prompt": None, "seed": None, "preview": None},
    )
    assert ok.status_code == 200, ok.text
    bad = api.post("/generations-texture", {"prompt": None, "modelAssetId": model_id})
    assert bad.status_code == 400 and bad.json()["code"] == "validation-failed"


def test_body_that_is_not_json_or_not_an_object_is_bad_request(api):
    garbage = api.session.post(
        api.url("/generations-texture"),
        data=b"{prompt: x",
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert garbage.status_code == 400 and garbage.json()["code"] == "bad-request"
    array = api.post("/generations-texture", ["prompt"])
    assert array.status_code == 400 and array.json()["code"] == "bad-request"


def test_path_ids_must_be_uuids(api):
    for path in ("/generations-texture/123", "/models-3d/not-an-id", "/generations/abc", "/init-image/1"):
        response = api.get(path)
        assert response.status_code == 400, path
        assert response.json()["code"] == "validation-failed"
        assert "uuid" in response.json()["error"]
    v1_uuid = str(uuid.uuid1())  # a UUID, but not the spec's v4 pattern
    assert api.get(f"/models-3d/{v1_uuid}").json()["code"] == "validation-failed"


def test_get_parameters_may_come_in_the_body_or_the_query(emulator, api, model_id):
    by_body = api.session.get(api.url("/models-3d/user/" + emulator.user_id), json={"limit": 1}, timeout=5)
    assert by_body.status_code == 200 and len(by_body.json()["model_assets"]) == 1
    by_query = api.get("/models-3d/user/" + emulator.user_id, params={"offset": "1"})
    assert by_query.status_code == 200 and by_query.json()["model_assets"] == []
    id_in_body = api.session.get(api.url(f"/models-3d/{model_id}"), json={"id": model_id}, timeout=5)
    assert id_in_body.json()["model_assets_by_pk"]["id"] == model_id
    bad_query = api.get("/models-3d/user/" + emulator.user_id, params={"limit": "ten"})
    assert bad_query.status_code == 400 and bad_query.json()["code"] == "validation-failed"
    unknown_query = api.get("/models-3d/user/" + emulator.user_id, params={"page": "2"})
    assert unknown_query.json() == {"error": "Unexpected variable page", "path": "$", "code": "bad-request"}


def test_value_rules_of_the_texture_route(api, model_id):
    cases = {
        "front_rotation_offset": 45,
        "sd_version": "v3",
        "preview_direction": "up",
        "seed": -1,
    }
    for field, value in cases.items():
        response = api.post("/generations-texture", {"prompt": "x", "modelAssetId": model_id, field: value})
        assert response.status_code == 400, field
        assert response.json()["code"] == "unexpected" and field in response.json()["error"]
    empty = api.post("/generations-texture", {"prompt": "  ", "modelAssetId": model_id})
    assert empty.status_code == 400


def test_enums_and_input_objects_of_image_generation(api):
    enum = api.post("/generations", {"prompt": "x", "sd_version": "SDXL_9"})
    assert enum.status_code == 400 and enum.json()["code"] == "validation-failed"
    assert enum.json()["error"] == "unexpected value \"SDXL_9\" for enum: 'sd_versions'"
    nested = api.post("/generations", {"prompt": "x", "elements": [{"akUUID": "a", "weigth": 1}]})
    assert nested.status_code == 400 and nested.json()["code"] == "validation-failed"
    assert "weigth" in nested.json()["error"]
    assert nested.json()["path"].endswith("elements[0]")


def test_pricing_calculator(api):
    def cost(body):
        response = api.post("/pricing-calculator", body)
        assert response.status_code == 200, response.text
        return response.json()["calculateProductionApiServiceCost"]["cost"]

    texture = {"service": "TEXTURE_GENERATION"}
    assert cost({**texture, "serviceParams": {"TEXTURE_GENERATION": {"preview": True}}}) == 30
    assert cost({**texture, "serviceParams": {"TEXTURE_GENERATION": {"preview": False}}}) == 150
    assert cost(texture) == 150
    small = cost(
        {
            "service": "IMAGE_GENERATION",
            "serviceParams": {"IMAGE_GENERATION": {"imageWidth": 512, "imageHeight": 512, "numImages": 1}},
        }
    )
    large = cost(
        {
            "service": "IMAGE_GENERATION",
            "serviceParams": {"IMAGE_GENERATION": {"imageWidth": 1024, "imageHeight": 1024, "numImages": 4}},
        }
    )
    assert 0 < small < large
    assert cost({"service": "UNIVERSAL_UPSCALER"}) > 0
    unknown = api.post("/pricing-calculator", {"service": "TEXTURE"})
    assert unknown.status_code == 400 and unknown.json()["code"] == "validation-failed"
    wrong_param = api.post(
        "/pricing-calculator",
        {"service": "TEXTURE_GENERATION", "serviceParams": {"TEXTURE_GENERATION": {"preview": "no"}}},
    )
    assert wrong_param.status_code == 400 and wrong_param.json()["code"] == "validation-failed"
