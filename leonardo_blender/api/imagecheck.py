"""Structural checks of downloaded images (PNG, JPEG, WebP), without decoding pixels.

A download counts as good only when its structure is complete and consistent, so a truncated or
damaged map is never handed to Blender:

* PNG: the chunk walk from the signature to IEND, every chunk's CRC, IHDR first with valid fields,
  PLTE before the data of a palette image, consecutive IDAT chunks whose zlib stream ends and
  inflates to exactly the size the header implies (both interlace methods), IEND last.
* JPEG: the marker walk from SOI through a frame header (SOF) and at least one scan (SOS) to EOI,
  every segment length inside the file, frame and scan headers consistent with their component
  counts, and entropy-coded data present in every scan.
* WebP: the RIFF size equals the file size, the chunks tile the RIFF body exactly, and an image
  chunk (VP8, VP8L or an animation frame) with its signature is present.

Works on ``bytes``, ``bytearray`` or an ``mmap`` (large files are checked without being read into
memory). Pure Python and ``zlib``.
"""

from __future__ import annotations

import mmap
import struct
import zlib
from typing import TypeAlias

Buffer: TypeAlias = bytes | bytearray | mmap.mmap

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: A PNG whose pixels would inflate to more than this is refused (it is not a texture map we can use).
MAX_PNG_RAW_BYTES = 2 * 1024**3

_PIECE = 1 << 20
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_PNG_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


class DamagedImageError(ValueError):
    """The data is not a complete, consistent image of a known kind; ``args[0]`` says why."""


def sniff(data: Buffer) -> str | None:
    """'png', 'jpeg' or 'webp' from the first bytes alone (no structural check)."""
    head = bytes(data[:12])
    if head.startswith(PNG_SIGNATURE):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    return None


def check_image(data: Buffer) -> str:
    """The kind ('png', 'jpeg', 'webp') of a structurally complete image, else ``DamagedImageError``."""
    kind = sniff(data)
    if kind == "png":
        _check_png(data)
    elif kind == "jpeg":
        _check_jpeg(data)
    elif kind == "webp":
        _check_webp(data)
    else:
        raise DamagedImageError("it is not a PNG, JPEG or WebP image")
    return kind


def image_kind(data: Buffer) -> str | None:
    """'jpeg', 'png' or 'webp' when ``data`` is a structurally complete image of that kind, else None."""
    try:
        return check_image(data)
    except DamagedImageError:
        return None


# --- PNG ---------------------------------------------------------------------------------------------


def _crc(data: Buffer, start: int, end: int) -> int:
    crc = 0
    view = memoryview(data)
    try:
        for piece in range(start, end, _PIECE):
            crc = zlib.crc32(view[piece : min(end, piece + _PIECE)], crc)
    finally:
        view.release()
    return crc


def png_raw_size(width: int, height: int, color_type: int, depth: int, interlace: int) -> int:
    """Bytes the IDAT stream must inflate to: every (pass) row with its filter byte."""
    bits = _PNG_CHANNELS[color_type] * depth

    def rows(w: int, h: int) -> int:
        return 0 if w == 0 or h == 0 else h * (1 + (w * bits + 7) // 8)

    if interlace == 0:
        return rows(width, height)
    total = 0
    for x0, y0, dx, dy in _ADAM7:
        total += rows(
            (width - x0 + dx - 1) // dx if width > x0 else 0, (height - y0 + dy - 1) // dy if height > y0 else 0
        )
    return total


class _Inflater:
    """Counts the inflated size of the IDAT stream without keeping it, refusing anything beyond ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._z = zlib.decompressobj()

    def feed(self, data: Buffer, start: int, end: int) -> None:
        view = memoryview(data)
        try:
            for piece in range(start, end, _PIECE):
                self._feed(bytes(view[piece : min(end, piece + _PIECE)]))
        finally:
            view.release()

    def _feed(self, chunk: bytes) -> None:
        if self._z.eof:
            if chunk:
                raise DamagedImageError("the PNG has image data after the end of its compressed stream")
            return
        pending = chunk
        while pending:
            try:
                out = self._z.decompress(pending, min(self.limit - self.size + 1, _PIECE))
            except zlib.error as exc:
                raise DamagedImageError(f"the PNG image data does not decompress ({exc})") from None
            self.size += len(out)
            if self.size > self.limit:
                raise DamagedImageError("the PNG image data inflates to more than its header allows")
            if self._z.eof:
                if self._z.unused_data or self._z.unconsumed_tail:
                    raise DamagedImageError("the PNG has image data after the end of its compressed stream")
                return
            pending = self._z.unconsumed_tail

    def finish(self) -> None:
        if not self._z.eof:
            try:
                self.size += len(self._z.flush(self.limit - self.size + 1))
            except zlib.error as exc:
                raise DamagedImageError(f"the PNG image data does not decompress ({exc})") from None
            if not self._z.eof:
                raise DamagedImageError("the PNG image data is cut short")
            if self.size > self.limit:
                raise DamagedImageError("the PNG image data inflates to more than its header allows")


def _check_png(data: Buffer) -> None:
    total = len(data)
    pos = len(PNG_SIGNATURE)
    inflater: _Inflater | None = None
    color = -1
    idat_state = "before"  # before -> inside -> after
    palette = False
    while True:
        if pos + 12 > total:
            raise DamagedImageError("the PNG is cut short (no IEND chunk)")
        length, kind = struct.unpack_from(">I4s", data, pos)
        if length > 0x7FFFFFFF or not kind.isalpha():
            raise DamagedImageError("the PNG has a malformed chunk header")
        end = pos + 12 + length
        if end > total:
            raise DamagedImageError(f"the PNG's {kind.decode('ascii')} chunk is cut short")
        (stored,) = struct.unpack_from(">I", data, end - 4)
        if _crc(data, pos + 4, end - 4) != stored:
            raise DamagedImageError(f"the PNG's {kind.decode('ascii')} chunk fails its CRC check")
        body = pos + 8
        if inflater is None:
            if kind != b"IHDR" or length != 13:
                raise DamagedImageError("the PNG does not start with an IHDR chunk")
            width, height, depth, color, compression, filtering, interlace = struct.unpack_from(">IIBBBBB", data, body)
            if not (0 < width <= 0x7FFFFFFF and 0 < height <= 0x7FFFFFFF):
                raise DamagedImageError("the PNG header has an invalid size")
            if color not in _PNG_DEPTHS or depth not in _PNG_DEPTHS[color]:
                raise DamagedImageError("the PNG header has an invalid colour type or bit depth")
            if compression != 0 or filtering != 0 or interlace not in (0, 1):
                raise DamagedImageError("the PNG header has an invalid method")
            raw = png_raw_size(width, height, color, depth, interlace)
            if raw > MAX_PNG_RAW_BYTES:
                raise DamagedImageError("the PNG is too large to use as a texture map")
            inflater = _Inflater(raw)
        elif kind == b"IHDR":
            raise DamagedImageError("the PNG has a second IHDR chunk")
        elif kind == b"PLTE":
            if idat_state != "before":
                raise DamagedImageError("the PNG's palette comes after its image data")
            palette = True
        elif kind == b"IDAT":
            if idat_state == "after":
                raise DamagedImageError("the PNG's image data chunks are not consecutive")
            if color == 3 and not palette:
                raise DamagedImageError("the PNG palette image has no palette")
            idat_state = "inside"
            inflater.feed(data, body, body + length)
        elif kind == b"IEND":
            if length != 0:
                raise DamagedImageError("the PNG's IEND chunk is malformed")
            if idat_state == "before":
                raise DamagedImageError("the PNG has no image data")
            inflater.finish()
            if inflater.size != inflater.limit:
                raise DamagedImageError(
                    f"the PNG image data inflates to {inflater.size} bytes instead of {inflater.limit} (cut short)"
                )
            return
        elif idat_state == "inside":
            idat_state = "after"
        pos = end


# --- JPEG --------------------------------------------------------------------------------------------


def _check_jpeg(data: Buffer) -> None:
    total = len(data)
    if bytes(data[:2]) != b"\xff\xd8":
        raise DamagedImageError("the JPEG does not start with SOI")
    pos = 2
    frame = False
    scans = 0
    while True:
        if pos >= total or data[pos] != 0xFF:
            raise DamagedImageError("the JPEG is cut short or has a broken segment (no EOI)")
        while pos < total and data[pos] == 0xFF:  # fill bytes before a marker
            pos += 1
        if pos >= total:
            raise DamagedImageError("the JPEG is cut short (no EOI)")
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            if not frame:
                raise DamagedImageError("the JPEG has no frame header")
            if scans == 0:
                raise DamagedImageError("the JPEG has no image data (no scan)")
            return
        if marker == 0x01:  # TEM: no length
            continue
        if marker == 0x00 or 0xD0 <= marker <= 0xD8:
            raise DamagedImageError("the JPEG has a marker out of place")
        if pos + 2 > total:
            raise DamagedImageError("the JPEG is cut short inside a segment header")
        (length,) = struct.unpack_from(">H", data, pos)
        if length < 2 or pos + length > total:
            raise DamagedImageError("the JPEG has a segment longer than the file (cut short)")
        body, end = pos + 2, pos + length
        if marker in _JPEG_SOF:
            if frame:
                raise DamagedImageError("the JPEG has two frame headers")
            if length < 8:
                raise DamagedImageError("the JPEG frame header is too short")
            _precision, _height, width, components = struct.unpack_from(">BHHB", data, body)
            if width == 0 or components == 0 or length != 8 + 3 * components:
                raise DamagedImageError("the JPEG frame header is inconsistent")
            frame = True
            pos = end
        elif marker == 0xDA:  # SOS, then entropy-coded data up to the next real marker
            if not frame:
                raise DamagedImageError("the JPEG has a scan before its frame header")
            components = data[body] if length > 2 else 0
            if not 1 <= components <= 4 or length != 6 + 2 * components:
                raise DamagedImageError("the JPEG scan header is inconsistent")
            start = pos = end
            while True:
                found = data.find(b"\xff", pos)
                if found < 0 or found + 1 >= total:
                    raise DamagedImageError("the JPEG scan data is cut short (no EOI)")
                following = data[found + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:  # stuffed byte or restart marker
                    pos = found + 2
                    continue
                if following == 0xFF:  # fill byte
                    pos = found + 1
                    continue
                break
            if found == start:
                raise DamagedImageError("the JPEG has a scan without image data")
            scans += 1
            pos = found
        else:
            pos = end


# --- WebP --------------------------------------------------------------------------------------------


def _check_webp(data: Buffer) -> None:
    total = len(data)
    if total < 20:
        raise DamagedImageError("the WebP file is cut short")
    (riff_size,) = struct.unpack_from("<I", data, 4)
    if riff_size + 8 != total:
        raise DamagedImageError(f"the WebP's RIFF size says {riff_size + 8} bytes but the file has {total} (cut short)")
    pos = 12
    image = False
    first = True
    while pos < total:
        if pos + 8 > total:
            raise DamagedImageError("the WebP has a cut-short chunk header")
        kind = bytes(data[pos : pos + 4])
        (size,) = struct.unpack_from("<I", data, pos + 4)
        body = pos + 8
        end = body + size + (size & 1)
        if end > total:
            raise DamagedImageError("the WebP has a chunk longer than the file (cut short)")
        if first and kind not in (b"VP8 ", b"VP8L", b"VP8X"):
            raise DamagedImageError("the WebP does not start with an image header chunk")
        first = False
        if kind == b"VP8 ":
            if size < 10 or bytes(data[body + 3 : body + 6]) != b"\x9d\x01\x2a":
                raise DamagedImageError("the WebP's VP8 data is malformed")
            image = True
        elif kind == b"VP8L":
            if size < 5 or data[body] != 0x2F:
                raise DamagedImageError("the WebP's VP8L data is malformed")
            image = True
        elif kind == b"ANMF":
            image = image or size > 16
        pos = end
    if not image:
        raise DamagedImageError("the WebP has no image data")
