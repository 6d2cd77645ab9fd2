"""PNG encoding in numpy + zlib: 8/16-bit grey, grey+alpha, RGB, RGBA; per-row filters chosen like libpng."""

from __future__ import annotations

import contextlib
import os
import struct
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .png_format import _COLOUR_TYPE_BY_CHANNELS, _ENCODE_BLOCK_BYTES, PNG_SIGNATURE

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
