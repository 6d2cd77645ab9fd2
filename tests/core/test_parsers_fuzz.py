"""Fuzz every parser of service answers: whatever JSON arrives, only ``LeonardoError``s escape.

Two kinds of input: random nested JSON values whose keys are drawn mostly from the keys the parsers
read (so the fuzz reaches deep into each parser), and valid answers with one value somewhere replaced
by a random JSON value, a key deleted, or the answer wrapped in a list. Values include what ``json``
really produces from hostile text: ``inf`` (from ``1e999``), ``nan``, 40-digit integers, lone
surrogates. Also fuzzed: the JSON decoder of the transport, the error-body reader, presigned fields,
the image checks (with truncations and bit flips of real images) and ``safe_file_stem``.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from leonardo_blender.api import client as client_module
from leonardo_blender.api import errors, transport
from leonardo_blender.api.image_models import (
    GeneratedImage,
    ImageGeneration,
    PlatformModel,
    PromptResult,
    Variation,
)
from leonardo_blender.api.imagecheck import DamagedImageError, check_image
from leonardo_blender.api.models import (
    MAX_PLAUSIBLE_COST,
    TEXTURE_MAP_TYPES,
    CreatedJob,
    InitImage,
    JobStatus,
    ModelAsset,
    TextureGeneration,
    TextureImage,
    UploadSlot,
    UserInfo,
)
from leonardo_blender.api.wire import parse_fields
from leonardo_blender.core.safe_names import WINDOWS_RESERVED, path_inside, safe_file_stem

ID = "0b9f3c3e-1c7a-4e55-9a43-2f4d1c0d7e11"
#: Examples per fuzz test; the whole file stays well under 20 s on one core.
EXAMPLES = 150
#: Mutations of each parser's valid answer (times the number of parsers).
MUTATIONS = 80
#: Random JSON values, each fed to every parser.
RANDOM_VALUES = 500

KEYS = [
    "id",
    "user",
    "user_details",
    "username",
    "apiSubscriptionTokens",
    "apiPaidTokens",
    "apiConcurrencySlots",
    "paidTokens",
    "subscriptionTokens",
    "tokenRenewalDate",
    "textureGenerationJob",
    "sdGenerationJob",
    "generationId",
    "apiCreditCost",
    "cost",
    "amount",
    "unit",
    "uploadModelAsset",
    "uploadInitImage",
    "modelId",
    "modelUrl",
    "modelFields",
    "modelKey",
    "fields",
    "url",
    "key",
    "name",
    "meshUrl",
    "createdAt",
    "status",
    "prompt",
    "negativePrompt",
    "seed",
    "type",
    "model_asset_texture_images",
    "model_asset_texture_generations_by_pk",
    "generated_images",
    "generated_image_variation_generics",
    "generated_image_variation_generic",
    "imageWidth",
    "imageHeight",
    "nsfw",
    "featured",
    "generated_image",
    "promptGeneration",
    "calculateProductionApiServiceCost",
    "model_assets",
    "custom_models",
    "generations_by_pk",
    "transformType",
]

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([ID, "COMPLETE", "PENDING", "FAILED", "ALBEDO", "../../x", "", "1e999", "30", "{}", "nul"])
    | st.text(max_size=12)
)

JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), children, max_size=6)
    ),
    max_leaves=25,
)


# -- valid answers, one per parser ------------------------------------------------------------------------

TEXTURE_ROW = {
    "id": ID,
    "status": "COMPLETE",
    "prompt": "brick",
    "negativePrompt": None,
    "seed": 42,
    "createdAt": "2026-01-01T00:00:00",
    "model_asset_texture_images": [
        {"id": ID, "type": "ALBEDO", "url": "https://cdn/albedo.jpg"},
        {"id": ID, "type": "NORMAL", "url": "https://cdn/normal.jpg"},
    ],
}
IMAGE_ROW = {
    "id": ID,
    "status": "COMPLETE",
    "prompt": "moss",
    "modelId": ID,
    "imageWidth": 512,
    "imageHeight": 512,
    "seed": 3,
    "generated_images": [
        {
            "id": ID,
            "url": "https://cdn/a.png",
            "nsfw": False,
            "generated_image_variation_generics": [
                {"id": ID, "status": "COMPLETE", "transformType": "UPSCALE", "url": "https://cdn/u.png"}
            ],
        }
    ],
}

Parser = Callable[[Any], Any]

PARSERS: dict[str, tuple[Parser, Any]] = {
    "UserInfo": (
        UserInfo.from_wire,
        {
            "user_details": [
                {
                    "user": {"id": ID, "username": "me"},
                    "apiSubscriptionTokens": 100,
                    "apiPaidTokens": 5,
                    "apiConcurrencySlots": 10,
                    "paidTokens": 1,
                    "subscriptionTokens": 2,
                    "tokenRenewalDate": None,
                }
            ]
        },
    ),
    "CreatedJob.texture": (
        lambda b: CreatedJob.from_wire(b, "textureGenerationJob"),
        {"textureGenerationJob": {"id": ID, "apiCreditCost": 30, "cost": {"amount": "30", "unit": "CREDITS"}}},
    ),
    "CreatedJob.image": (
        lambda b: CreatedJob.from_wire(b, "sdGenerationJob", id_key="generationId"),
        {"sdGenerationJob": {"generationId": ID, "apiCreditCost": 8}},
    ),
    "UploadSlot.model": (
        UploadSlot.from_model_upload,
        {
            "uploadModelAsset": {
                "modelId": ID,
                "modelUrl": "https://s3/up",
                "modelFields": json.dumps({"key": "k", "Policy": "p"}),
                "modelKey": "k",
            }
        },
    ),
    "UploadSlot.init": (
        UploadSlot.from_init_image_upload,
        {"uploadInitImage": {"id": ID, "url": "https://s3/up", "fields": {"key": "k"}, "key": "k"}},
    ),
    "ModelAsset": (ModelAsset.from_wire, {"id": ID, "name": "Cube", "meshUrl": "https://cdn/m.obj", "userId": ID}),
    "InitImage": (InitImage.from_wire, {"id": ID, "url": "https://cdn/i.png", "createdAt": "x"}),
    "TextureImage": (TextureImage.from_wire, {"id": ID, "type": "ALBEDO", "url": "https://cdn/albedo.jpg"}),
    "TextureGeneration": (TextureGeneration.from_wire, TEXTURE_ROW),
    "ImageGeneration": (ImageGeneration.from_wire, IMAGE_ROW),
    "GeneratedImage": (GeneratedImage.from_wire, IMAGE_ROW["generated_images"][0]),
    "Variation": (
        Variation.from_wire,
        {"id": ID, "status": "PENDING", "transformType": "NOBG", "url": None, "createdAt": None},
    ),
    "PromptResult": (PromptResult.from_wire, {"promptGeneration": {"prompt": "a cat", "apiCreditCost": 4}}),
    "PlatformModel": (
        PlatformModel.from_wire,
        {"id": ID, "name": "XL", "featured": True, "nsfw": False, "generated_image": {"id": ID, "url": "u"}},
    ),
    "pricing": (client_module.parse_pricing, {"calculateProductionApiServiceCost": {"cost": 30}}),
    "by_pk": (
        lambda b: TextureGeneration.from_wire(
            client_module.parse_by_pk(b, "model_asset_texture_generations_by_pk", "texture generation", ID)
        ),
        {"model_asset_texture_generations_by_pk": TEXTURE_ROW},
    ),
    "page": (
        lambda b: [ModelAsset.from_wire(row) for row in client_module.parse_page(b, "model_assets")],
        {"model_assets": [{"id": ID, "name": "a"}, {"id": ID, "name": "b"}]},
    ),
    "variation-list": (
        lambda b: client_module.parse_variation(b, ID),
        {"generated_image_variation_generic": [{"id": ID, "status": "COMPLETE", "url": "u"}]},
    ),
    "platform-models": (
        client_module.parse_platform_models,
        {"custom_models": [{"id": ID, "name": "XL"}, {"id": 5}, 7]},
    ),
    "fields": (parse_fields, json.dumps({"key": "k", "x-amz-signature": "s"})),
    "status": (JobStatus.parse, "COMPLETE"),
}


def check_result(name: str, value: Any) -> None:
    """Whatever a parser accepts must be sane, not just "no exception"."""
    if isinstance(value, CreatedJob):
        assert isinstance(value.id, str) and value.id
        assert value.api_credit_cost is None or 0 <= value.api_credit_cost <= MAX_PLAUSIBLE_COST
    if isinstance(value, UserInfo):
        for number in (value.api_subscription_tokens, value.api_paid_tokens, value.api_concurrency_slots):
            assert isinstance(number, int) and number >= 0
        assert isinstance(value.user_id, str) and value.user_id
    if isinstance(value, TextureGeneration):
        assert isinstance(value.status, JobStatus)
        assert all(image.type in TEXTURE_MAP_TYPES and isinstance(image.url, str) for image in value.images)
        assert len({image.type for image in value.images}) == len(value.images)
        assert value.seed is None or (isinstance(value.seed, int) and value.seed >= 0)
    if isinstance(value, ImageGeneration):
        for side in (value.width, value.height):
            assert side is None or (isinstance(side, int) and side > 0)
    if isinstance(value, int) and name == "pricing":
        assert 0 <= value <= MAX_PLAUSIBLE_COST
    for text in (getattr(value, "prompt", None), getattr(value, "name", None), getattr(value, "url", None)):
        assert text is None or isinstance(text, str)


def run_parser(name: str, value: Any) -> None:
    parse, _ = PARSERS[name]
    try:
        result = parse(value)
    except errors.LeonardoError:
        return
    check_result(name, result)


@st.composite
def mutated(draw: st.DrawFn, valid: Any) -> Any:
    """``valid`` with one random change: a value replaced, a key deleted, or the whole wrapped in a list."""
    document = copy.deepcopy(valid)
    slots: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in list(node):
                slots.append((node, key))
                walk(node[key])
        elif isinstance(node, list):
            for index in range(len(node)):
                slots.append((node, index))
                walk(node[index])

    walk(document)
    action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "wrap"]))
    if action == "wrap" or not slots:
        return [document]
    container, key = draw(st.sampled_from(slots))
    if action == "delete" and isinstance(container, dict):
        del container[key]
    else:
        container[key] = draw(JSON)
    return document


FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=MUTATIONS, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_valid_answers_only_raise_leonardo_errors(name, data):
    run_parser(name, data.draw(mutated(PARSERS[name][1])))


@settings(max_examples=RANDOM_VALUES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=JSON)
def test_random_json_only_raises_leonardo_errors_from_every_parser(value):
    for name in PARSERS:
        run_parser(name, copy.deepcopy(value))


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_the_valid_answers_parse(name):
    parse, valid = PARSERS[name]
    check_result(name, parse(copy.deepcopy(valid)))


# -- the transport's decoders ------------------------------------------------------------------------------


def _hostile_text(value: Any) -> bytes:
    text = json.dumps(value, allow_nan=True)
    return text.replace("Infinity", "1e999").encode("utf-8", errors="surrogatepass")


@FUZZ
@given(
    raw=st.binary(max_size=200)
    | JSON.map(_hostile_text)
    | st.tuples(JSON.map(_hostile_text), st.integers(0, 400)).map(lambda t: t[0][: t[1]])
    | st.integers(1, 5000).map(lambda n: b"[" * n + b"]" * n)
)
def test_the_json_decoder_only_raises_unexpected_response(raw):
    try:
        body = transport.decode_json_object(raw, "GET /x", status=200)
    except errors.UnexpectedResponseError:
        return
    assert isinstance(body, dict)


@FUZZ
@given(raw=st.binary(max_size=300) | JSON.map(_hostile_text))
def test_the_error_body_reader_never_raises(raw):
    message, code = transport._hasura_error(raw)
    assert isinstance(message, str) and len(message) <= transport.MAX_MESSAGE_CHARS and message.isprintable()
    assert code is None or (isinstance(code, str) and len(code) <= 100)


# -- the image checks ----------------------------------------------------------------------------------------


def _image(kind: str) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (19, 13))
    image.putdata([(x * 13 % 256, x * 7 % 256, x % 256) for x in range(19 * 13)])
    image.save(buffer, {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}[kind])
    return buffer.getvalue()


REAL_IMAGES = {kind: _image(kind) for kind in ("png", "jpeg", "webp")}


@settings(max_examples=400, deadline=None)
@given(
    kind=st.sampled_from(sorted(REAL_IMAGES)),
    cut=st.integers(0, 10_000),
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 255)), max_size=3),
    tail=st.binary(max_size=8),
)
def test_the_image_checks_only_raise_damaged_image(kind, cut, flips, tail):
    data = bytearray(REAL_IMAGES[kind])
    for position, mask in flips:
        data[position % len(data)] ^= mask
    data = data[: cut % (len(data) + 1)] + tail
    with contextlib.suppress(DamagedImageError):
        assert check_image(bytes(data)) in ("png", "jpeg", "webp")


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=64), head=st.sampled_from([b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF"]))
def test_random_bytes_are_never_an_image_by_accident(raw, head):
    try:
        check_image(head + raw)
    except DamagedImageError:
        return
    raise AssertionError("random bytes passed the structural check")


# -- file names ---------------------------------------------------------------------------------------------


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300) | st.sampled_from(["..", ".", "NUL", "con.txt", "a/../../b", "/abs", "C:\\x"]))
def test_safe_file_stem_is_always_one_harmless_component(tmp_path: Path, text: str):
    stem = safe_file_stem(text, "fallback")
    assert stem and len(stem.encode("utf-8")) <= 120
    assert not any(ch in stem for ch in '/\\:*?"<>|\x00')
    assert stem.isprintable() and stem == stem.strip(" .")
    assert ".." not in stem
    assert stem.split(".", 1)[0].upper() not in WINDOWS_RESERVED
    assert path_inside(tmp_path, stem + ".jpg").parent == tmp_path.resolve()


def test_json_floats_from_hostile_text_are_what_the_fuzz_feeds():
    """The fuzz's ``inf``/``nan``/huge values are what ``json`` really makes of hostile answers."""
    assert math.isinf(json.loads("1e999"))
    assert math.isnan(json.loads("NaN"))
    assert json.loads("1" + "0" * 40) == 10**40
