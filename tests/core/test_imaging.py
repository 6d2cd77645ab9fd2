"""Image reading and writing without Pillow: PNG encoder and decoder, header sizes, decoder fallbacks.

Pillow is the reference throughout: it must read what ``encode_png`` writes, and ``decode_png`` and
``decode_image`` must agree with it on what it writes.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image, ImageFile, features

from leonardo_blender.core import imaging
from leonardo_blender.core.imaging import (
    ImageDecodeError,
    ImageUnavailableError,
    decode_image,
    decode_png,
    decoders_available,
    encode_png,
    image_size,
    write_png,
)

REPO = Path(__file__).resolve().parents[2]
FILTERS = [None, 0, 1, 2, 3, 4]  # None = adaptive per row


def sample_image(height: int, width: int, channels: int, *, dtype: type = np.uint8, seed: int = 0) -> np.ndarray:
    """Gradients plus noise: rows that favour different PNG filters, values across the whole range."""
    rng = np.random.default_rng(seed)
    top = np.iinfo(dtype).max
    rows, columns = np.mgrid[0:height, 0:width]
    planes = [
        (columns * top) // max(1, width - 1),
        (rows * top) // max(1, height - 1),
        ((rows * 7 + columns * 13) * (top // 255)) % (top + 1),
        rng.integers(0, top + 1, (height, width)),
    ]
    noise = rng.integers(-3, 4, (height, width, channels)) * (top // 255)
    stacked = np.stack([planes[index % 4] for index in range(channels)], axis=-1) + noise
    pixels = np.clip(stacked, 0, top).astype(dtype)
    return pixels[:, :, 0] if channels == 1 else pixels


def pillow_bytes(image: Image.Image, format_name: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format_name, **options)
    return buffer.getvalue()


def pillow_array(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return np.asarray(image)


def chunks_of(png: bytes) -> list[tuple[bytes, bytes]]:
    """(type, body) of each chunk, without verification (for building broken files)."""
    position, found = 8, []
    while position < len(png):
        (length,) = struct.unpack_from(">I", png, position)
        found.append((png[position + 4 : position + 8], png[position + 8 : position + 8 + length]))
        position += 12 + length
    return found


def png_from_chunks(chunks: list[tuple[bytes, bytes]]) -> bytes:
    """A PNG with correct CRCs around whatever chunk bodies we give it."""
    body = b"".join(imaging.png_write._png_chunk(kind, body) for kind, body in chunks)
    return imaging.png_format.PNG_SIGNATURE + body


def with_header(png: bytes, **fields: int) -> bytes:
    """The same PNG with IHDR fields replaced (CRC fixed), e.g. height=... or interlace=1."""
    chunks = chunks_of(png)
    names = ("width", "height", "bit_depth", "colour_type", "compression", "filter", "interlace")
    values = dict(zip(names, struct.unpack(">IIBBBBB", chunks[0][1]), strict=True))
    values.update(fields)
    chunks[0] = (b"IHDR", struct.pack(">IIBBBBB", *values.values()))
    return png_from_chunks(chunks)


def with_scanlines(png: bytes, scanlines: bytes) -> bytes:
    """The same PNG with its image data replaced by these (filter byte + row) scanlines."""
    chunks = [chunk for chunk in chunks_of(png) if chunk[0] != b"IDAT"]
    chunks.insert(1, (b"IDAT", zlib.compress(scanlines)))
    return png_from_chunks(chunks)


# ---------------------------------------------------------------------------------------------
# encode_png


@pytest.mark.parametrize("filter_type", FILTERS)
@pytest.mark.parametrize(("channels", "mode"), [(1, "L"), (2, "LA"), (3, "RGB"), (4, "RGBA")])
@pytest.mark.parametrize(("height", "width"), [(1, 1), (1, 9), (7, 1), (37, 53)])
def test_pillow_reads_back_exactly_what_encode_png_wrote(filter_type, channels, mode, height, width):
    pixels = sample_image(height, width, channels, seed=height * width)
    png = imaging.png_write._encode_png(pixels, compress_level=6, filter_type=filter_type)
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        assert image.mode == mode
        assert image.size == (width, height)
        np.testing.assert_array_equal(np.asarray(image), pixels)


@pytest.mark.parametrize("filter_type", FILTERS)
def test_sixteen_bit_grey_is_written_as_16_bit(filter_type):
    depth = sample_image(29, 31, 1, dtype=np.uint16, seed=3)
    png = imaging.png_write._encode_png(depth, compress_level=6, filter_type=filter_type)
    assert chunks_of(png)[0][1][8:10] == bytes([16, 0])  # bit depth 16, colour type grey
    with Image.open(io.BytesIO(png)) as image:
        assert image.mode.startswith("I;16")
        np.testing.assert_array_equal(np.asarray(image).astype(np.uint16), depth)


def test_adaptive_filtering_uses_several_filters_and_compresses_better_than_none():
    pixels = sample_image(64, 64, 3, seed=5)
    pixels[::3] = 40  # flat rows, between gradient rows, so different rows prefer different filters
    adaptive = encode_png(pixels)
    filters_used = set(np.frombuffer(zlib.decompress(chunks_of(adaptive)[1][1]), np.uint8)[:: 1 + 64 * 3].tolist())
    assert len(filters_used) >= 2
    assert len(adaptive) < len(imaging.png_write._encode_png(pixels, compress_level=6, filter_type=0))


def test_encode_png_is_a_valid_png_file():
    png = encode_png(sample_image(3, 4, 4))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    kinds = [kind for kind, _body in imaging.png_read._png_chunks(png)]
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]  # _png_chunks verifies every CRC on the way


@pytest.mark.parametrize(
    "pixels",
    [
        np.zeros((4, 4), np.float32),
        np.zeros((4, 4), np.int16),
        np.zeros((4, 4, 5), np.uint8),
        np.zeros((0, 4, 3), np.uint8),
        np.zeros((4,), np.uint8),
    ],
    ids=["float", "signed", "five-channels", "empty", "one-dimensional"],
)
def test_encode_png_rejects_what_png_cannot_hold(pixels):
    with pytest.raises(ValueError):
        encode_png(pixels)


def test_encode_png_accepts_big_endian_sixteen_bit_arrays():
    depth = sample_image(5, 6, 1, dtype=np.uint16, seed=4)
    np.testing.assert_array_equal(decode_png(encode_png(depth.astype(">u2"))), depth)


def test_encode_png_accepts_non_contiguous_views():
    pixels = sample_image(20, 30, 4, seed=8)
    view = pixels[::2, ::3, :3]
    np.testing.assert_array_equal(decode_png(encode_png(view)), view)


# ---------------------------------------------------------------------------------------------
# decode_png


@pytest.mark.parametrize("filter_type", FILTERS)
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_decode_png_round_trips_every_filter_and_layout(filter_type, channels, dtype):
    pixels = sample_image(23, 41, channels, dtype=dtype, seed=channels)
    png = imaging.png_write._encode_png(pixels, compress_level=6, filter_type=filter_type)
    decoded = decode_png(png)
    assert decoded.dtype == dtype
    np.testing.assert_array_equal(decoded, pixels)


@pytest.mark.parametrize(
    ("mode", "dtype"),
    [("L", np.uint8), ("LA", np.uint8), ("RGB", np.uint8), ("RGBA", np.uint8), ("I;16", np.uint16)],
)
@pytest.mark.parametrize("optimize", [False, True])
def test_decode_png_reads_what_pillow_writes(mode, dtype, optimize):
    channels = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4, "I;16": 1}[mode]
    pixels = sample_image(45, 67, channels, dtype=dtype, seed=11)
    png = pillow_bytes(Image.fromarray(pixels), "PNG", optimize=optimize)
    np.testing.assert_array_equal(decode_png(png), pixels)


def reference_png_with_row_filters(pixels: np.ndarray, row_filters: list[int]) -> bytes:
    """A PNG filtered the slow, obvious way (the specification, byte by byte): an independent reference."""
    height = pixels.shape[0]
    rows = pixels.reshape(height, -1).astype(int)
    step = 1 if pixels.ndim == 2 else pixels.shape[2]
    scanlines = bytearray()
    for y, filter_type in enumerate(row_filters):
        scanlines.append(filter_type)
        for x, value in enumerate(rows[y]):
            a = rows[y][x - step] if x >= step else 0
            b = rows[y - 1][x] if y else 0
            c = rows[y - 1][x - step] if y and x >= step else 0
            p = a + b - c
            paeth = a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c) else b if abs(p - b) <= abs(p - c) else c
            predicted = [0, a, b, (a + b) // 2, paeth][filter_type]
            scanlines.append((value - predicted) % 256)
    return with_scanlines(encode_png(pixels), bytes(scanlines))


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_decode_png_handles_every_filter_mixed_row_by_row(channels):
    pixels = sample_image(26, 19, channels, seed=21)
    row_filters = [(row * 3 + row // 5) % 5 for row in range(26)]
    png = reference_png_with_row_filters(pixels, row_filters)
    np.testing.assert_array_equal(pillow_array(png), pixels)  # the reference encoder is right
    np.testing.assert_array_equal(decode_png(png), pixels)


@settings(max_examples=60, deadline=None)
@given(
    pixels=st.one_of(
        hnp.arrays(np.uint8, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=24)),
        hnp.arrays(np.uint16, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=24)),
        st.integers(2, 4).flatmap(
            lambda channels: hnp.arrays(np.uint8, st.tuples(st.integers(1, 24), st.integers(1, 24), st.just(channels)))
        ),
    ),
    filter_type=st.sampled_from(FILTERS),
)
def test_encode_decode_round_trip_property(pixels, filter_type):
    png = imaging.png_write._encode_png(pixels, compress_level=1, filter_type=filter_type)
    np.testing.assert_array_equal(decode_png(png), pixels)
    if pixels.dtype == np.uint8:
        np.testing.assert_array_equal(pillow_array(png), pixels)


def test_decode_png_ignores_ancillary_chunks_and_data_after_iend():
    pixels = sample_image(9, 8, 3, seed=2)
    chunks = chunks_of(encode_png(pixels))
    chunks.insert(1, (b"tEXt", b"Comment\x00made by a test"))
    chunks.insert(2, (b"IDAT", b""))  # an empty IDAT is legal
    np.testing.assert_array_equal(decode_png(png_from_chunks(chunks) + b"trailing junk"), pixels)


def test_decode_png_reads_image_data_split_over_many_idat_chunks():
    pixels = sample_image(30, 30, 4, seed=4)
    chunks = chunks_of(encode_png(pixels))
    data = chunks[1][1]
    pieces = [(b"IDAT", data[start : start + 7]) for start in range(0, len(data), 7)]
    np.testing.assert_array_equal(decode_png(png_from_chunks([chunks[0], *pieces, chunks[-1]])), pixels)


SMALL_PNG = encode_png(sample_image(6, 5, 3, seed=9))


@pytest.mark.parametrize("length", range(len(SMALL_PNG)))
def test_every_truncation_of_a_png_is_an_error(length):
    with pytest.raises(ImageDecodeError):
        decode_png(SMALL_PNG[:length])


def test_a_flipped_bit_is_caught_by_the_crc():
    damaged = bytearray(SMALL_PNG)
    damaged[45] ^= 0x10  # inside the IDAT body
    with pytest.raises(ImageDecodeError, match="CRC"):
        decode_png(bytes(damaged))


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (with_header(SMALL_PNG, height=7), "truncated"),
        (with_header(SMALL_PNG, height=5), "more image data"),
        (with_header(SMALL_PNG, width=6), "truncated|more image data"),
        (with_scanlines(SMALL_PNG, bytes([5] + [0] * 15) * 6), "filter type"),
        (png_from_chunks([chunks_of(SMALL_PNG)[0], (b"IDAT", b"not zlib at all"), (b"IEND", b"")]), "damaged"),
        (png_from_chunks([chunks_of(SMALL_PNG)[0], (b"IEND", b"")]), "no image data"),
        (png_from_chunks(chunks_of(SMALL_PNG)[1:]), "first chunk"),
        (with_header(SMALL_PNG, colour_type=5), "colour type"),
        (with_header(SMALL_PNG, compression=1), "IHDR"),
        (b"GIF89a" + bytes(40), "signature"),
    ],
    ids=[
        "taller",
        "shorter",
        "wider",
        "bad-filter",
        "not-zlib",
        "no-idat",
        "no-ihdr",
        "bad-colour-type",
        "bad-compression",
        "not-png",
    ],
)
def test_corrupt_pngs_raise_a_clear_decode_error(broken, message):
    with pytest.raises(ImageDecodeError, match=message) as raised:
        decode_png(broken)
    assert not isinstance(raised.value, ImageUnavailableError)


@pytest.mark.parametrize(
    ("unsupported", "message"),
    [
        (with_header(SMALL_PNG, interlace=1), "interlaced"),
        (pillow_bytes(Image.new("P", (4, 4)), "PNG"), "palette"),
        (pillow_bytes(Image.new("1", (9, 4)), "PNG"), "1/2/4-bit"),
    ],
    ids=["interlaced", "palette", "one-bit"],
)
def test_png_variants_the_decoder_lacks_are_unavailable_not_corrupt(unsupported, message):
    with pytest.raises(ImageUnavailableError, match=message) as raised:
        decode_png(unsupported)
    assert isinstance(raised.value, ImageDecodeError)


# ---------------------------------------------------------------------------------------------
# image_size


def jpeg_samples() -> dict[str, bytes]:
    image = Image.fromarray(sample_image(37, 61, 3, seed=1))
    exif = Image.Exif()
    exif[0x010E] = "a description that makes the APP1 segment long " * 20
    return {
        "baseline": pillow_bytes(image, "JPEG", quality=90),
        "progressive": pillow_bytes(image, "JPEG", progressive=True),
        "grey": pillow_bytes(image.convert("L"), "JPEG"),
        "exif-and-icc": pillow_bytes(image, "JPEG", exif=exif, icc_profile=b"\x00" * 3000),
    }


def webp_samples() -> dict[str, bytes]:
    image = Image.fromarray(sample_image(37, 61, 3, seed=1))
    translucent = Image.fromarray(sample_image(37, 61, 4, seed=1))
    return {
        "lossy": pillow_bytes(image, "WEBP", quality=80),
        "lossless": pillow_bytes(image, "WEBP", lossless=True),
        "lossy-alpha": pillow_bytes(translucent, "WEBP", quality=80),
        "with-exif": pillow_bytes(image, "WEBP", exif=Image.Exif().tobytes()),
    }


@pytest.mark.parametrize("name", ["baseline", "progressive", "grey", "exif-and-icc"])
def test_image_size_of_jpegs_walks_markers_to_the_frame_header(name):
    assert image_size(jpeg_samples()[name]) == (61, 37)


@pytest.mark.skipif(not features.check("webp"), reason="this Pillow cannot write WebP")
def test_image_size_of_every_webp_flavour():
    samples = webp_samples()
    assert {name: data[12:16] for name, data in samples.items()} == {
        "lossy": b"VP8 ",
        "lossless": b"VP8L",
        "lossy-alpha": b"VP8X",
        "with-exif": b"VP8X",
    }
    for name, data in samples.items():
        assert image_size(data) == (61, 37), name


@pytest.mark.parametrize(("width", "height"), [(1, 1), (1, 5000), (4097, 3)])
def test_image_size_of_pngs(width, height):
    assert image_size(encode_png(np.zeros((height, width), np.uint8), compress_level=1)) == (width, height)


def test_image_size_of_a_large_lossless_webp_and_jpeg():
    image = Image.new("RGB", (16383, 2))
    assert image_size(pillow_bytes(image, "WEBP", lossless=True)) == (16383, 2)
    assert image_size(pillow_bytes(image, "JPEG")) == (16383, 2)


@pytest.mark.parametrize(
    "data",
    [
        encode_png(np.zeros((2, 2), np.uint8)),
        jpeg_samples()["exif-and-icc"],
        webp_samples()["lossy"],
        webp_samples()["lossless"],
        webp_samples()["lossy-alpha"],
    ],
    ids=["png", "jpeg", "webp-lossy", "webp-lossless", "webp-extended"],
)
def test_image_size_of_a_file_cut_before_its_size_is_an_error(data):
    size = image_size(data)
    needed = next(length for length in range(len(data) + 1) if _size_or_none(data[:length]) == size)
    for length in range(needed):
        with pytest.raises(ImageDecodeError):
            image_size(data[:length])


def _size_or_none(data: bytes) -> tuple[int, int] | None:
    try:
        return image_size(data)
    except ImageDecodeError:
        return None


@pytest.mark.parametrize("data", [b"", b"hello world, this is not an image", b"\xff\xd8\xff\xda\x00\x02"])
def test_image_size_of_non_images_is_an_error(data):
    with pytest.raises(ImageDecodeError):
        image_size(data)


# ---------------------------------------------------------------------------------------------
# decode_image


@pytest.fixture
def pillow_first(monkeypatch):
    """decode_image as on a development machine: Pillow decides, whatever else this process loaded."""
    monkeypatch.setattr(imaging.decoders, "_openimageio_decoder", lambda: None)


@pytest.fixture
def builtin_only(monkeypatch):
    """decode_image as in Blender 4.2's Python: neither OpenImageIO nor Pillow."""
    monkeypatch.setattr(imaging.decoders, "_openimageio_decoder", lambda: None)
    monkeypatch.setattr(imaging.decoders, "_pillow_decoder", lambda: None)


def test_decode_image_agrees_with_pillow_on_jpeg_and_webp(pillow_first):
    for data in [*jpeg_samples().values(), *webp_samples().values()]:
        decoded = decode_image(data)
        with Image.open(io.BytesIO(data)) as image:
            expected = np.asarray(image.convert("RGBA" if image.mode == "RGBA" else "RGB"))
        assert decoded.dtype == np.uint8
        np.testing.assert_array_equal(decoded, expected)


@pytest.mark.parametrize("decoders", ["pillow_first", "builtin_only"])
@pytest.mark.parametrize(
    ("source", "expected_channels"),
    [("L", 3), ("LA", 4), ("RGB", 3), ("RGBA", 4), ("I;16", 3)],
)
def test_decode_image_gives_rgb_or_rgba_from_any_png_layout(request, decoders, source, expected_channels):
    request.getfixturevalue(decoders)
    channels = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4, "I;16": 1}[source]
    dtype = np.uint16 if source == "I;16" else np.uint8
    pixels = sample_image(10, 12, channels, dtype=dtype, seed=6)
    decoded = decode_image(pillow_bytes(Image.fromarray(pixels), "PNG"))
    assert decoded.shape == (10, 12, expected_channels)
    assert decoded.dtype == np.uint8
    eight_bit = np.round(pixels / 257).astype(np.uint8) if dtype == np.uint16 else pixels
    grey = eight_bit if eight_bit.ndim == 2 else eight_bit[:, :, 0]
    if channels <= 2:
        np.testing.assert_array_equal(decoded[:, :, :3], np.repeat(grey[:, :, None], 3, axis=2))
        if channels == 2:
            np.testing.assert_array_equal(decoded[:, :, 3], eight_bit[:, :, 1])
    else:
        np.testing.assert_array_equal(decoded, eight_bit)


def test_decode_image_converts_palette_pngs_with_pillow(pillow_first):
    palette_image = Image.fromarray(sample_image(8, 8, 3, seed=1)).convert("P")
    decoded = decode_image(pillow_bytes(palette_image, "PNG"))
    np.testing.assert_array_equal(decoded, np.asarray(palette_image.convert("RGB")))


def test_without_pillow_or_openimageio_only_png_decodes(builtin_only):
    assert decoders_available() == ["built-in PNG (png)"]
    with pytest.raises(ImageUnavailableError, match="no decoder for JPEG"):
        decode_image(jpeg_samples()["baseline"])
    with pytest.raises(ImageUnavailableError, match="no decoder for WEBP"):
        decode_image(webp_samples()["lossy"])
    with pytest.raises(ImageUnavailableError, match="palette"):
        decode_image(pillow_bytes(Image.new("P", (4, 4)), "PNG"))


def test_a_truncated_image_is_corrupt_even_when_no_decoder_for_it_is_available(builtin_only):
    data = jpeg_samples()["baseline"]
    with pytest.raises(ImageDecodeError) as raised:
        decode_image(data[: len(data) - 40])
    assert not isinstance(raised.value, ImageUnavailableError)


def truncations(data: bytes) -> list[bytes]:
    return [data[:length] for length in (10, 100, len(data) // 3, len(data) // 2, len(data) - 2, len(data) - 1)]


@pytest.mark.parametrize("decoders", ["pillow_first", "builtin_only"])
def test_truncated_images_raise_and_never_return_padded_pixels(request, decoders):
    request.getfixturevalue(decoders)
    samples = [jpeg_samples()["baseline"], jpeg_samples()["progressive"], webp_samples()["lossy"]]
    samples += [pillow_bytes(Image.fromarray(sample_image(40, 40, 3)), "PNG"), webp_samples()["lossless"]]
    for data in samples:
        for cut in truncations(data):
            with pytest.raises(ImageDecodeError):
                decode_image(cut)


def test_truncation_is_caught_even_if_something_told_pillow_to_pad_truncated_images(pillow_first, monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)  # a process-wide switch another add-on may set
    for data in [jpeg_samples()["baseline"], webp_samples()["lossy"]]:
        with pytest.raises(ImageDecodeError, match="truncated"):
            decode_image(data[: len(data) - 30])


def test_pillow_path_reports_pillow_errors_as_decode_errors(pillow_first):
    data = bytearray(jpeg_samples()["baseline"])
    frame = data.index(b"\xff\xc0")
    data[frame + 5 : frame + 9] = b"\xff\xff\xff\xff"  # absurd size: Pillow refuses it as a bomb or error
    with pytest.raises(ImageDecodeError):
        decode_image(bytes(data))


def test_decode_image_rejects_non_images_as_corrupt_not_unavailable():
    with pytest.raises(ImageDecodeError, match="not a PNG, JPEG or WebP") as raised:
        decode_image(b"<html>403 Forbidden</html>")
    assert not isinstance(raised.value, ImageUnavailableError)


def test_decoders_available_lists_pillow_then_builtin(pillow_first):
    names = decoders_available()
    assert names[0].startswith("Pillow ") and names[-1] == "built-in PNG (png)"
    assert "jpeg" in names[0] and "png" in names[0]


def test_the_module_imports_and_decodes_png_with_neither_pillow_nor_openimageio():
    script = textwrap.dedent(
        """
        import sys
        sys.modules["PIL"] = None            # makes "import PIL" fail
        sys.modules["OpenImageIO"] = None
        import numpy as np
        from leonardo_blender.core import imaging
        pixels = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
        assert (imaging.decode_image(imaging.encode_png(pixels)) == pixels).all()
        print(imaging.decoders_available())
        """
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['built-in PNG (png)']"


OPENIMAGEIO_SCRIPT = """
import json, sys
from pathlib import Path
import bpy  # Blender 5.0 bundles OpenImageIO; this is what makes it findable in the bpy wheel
import numpy as np
from leonardo_blender.core import imaging

folder = Path(sys.argv[1])
report = {"decoders": imaging.decoders_available(), "errors": {}}
for source in sorted(folder.glob("*.in")):
    data = source.read_bytes()
    try:
        np.save(folder / (source.stem + ".npy"), imaging.decode_image(data))
    except imaging.ImageDecodeError as error:
        report["errors"][source.stem] = [type(error).__name__, str(error)]
oiio = imaging.decoders._openimageio.get()
for source in sorted(folder.glob("*.raw")):  # straight to OpenImageIO, past the structural checks
    try:
        imaging.decoders._decode_with_openimageio(oiio, source.read_bytes(), "jpeg")
        report["errors"][source.stem] = None
    except imaging.ImageDecodeError as error:
        report["errors"][source.stem] = [type(error).__name__, str(error)]
print(json.dumps(report))
"""


def test_openimageio_bundled_with_blender_5_decodes_like_pillow(tmp_path):
    rgba = sample_image(33, 47, 4, seed=12)
    rgba[:, :, 3] = np.linspace(0, 255, 47).astype(np.uint8)  # partial alpha: must stay straight, not premultiplied
    jpeg = jpeg_samples()["baseline"]
    inputs = {
        "rgba-png": encode_png(rgba),
        "grey16-png": encode_png(sample_image(20, 30, 1, dtype=np.uint16, seed=2)),
        "jpeg": jpeg,
        "progressive-jpeg": jpeg_samples()["progressive"],
        "webp": webp_samples()["lossy"],
        "truncated-jpeg": jpeg[: len(jpeg) // 2],
    }
    for name, data in inputs.items():
        (tmp_path / f"{name}.in").write_bytes(data)
    (tmp_path / "cut-with-eoi.raw").write_bytes(jpeg[: len(jpeg) // 2] + b"\xff\xd9")
    (tmp_path / "cut.raw").write_bytes(jpeg[: len(jpeg) // 2])
    (tmp_path / "whole.raw").write_bytes(jpeg)

    private_temp = tmp_path / "temp"
    private_temp.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", OPENIMAGEIO_SCRIPT, str(tmp_path)],
        cwd=REPO,
        env={**os.environ, "TMPDIR": str(private_temp)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])

    assert report["decoders"][0].startswith("OpenImageIO "), report["decoders"]
    assert all(kind in report["decoders"][0] for kind in ("jpeg", "png", "webp"))
    for name in ("rgba-png", "grey16-png", "jpeg", "progressive-jpeg", "webp"):
        with Image.open(io.BytesIO(inputs[name])) as image:
            expected = np.asarray(image.convert("RGBA" if image.mode == "RGBA" else "RGB"))
        if name == "grey16-png":
            expected = np.repeat(np.round(pillow_array(inputs[name]) / 257).astype(np.uint8)[:, :, None], 3, axis=2)
        np.testing.assert_array_equal(np.load(tmp_path / f"{name}.npy"), expected, err_msg=name)
    assert report["errors"]["truncated-jpeg"][0] == "ImageDecodeError"
    # OpenImageIO itself reports libjpeg's warnings, even when a damaged file still ends in EOI
    assert report["errors"]["cut-with-eoi"][0] == "ImageDecodeError"
    assert report["errors"]["cut"][0] == "ImageDecodeError"
    assert report["errors"]["whole"] is None
    assert list(private_temp.iterdir()) == []  # the temporary files OpenImageIO read from are gone


# ---------------------------------------------------------------------------------------------
# write_png


def test_write_png_writes_a_readable_file_and_leaves_no_temporary_behind(tmp_path):
    target = tmp_path / "maps" / "normal.png"
    target.parent.mkdir()
    target.write_bytes(b"an older, different file")
    pixels = sample_image(16, 16, 3)
    write_png(target, pixels)
    np.testing.assert_array_equal(pillow_array(target.read_bytes()), pixels)
    assert [path.name for path in target.parent.iterdir()] == ["normal.png"]
    if os.name == "posix":
        assert target.stat().st_mode & 0o777 == 0o644


def test_write_png_keeps_the_old_file_when_the_rename_fails(tmp_path, monkeypatch):
    target = tmp_path / "depth.png"
    target.write_bytes(b"old")

    def failing_replace(source, destination):
        raise OSError("disk on fire")

    monkeypatch.setattr(imaging.png_write.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk on fire"):
        write_png(target, np.zeros((4, 4), np.uint16))
    assert target.read_bytes() == b"old"
    assert [path.name for path in tmp_path.iterdir()] == ["depth.png"]


def test_write_png_writes_nothing_for_invalid_pixels(tmp_path):
    with pytest.raises(ValueError):
        write_png(tmp_path / "bad.png", np.zeros((4, 4), np.float64))
    assert list(tmp_path.iterdir()) == []
