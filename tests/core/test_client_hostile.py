"""The client against broken or hostile servers: a tiny real HTTP server on 127.0.0.1 per test.

``HostileServer`` answers whatever the test tells it to (wrong JSON types, ids that are paths, links to
``file://``, garbage after a paid create) and records every request, so a test can prove that nothing
was sent where it must not go. No mocks: real sockets, real ``requests``.
"""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from leonardo_blender.api import LeonardoClient, errors
from leonardo_blender.api.files import FileTransfer
from leonardo_blender.api.image_models import ImageGenerationRequest
from leonardo_blender.api.models import TextureRequest
from leonardo_blender.core.backoff import Backoff
from leonardo_blender.core.safe_names import path_inside, safe_file_stem

KEY = "11111111-2222-4333-8444-555555555555"
GOOD_ID = "0b9f3c3e-1c7a-4e55-9a43-2f4d1c0d7e11"
FAST = Backoff(base=0.01, cap=0.05, factor=2.0, jitter=0.0)


# -- the server -------------------------------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: Close the connection without any answer.
    drop: bool = False

    @classmethod
    def json(cls, value: Any, status: int = 200, **headers: str) -> Reply:
        return cls(status, json.dumps(value).encode(), {"Content-Type": "application/json", **headers})


Handler = Callable[[Seen], Reply]


class HostileServer:
    """HTTP/1.0 on 127.0.0.1: every request is recorded and answered by ``handler``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Seen] = []
        self.bytes_sent = 0
        self._lock = threading.Lock()
        owner = self

        class _Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
                with owner._lock:
                    owner.requests.append(seen)
                reply = owner.handler(seen)
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                try:
                    self.send_response(reply.status)
                    body = reply.body
                    if isinstance(body, bytes) and not any(k.lower() == "content-length" for k in reply.headers):
                        self.send_header("Content-Length", str(len(body)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    chunks = [body] if isinstance(body, bytes) else body
                    for chunk in chunks:
                        self.wfile.write(chunk)
                        with owner._lock:
                            owner.bytes_sent += len(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading: that is what some tests want

            do_GET = do_POST = do_DELETE = do_PUT = do_HEAD = _serve  # noqa: N815

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/api/rest/v1"

    def url(self, path: str) -> str:
        return self.origin + path

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def hostile_servers() -> Iterator[Callable[[Handler], HostileServer]]:
    """Body of the ``serve`` fixture (shared with other test modules): start servers, close them after."""
    servers: list[HostileServer] = []

    def start(handler: Handler) -> HostileServer:
        server = HostileServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], HostileServer]]:
    yield from hostile_servers()


def client_for(server: HostileServer, **kwargs: Any) -> LeonardoClient:
    client = LeonardoClient(KEY, server.base_url, **kwargs)
    client.transport.backoff = FAST
    client.files.backoff = FAST
    return client


def texture_request() -> TextureRequest:
    return TextureRequest(prompt="brick", model_asset_id=GOOD_ID, preview=True)


def generation_answer(images: list[Any], **extra: Any) -> dict[str, Any]:
    return {
        "model_asset_texture_generations_by_pk": {
            "id": GOOD_ID,
            "status": "COMPLETE",
            "prompt": "brick",
            "seed": 7,
            "model_asset_texture_images": images,
            **extra,
        }
    }


# -- 15: the key only over TLS, except to this computer -------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://cloud.leonardo.ai/api/rest/v1",
        "http://10.0.0.5:8765/api/rest/v1",
        "http://example.com/api",
        "http://127.0.0.1.evil.example/api",
        "http://localhost.evil.example/api",
        "ftp://cloud.leonardo.ai/api",
        "file:///etc/passwd",
        "https://user:pw@cloud.leonardo.ai/api/rest/v1",
        "https://cloud.leonardo.ai/api/rest/v1?x=1",
        "cloud.leonardo.ai/api/rest/v1",
        "",
    ],
)
def test_an_insecure_api_url_is_refused_before_any_request(url):
    with pytest.raises(errors.InsecureURLError) as info:
        LeonardoClient(KEY, url)
    assert isinstance(info.value, errors.LeonardoError)
    if url.startswith("http://"):
        assert "https" in info.value.fix
    assert KEY not in info.value.user_message


@pytest.mark.parametrize(
    "url",
    [
        "https://cloud.leonardo.ai/api/rest/v1",
        "https://proxy.example/api",
        "http://127.0.0.1:8765/api/rest/v1",
        "http://127.8.9.10/api",
        "http://localhost:8765/api/rest/v1",
        "http://LOCALHOST/api",
        "http://[::1]:8765/api/rest/v1",
    ],
)
def test_tls_and_loopback_api_urls_are_accepted(url):
    with LeonardoClient(KEY, url) as client:
        assert client.transport.base_url == url.rstrip("/")


def test_plain_http_to_loopback_still_works(serve):
    server = serve(lambda seen: Reply.json({"user_details": [{"user": {"id": GOOD_ID}}]}))
    with client_for(server) as client:
        assert client.me().user_id == GOOD_ID
    assert server.requests[0].headers.get("Authorization") == f"Bearer {KEY}"


def test_key_recipient_warning_names_foreign_hosts():
    from leonardo_blender.api import key_recipient_warning

    assert key_recipient_warning("https://cloud.leonardo.ai/api/rest/v1") is None
    assert key_recipient_warning("https://CLOUD.leonardo.ai/api/rest/v1/") is None
    foreign = key_recipient_warning("https://proxy.example:8443/api")
    assert foreign and "proxy.example:8443" in foreign and "cloud.leonardo.ai" in foreign
    local = key_recipient_warning("http://127.0.0.1:8765/api/rest/v1")
    assert local and "127.0.0.1:8765" in local and "this computer" in local
    refused = key_recipient_warning("http://evil.example/api")
    assert refused and "evil.example" in refused and "https" in refused


@pytest.mark.parametrize(
    "link",
    ["file:///etc/hostname", "ftp://127.0.0.1/a.jpg", "data:image/png;base64,iVBORw0KGgo=", "//no-scheme/a.jpg", ""],
)
def test_download_links_that_are_not_http_are_refused(tmp_path, link):
    target = tmp_path / "albedo.jpg"
    transfer = FileTransfer()
    try:
        with pytest.raises(errors.DownloadError) as info:
            transfer.download(link, target)
        assert info.value.never_reached
        with pytest.raises(errors.DownloadError):
            transfer.fetch(link)
    finally:
        transfer.close()
    assert list(tmp_path.iterdir()) == []


def test_a_local_file_link_is_not_read(tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG\r\n\x1a\n" + b"x" * 100 + b"IEND\xaeB`\x82")
    transfer = FileTransfer()
    try:
        with pytest.raises(errors.DownloadError) as info:
            transfer.fetch(secret.as_uri(), expect_image=False)
    finally:
        transfer.close()
    assert "not an http" in info.value.message


def test_a_redirect_to_a_file_link_is_a_download_error_without_retries(serve, tmp_path):
    server = serve(lambda seen: Reply(302, b"", {"Location": "file:///etc/hostname"}))
    transfer = FileTransfer(backoff=FAST)
    try:
        with pytest.raises(errors.DownloadError):
            transfer.download(server.url("/cdn/albedo.jpg"), tmp_path / "albedo.jpg")
    finally:
        transfer.close()
    assert len(server.requests) == 1
    assert list(tmp_path.iterdir()) == []


def test_an_upload_link_that_is_not_http_is_refused(serve):
    server = serve(
        lambda seen: Reply.json(
            {"uploadModelAsset": {"modelId": GOOD_ID, "modelUrl": "file:///tmp/x", "modelFields": "{}"}}
        )
    )
    with client_for(server) as client, pytest.raises(errors.UploadError) as info:
        client.upload_model(b"v 0 0 0\nvt 0 0\n", name="m")
    assert "not an http" in info.value.message
    assert server.paths() == ["/api/rest/v1/models-3d/upload"]


# -- 14a: ids in request paths ------------------------------------------------------------------------------

HOSTILE_IDS = [
    "../../x",
    "..",
    "../me",
    "abc/../../admin",
    "%2e%2e%2fadmin",
    "x?y=1",
    "x#frag",
    "https://evil.example/",
    "",
    " ",
    GOOD_ID + "/../../me",
    GOOD_ID + "\n",
    "0b9f3c3e-1c7a-4e55-9a43-2f4d1c0d7e1",  # one digit short
]


def _calls(client: LeonardoClient) -> list[Callable[[str], Any]]:
    return [
        client.texture_generation,
        client.delete_texture_generation,
        client.texture_generations_for_model,
        client.model_asset,
        client.delete_model_asset,
        client.model_assets,
        client.image_generation,
        client.delete_image_generation,
        client.image_generations_for_user,
        client.init_image,
        client.delete_init_image,
        client.variation,
    ]


@pytest.mark.parametrize("bad", HOSTILE_IDS)
def test_ids_that_are_not_uuids_never_reach_the_wire(serve, bad):
    server = serve(lambda seen: Reply.json({"error": "should not be called", "code": "unexpected"}, status=500))
    with client_for(server, max_retries=0) as client:
        for call in _calls(client):
            with pytest.raises(errors.InvalidIdError) as info:
                call(bad)
            assert info.value.never_reached and info.value.charged is False
            assert isinstance(info.value, ValueError)  # also a local refusal, like the other request checks
    assert server.requests == []


def test_non_string_ids_are_refused_too(serve):
    server = serve(lambda seen: Reply.json({}))
    with client_for(server) as client:
        for bad in (None, 5, ["a"], {"id": GOOD_ID}):
            with pytest.raises(errors.InvalidIdError):
                client.texture_generation(bad)  # type: ignore[arg-type]
    assert server.requests == []


def test_uuid_ids_in_either_case_are_sent(serve):
    server = serve(lambda seen: Reply.json(generation_answer([])))
    with client_for(server) as client:
        client.texture_generation(GOOD_ID)
        client.texture_generation(GOOD_ID.upper())
    assert server.paths() == [
        f"/api/rest/v1/generations-texture/{GOOD_ID}",
        f"/api/rest/v1/generations-texture/{GOOD_ID.upper()}",
    ]


def test_a_hostile_id_from_the_service_cannot_redirect_the_next_call(serve):
    """The create answers an id that is a path; polling it must not send the key to /me (or anywhere)."""
    server = serve(lambda seen: Reply.json({"textureGenerationJob": {"id": "../../me", "apiCreditCost": 30}}))
    with client_for(server) as client:
        created = client.create_texture(texture_request())
        with pytest.raises(errors.InvalidIdError):
            client.texture_generation(created.id)
    assert server.paths() == ["/api/rest/v1/generations-texture"]


def test_unsafe_raw_paths_are_refused_by_the_transport(serve):
    server = serve(lambda seen: Reply.json({}))
    with client_for(server) as client:
        for path in ("/generations/../me", "/a/./b", "/x?y", "/x#y", "/x%2F..", "/x\\y", "/x\n"):
            with pytest.raises(errors.InvalidIdError):
                client.transport.request("GET", path)
    assert server.requests == []


# -- 14b: map types and file names --------------------------------------------------------------------------


def test_undocumented_map_types_are_ignored_and_never_become_file_names(serve, tmp_path):
    def answer(seen: Seen) -> Reply:
        return Reply.json(
            generation_answer(
                [
                    {"id": "1", "type": "ALBEDO", "url": "http://127.0.0.1:1/albedo.jpg"},
                    {"id": "2", "type": "../../evil", "url": "http://127.0.0.1:1/evil.jpg"},
                    {"id": "3", "type": "/tmp/abs", "url": "http://127.0.0.1:1/abs.jpg"},
                    {"id": "4", "type": "ALBEDO/../../x", "url": "http://127.0.0.1:1/x.jpg"},
                    {"id": "5", "type": "METALLIC", "url": "http://127.0.0.1:1/m.jpg"},
                    {"id": "6", "type": 5, "url": "http://127.0.0.1:1/n.jpg"},
                    {"id": "7", "type": "ALBEDO", "url": "http://127.0.0.1:1/second.jpg"},
                    {"id": "8", "type": "normal", "url": "http://127.0.0.1:1/normal.jpg"},
                    {"id": "9", "type": "HDRP_MASK", "url": "http://127.0.0.1:1/mask.jpg"},
                ]
            )
        )

    server = serve(answer)
    with client_for(server) as client:
        generation = client.texture_generation(GOOD_ID)
    assert [i.type for i in generation.images] == ["ALBEDO", "NORMAL", "HDRP_MASK"]
    assert generation.image("ALBEDO").url.endswith("/albedo.jpg")
    assert generation.ignored_images == 6


def test_a_single_texture_image_with_an_unknown_type_is_refused():
    from leonardo_blender.api.models import TextureImage

    for bad in ("../../evil", "", "ALBEDO ", "METALLIC", None, 3, ["ALBEDO"]):
        row = {"id": "x", "type": bad, "url": "https://cdn/x.jpg"}
        if bad == "ALBEDO ":
            assert TextureImage.from_wire(row).type == "ALBEDO"  # surrounding blanks are tolerated
            continue
        with pytest.raises(errors.UnexpectedResponseError) as info:
            TextureImage.from_wire(row)
        assert "type" in info.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("../../evil", "evil"),
        ("/tmp/abs", "tmp_abs"),
        ("ALBEDO/../../x", "ALBEDO_x"),
        ("ALBEDO", "ALBEDO"),
        ("rusty iron", "rusty iron"),
        ("a\x00b", "a_b"),
        ("NUL", "_NUL"),
        ("con.jpg", "_con.jpg"),
        ("COM1", "_COM1"),
        ("lpt9 ", "_lpt9"),
        ("C:\\Windows\\system32", "C_Windows_system32"),
        ("..", "fallback"),
        ("", "fallback"),
        ("\x00\x01\x02", "fallback"),
        ("...hidden", "hidden"),
        ("trailing. . .", "trailing"),
    ],
)
def test_safe_file_stem(text, expected):
    assert safe_file_stem(text, "fallback") == expected


def test_safe_file_stem_bounds_the_length_in_bytes():
    for text in ("x" * 5000, "é" * 5000, "😀" * 5000):
        stem = safe_file_stem(text, "f")
        assert 0 < len(stem.encode("utf-8")) <= 120
    assert len(safe_file_stem("y" * 300, "f", max_bytes=40)) == 40
    assert safe_file_stem(None, "fallback") == "fallback"  # type: ignore[arg-type]
    assert safe_file_stem("/", "../..") == "file"


def test_path_inside(tmp_path):
    folder = tmp_path / "maps"
    folder.mkdir()
    assert path_inside(folder, "albedo.jpg") == (folder / "albedo.jpg").resolve()
    assert path_inside(folder, "sub/albedo.jpg") == (folder / "sub" / "albedo.jpg").resolve()
    for bad in ("../x.jpg", "/tmp/abs.jpg", "sub/../../x", "", ".", "a\x00b", str(tmp_path / "other.jpg")):
        with pytest.raises(ValueError):
            path_inside(folder, bad)
    (folder / "link").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(ValueError):
        path_inside(folder, "link/escape.jpg")
    for text in ("../../evil", "/tmp/abs", "ALBEDO/../../x", "NUL", "x" * 999):
        assert path_inside(folder, safe_file_stem(text, "map") + ".jpg").parent == folder.resolve()


def test_download_image_names_the_file_safely_inside_the_folder(serve, tmp_path):
    from tests.core.test_client_limits import jpeg_bytes

    image = jpeg_bytes()
    server = serve(lambda seen: Reply(200, image, {"Content-Type": "image/jpeg"}))
    folder = tmp_path / "maps"
    transfer = FileTransfer(backoff=FAST)
    try:
        paths = [
            transfer.download_image(server.url("/cdn/a.jpg"), folder, stem)
            for stem in ("../../evil", "/tmp/abs", "ALBEDO/../../x", "ALBEDO")
        ]
    finally:
        transfer.close()
    assert [p.name for p in paths] == ["evil.jpg", "tmp_abs.jpg", "ALBEDO_x.jpg", "ALBEDO.jpg"]
    assert all(p.parent == folder.resolve() and p.read_bytes() == image for p in paths)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(p.name for p in paths)


# -- 8: never charged ----------------------------------------------------------------------------------------


def test_a_paid_create_still_rate_limited_says_nothing_was_charged(serve):
    server = serve(lambda seen: Reply.json({"error": "Too many requests"}, status=429, **{"Retry-After": "0"}))
    with client_for(server, max_retries=2) as client, pytest.raises(errors.RateLimitedError) as info:
        client.create_texture(texture_request())
    error = info.value
    assert len(server.requests) == 3
    assert error.never_reached and error.charged is False and not error.outcome_unknown
    assert "retries automatically" not in error.user_message
    assert "nothing was charged" in error.user_message.lower()
    assert "resume" in error.fix.lower()


def test_a_long_retry_after_on_a_paid_create_is_never_charged(serve):
    server = serve(lambda seen: Reply.json({"error": "slow down"}, status=429, **{"Retry-After": "3600"}))
    with client_for(server) as client, pytest.raises(errors.RateLimitedError) as info:
        client.create_image_generation(ImageGenerationRequest(prompt="moss"))
    assert len(server.requests) == 1
    assert info.value.retry_after == 3600 and info.value.charged is False


def test_a_refused_connection_on_a_paid_create_is_never_charged():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with LeonardoClient(KEY, f"http://127.0.0.1:{port}/api/rest/v1", max_retries=1) as client:
        client.transport.backoff = FAST
        with pytest.raises(errors.NetworkError) as info:
            client.create_texture(texture_request())
    assert info.value.never_reached and info.value.charged is False and not info.value.outcome_unknown
    assert "nothing was charged" in info.value.fix


@pytest.mark.parametrize(
    "reply",
    [
        Reply.json({"error": "boom"}, status=500),
        Reply(drop=True),
    ],
    ids=["500", "dropped"],
)
def test_a_paid_create_with_an_unknown_outcome_is_not_marked_never_reached(serve, reply):
    server = serve(lambda seen: reply)
    with client_for(server) as client, pytest.raises(errors.LeonardoError) as info:
        client.create_texture(texture_request())
    assert info.value.outcome_unknown and not info.value.never_reached and info.value.charged is None
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"<html>gateway</html>",
        b"[1, 2]",
        b'{"textureGenerationJob": {"id": 5}}',
        b'{"textureGenerationJob": []}',
        b'{"other": 1}',
        b"",
    ],
)
def test_an_unreadable_answer_to_a_paid_create_is_an_unknown_outcome(serve, body):
    server = serve(lambda seen: Reply(200, body, {"Content-Type": "application/json"}))
    with client_for(server) as client, pytest.raises(errors.UnexpectedResponseError) as info:
        client.create_texture(texture_request())
    assert info.value.outcome_unknown, "the job was probably created: the caller must reconcile, not fail or resend"
    assert len(server.requests) == 1


def test_an_unreadable_answer_to_a_free_call_is_just_unexpected(serve):
    server = serve(lambda seen: Reply(200, b"<html>", {"Content-Type": "text/html"}))
    with client_for(server) as client, pytest.raises(errors.UnexpectedResponseError) as info:
        client.me()
    assert not info.value.outcome_unknown


# -- 18: wrong JSON types over real HTTP -------------------------------------------------------------------


WRONG_ME = [
    {"user_details": 5},
    {"user_details": [{"user": []}]},
    {"user_details": [{"user": {"id": 5}}]},
    {"user_details": [{"user": {"id": ["x"]}}]},
    {"user_details": [{"user": "abc"}]},
    {"user_details": [[1]]},
    {"user_details": "x"},
]


@pytest.mark.parametrize("body", WRONG_ME)
def test_wrong_account_answers_are_unexpected_responses(serve, body):
    server = serve(lambda seen: Reply.json(body))
    with client_for(server) as client, pytest.raises(errors.UnexpectedResponseError):
        client.me()


def test_absurd_numbers_in_the_account_are_treated_as_unknown(serve):
    body = {
        "user_details": [
            {
                "user": {"id": GOOD_ID, "username": 12},
                "apiSubscriptionTokens": 1e999,
                "apiPaidTokens": 10**40,
                "apiConcurrencySlots": "many",
                "paidTokens": -5,
                "subscriptionTokens": 2.5,
            }
        ]
    }
    raw = json.dumps(body).replace("Infinity", "1e999").encode()
    server = serve(lambda seen: Reply(200, raw, {"Content-Type": "application/json"}))
    with client_for(server) as client:
        me = client.me()
    assert (me.api_subscription_tokens, me.api_paid_tokens, me.api_concurrency_slots) == (0, 0, 0)
    assert (me.paid_tokens, me.subscription_tokens, me.username) == (0, 0, "12")


@pytest.mark.parametrize(
    ("raw", "expect"),
    [
        (b'{"textureGenerationJob": {"id": "' + GOOD_ID.encode() + b'", "apiCreditCost": 1e999}}', None),
        (b'{"textureGenerationJob": {"id": "' + GOOD_ID.encode() + b'", "apiCreditCost": 99999999999999}}', None),
        (b'{"textureGenerationJob": {"id": "' + GOOD_ID.encode() + b'", "apiCreditCost": "30"}}', 30),
        (b'{"textureGenerationJob": {"id": "' + GOOD_ID.encode() + b'", "apiCreditCost": -4}}', None),
        (b'{"textureGenerationJob": {"id": "' + GOOD_ID.encode() + b'", "apiCreditCost": [30]}}', None),
    ],
)
def test_an_absurd_cost_is_an_unknown_cost(serve, raw, expect):
    server = serve(lambda seen: Reply(200, raw, {"Content-Type": "application/json"}))
    with client_for(server) as client:
        assert client.create_texture(texture_request()).api_credit_cost == expect


@pytest.mark.parametrize(
    "cost", [b"1e999", b"-1", b'"abc"', b"[1]", b"null", b"1.5", b"{}", b"true", b"99999999999999999999"]
)
def test_a_broken_price_is_an_unexpected_response(serve, cost):
    raw = b'{"calculateProductionApiServiceCost": {"cost": ' + cost + b"}}"
    server = serve(lambda seen: Reply(200, raw, {"Content-Type": "application/json"}))
    with client_for(server) as client, pytest.raises(errors.UnexpectedResponseError):
        client.texture_cost(preview=True)


@pytest.mark.parametrize(
    "row",
    [
        {"id": GOOD_ID, "status": 3},
        {"id": GOOD_ID, "status": None},
        {"id": GOOD_ID, "status": ["COMPLETE"]},
        {"id": GOOD_ID, "status": "COMPLETE", "model_asset_texture_images": 5},
        {"id": GOOD_ID, "status": "COMPLETE", "model_asset_texture_images": {"type": "ALBEDO"}},
        {"id": GOOD_ID, "status": "COMPLETE", "model_asset_texture_images": "ALBEDO"},
        {"id": 17, "status": "COMPLETE"},
        {"id": {"x": 1}, "status": "COMPLETE"},
    ],
)
def test_wrong_types_in_a_texture_generation_are_unexpected_responses(serve, row):
    server = serve(lambda seen: Reply.json({"model_asset_texture_generations_by_pk": row}))
    with client_for(server) as client, pytest.raises(errors.UnexpectedResponseError) as info:
        client.texture_generation(GOOD_ID)
    assert "'" in info.value.message  # names the field


def test_a_seed_of_1e999_is_an_unknown_seed(serve):
    raw = json.dumps(generation_answer([])).replace('"seed": 7', '"seed": 1e999').encode()
    server = serve(lambda seen: Reply(200, raw, {"Content-Type": "application/json"}))
    with client_for(server) as client:
        assert client.texture_generation(GOOD_ID).seed is None


@pytest.mark.parametrize(
    "body",
    [
        {"generations_by_pk": {"id": GOOD_ID, "status": "COMPLETE", "generated_images": 3}},
        {"generations_by_pk": {"id": GOOD_ID, "status": "COMPLETE", "generated_images": [{"id": 1, "url": "u"}]}},
        {"generations_by_pk": {"id": GOOD_ID, "status": 1}},
        {"generations_by_pk": [1, 2]},
        {"generations_by_pk": "x"},
    ],
)
def test_wrong_types_in_an_image_generation_are_unexpected_responses(serve, body):
    server = serve(lambda seen: Reply.json(body))
    with client_for(server) as client, pytest.raises(errors.UnexpectedResponseError):
        client.image_generation(GOOD_ID)


def test_a_list_page_with_broken_rows_skips_them(serve):
    def answer(seen: Seen) -> Reply:
        if "offset=0" in seen.path:
            return Reply.json({"model_assets": [{"id": GOOD_ID, "name": "ok"}, {"id": 5}, 7, None, {"name": "x"}]})
        return Reply.json({"model_assets": []})

    server = serve(answer)
    with client_for(server) as client:
        assert [a.id for a in client.model_assets(GOOD_ID)] == [GOOD_ID]


def test_a_server_ignoring_offset_does_not_make_the_client_page_forever(serve):
    server = serve(lambda seen: Reply.json({"model_assets": [{"id": GOOD_ID, "name": "same"}]}))
    with client_for(server) as client:
        assert len(client.model_assets(GOOD_ID)) == 1
    assert len(server.requests) <= 4


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a": ' * 50_000 + b"1" + b"}" * 50_000,
        b'{"user_details": [{"user": {"id": 1' + b"0" * 6000 + b"}}]}",
        b'{"user_details": "\xff\xfe"}',
        b"\xef\xbb\xbf\xff",
        b"NaN",
    ],
    ids=["deep-list", "deep-object", "5000-digit-number", "bad-utf8", "bom-garbage", "nan"],
)
def test_json_that_cannot_be_decoded_is_an_unexpected_response(serve, raw):
    server = serve(lambda seen: Reply(200, raw, {"Content-Type": "application/json"}))
    with client_for(server) as client, pytest.raises(errors.UnexpectedResponseError):
        client.me()


@pytest.mark.parametrize(
    "raw",
    [
        b'{"error": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        b'{"error": {"message": ["x"]}, "code": {"a": 1}}',
        b'{"error": "' + b"A" * 200_000 + b'", "code": "unexpected"}',
        b'{"error": "line1\\nline2\\u0000\\u001b[31m"}',
        b"\xff" * 100,
    ],
    ids=["deep", "wrong-types", "huge", "control-chars", "binary"],
)
def test_hostile_error_bodies_become_short_clean_messages(serve, raw):
    server = serve(lambda seen: Reply(400, raw, {"Content-Type": "application/json"}))
    with client_for(server) as client, pytest.raises(errors.BadRequestError) as info:
        client.me()
    assert len(info.value.message) <= 500
    assert info.value.message.isprintable()


def test_guidance_scale_is_an_integer_on_the_wire(serve):
    server = serve(lambda seen: Reply.json({"sdGenerationJob": {"generationId": GOOD_ID, "apiCreditCost": 8}}))
    with client_for(server) as client:
        client.create_image_generation(ImageGenerationRequest(prompt="moss", guidance_scale=7.0))
    sent = server.requests[0].body
    assert b'"guidance_scale": 7,' in sent or b'"guidance_scale": 7}' in sent
    assert isinstance(json.loads(sent)["guidance_scale"], int)
    for bad in (7.5, 0, 21, True, "7"):
        with pytest.raises(ValueError):
            ImageGenerationRequest(prompt="moss", guidance_scale=bad).to_wire()  # type: ignore[arg-type]
