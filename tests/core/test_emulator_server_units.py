"""Emulator building blocks without HTTP: multipart parser, route patterns, fault specs, schemas."""

from __future__ import annotations

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from leonardo_blender.emulator.faults import FaultRule, FaultSet, parse_fault_spec
from leonardo_blender.emulator.http.errors import ApiError
from leonardo_blender.emulator.http.multipart import MultipartError, parse_multipart
from leonardo_blender.emulator.http.routing import route_matches
from leonardo_blender.emulator.http.schemas import INT, Field, schema

# S3 POST field names are plain tokens (key, X-Amz-Date, ...); quoting rules for exotic names differ
# between clients (urllib3 backslash-escapes, browsers percent-encode), so they are not generated here.
field_names = st.text(
    st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"),
    min_size=1,
    max_size=20,
).filter(lambda name: name != "file")


@settings(max_examples=60, deadline=None)
@given(fields=st.dictionaries(field_names, st.text(max_size=40), max_size=8), payload=st.binary(max_size=300))
def test_multipart_round_trip(fields, payload):
    prepared = requests.Request("POST", "http://x/", data=fields, files={"file": ("m.obj", payload)}).prepare()
    parts = parse_multipart(prepared.body, prepared.headers["Content-Type"])
    assert [part.name for part in parts] == [*fields, "file"]
    assert {part.name: part.data.decode() for part in parts[:-1]} == fields
    assert parts[-1].data == payload and parts[-1].filename == "m.obj"


def test_multipart_rejects_garbage():
    with pytest.raises(MultipartError):
        parse_multipart(b"hello", "multipart/form-data; boundary=abc")
    with pytest.raises(MultipartError):
        parse_multipart(
            b"--abc\r\nContent-Disposition: form-data; name=a\r\n\r\nvalue",
            "multipart/form-data; boundary=abc",
        )
    with pytest.raises(MultipartError):
        parse_multipart(b"", "application/json")


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("POST /generations-texture", "POST /generations-texture", True),
        ("post /generations-texture", "POST /generations-texture", True),
        ("POST /generations-texture", "POST /generations", False),
        ("GET /generations-texture", "GET /generations-texture/{id}", False),
        ("GET /generations-texture/*", "GET /generations-texture/{id}", True),
        ("* *", "DELETE /models-3d/{id}", True),
        ("*", "GET cdn/textures/albedo.jpg", True),
        ("GET cdn", "GET cdn/textures/albedo.jpg", True),
        ("GET /cdn", "GET cdn/textures/albedo.jpg", True),
        ("GET cdn/textures", "GET cdn/models/model.obj", False),
        ("GET cdn/*/albedo.jpg", "GET cdn/textures/albedo.jpg", True),
        ("POST upload", "POST upload/init-image", True),
        ("POST upload/model", "POST upload/init-image", False),
        ("GET cdn", "POST upload/model", False),
    ],
)
def test_route_patterns(pattern, key, expected):
    assert route_matches(pattern, key) is expected


def test_fault_specs():
    rule = parse_fault_spec("POST /generations-texture:status:429:retry_after=1:times=2")
    assert rule == FaultRule("POST /generations-texture", "status", times=2, status=429, retry_after=1.0)
    assert parse_fault_spec("GET /me:latency:0.5").seconds == 0.5
    assert parse_fault_spec("POST /generations:drop:after_processing=true").after_processing is True
    assert parse_fault_spec("GET cdn:corrupt_image:times=-1").times == -1
    assert parse_fault_spec("GET /me:status:500:message=a:b").message == "a:b"
    for bad in ("GET /me", "GET /me:drop:5", "GET /me:status:x", "GET /me:drop:colour=red"):
        with pytest.raises(ValueError):
            parse_fault_spec(bad)


def test_fault_set_consumes_in_order_and_keeps_forever_rules():
    faults = FaultSet()
    faults.add(FaultRule("GET /me", "status", status=500))
    faults.add(FaultRule("GET /me", "status", status=503, times=-1))
    faults.add(FaultRule("GET /me", "latency", seconds=0.0, times=2))
    first = faults.take("before", "GET /me")
    assert [r.kind for r in first] == ["status", "latency"] and first[0].status == 500
    assert [r.status for r in faults.take("before", "GET /me") if r.kind == "status"] == [503]
    assert [r.status for r in faults.take("before", "GET /me")] == [503]
    assert len(faults) == 1
    assert faults.take("before", "GET /other") == []


def test_schema_merges_body_query_and_path():
    paged = schema("$.x", id=Field(INT, required=True), limit=Field(INT))
    assert paged.validate({"id": 1, "limit": 5}, {"limit": "7"}, {"id": "3"}) == {"id": 3, "limit": 7}
    with pytest.raises(ApiError) as info:
        paged.validate({"id": 2**31})
    assert info.value.code == "validation-failed" and info.value.path == "$.x.id"
