"""Reading and writing images in worker threads, without Pillow and without ``bpy``.

The add-on's workers download the images Leonardo serves (JPEG mostly, sometimes PNG or WebP) and
write PNGs (depth maps to upload, baked texture maps) off Blender's main thread. Blender bundles
numpy but not Pillow, so this module carries its own PNG encoder and decoder in numpy and borrows
the decoders it finds for the other formats:

* ``encode_png`` / ``write_png``: 8-bit grey, grey+alpha, RGB, RGBA and 16-bit of the same layouts.
* ``decode_png``: the same layouts, non-interlaced; other PNG variants raise ``ImageUnavailableError``.
* ``image_size``: width and height of a PNG, JPEG or WebP from its header, without decoding it.
* ``decode_image``: PNG, JPEG or WebP to (H, W, 3 or 4) uint8 through OpenImageIO (bundled with
  Blender 5.0), else Pillow (development machines), else the built-in PNG decoder. When nothing here
  can decode the format it raises ``ImageUnavailableError`` and the Blender layer decodes the file on
  the main thread instead.

A truncated or corrupt image raises ``ImageDecodeError``; it never comes back as padded pixels.
Orientation tags (EXIF) are not applied, by any of the decoders.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import itertools
import os
import struct
import sys
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Final

import numpy as np

__all__ = [
    "ImageDecodeError",
    "ImageUnavailableError",
    "decode_image",
    "decode_png",
    "decoders_available",
    "encode_png",
    "image_size",
    "write_png",
]


class ImageDecodeError(ValueError):
    """The bytes are not an image this module can read: unrecognised, truncated or corrupt."""


class ImageUnavailableError(ImageDecodeError):
    """The image may be fine, but no decoder for its format (or variant) is available here."""


PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"

#: The largest image (in pixels) the built-in PNG decoder accepts: 16384 x 16384.
MAX_PNG_PIXELS: Final = 1 << 28

_COLOUR_TYPE_BY_CHANNELS: Final = {1: 0, 2: 4, 3: 2, 4: 6}
_CHANNELS_BY_COLOUR_TYPE: Final = {colour: channels for channels, colour in _COLOUR_TYPE_BY_CHANNELS.items()}
_PALETTE_COLOUR_TYPE: Final = 3
_FILTER_NONE, _FILTER_SUB, _FILTER_UP, _FILTER_AVERAGE, _FILTER_PAETH = range(5)
#: Rows are filtered and compressed in blocks of about this many bytes, to bound the encoder's memory.
_ENCODE_BLOCK_BYTES: Final = 1 << 22


# ---------------------------------------------------------------------------------------------
# PNG encoding


def encode_png(pixels: np.ndarray, *, compress_level: int = 6) -> bytes:
    """A PNG file holding ``pixels``.

    ``pixels`` is uint8 or uint16 (written as 16-bit), shaped (H, W) grey, (H, W, 2) grey+alpha,
    (H, W, 3) RGB or (H, W, 4) RGBA; row 0 is the top of the image. Each row gets the PNG filter
    (None, Sub, Up, Average or Paeth) whose output has the smallest sum of absolute signed bytes, the
    heuristic libpng uses; every filter is computed for whole blocks of rows at once.
    """
    return _encode_png(pixels, compress_level=compress_level, filter_type=None)


def write_png(path: str | os.PathLike[str], pixels: np.ndarray, *, compress_level: int = 6) -> None:
    """Write ``pixels`` as a PNG file atomically: readers see the old file or the whole new one.

    The folder must exist. The data goes to a temporary file beside ``path``, is flushed to disk,
    then renamed over ``path``; on any failure the temporary file is removed.
    """
    _write_atomically(Path(path), encode_png(pixels, compress_level=compress_level))


def _encode_png(pixels: np.ndarray, *, compress_level: int, filter_type: int | None) -> bytes:
    """``encode_png``, optionally forcing one filter for every row (tests use that)."""
    if not 0 <= compress_level <= 9:
        raise ValueError(f"compress_level must be 0..9, got {compress_level}")
    height, width, channels, bit_depth = _png_layout(pixels)
    rows = _png_row_bytes(pixels)
    bytes_per_pixel = channels * bit_depth // 8
    header = struct.pack(">IIBBBBB", width, height, bit_depth, _COLOUR_TYPE_BY_CHANNELS[channels], 0, 0, 0)
    compressor = zlib.compressobj(compress_level)
    compressed = [compressor.compress(block) for block in _filtered_blocks(rows, bytes_per_pixel, filter_type)]
    compressed.append(compressor.flush())
    return b"".join(
        [PNG_SIGNATURE, _png_chunk(b"IHDR", header), _png_chunk(b"IDAT", b"".join(compressed)), _png_chunk(b"IEND")]
    )


def _png_layout(pixels: np.ndarray) -> tuple[int, int, int, int]:
    """(height, width, channels, bit depth) of an array ``encode_png`` accepts, else ValueError."""
    if not isinstance(pixels, np.ndarray):
        raise TypeError(f"pixels must be a numpy array, got {type(pixels).__name__}")
    if pixels.dtype.kind != "u" or pixels.dtype.itemsize not in (1, 2):  # either byte order
        raise ValueError(f"PNG pixels must be uint8 or uint16, got {pixels.dtype}")
    bit_depth = 8 * pixels.dtype.itemsize
    if pixels.ndim == 2:
        channels = 1
    elif pixels.ndim == 3 and pixels.shape[2] in _COLOUR_TYPE_BY_CHANNELS:
        channels = pixels.shape[2]
    else:
        raise ValueError(f"PNG pixels must be (H, W) or (H, W, 1..4), got shape {pixels.shape}")
    height, width = pixels.shape[:2]
    if not (1 <= height < 2**31 and 1 <= width < 2**31):
        raise ValueError(f"PNG size must be at least 1 x 1, got {width} x {height}")
    return height, width, channels, bit_depth


def _png_row_bytes(pixels: np.ndarray) -> np.ndarray:
    """The image as (H, bytes per row) uint8 in PNG byte order (16-bit samples big-endian)."""
    height = pixels.shape[0]
    if pixels.dtype.itemsize == 2:
        pixels = pixels.astype(">u2", copy=False)
    return np.ascontiguousarray(pixels).view(np.uint8).reshape(height, -1)


def _filtered_blocks(rows: np.ndarray, bytes_per_pixel: int, filter_type: int | None) -> Iterator[bytes]:
    """The filtered scanlines (filter byte + filtered row), a block of rows at a time."""
    rows_per_block = max(1, _ENCODE_BLOCK_BYTES // rows.shape[1])
    for start in range(0, rows.shape[0], rows_per_block):
        block = rows[start : start + rows_per_block]
        above = np.empty_like(block)
        above[0] = rows[start - 1] if start else 0
        above[1:] = block[:-1]
        yield _filter_block(block, above, bytes_per_pixel, filter_type).tobytes()


def _filter_block(block: np.ndarray, above: np.ndarray, bytes_per_pixel: int, filter_type: int | None) -> np.ndarray:
    """(n, 1 + row bytes) uint8: each row's filter type followed by its filtered bytes."""
    current = block.astype(np.int16)
    up = above.astype(np.int16)
    left = _shift_right(current, bytes_per_pixel)
    up_left = _shift_right(up, bytes_per_pixel)
    candidates = np.stack(
        [
            current,
            current - left,
            current - up,
            current - ((left + up) >> 1),
            current - _paeth_predictor(left, up, up_left),
        ]
    )
    candidates = (candidates & 0xFF).astype(np.uint8)
    if filter_type is None:
        chosen = _cheapest_filters(candidates)
    else:
        chosen = np.full(block.shape[0], filter_type, dtype=np.intp)
    filtered = candidates[chosen, np.arange(block.shape[0])]
    return np.concatenate([chosen.astype(np.uint8)[:, None], filtered], axis=1)


def _cheapest_filters(candidates: np.ndarray) -> np.ndarray:
    """Per row, the filter whose bytes, read as signed, have the smallest sum of absolute values."""
    as_signed_magnitude = np.minimum(candidates, 256 - candidates.astype(np.int16))
    return np.argmin(as_signed_magnitude.sum(axis=2, dtype=np.int64), axis=0)


def _shift_right(rows: np.ndarray, count: int) -> np.ndarray:
    """Each row moved ``count`` bytes to the right, zeros coming in: the bytes of the pixel to the left."""
    shifted = np.zeros_like(rows)
    shifted[..., count:] = rows[..., :-count]
    return shifted


def _paeth_predictor(left: np.ndarray, up: np.ndarray, up_left: np.ndarray) -> np.ndarray:
    """The PNG Paeth predictor, elementwise on signed integer arrays."""
    estimate = left + up - up_left
    distance_left = np.abs(estimate - left)
    distance_up = np.abs(estimate - up)
    distance_up_left = np.abs(estimate - up_left)
    use_left = (distance_left <= distance_up) & (distance_left <= distance_up_left)
    return np.where(use_left, left, np.where(distance_up <= distance_up_left, up, up_left))


def _png_chunk(chunk_type: bytes, body: bytes = b"") -> bytes:
    crc = zlib.crc32(body, zlib.crc32(chunk_type))
    return struct.pack(">I", len(body)) + chunk_type + body + struct.pack(">I", crc)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk, then rename it over ``path``."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes files private; a texture is an ordinary file
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


# ---------------------------------------------------------------------------------------------
# PNG decoding


@dataclass(frozen=True)
class _PngHeader:
    width: int
    height: int
    bit_depth: int
    colour_type: int
    interlaced: bool

    @property
    def channels(self) -> int:
        return _CHANNELS_BY_COLOUR_TYPE[self.colour_type]

    @property
    def bytes_per_pixel(self) -> int:
        return self.channels * self.bit_depth // 8

    @property
    def row_bytes(self) -> int:
        return self.width * self.bytes_per_pixel


def decode_png(data: bytes) -> np.ndarray:
    """Pixels of a non-interlaced 8- or 16-bit grey, grey+alpha, RGB or RGBA PNG, in numpy alone.

    Returns uint8 (or uint16 for 16-bit files) shaped (H, W) for grey, else (H, W, 2, 3 or 4), row 0
    at the top. Chunk CRCs, the zlib stream and its length are verified: a truncated or corrupt file
    raises ``ImageDecodeError``; palette, low-bit-depth and interlaced files raise
    ``ImageUnavailableError`` (a subclass) because this decoder does not implement them.
    """
    header: _PngHeader | None = None
    image_data: list[memoryview] = []
    for chunk_type, body in _png_chunks(data):
        if header is None:
            if chunk_type != b"IHDR":
                raise ImageDecodeError("corrupt PNG: the first chunk is not IHDR")
            header = _parse_png_header(body)
        elif chunk_type == b"IDAT":
            image_data.append(body)
        elif chunk_type[0:1].isupper() and chunk_type not in (b"PLTE", b"IEND"):
            raise ImageUnavailableError(f"PNG has a critical chunk the built-in decoder does not know: {chunk_type!r}")
    if header is None or not image_data:
        raise ImageDecodeError("corrupt PNG: no image data")
    scanlines = _inflate(image_data, header.height * (1 + header.row_bytes))
    rows = np.frombuffer(scanlines, dtype=np.uint8).reshape(header.height, 1 + header.row_bytes)
    return _pixels_from_rows(_unfilter(rows[:, 0], rows[:, 1:], header.bytes_per_pixel), header)


def _png_chunks(data: bytes) -> Iterator[tuple[bytes, memoryview]]:
    """(type, body) of every chunk up to and including IEND, CRCs verified."""
    if not data.startswith(PNG_SIGNATURE):
        raise ImageDecodeError("not a PNG file (bad signature)")
    view = memoryview(data)
    position = len(PNG_SIGNATURE)
    while True:
        if position + 8 > len(data):
            raise ImageDecodeError("truncated PNG: the file ends before its IEND chunk")
        length, chunk_type = struct.unpack_from(">I4s", data, position)
        body_start = position + 8
        body_end = body_start + length
        if body_end + 4 > len(data):
            raise ImageDecodeError(f"truncated PNG: the {chunk_type!r} chunk runs past the end of the file")
        body = view[body_start:body_end]
        (stored_crc,) = struct.unpack_from(">I", data, body_end)
        if zlib.crc32(body, zlib.crc32(chunk_type)) != stored_crc:
            raise ImageDecodeError(f"corrupt PNG: CRC mismatch in the {chunk_type!r} chunk")
        yield chunk_type, body
        if chunk_type == b"IEND":
            return
        position = body_end + 4


def _parse_png_header(body: memoryview) -> _PngHeader:
    if len(body) != 13:
        raise ImageDecodeError("corrupt PNG: IHDR is not 13 bytes long")
    width, height, bit_depth, colour_type, compression, filter_method, interlace = struct.unpack(">IIBBBBB", body)
    if width == 0 or height == 0 or compression != 0 or filter_method != 0 or interlace > 1:
        raise ImageDecodeError("corrupt PNG: invalid IHDR")
    if colour_type == _PALETTE_COLOUR_TYPE or bit_depth < 8:
        raise ImageUnavailableError(
            f"the built-in PNG decoder does not support palette or 1/2/4-bit images "
            f"(colour type {colour_type}, bit depth {bit_depth})"
        )
    if colour_type not in _CHANNELS_BY_COLOUR_TYPE or bit_depth not in (8, 16):
        raise ImageDecodeError(f"corrupt PNG: invalid colour type {colour_type} with bit depth {bit_depth}")
    if interlace:
        raise ImageUnavailableError("the built-in PNG decoder does not support interlaced (Adam7) images")
    if width * height > MAX_PNG_PIXELS:
        raise ImageDecodeError(f"PNG is too large to decode: {width} x {height}")
    return _PngHeader(width, height, bit_depth, colour_type, interlaced=False)


def _inflate(pieces: list[memoryview], expected_length: int) -> bytes:
    """The zlib stream split over ``pieces``, which must decompress to exactly ``expected_length`` bytes."""
    inflater = zlib.decompressobj()
    output = bytearray()
    try:
        for piece in pieces:
            output += inflater.decompress(piece, expected_length + 1 - len(output))
            if len(output) > expected_length or inflater.unconsumed_tail:
                raise ImageDecodeError("corrupt PNG: more image data than its size calls for")
    except zlib.error as error:
        raise ImageDecodeError(f"corrupt PNG: the compressed image data is damaged ({error})") from error
    if not inflater.eof or len(output) != expected_length:
        raise ImageDecodeError(
            f"truncated PNG: {len(output)} bytes of image data where {expected_length} were expected"
        )
    return bytes(output)


def _unfilter(filter_types: np.ndarray, filtered: np.ndarray, bytes_per_pixel: int) -> np.ndarray:
    """Undo the PNG scanline filters: (H, row bytes) uint8 raw bytes."""
    if filter_types.size and int(filter_types.max()) > _FILTER_PAETH:
        raise ImageDecodeError(f"corrupt PNG: unknown filter type {int(filter_types.max())}")
    if np.all(filter_types <= _FILTER_UP):
        return _unfilter_without_neighbour_mixing(filter_types, filtered, bytes_per_pixel)
    return _unfilter_by_diagonals(filter_types, filtered, bytes_per_pixel)


def _unfilter_without_neighbour_mixing(
    filter_types: np.ndarray, filtered: np.ndarray, bytes_per_pixel: int
) -> np.ndarray:
    """Images using only None, Sub and Up: each run of rows with one filter is a cumulative sum (mod 256)."""
    row_bytes = filtered.shape[1]
    raw = np.empty_like(filtered)
    for start, stop, filter_type in _runs(filter_types):
        block = filtered[start:stop]
        if filter_type == _FILTER_NONE:
            raw[start:stop] = block
        elif filter_type == _FILTER_SUB:
            pixels = block.reshape(stop - start, row_bytes // bytes_per_pixel, bytes_per_pixel)
            raw[start:stop] = np.cumsum(pixels, axis=1, dtype=np.uint8).reshape(stop - start, row_bytes)
        else:
            above = raw[start - 1] if start else np.zeros(row_bytes, dtype=np.uint8)
            raw[start:stop] = np.cumsum(block, axis=0, dtype=np.uint8) + above
    return raw


def _runs(values: np.ndarray) -> Iterator[tuple[int, int, int]]:
    """(start, stop, value) of each run of equal consecutive values."""
    boundaries = [0, *(np.flatnonzero(np.diff(values)) + 1).tolist(), len(values)]
    for start, stop in itertools.pairwise(boundaries):
        yield start, stop, int(values[start])


def _unfilter_by_diagonals(filter_types: np.ndarray, filtered: np.ndarray, bytes_per_pixel: int) -> np.ndarray:
    """Any mix of filters, Average and Paeth included.

    A pixel depends only on its left, upper and upper-left neighbours, so all pixels on one
    anti-diagonal (row + column constant) can be reconstructed at once from the previous two
    diagonals: H + W - 1 numpy steps instead of one Python step per pixel. The two previous
    diagonals are kept indexed by row + 1, index 0 (and any cell never written) being the zero
    "outside" neighbour the PNG format prescribes.
    """
    height, row_bytes = filtered.shape
    width = row_bytes // bytes_per_pixel
    samples = filtered.reshape(height, width, bytes_per_pixel)
    raw = np.empty_like(samples)
    filter_column = filter_types.astype(np.int16)[:, None]
    filters_used = sorted(set(filter_types.tolist()) - {_FILTER_NONE})
    before_last, last, current = (np.zeros((height + 1, bytes_per_pixel), dtype=np.int16) for _ in range(3))
    all_rows = np.arange(height)
    for diagonal in range(height + width - 1):
        first, stop = max(0, diagonal - width + 1), min(height, diagonal + 1)
        rows = all_rows[first:stop]
        columns = diagonal - rows
        left, up, up_left = last[first + 1 : stop + 1], last[first:stop], before_last[first:stop]
        prediction = _prediction(filter_column[first:stop], filters_used, left, up, up_left)
        values = (samples[rows, columns] + prediction) & 0xFF
        current[first + 1 : stop + 1] = values
        raw[rows, columns] = values
        before_last, last, current = last, current, before_last
    return raw.reshape(height, row_bytes)


def _prediction(
    filter_column: np.ndarray, filters_used: list[int], left: np.ndarray, up: np.ndarray, up_left: np.ndarray
) -> np.ndarray:
    """What each row's filter predicts from its reconstructed neighbours (zero for filter None)."""
    if len(filters_used) == 1 and np.all(filter_column == filters_used[0]):
        return _PREDICTORS[filters_used[0]](left, up, up_left)
    prediction = np.zeros_like(left)
    for filter_type in filters_used:
        rows_using_it = filter_column == filter_type
        if rows_using_it.any():
            np.copyto(prediction, _PREDICTORS[filter_type](left, up, up_left), where=rows_using_it)
    return prediction


_PREDICTORS: Final[dict[int, Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]]] = {
    _FILTER_SUB: lambda left, _up, _up_left: left,
    _FILTER_UP: lambda _left, up, _up_left: up,
    _FILTER_AVERAGE: lambda left, up, _up_left: (left + up) >> 1,
    _FILTER_PAETH: _paeth_predictor,
}


def _pixels_from_rows(raw: np.ndarray, header: _PngHeader) -> np.ndarray:
    shape: tuple[int, ...] = (header.height, header.width)
    if header.channels > 1:
        shape += (header.channels,)
    if header.bit_depth == 16:
        return raw.view(">u2").astype(np.uint16).reshape(shape)
    return raw.reshape(shape)


# ---------------------------------------------------------------------------------------------
# Formats and sizes


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG, JPEG or WebP image, read from its header without decoding it."""
    kind = _image_format(data)
    width, height = _SIZE_READERS[kind](data)
    if width <= 0 or height <= 0:
        raise ImageDecodeError(f"{kind.upper()} header gives an empty size {width} x {height}")
    return width, height


def _image_format(data: bytes) -> str:
    """The format's name ("png", "jpeg" or "webp") from the file's signature, else ImageDecodeError."""
    if data.startswith(PNG_SIGNATURE):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    raise ImageDecodeError(f"not a PNG, JPEG or WebP image (it starts with {bytes(data[:12])!r})")


def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) < 24:
        raise ImageDecodeError("truncated PNG: the file ends inside its header")
    if data[12:16] != b"IHDR":
        raise ImageDecodeError("corrupt PNG: the first chunk is not IHDR")
    width, height = struct.unpack_from(">II", data, 16)
    return width, height


#: JPEG start-of-frame markers (SOF0..SOF15 except DHT, JPG and DAC), which carry the image size.
_JPEG_FRAME_MARKERS: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_START_OF_SCAN: Final = 0xDA
_JPEG_END_OF_IMAGE: Final = 0xD9
#: Markers without a length field: TEM, RST0..RST7, SOI, EOI.
_JPEG_STANDALONE_MARKERS: Final = frozenset([0x01, *range(0xD0, 0xDA)])


def _jpeg_segments(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(marker, payload start, payload end) of each marker segment after SOI, in file order."""
    position = 2
    while True:
        if position >= len(data):
            raise ImageDecodeError("truncated JPEG: the file ends between markers")
        if data[position] != 0xFF:
            raise ImageDecodeError(f"corrupt JPEG: no marker at byte {position}")
        while position < len(data) and data[position] == 0xFF:  # fill bytes may precede a marker
            position += 1
        if position >= len(data):
            raise ImageDecodeError("truncated JPEG: the file ends inside a marker")
        marker = data[position]
        position += 1
        if marker in _JPEG_STANDALONE_MARKERS:
            yield marker, position, position
            continue
        if position + 2 > len(data):
            raise ImageDecodeError("truncated JPEG: the file ends inside a segment length")
        (length,) = struct.unpack_from(">H", data, position)
        if length < 2:
            raise ImageDecodeError(f"corrupt JPEG: segment length {length} at byte {position}")
        yield marker, position + 2, position + length
        position += length


def _jpeg_size(data: bytes) -> tuple[int, int]:
    for marker, start, _end in _jpeg_segments(data):
        if marker in _JPEG_FRAME_MARKERS:
            if start + 5 > len(data):
                raise ImageDecodeError("truncated JPEG: the file ends inside its frame header")
            height, width = struct.unpack_from(">HH", data, start + 1)
            return width, height
        if marker in (_JPEG_START_OF_SCAN, _JPEG_END_OF_IMAGE):
            break
    raise ImageDecodeError("corrupt JPEG: no frame header (SOF) before the image data")


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8 ":  # lossy: a key frame header after 3 bytes of frame tag
        _require_length(data, 30, "WebP")
        if data[23:26] != b"\x9d\x01\x2a":
            raise ImageDecodeError("corrupt WebP: bad VP8 start code")
        width, height = struct.unpack_from("<HH", data, 26)
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":  # lossless: a signature byte, then 14 bits of width - 1 and of height - 1
        _require_length(data, 25, "WebP")
        if data[20] != 0x2F:
            raise ImageDecodeError("corrupt WebP: bad VP8L signature")
        (bits,) = struct.unpack_from("<I", data, 21)
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":  # extended: 4 bytes of flags, then 24 bits of width - 1 and of height - 1
        _require_length(data, 30, "WebP")
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    _require_length(data, 16, "WebP")
    raise ImageDecodeError(f"corrupt WebP: unknown first chunk {bytes(chunk)!r}")


def _require_length(data: bytes, length: int, kind: str) -> None:
    if len(data) < length:
        raise ImageDecodeError(f"truncated {kind}: the file ends inside its header")


_SIZE_READERS: Final[dict[str, Callable[[bytes], tuple[int, int]]]] = {
    "png": _png_size,
    "jpeg": _jpeg_size,
    "webp": _webp_size,
}


def _check_complete(data: bytes, kind: str) -> None:
    """Raise ImageDecodeError if the file is visibly cut short, whatever a decoder would make of it.

    Third-party decoders may pad a truncated image and only warn; these structural checks catch
    that: a PNG must reach IEND with valid CRCs, a JPEG must have an EOI marker after its first scan
    (entropy-coded data cannot contain FF D9), a WebP must be as long as its RIFF header says.
    """
    if kind == "png":
        for _chunk in _png_chunks(data):
            pass
    elif kind == "jpeg":
        for marker, start, _end in _jpeg_segments(data):
            if marker == _JPEG_START_OF_SCAN:
                if data.find(b"\xff\xd9", start) < 0:
                    raise ImageDecodeError("truncated JPEG: no end-of-image marker after the image data")
                return
            if marker == _JPEG_END_OF_IMAGE:
                break
        raise ImageDecodeError("corrupt JPEG: no image data (SOS) in the file")
    elif kind == "webp":
        (riff_size,) = struct.unpack_from("<I", data, 4)
        if len(data) < 8 + riff_size:
            raise ImageDecodeError(f"truncated WebP: {len(data)} bytes where the header announces {8 + riff_size}")


# ---------------------------------------------------------------------------------------------
# Decoding any format


def decode_image(data: bytes) -> np.ndarray:
    """(H, W, 3) or (H, W, 4) uint8 pixels of a PNG, JPEG or WebP image, row 0 at the top.

    Grey images come back as RGB, grey+alpha as RGBA, 16-bit samples rounded to 8 bits; alpha is
    straight (not premultiplied). Decoders are tried in order: OpenImageIO, Pillow, the built-in
    PNG decoder; the first that handles the format decides. Raises ``ImageDecodeError`` for data that
    is not such an image or is truncated or corrupt, and ``ImageUnavailableError`` when no decoder
    available here handles the format.
    """
    kind = _image_format(data)
    _check_complete(data, kind)
    decoders = _available_decoders()
    for decoder in decoders:
        if kind in decoder.formats:
            return _as_rgb_or_rgba(decoder.decode(data, kind))
    tried = ", ".join(decoder.name for decoder in decoders)
    raise ImageUnavailableError(f"no decoder for {kind.upper()} images is available here (have: {tried})")


def decoders_available() -> list[str]:
    """The decoders ``decode_image`` can use here and their formats, for diagnostics."""
    return [f"{decoder.name} ({', '.join(sorted(decoder.formats))})" for decoder in _available_decoders()]


@dataclass(frozen=True)
class _Decoder:
    name: str
    formats: frozenset[str]
    decode: Callable[[bytes, str], np.ndarray]


_SUPPORTED_FORMATS: Final = frozenset(["png", "jpeg", "webp"])
_FILE_SUFFIXES: Final = {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}


def _available_decoders() -> list[_Decoder]:
    decoders = [_openimageio_decoder(), _pillow_decoder()]
    builtin = _Decoder("built-in PNG", frozenset(["png"]), lambda data, _kind: decode_png(data))
    return [decoder for decoder in decoders if decoder is not None] + [builtin]


def _as_rgb_or_rgba(pixels: np.ndarray) -> np.ndarray:
    """Any decoder's output as contiguous (H, W, 3 or 4) uint8."""
    if pixels.dtype == np.uint16:
        pixels = ((pixels.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    elif pixels.dtype != np.uint8:
        raise ImageDecodeError(f"decoder returned unexpected {pixels.dtype} pixels")
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    channels = pixels.shape[2]
    if channels == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    elif channels == 2:
        pixels = np.concatenate([np.repeat(pixels[:, :, :1], 3, axis=2), pixels[:, :, 1:]], axis=2)
    elif channels > 4:
        pixels = pixels[:, :, :4]
    return np.ascontiguousarray(pixels)


# --- OpenImageIO (bundled with Blender 5.0)


class _OpenImageIOLoader:
    """Imports OpenImageIO once, lazily and thread-safely; ``None`` when it is not available.

    Blender 5.0 bundles the module in its own site-packages, which is on ``sys.path`` inside the
    Blender application but not in the ``bpy`` wheel (Blender as a Python module). There, once
    ``bpy`` has been imported (this module never imports it), the bundled copy is loaded from beside
    ``bpy``. A miss is remembered only once ``bpy`` is loaded, since importing it may make a
    difference.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._module: ModuleType | None = None
        self._settled = False

    def get(self) -> ModuleType | None:
        with self._lock:
            if not self._settled:
                self._module = _import_openimageio()
                self._settled = self._module is not None or "bpy" in sys.modules
            return self._module


def _import_openimageio() -> ModuleType | None:
    try:
        import OpenImageIO
    except (ImportError, OSError):
        return _import_openimageio_beside_bpy()
    return OpenImageIO


def _import_openimageio_beside_bpy() -> ModuleType | None:
    package = _openimageio_beside_bpy()
    if package is None:
        return None
    spec = importlib.util.spec_from_file_location(
        "OpenImageIO", package / "__init__.py", submodule_search_locations=[str(package)]
    )
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules["OpenImageIO"] = module  # the package imports its extension module relatively
    try:
        spec.loader.exec_module(module)
    except Exception:
        sys.modules.pop("OpenImageIO", None)
        return None
    return module


def _openimageio_beside_bpy() -> Path | None:
    """The OpenImageIO package in the Python bundled with the imported ``bpy``, if any.

    ``bpy`` lives in ``<version>/scripts/modules/bpy`` and the bundled packages in
    ``<version>/python/lib/python3.X/site-packages`` (``python/lib/site-packages`` on Windows), in
    the application and in the wheel alike.
    """
    bpy_file = getattr(sys.modules.get("bpy"), "__file__", None)
    if not bpy_file:
        return None
    python = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for folder in Path(bpy_file).parents[:4]:
        for site_packages in (
            folder / "python" / "lib" / python / "site-packages",
            folder / "python/lib/site-packages",
        ):
            package = site_packages / "OpenImageIO"
            if (package / "__init__.py").is_file():
                return package
    return None


_openimageio = _OpenImageIOLoader()


def _openimageio_decoder() -> _Decoder | None:
    oiio = _openimageio.get()
    if oiio is None:
        return None
    formats = frozenset(oiio.get_string_attribute("input_format_list").split(",")) & _SUPPORTED_FORMATS
    version = getattr(oiio, "VERSION_STRING", "")
    return _Decoder(
        f"OpenImageIO {version}".strip(), formats, lambda data, kind: _decode_with_openimageio(oiio, data, kind)
    )


def _decode_with_openimageio(oiio: Any, data: bytes, kind: str) -> np.ndarray:
    """OpenImageIO's Python binding cannot read from memory (no IOProxy), so go through a temporary file."""
    descriptor, temporary = tempfile.mkstemp(prefix="leonardo-decode-", suffix=_FILE_SUFFIXES[kind])
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        return _read_with_openimageio(oiio, temporary, kind)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _read_with_openimageio(oiio: Any, path: str, kind: str) -> np.ndarray:
    config = oiio.ImageSpec()
    config.attribute("oiio:UnassociatedAlpha", 1)  # keep straight alpha; OIIO premultiplies by default
    image_input = oiio.ImageInput.open(path, config)
    if image_input is None:
        raise ImageDecodeError(f"OpenImageIO cannot read this {kind.upper()} image: {oiio.geterror()}")
    try:
        channels = min(image_input.spec().nchannels, 4)
        pixels = image_input.read_image(0, 0, 0, channels, "uint8")
        # A truncated JPEG still yields (padded) pixels; the error flag is what tells.
        if pixels is None or image_input.has_error:
            raise ImageDecodeError(f"corrupt or truncated {kind.upper()} image: {image_input.geterror()}")
    finally:
        image_input.close()
    return np.asarray(pixels)


# --- Pillow (development machines; Blender does not bundle it)


def _pillow_decoder() -> _Decoder | None:
    try:
        import PIL
        from PIL import features
    except ImportError:
        return None
    checks = {"png": lambda: features.check_codec("zlib"), "jpeg": lambda: features.check_codec("jpg")}
    checks["webp"] = lambda: features.check_module("webp")
    formats = frozenset(kind for kind, check in checks.items() if check())
    return _Decoder(f"Pillow {PIL.__version__}", formats, _decode_with_pillow)


def _decode_with_pillow(data: bytes, kind: str) -> np.ndarray:
    """Pillow raises on truncated files as long as ``ImageFile.LOAD_TRUNCATED_IMAGES`` is False (its default)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data), formats=[kind.upper()]) as image:
            image.load()
            return _pillow_pixels(image)
    except (OSError, SyntaxError, ValueError, EOFError, UnidentifiedImageError, Image.DecompressionBombError) as error:
        raise ImageDecodeError(f"corrupt or truncated {kind.upper()} image: {error}") from error


def _pillow_pixels(image: Any) -> np.ndarray:
    if image.mode in ("L", "LA", "RGB", "RGBA"):
        return np.asarray(image)
    if image.mode.startswith("I"):  # 16-bit grey ("I;16", "I;16B") or 32-bit integer grey ("I")
        return np.clip(np.asarray(image), 0, 65535).astype(np.uint16)
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    return np.asarray(image.convert("RGBA" if has_alpha else "RGB"))
