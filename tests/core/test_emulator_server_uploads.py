"""Emulator: the upload ("S3") host's checks and the CDN host's signed, expiring URLs."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from .conftest import CUBE_OBJ, NO_UV_OBJ


@pytest.fixture
def slot(api):
    raw = api.new_model_slot()
    return {"url": raw["modelUrl"], "fields": json.loads(raw["modelFields"]), "id": raw["modelId"]}


def _post(slot, fields=None, files=None, **kwargs):
    fields = slot["fields"] if fields is None else fields
    files = {"file": ("model.obj", CUBE_OBJ)} if files is None else files
    return requests.post(slot["url"], data=fields, files=files, timeout=5, **kwargs)


def _xml_code(response):
    assert response.headers["Content-Type"] == "application/xml"
    text = response.text
    return text.split("<Code>", 1)[1].split("</Code>", 1)[0]


def test_upload_succeeds_and_the_model_appears(emulator, api, slot):
    assert _post(slot).status_code == 204
    assert api.get(f"/models-3d/{slot['id']}").json()["model_assets_by_pk"]["id"] == slot["id"]
    assert emulator.stats()["uploads_received"] == 1
    assert emulator.count("POST", "upload") == 1


def test_authorization_header_is_refused_and_reported(emulator, api, slot):
    response = _post(slot, headers={"Authorization": f"Bearer {emulator.api_key}"})
    assert response.status_code == 403 and _xml_code(response) == "AccessDenied"
    leaks = emulator.stats()["foreign_authorization_headers"]
    assert len(leaks) == 1 and leaks[0]["host"] == "upload"
    assert emulator.api_key not in json.dumps(leaks)
    assert api.get(f"/models-3d/{slot['id']}").json()["model_assets_by_pk"] is None


def test_file_must_be_the_last_part(slot):
    fields = slot["fields"]
    body_parts = [(name, (None, value)) for name, value in fields.items()]
    file_first = [("file", ("model.obj", CUBE_OBJ)), *body_parts]
    response = requests.post(slot["url"], files=file_first, timeout=5)
    assert response.status_code == 400 and _xml_code(response) == "InvalidArgument"
    no_file = requests.post(slot["url"], files=body_parts, timeout=5)
    assert no_file.status_code == 400 and "exactly one file" in no_file.text
    in_order = requests.post(slot["url"], files=[*body_parts, ("file", ("model.obj", CUBE_OBJ))], timeout=5)
    assert in_order.status_code == 204


@pytest.mark.parametrize("field", ["key", "X-Amz-Date", "X-Amz-Credential", "Policy", "X-Amz-Signature", "bucket"])
def test_tampered_or_missing_field_is_refused(slot, field):
    tampered = {**slot["fields"], field: slot["fields"][field][:-2] + "xx"}
    response = _post(slot, fields=tampered)
    assert response.status_code in (400, 403), response.text
    assert _xml_code(response) in ("AccessDenied", "InvalidArgument")
    missing = {name: value for name, value in slot["fields"].items() if name != field}
    assert _post(slot, fields=missing).status_code in (400, 403)
    assert _post(slot).status_code == 204  # the untouched fields still work


def test_extra_field_is_refused(slot):
    response = _post(slot, fields={**slot["fields"], "acl": "public-read"})
    assert response.status_code == 403 and "Extra input fields: acl" in response.text


def test_expired_slot_is_refused(make_emulator, client_for):
    emu = make_emulator(upload_expiry_seconds=0.3)
    raw = client_for(emu).new_model_slot()
    slot = {"url": raw["modelUrl"], "fields": json.loads(raw["modelFields"]), "id": raw["modelId"]}
    time.sleep(0.4)
    response = _post(slot)
    assert response.status_code == 403 and _xml_code(response) == "AccessDenied"
    assert "Invalid according to Policy: Policy expired." in response.text


def test_obj_without_uvs_is_refused_with_the_parser_message(api, slot):
    response = _post(slot, files={"file": ("model.obj", NO_UV_OBJ)})
    assert response.status_code == 400 and _xml_code(response) == "InvalidArgument"
    assert "texture coordinates" in response.text
    assert api.get(f"/models-3d/{slot['id']}").json()["model_assets_by_pk"] is None
    empty = _post(slot, files={"file": ("model.obj", b"")})
    assert empty.status_code == 400


def test_not_multipart_and_wrong_bucket(slot, emulator):
    plain = requests.post(slot["url"], data=b"hello", headers={"Content-Type": "text/plain"}, timeout=5)
    assert plain.status_code == 400 and _xml_code(plain) == "MalformedPOSTRequest"
    wrong_bucket = requests.post(
        emulator.upload_origin + "/other-bucket",
        data=slot["fields"],
        files={"file": ("m.obj", CUBE_OBJ)},
        timeout=5,
    )
    assert wrong_bucket.status_code == 404
    assert requests.put(slot["url"], data=b"x", timeout=5).status_code == 405


def test_cdn_urls_expire(make_emulator, client_for):
    emu = make_emulator(url_expiry_seconds=0.6)
    api = client_for(emu)
    model_id = api.upload_model()
    url = api.get(f"/models-3d/{model_id}").json()["model_assets_by_pk"]["meshUrl"]
    assert requests.get(url, timeout=5).status_code == 200
    expires = int(parse_qs(urlsplit(url).query)["Expires"][0])
    time.sleep(max(0.0, expires - time.time()) + 0.05)
    expired = requests.get(url, timeout=5)
    assert expired.status_code == 403 and _xml_code(expired) == "AccessDenied"
    assert "expired" in expired.text
    fresh = api.get(f"/models-3d/{model_id}").json()["model_assets_by_pk"]["meshUrl"]
    assert requests.get(fresh, timeout=5).status_code == 200


def test_cdn_signature_cannot_be_altered(emulator, api):
    model_id = api.upload_model()
    url = api.get(f"/models-3d/{model_id}").json()["model_assets_by_pk"]["meshUrl"]
    parts = urlsplit(url)
    expires = int(parse_qs(parts.query)["Expires"][0])
    longer = url.replace(f"Expires={expires}", f"Expires={expires + 3600}")
    assert requests.get(longer, timeout=5).status_code == 403
    unsigned = f"{parts.scheme}://{parts.netloc}{parts.path}"
    assert requests.get(unsigned, timeout=5).status_code == 403
    with_key = requests.get(url, headers={"Authorization": f"Bearer {emulator.api_key}"}, timeout=5)
    assert with_key.status_code == 400
    assert [leak["host"] for leak in emulator.stats()["foreign_authorization_headers"]] == ["cdn"]
    head = requests.head(url, timeout=5)
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(CUBE_OBJ)
