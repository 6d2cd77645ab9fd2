"""What an image file is and how big, from its header, and whether it is complete (no decoding)."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import Final

from .errors import ImageDecodeError
from .png_format import PNG_SIGNATURE
from .png_read import _png_chunks

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
