"""Retries, backoff and the no-duplicate-paid-job rule, under faults injected by the emulator."""

from __future__ import annotations

import socket
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leonardo_blender.api import LeonardoClient, errors
from leonardo_blender.api.models import TextureRequest
from leonardo_blender.api.transport import Timeouts
from leonardo_blender.core.backoff import Backoff
from leonardo_blender.emulator import Emulator, EmulatorConfig, FaultRule
from tests.core.obj_samples import cube_obj
from tests.core.waiting import wait_until

FAST_BACKOFF = Backoff(base=0.01, cap=0.05, factor=2.0, jitter=0.0)


def fast_client(emu: Emulator, **kwargs) -> LeonardoClient:
    client = LeonardoClient(emu.api_key, emu.base_url, **kwargs)
    client.transport.backoff = FAST_BACKOFF
    client.files.backoff = FAST_BACKOFF
    return client


@pytest.fixture
def client(emulator):
    with fast_client(emulator) as c:
        yield c


@pytest.fixture
def model_id(client):
    return client.upload_model(cube_obj(), name="Cube")


def texture(model_id: str) -> TextureRequest:
    return TextureRequest(prompt="weathered copper", model_asset_id=model_id, preview=True)


def creates(emulator) -> int:
    return emulator.count("POST", "/generations-texture")


# -- idempotent calls retry ----------------------------------------------------------------------------------


def test_get_retries_server_errors_then_succeeds(client, emulator):
    emulator.faults.add(FaultRule("GET /me", "status", status=503, times=2))
    assert client.me().user_id == emulator.user_id
    assert emulator.count("GET", "/me") == 3


def test_get_retries_dropped_connections(client, emulator):
    emulator.faults.add(FaultRule("GET /me", "drop", times=2))
    assert client.me().user_id == emulator.user_id


def test_get_gives_up_after_max_retries(emulator):
    with fast_client(emulator, max_retries=2) as c:
        emulator.faults.add(FaultRule("GET /me", "status", status=500, times=-1))
        with pytest.raises(errors.ServerError) as info:
            c.me()
    assert not info.value.outcome_unknown
    assert emulator.count("GET", "/me") == 3


def test_429_honours_retry_after(client, emulator):
    emulator.faults.add(FaultRule("GET /me", "status", status=429, retry_after=0.6, times=1))
    started = time.monotonic()
    client.me()
    assert time.monotonic() - started >= 0.6


def test_long_retry_after_is_reported_not_slept(client, emulator):
    emulator.faults.add(FaultRule("GET /me", "status", status=429, retry_after=3600, times=1))
    started = time.monotonic()
    with pytest.raises(errors.RateLimitedError) as info:
        client.me()
    assert info.value.retry_after == 3600
    assert time.monotonic() - started < 5


def test_unreachable_host_is_a_network_error_after_retries():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: connection refused
    with LeonardoClient(
        "11111111-2222-4333-8444-555555555555", f"http://127.0.0.1:{port}/api/rest/v1", max_retries=2
    ) as c:
        c.transport.backoff = FAST_BACKOFF
        with pytest.raises(errors.NetworkError) as info:
            c.me()
        assert not info.value.outcome_unknown
        with pytest.raises(errors.NetworkError) as info:
            c.create_texture(TextureRequest(prompt="x", model_asset_id="m"))
        assert not info.value.outcome_unknown, "a refused connection never reached the service"


# -- paid creates are never duplicated ---------------------------------------------------------------------


def test_paid_create_retries_429_and_creates_one_job(client, emulator, model_id):
    emulator.faults.add(FaultRule("POST /generations-texture", "status", status=429, retry_after=0.05, times=2))
    before = len(emulator.state.texture_generations)
    created = client.create_texture(texture(model_id))
    assert creates(emulator) == 3
    assert len(emulator.state.texture_generations) == before + 1
    assert created.id in emulator.state.texture_generations


@pytest.mark.parametrize(
    "fault",
    [
        FaultRule("POST /generations-texture", "status", status=500, after_processing=True),
        FaultRule("POST /generations-texture", "status", status=502),
        FaultRule("POST /generations-texture", "drop", after_processing=True),
        FaultRule("POST /generations-texture", "drop"),
    ],
    ids=["500-after", "502-before", "drop-after", "drop-before"],
)
def test_paid_create_is_not_resent_when_the_outcome_is_unknown(client, emulator, model_id, fault):
    emulator.faults.add(fault)
    before = len(emulator.state.texture_generations)
    with pytest.raises((errors.ServerError, errors.NetworkError)) as info:
        client.create_texture(texture(model_id))
    assert info.value.outcome_unknown
    assert "not sent again" in info.value.message or info.value.status
    assert creates(emulator) == 1
    expected = 1 if fault.after_processing else 0
    assert len(emulator.state.texture_generations) == before + expected


def test_paid_create_read_timeout_is_reported_not_resent(emulator, model_id):
    emulator.faults.add(FaultRule("POST /generations-texture", "latency", seconds=1.5))
    before = len(emulator.state.texture_generations)
    short_read = Timeouts(connect=2, read=0.4)
    with fast_client(emulator, timeouts=short_read) as c, pytest.raises(errors.NetworkError) as info:
        c.create_texture(texture(model_id))
    assert info.value.outcome_unknown
    wait_until(lambda: len(emulator.state.texture_generations) == before + 1, timeout=5)
    time.sleep(0.3)
    assert creates(emulator) == 1
    assert len(emulator.state.texture_generations) == before + 1


FAULT_CHOICES = st.sampled_from(
    [
        None,
        ("status", 429, False),
        ("status", 500, False),
        ("status", 500, True),
        ("status", 503, True),
        ("drop", None, False),
        ("drop", None, True),
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(FAULT_CHOICES, min_size=1, max_size=4))
def test_no_duplicate_paid_job_under_any_fault_sequence(shared_emulator, shared_model, faults):
    emu = shared_emulator
    emu.faults.clear()
    for fault in faults:
        if fault is None:
            continue
        kind, status, after = fault
        emu.faults.add(
            FaultRule(
                "POST /generations-texture",
                kind,
                status=status,
                after_processing=after,
                retry_after=0.01 if status == 429 else None,
            )
        )
    before_jobs = len(emu.state.texture_generations)
    before_posts = len(emu.requests_for("POST", "/generations-texture"))
    with fast_client(emu, max_retries=5) as c:
        try:
            created = c.create_texture(texture(shared_model))
            outcome = "ok"
        except errors.LeonardoError as exc:
            outcome = "unknown" if exc.outcome_unknown else "refused"
    emu.faults.clear()
    new_jobs = len(emu.state.texture_generations) - before_jobs
    assert new_jobs <= 1, "a paid job was created twice"
    if outcome == "ok":
        assert new_jobs == 1 and created.id in emu.state.texture_generations
    elif outcome == "refused":
        assert new_jobs == 0
    # The client may re-send a paid create only after a 429: every POST but the last was a 429.
    posts = emu.requests_for("POST", "/generations-texture")[before_posts:]
    assert posts, "the create was never sent"
    assert all(record.status == 429 for record in posts[:-1]), [r.status for r in posts]


@pytest.fixture(scope="module")
def shared_emulator():
    with Emulator(EmulatorConfig(job_seconds=0.2, texture_size=32, credits=10_000_000)) as emu:
        yield emu


@pytest.fixture(scope="module")
def shared_model(shared_emulator):
    with fast_client(shared_emulator) as c:
        return c.upload_model(cube_obj(), name="shared")


# -- storage and downloads ----------------------------------------------------------------------------------


def test_upload_retries_storage_errors(client, emulator):
    emulator.faults.add(FaultRule("POST upload", "status", status=503, times=1))
    model_id = client.upload_model(cube_obj(), name="retry")
    assert client.model_asset(model_id).id == model_id


def test_expired_upload_slot_is_renewed_once(make_emulator):
    emu = make_emulator(upload_expiry_seconds=0.001)
    with fast_client(emu) as c, pytest.raises(errors.UploadError) as info:
        c.upload_model(cube_obj(), name="late")
    assert "expired" in info.value.message.lower()
    assert emu.count("POST", "/models-3d/upload") == 2


def _completed_generation(client, model_id):
    created = client.create_texture(texture(model_id))
    return wait_until(lambda: (g := client.texture_generation(created.id)).status.finished and g)


def test_corrupt_download_is_retried(client, emulator, model_id, tmp_path):
    generation = _completed_generation(client, model_id)
    emulator.faults.add(FaultRule("GET cdn/textures", "corrupt_image", times=1))
    path = client.download(generation.image("ALBEDO").url, tmp_path / "albedo.jpg")
    assert path.read_bytes()[:3] == b"\xff\xd8\xff"


def test_persistently_corrupt_download_fails_and_leaves_no_file(client, emulator, model_id, tmp_path):
    generation = _completed_generation(client, model_id)
    emulator.faults.add(FaultRule("GET cdn", "corrupt_image", times=-1))
    with pytest.raises(errors.DownloadError):
        client.download(generation.image("ALBEDO").url, tmp_path / "albedo.jpg")
    assert not list(tmp_path.iterdir())


def test_expired_download_url(make_emulator, tmp_path):
    emu = make_emulator(url_expiry_seconds=0.2)
    with fast_client(emu) as c:
        generation = _completed_generation(c, c.upload_model(cube_obj(), name="x"))
        time.sleep(1.3)  # URLs carry a whole-second Expires
        with pytest.raises(errors.DownloadError) as info:
            c.download(generation.image("ALBEDO").url, tmp_path / "a.jpg")
    assert getattr(info.value, "expired", False)


def test_no_authorization_header_ever_reaches_storage_or_cdn(client, emulator, model_id, tmp_path):
    generation = _completed_generation(client, model_id)
    for image in generation.images:
        client.download(image.url, tmp_path / f"{image.type}.jpg")
    assert emulator.foreign_authorization_headers == []
    assert any(r.host == "cdn" for r in emulator.requests)


def test_cancel_interrupts_a_backoff_wait(emulator):
    with LeonardoClient(emulator.api_key, emulator.base_url) as c:
        c.transport.backoff = Backoff(base=30, cap=30, jitter=0)
        emulator.faults.add(FaultRule("GET /me", "status", status=503, times=-1))
        import threading

        threading.Timer(0.3, c.cancel.set).start()
        started = time.monotonic()
        with pytest.raises(errors.CancelledError):
            c.me()
    assert time.monotonic() - started < 5


# -- 429 and give-up on the storage and download hosts ---------------------------------------------------------


def test_download_retries_429_honouring_retry_after(client, emulator, model_id, tmp_path):
    generation = _completed_generation(client, model_id)
    url = generation.image("ALBEDO").url
    before = emulator.count("GET", "cdn")
    emulator.faults.add(FaultRule("GET cdn", "status", status=429, retry_after=0.3, times=2))
    started = time.monotonic()
    path = client.download(url, tmp_path / "albedo.jpg")
    assert time.monotonic() - started >= 0.6, "Retry-After was not honoured"
    assert path.read_bytes()[:3] == b"\xff\xd8\xff"
    assert emulator.count("GET", "cdn") - before == 3


def test_download_still_rate_limited_gives_up_with_a_download_error(client, emulator, model_id, tmp_path):
    generation = _completed_generation(client, model_id)
    before = emulator.count("GET", "cdn")
    emulator.faults.add(FaultRule("GET cdn", "status", status=429, retry_after=0.01, times=-1))
    with pytest.raises(errors.DownloadError) as info:
        client.download(generation.image("ALBEDO").url, tmp_path / "albedo.jpg", what="albedo map")
    assert info.value.status == 429 and "busy" in info.value.message and "albedo map" in info.value.message
    assert emulator.count("GET", "cdn") - before == client.files.max_retries + 1
    assert list(tmp_path.iterdir()) == []


def test_download_with_a_long_retry_after_is_reported_not_slept(client, emulator, model_id, tmp_path):
    generation = _completed_generation(client, model_id)
    emulator.faults.add(FaultRule("GET cdn", "status", status=429, retry_after=3600, times=-1))
    started = time.monotonic()
    with pytest.raises(errors.DownloadError) as info:
        client.download(generation.image("ALBEDO").url, tmp_path / "albedo.jpg")
    assert time.monotonic() - started < 5
    assert info.value.status == 429 and "3600" in info.value.message


def test_download_that_keeps_dropping_gives_up_with_a_download_error(client, emulator, model_id, tmp_path):
    generation = _completed_generation(client, model_id)
    emulator.faults.add(FaultRule("GET cdn", "drop", times=-1))
    with pytest.raises(errors.DownloadError) as info:
        client.download(generation.image("ALBEDO").url, tmp_path / "albedo.jpg")
    assert isinstance(info.value, errors.NetworkError), "still a network error for callers that check that"
    assert list(tmp_path.iterdir()) == []


def test_upload_retries_429_honouring_retry_after(client, emulator):
    before = emulator.count("POST", "upload")
    emulator.faults.add(FaultRule("POST upload", "status", status=429, retry_after=0.3, times=2))
    started = time.monotonic()
    model_id = client.upload_model(cube_obj(), name="busy")
    assert time.monotonic() - started >= 0.6
    assert client.model_asset(model_id).id == model_id
    assert emulator.count("POST", "upload") - before == 3


@pytest.mark.parametrize(
    "fault",
    [
        FaultRule("POST upload", "status", status=429, retry_after=0.01, times=-1),
        FaultRule("POST upload", "drop", times=-1),
    ],
    ids=["429", "drop"],
)
def test_upload_that_keeps_failing_gives_up_with_an_upload_error(client, emulator, fault):
    emulator.faults.add(fault)
    with pytest.raises(errors.UploadError) as info:
        client.upload_model(cube_obj(), name="never")
    assert "cube" in info.value.message or "model" in info.value.message
    if fault.kind == "status":
        assert info.value.status == 429 and "busy" in info.value.message


def test_paid_create_still_rate_limited_is_never_charged_and_can_be_resumed(client, emulator, model_id):
    emulator.faults.add(FaultRule("POST /generations-texture", "status", status=429, retry_after=0.01, times=-1))
    before = len(emulator.state.texture_generations)
    with pytest.raises(errors.RateLimitedError) as info:
        client.create_texture(texture(model_id))
    assert info.value.never_reached and info.value.charged is False and not info.value.outcome_unknown
    assert "retries automatically" not in info.value.user_message
    assert "nothing was charged" in info.value.user_message
    assert len(emulator.state.texture_generations) == before
