"""PNG decoding in numpy: chunks with CRCs, inflate with a size check, all five filters unfiltered."""

from __future__ import annotations

import itertools
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

import numpy as np

from .errors import ImageDecodeError, ImageUnavailableError
from .png_format import (
    _CHANNELS_BY_COLOUR_TYPE,
    _FILTER_AVERAGE,
    _FILTER_NONE,
    _FILTER_PAETH,
    _FILTER_SUB,
    _FILTER_UP,
    _PALETTE_COLOUR_TYPE,
    MAX_PNG_PIXELS,
    PNG_SIGNATURE,
)
from .png_write import _paeth_predictor

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
