"""Contract tests: the API client against the emulator over real HTTP on 127.0.0.1, endpoint by endpoint."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from leonardo_blender.api import LeonardoClient, errors
from leonardo_blender.api.image_models import ImageGenerationRequest, UniversalUpscaleRequest
from leonardo_blender.api.models import JobStatus, TextureRequest
from leonardo_blender.api.transport import Retry
from leonardo_blender.emulator import FaultRule
from tests.core.obj_samples import cube_obj, no_uv_obj
from tests.core.waiting import wait_until


@pytest.fixture
def client(emulator):
    with LeonardoClient(emulator.api_key, emulator.base_url) as c:
        yield c


def upload_cube(client: LeonardoClient, name: str = "Cube") -> str:
    return client.upload_model(cube_obj(), name=name, filename="cube.obj")


# -- account and pricing --------------------------------------------------------------------------------


def test_me_reports_the_user_and_credits(client, emulator):
    me = client.me()
    assert me.user_id == emulator.user_id
    assert me.api_credits == emulator.credits
    assert me.api_concurrency_slots > 0


def test_pricing_preview_and_full(client):
    assert client.texture_cost(preview=True) == 30
    assert client.texture_cost(preview=False) == 150
    assert client.pricing("IMAGE_GENERATION", {"imageWidth": 512, "imageHeight": 512, "numImages": 1}) > 0


# -- 3D model assets ------------------------------------------------------------------------------------


def test_upload_get_list_delete_model(client, emulator):
    model_id = upload_cube(client, "Crate")
    asset = client.model_asset(model_id)
    assert asset.id == model_id and asset.name == "Crate" and asset.mesh_url
    assert model_id in {a.id for a in client.model_assets(emulator.user_id)}
    mesh = client.files.fetch(asset.mesh_url, expect_image=False)
    assert b"vt " in mesh
    assert client.delete_model_asset(model_id) == model_id
    with pytest.raises(errors.NotFoundError):
        client.model_asset(model_id)


def test_listing_walks_every_page(client, emulator):
    made = {upload_cube(client, f"m{i}") for i in range(23)}
    listed = client.model_assets(emulator.user_id, page_size=10)
    ids = [a.id for a in listed]
    assert made <= set(ids)
    assert len(ids) == len(set(ids)), "paging returned duplicates"
    list_calls = [r for r in emulator.requests if r.path.startswith("/api/rest/v1/models-3d/user/")]
    assert len(list_calls) >= 3


def test_upload_never_sends_the_key_to_the_storage_host(client, emulator):
    upload_cube(client)
    storage = [r for r in emulator.requests if r.host == "upload"]
    assert storage, "the upload did not reach the storage host"
    assert all("authorization" not in {k.lower() for k in r.headers} for r in storage)


def test_mesh_without_uvs_is_refused_by_storage(client):
    with pytest.raises(errors.UploadError) as info:
        client.upload_model(no_uv_obj(), name="bad")
    assert "vt" in info.value.message or "texture coordinates" in info.value.message.lower()


def test_unknown_model_is_not_found(client):
    with pytest.raises(errors.NotFoundError):
        client.model_asset("00000000-0000-4000-8000-000000000000")
    with pytest.raises(errors.NotFoundError):
        client.delete_model_asset("00000000-0000-4000-8000-000000000000")


# -- texture generations ---------------------------------------------------------------------------------


def test_texture_generation_round_trip(client, emulator, tmp_path):
    model_id = upload_cube(client)
    before = client.me().api_credits
    created = client.create_texture(
        TextureRequest(
            prompt="rusty iron",
            model_asset_id=model_id,
            negative_prompt="blurry",
            front_rotation_offset=90,
            sd_version="v1_5",
            preview=False,
            preview_direction="front",
            seed=1234,
        )
    )
    assert created.api_credit_cost == 150
    body = emulator.requests_for("POST", "/generations-texture")[-1].json_body
    assert body == {
        "prompt": "rusty iron",
        "modelAssetId": model_id,
        "negative_prompt": "blurry",
        "front_rotation_offset": 90,
        "sd_version": "v1_5",
        "preview": False,
        "preview_direction": "front",
        "seed": 1234,
    }
    generation = wait_until(lambda: _complete(client, created.id))
    assert generation.seed == 1234 and generation.prompt == "rusty iron"
    assert generation.negative_prompt == "blurry"
    assert {i.type for i in generation.images} == {"ALBEDO", "NORMAL", "ROUGHNESS", "DISPLACEMENT"}
    path = client.download(generation.image("ALBEDO").url, tmp_path / "albedo.jpg")
    assert Image.open(io.BytesIO(path.read_bytes())).format == "JPEG"
    assert client.me().api_credits == before - 150
    assert created.id in {g.id for g in client.texture_generations_for_model(model_id)}
    assert client.delete_texture_generation(created.id) == created.id
    with pytest.raises(errors.NotFoundError):
        client.texture_generation(created.id)


def test_optional_texture_fields_are_not_sent_when_unset(client, emulator):
    model_id = upload_cube(client)
    client.create_texture(TextureRequest(prompt="wood", model_asset_id=model_id, preview=True))
    body = emulator.requests_for("POST", "/generations-texture")[-1].json_body
    assert body == {"prompt": "wood", "modelAssetId": model_id, "preview": True}


def test_texture_generations_for_model_pages(client):
    model_id = upload_cube(client)
    ids = {
        client.create_texture(TextureRequest(prompt=f"p{i}", model_asset_id=model_id, preview=True)).id
        for i in range(12)
    }
    listed = client.texture_generations_for_model(model_id, page_size=5)
    assert {g.id for g in listed} == ids


def test_invalid_texture_requests_are_refused_locally(client):
    for bad in (
        TextureRequest(prompt=" ", model_asset_id="x"),
        TextureRequest(prompt="a", model_asset_id="x", front_rotation_offset=45),
        TextureRequest(prompt="a", model_asset_id="x", sd_version="v3"),
        TextureRequest(prompt="a", model_asset_id="x", preview_direction="top"),
        TextureRequest(prompt="a", model_asset_id="x", seed=-5),
    ):
        with pytest.raises(ValueError):
            client.create_texture(bad)


def _complete(client, generation_id):
    generation = client.texture_generation(generation_id)
    return generation if generation.status is JobStatus.COMPLETE else None


# -- image generations, init images, variations, prompts, models -----------------------------------------


def test_tiling_image_generation(client, emulator, tmp_path):
    created = client.create_image_generation(
        ImageGenerationRequest(prompt="cobblestones", width=256, height=256, num_images=1, tiling=True)
    )
    generation = wait_until(lambda: _image_done(client, created.id))
    assert generation.width == 256 and len(generation.images) == 1
    data = client.files.fetch(generation.images[0].url)
    # alchemy (on by default) serves a larger image than asked for; the GET echoes the request
    assert Image.open(io.BytesIO(data)).size == (384, 384)
    plain = client.create_image_generation(
        ImageGenerationRequest(prompt="cobblestones", width=256, height=256, num_images=1, tiling=True, alchemy=False)
    )
    data = client.files.fetch(wait_until(lambda: _image_done(client, plain.id)).images[0].url)
    assert Image.open(io.BytesIO(data)).size == (256, 256)
    body = emulator.requests_for("POST", "/generations")[-1].json_body
    assert body["tiling"] is True and body["num_images"] == 1
    assert created.id in {g.id for g in client.image_generations_for_user(emulator.user_id)}
    assert client.delete_image_generation(created.id) == created.id
    with pytest.raises(errors.NotFoundError):
        client.image_generation(created.id)


def test_bad_dimensions_come_back_as_the_servers_message(client):
    with pytest.raises(ValueError):
        ImageGenerationRequest(prompt="x", width=100).to_wire()
    with pytest.raises(errors.BadRequestError) as info:
        client.create_image_generation(ImageGenerationRequest(prompt="x", extra={"width": 4000}))
    assert info.value.message


def test_init_image_upload_get_delete(client, tmp_path):
    path = tmp_path / "init.png"
    Image.new("RGB", (64, 64), (10, 200, 30)).save(path)
    image_id = client.upload_init_image(path)
    assert client.init_image(image_id).id == image_id
    assert client.delete_init_image(image_id) == image_id
    with pytest.raises(errors.NotFoundError):
        client.init_image(image_id)
    with pytest.raises(ValueError):
        client.upload_init_image(tmp_path / "init.gif")


def test_variations(client):
    created = client.create_image_generation(ImageGenerationRequest(prompt="moss", width=128, height=128, num_images=1))
    image_id = wait_until(lambda: _image_done(client, created.id)).images[0].id
    jobs = [
        client.upscale(image_id),
        client.unzoom(image_id),
        client.remove_background(image_id),
        client.universal_upscale(UniversalUpscaleRequest(generated_image_id=image_id, upscale_multiplier=1.5)),
    ]
    for job in jobs:
        variation = wait_until(lambda job=job: _variation_done(client, job.id))
        assert variation.url and variation.transform_type
    with pytest.raises(errors.LeonardoError):
        client.upscale("00000000-0000-4000-8000-000000000000")


def test_prompt_helpers_and_models(client):
    assert client.random_prompt().prompt
    improved = client.improve_prompt("rust")
    assert improved.prompt and improved.api_credit_cost == 4
    with pytest.raises(errors.BadRequestError):
        client.improve_prompt("x" * 250)
    assert client.platform_models()


def _image_done(client, generation_id):
    generation = client.image_generation(generation_id)
    return generation if generation.status is JobStatus.COMPLETE else None


def _variation_done(client, variation_id):
    variation = client.variation(variation_id)
    return variation if variation.status is JobStatus.COMPLETE else None


# -- errors ------------------------------------------------------------------------------------------------


def test_wrong_key_is_an_authentication_error(emulator):
    wrong_key = "11111111-2222-4333-8444-555555555555"
    with LeonardoClient(wrong_key, emulator.base_url) as c, pytest.raises(errors.AuthenticationError) as info:
        c.me()
    assert info.value.status == 401 and info.value.action == "open_preferences"


def test_malformed_key_is_an_authentication_error_and_not_retried(emulator):
    with LeonardoClient("not-a-uuid", emulator.base_url) as c:
        before = len(emulator.requests)
        with pytest.raises(errors.AuthenticationError):
            c.me()
    assert len(emulator.requests) - before == 1


def test_missing_key_is_refused_before_any_request():
    with pytest.raises(errors.AuthenticationError):
        LeonardoClient("  ", "http://127.0.0.1:9")


def test_wire_name_mistakes_are_bad_requests(client):
    with pytest.raises(errors.BadRequestError) as info:
        client.transport.request(
            "POST", "/generations-texture", json_body={"prompt": "x", "sd_Version": "v2"}, retry=Retry.PAID
        )
    assert info.value.code == "bad-request" and "sd_Version" in info.value.message


def test_wrong_types_are_validation_errors(client):
    model_id = upload_cube(client)
    with pytest.raises(errors.ValidationError) as info:
        client.transport.request(
            "POST",
            "/generations-texture",
            json_body={"prompt": "x", "modelAssetId": model_id, "preview": "yes"},
            retry=Retry.PAID,
        )
    assert info.value.code == "validation-failed"


def test_insufficient_credits(emulator):
    emulator.set_credits(100)
    try:
        with LeonardoClient(emulator.api_key, emulator.base_url) as c:
            model_id = upload_cube(c)
            jobs_before = len(emulator.state.texture_generations)
            with pytest.raises(errors.InsufficientCreditsError) as info:
                c.create_texture(TextureRequest(prompt="gold", model_asset_id=model_id))
            assert "not enough api tokens" in info.value.message
            assert info.value.action == "top_up"
            assert len(emulator.state.texture_generations) == jobs_before
    finally:
        emulator.set_credits(1_000_000)


def test_key_never_appears_in_errors_or_logs(emulator, caplog):
    caplog.set_level("DEBUG")
    key = emulator.api_key
    with LeonardoClient(key, emulator.base_url) as c:
        assert key not in repr(c) and key not in repr(c.transport)
        emulator.faults.add(emulator.fault("GET /me", kind="status", status=500, times=-1))
        try:
            with pytest.raises(errors.ServerError) as info:
                c.me()
        finally:
            emulator.faults.clear()
    assert key not in str(info.value) and key not in repr(info.value)
    assert key not in caplog.text


def test_content_moderation_is_its_own_error(client, emulator):
    emulator.faults.add(FaultRule("POST /generations", "status", status=400, message="content moderation filter: gore"))
    with pytest.raises(errors.ContentModerationError) as info:
        client.create_image_generation(ImageGenerationRequest(prompt="gore"))
    assert info.value.action == "edit_prompt" and "gore" in info.value.message


def test_an_answer_without_the_expected_shape_is_an_unexpected_response(client, emulator):
    emulator.faults.add(FaultRule("GET /me", "status", status=200, message="surprise"))
    with pytest.raises(errors.UnexpectedResponseError):
        client.me()


def test_guidance_scale_is_sent_as_an_integer(client, emulator):
    client.create_image_generation(ImageGenerationRequest(prompt="moss", num_images=1, guidance_scale=7.0))
    sent = emulator.requests_for("POST", "/generations")[-1].json_body["guidance_scale"]
    assert sent == 7 and type(sent) is int


def test_the_emulators_loopback_url_is_accepted_and_named_as_the_key_recipient(emulator):
    from leonardo_blender.api import key_recipient_warning

    warning = key_recipient_warning(emulator.base_url)
    assert warning and emulator.base_url.split("/")[2] in warning
    assert key_recipient_warning("https://cloud.leonardo.ai/api/rest/v1") is None
