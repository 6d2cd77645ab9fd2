"""Size caps and structural image checks: what the client reads, keeps in memory and calls an image.

Real HTTP on 127.0.0.1 through ``HostileServer`` (see ``test_client_hostile``); no mocks.
"""

from __future__ import annotations

import hashlib
import io
import struct
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from PIL import Image

from leonardo_blender.api import LeonardoClient, errors
from leonardo_blender.api.files import FileTransfer
from leonardo_blender.api.imagecheck import DamagedImageError, check_image, image_kind, png_raw_size
from leonardo_blender.api.models import TextureRequest
from tests.core.test_client_hostile import FAST, GOOD_ID, KEY, Handler, HostileServer, Reply, Seen, hostile_servers

MIB = 1024 * 1024


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], HostileServer]]:
    yield from hostile_servers()


# -- images -------------------------------------------------------------------------------------------------


def _noise(size: tuple[int, int], channels: int = 3, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (size[1], size[0], channels), dtype=np.uint8)


def jpeg_bytes(size: tuple[int, int] = (96, 64), **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(_noise(size)).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def png_bytes(size: tuple[int, int] = (96, 64), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(_noise(size)).convert(mode).save(buffer, "PNG")
    return buffer.getvalue()


def webp_bytes(size: tuple[int, int] = (96, 64), **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(_noise(size)).save(buffer, "WEBP", **options)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def raw_png(width: int, height: int, *, raw: bytes | None = None, interlace: int = 0, level: int = 6) -> bytes:
    """An 8-bit RGB PNG written by hand (any size quickly, Adam7 too), from ``raw`` scanlines if given."""
    size = png_raw_size(width, height, 2, 8, interlace)
    if raw is None:
        raw = bytes(size)  # filter 0 and black pixels, in every (pass) row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, interlace)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, level))
        + _chunk(b"IEND", b"")
    )


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        chunks.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return chunks


def _png_from(chunks: list[tuple[bytes, bytes]]) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"".join(_chunk(kind, body) for kind, body in chunks)


def jpeg_with_thumbnail() -> tuple[bytes, int]:
    """A JPEG carrying an EXIF-style thumbnail (a whole JPEG inside APP1), and where that thumbnail ends."""
    outer, thumbnail = jpeg_bytes((160, 120)), jpeg_bytes((16, 12))
    app1 = b"Exif\x00\x00" + thumbnail
    segment = b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1
    data = outer[:2] + segment + outer[2:]
    return data, 2 + len(segment)


def damaged_images() -> dict[str, bytes]:
    """Damaged files the old first-and-last-bytes check called images."""
    jpeg, png, webp = jpeg_bytes(), png_bytes(), webp_bytes()
    with_thumbnail, thumbnail_end = jpeg_with_thumbnail()
    chunks = _png_chunks(png)
    idat = next(i for i, (kind, _) in enumerate(chunks) if kind == b"IDAT")
    short_idat = [*chunks]
    short_idat[idat] = (b"IDAT", chunks[idat][1][: len(chunks[idat][1]) // 2])
    bad_crc = bytearray(png)
    bad_crc[png.index(b"IDAT") + 10] ^= 0xFF
    return {
        # Cut right after the embedded thumbnail: it starts with SOI and ends with EOI, like a whole JPEG.
        "jpeg-cut-after-its-thumbnail": with_thumbnail[:thumbnail_end],
        "jpeg-cut-inside-a-segment": with_thumbnail[: thumbnail_end - 40] + b"\xff\xd9",
        "jpeg-without-scan": jpeg[: jpeg.index(b"\xff\xda")] + b"\xff\xd9",
        "png-idat-cut-but-valid-chunks": _png_from(short_idat),
        "png-bad-crc": bytes(bad_crc),
        "png-without-ihdr-first": _png_from([chunks[idat], *[c for c in chunks if c[0] != b"IDAT"]]),
        "webp-truncated": webp[: len(webp) // 2],
        "webp-riff-size-lies": webp[:4] + struct.pack("<I", len(webp) + 100) + webp[8:],
    }


# -- 17: the structural checks themselves ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA", "I;16"])
@pytest.mark.parametrize("size", [(1, 1), (7, 5), (130, 67)])
def test_real_pngs_pass(mode, size):
    buffer = io.BytesIO()
    image = Image.fromarray(_noise(size)).convert(mode if mode != "I;16" else "L")
    if mode == "I;16":
        image = Image.fromarray(_noise(size)[..., 0].astype(np.uint16) * 257)
    image.save(buffer, "PNG")
    assert check_image(buffer.getvalue()) == "png"


@pytest.mark.parametrize("size", [(1, 1), (3, 2), (9, 9), (17, 33), (64, 48)])
def test_interlaced_pngs_pass_and_their_size_is_exact(size):
    width, height = size
    data = raw_png(width, height, interlace=1)
    assert check_image(data) == "png"
    with Image.open(io.BytesIO(data)) as image:
        image.load()  # Pillow agrees that it is complete
    one_short = raw_png(width, height, raw=bytes(png_raw_size(width, height, 2, 8, 1) - 1), interlace=1)
    with pytest.raises(DamagedImageError):
        check_image(one_short)


@pytest.mark.parametrize(
    "data",
    [
        jpeg_bytes(),
        jpeg_bytes((1, 1)),
        jpeg_bytes((333, 211), progressive=True),
        jpeg_bytes(quality=5),
        jpeg_bytes(optimize=True),
    ],
    ids=["baseline", "1px", "progressive", "q5", "optimized"],
)
def test_real_jpegs_pass(data):
    assert check_image(data) == "jpeg"


def test_a_jpeg_with_a_thumbnail_passes_whole_and_fails_cut():
    data, thumbnail_end = jpeg_with_thumbnail()
    assert check_image(data) == "jpeg"
    with Image.open(io.BytesIO(data)) as image:
        image.load()
    for cut in (thumbnail_end, thumbnail_end + 10, len(data) - 2, len(data) - 1):
        with pytest.raises(DamagedImageError):
            check_image(data[:cut])


def test_real_webps_pass():
    assert check_image(webp_bytes()) == "webp"
    assert check_image(webp_bytes(lossless=True)) == "webp"
    buffer = io.BytesIO()
    Image.fromarray(_noise((40, 30), 4)).save(buffer, "WEBP")
    assert check_image(buffer.getvalue()) == "webp"


@pytest.mark.parametrize("name", sorted(damaged_images()))
def test_damaged_images_are_refused(name):
    data = damaged_images()[name]
    assert image_kind(data) is None
    with pytest.raises(DamagedImageError):
        check_image(data)


@pytest.mark.parametrize("kind", ["jpeg", "png", "webp"])
def test_every_truncation_of_a_small_image_is_refused(kind):
    data = {"jpeg": jpeg_bytes((24, 16)), "png": png_bytes((24, 16)), "webp": webp_bytes((24, 16))}[kind]
    for cut in range(len(data)):
        with pytest.raises(DamagedImageError):
            check_image(data[:cut])


def test_a_png_that_inflates_beyond_its_size_is_refused_early():
    """A small file claiming 4x4 pixels but holding a 64 MiB zlib stream: a bomb, stopped at 4x4."""
    bomb = raw_png(4, 4, raw=bytes(64 * MIB), level=9)
    started = time.monotonic()
    with pytest.raises(DamagedImageError):
        check_image(bomb)
    assert time.monotonic() - started < 1.0


# -- 17: damaged downloads are retried once, then refused --------------------------------------------------------


@pytest.mark.parametrize("name", sorted(damaged_images()))
def test_a_damaged_download_is_retried_once_then_refused(serve, tmp_path, name):
    bad = damaged_images()[name]
    server = serve(lambda seen: Reply(200, bad, {"Content-Type": "image/jpeg"}))
    transfer = FileTransfer(backoff=FAST)
    try:
        with pytest.raises(errors.DownloadError) as info:
            transfer.download(server.url("/cdn/albedo.jpg"), tmp_path / "albedo.jpg", what="albedo map")
        with pytest.raises(errors.DownloadError):
            transfer.fetch(server.url("/cdn/albedo.jpg"), what="albedo map")
    finally:
        transfer.close()
    assert "the downloaded albedo map is damaged" in info.value.message.lower()
    assert info.value.damaged
    assert len(server.requests) == 4, "each call downloads exactly twice"
    assert list(tmp_path.iterdir()) == []


def test_a_download_damaged_once_is_downloaded_afresh(serve, tmp_path):
    good = jpeg_bytes()
    bad = damaged_images()["jpeg-cut-after-its-thumbnail"]
    served: list[bytes] = []

    def answer(seen: Seen) -> Reply:
        served.append(bad if not served else good)
        return Reply(200, served[-1], {"Content-Type": "image/jpeg"})

    server = serve(answer)
    transfer = FileTransfer(backoff=FAST)
    try:
        path = transfer.download(server.url("/cdn/albedo.jpg"), tmp_path / "albedo.jpg")
    finally:
        transfer.close()
    assert path.read_bytes() == good
    assert len(server.requests) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["albedo.jpg"]


# -- 16: caps on downloads -------------------------------------------------------------------------------------


def _stream(total: int, piece: int = 256 * 1024) -> Iterator[bytes]:
    block = b"\x00" * piece
    sent = 0
    while sent < total:
        yield block[: min(piece, total - sent)]
        sent += piece


def test_a_download_larger_than_the_cap_is_stopped_and_leaves_nothing(serve, tmp_path):
    server = serve(lambda seen: Reply(200, _stream(64 * MIB), {"Content-Type": "image/png"}))  # no length
    transfer = FileTransfer(backoff=FAST, max_download_bytes=2 * MIB)
    try:
        with pytest.raises(errors.DownloadError) as info:
            transfer.download(server.url("/cdn/huge.png"), tmp_path / "huge.png", what="normal map")
    finally:
        transfer.close()
    assert "larger than the 2 MiB allowed" in info.value.message
    assert len(server.requests) == 1, "a file that is too large is not downloaded again"
    assert list(tmp_path.iterdir()) == []
    assert server.bytes_sent < 48 * MIB, "the client must stop reading at the cap"


def test_an_announced_length_over_the_default_cap_is_refused_before_reading(serve, tmp_path):
    def answer(seen: Seen) -> Reply:
        def slow() -> Iterator[bytes]:
            yield b"\x89PNG\r\n\x1a\n"
            time.sleep(2.0)

        return Reply(200, slow(), {"Content-Type": "image/png", "Content-Length": str(1024**3)})

    server = serve(answer)
    transfer = FileTransfer(backoff=FAST)
    started = time.monotonic()
    try:
        with pytest.raises(errors.DownloadError) as info:
            transfer.download(server.url("/cdn/gigabyte.png"), tmp_path / "gigabyte.png")
    finally:
        transfer.close()
    assert time.monotonic() - started < 1.5
    assert "larger than the 256 MiB allowed" in info.value.message and "1024 MiB" in info.value.message
    assert list(tmp_path.iterdir()) == []


def test_fetch_has_a_cap_too(serve):
    server = serve(lambda seen: Reply(200, _stream(80 * MIB), {"Content-Type": "image/png"}))
    transfer = FileTransfer(backoff=FAST)
    try:
        with pytest.raises(errors.DownloadError) as info:
            transfer.fetch(server.url("/cdn/big.png"), expect_image=False)
        assert "larger than the 64 MiB allowed" in info.value.message
        with pytest.raises(errors.DownloadError):
            transfer.fetch(server.url("/cdn/big.png"), expect_image=False, max_bytes=MIB)
    finally:
        transfer.close()


def test_a_large_map_is_streamed_to_disk_not_held_in_memory(serve, tmp_path):
    """48 MiB of map: the old client held it (twice) in memory; streaming keeps the peak small."""
    width, height = 4096, 4096
    data = raw_png(width, height, raw=bytes(png_raw_size(width, height, 2, 8, 0)), level=0)
    assert len(data) > 48 * MIB
    digest = hashlib.sha256(data).hexdigest()
    server = serve(lambda seen: Reply(200, data, {"Content-Type": "image/png"}))
    transfer = FileTransfer(backoff=FAST)
    tracemalloc.start()
    try:
        path = transfer.download(server.url("/cdn/big.png"), tmp_path / "big.png")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        transfer.close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    # The server's own copy of the body is allocated before tracing starts; everything traced is the client's.
    assert peak < 16 * MIB, f"peak {peak / MIB:.0f} MiB"


def test_a_download_is_written_to_a_part_file_then_renamed(serve, tmp_path):
    data = png_bytes((512, 512))
    target = tmp_path / "albedo.png"
    seen_midway: dict[str, bool] = {}

    def answer(seen: Seen) -> Reply:
        def body() -> Iterator[bytes]:
            yield data[: len(data) // 2]
            time.sleep(0.4)  # let the client write the first half
            seen_midway["final"] = target.exists()
            seen_midway["part"] = target.with_name("albedo.png.part").exists()
            yield data[len(data) // 2 :]

        return Reply(200, body(), {"Content-Type": "image/png", "Content-Length": str(len(data))})

    server = serve(answer)
    transfer = FileTransfer(backoff=FAST)
    try:
        transfer.download(server.url("/cdn/albedo.png"), target)
    finally:
        transfer.close()
    assert seen_midway == {"final": False, "part": True}
    assert target.read_bytes() == data
    assert not target.with_name("albedo.png.part").exists()


def test_a_body_shorter_than_its_length_is_retried_not_accepted(serve, tmp_path):
    data = png_bytes()
    calls: list[int] = []

    def answer(seen: Seen) -> Reply:
        calls.append(1)
        body = data[:100] if len(calls) == 1 else data
        return Reply(200, body, {"Content-Type": "image/png", "Content-Length": str(len(data))})

    server = serve(answer)
    transfer = FileTransfer(backoff=FAST)
    try:
        path = transfer.download(server.url("/cdn/a.png"), tmp_path / "a.png")
    finally:
        transfer.close()
    assert path.read_bytes() == data and len(server.requests) == 2


# -- 16: caps on JSON answers ----------------------------------------------------------------------------------


def _client(server, **kwargs) -> LeonardoClient:
    client = LeonardoClient(KEY, server.base_url, **kwargs)
    client.transport.backoff = FAST
    client.files.backoff = FAST
    return client


def test_an_endless_json_answer_is_cut_at_the_cap(serve):
    def endless(seen: Seen) -> Reply:
        def body() -> Iterator[bytes]:
            yield b'{"user_details": "'
            yield from _stream(400 * MIB, piece=MIB)

        return Reply(200, body(), {"Content-Type": "application/json"})

    server = serve(endless)
    with (
        _client(server, max_json_bytes=MIB, max_retries=0) as client,
        pytest.raises(errors.UnexpectedResponseError) as info,
    ):
        client.me()
    assert "larger than 1 MiB" in info.value.message
    assert server.bytes_sent < 64 * MIB


def test_the_default_json_cap_is_32_mib(serve):
    server = serve(
        lambda seen: Reply(200, b"{}", {"Content-Type": "application/json", "Content-Length": str(40 * MIB)})
    )
    with _client(server, max_retries=0) as client, pytest.raises(errors.UnexpectedResponseError) as info:
        client.me()
    assert "larger than 32 MiB" in info.value.message


def test_a_gzip_bomb_is_stopped_at_the_cap_in_memory_too(serve):
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
    parts = [compressor.compress(b'{"user_details": "')]
    zeros = b"0" * MIB
    parts += [compressor.compress(zeros) for _ in range(128)]
    parts.append(compressor.compress(b'"}') + compressor.flush())
    bomb = b"".join(parts)
    assert len(bomb) < MIB
    server = serve(lambda seen: Reply(200, bomb, {"Content-Type": "application/json", "Content-Encoding": "gzip"}))
    with _client(server, max_retries=0) as client:  # the default cap: 32 MiB
        tracemalloc.start()
        try:
            with pytest.raises(errors.UnexpectedResponseError) as info:
                client.me()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert "larger than 32 MiB" in info.value.message
    assert peak < 48 * MIB, f"peak {peak / MIB:.0f} MiB (the answer is 128 MiB unpacked)"


def test_an_oversized_answer_to_a_paid_create_is_an_unknown_outcome(serve):
    server = serve(lambda seen: Reply(200, _stream(8 * MIB), {"Content-Type": "application/json"}))
    with _client(server, max_json_bytes=MIB) as client, pytest.raises(errors.UnexpectedResponseError) as info:
        client.create_texture(TextureRequest(prompt="x", model_asset_id=GOOD_ID))
    assert info.value.outcome_unknown and len(server.requests) == 1


def test_a_brotli_answer_that_was_not_asked_for_is_refused(serve):
    server = serve(lambda seen: Reply(200, b"\x0b\x02\x80{}\x03", {"Content-Encoding": "br"}))
    with _client(server, max_retries=0) as client, pytest.raises(errors.UnexpectedResponseError):
        client.me()
    assert "br" not in server.requests[0].headers.get("Accept-Encoding", "")
