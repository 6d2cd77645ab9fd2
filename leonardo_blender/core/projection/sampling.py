"""Bilinear lookup of image colours at continuous pixel coordinates, on packed RGB pixels.

Each pixel's R, G, B bytes are packed into one uint32 (``R | G << 8 | B << 16``), so a bilinear tap
is a single gather, and the packed image has one extra column and row (copies of the last ones), so
the taps right of and below a pixel never need a bounds check. The four taps are blended in integer
"SIMD within a register" arithmetic: R and B share one uint32 in two 16-bit lanes, G has its own,
and tap weights are in 1/16 pixel steps, so a channel's weighted sum (at most 255 * 256) never
overflows its lane. The 1/16 pixel quantisation is far below what a generated image resolves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SUBPIXEL_BITS = 4
SUBPIXEL_STEPS = 1 << SUBPIXEL_BITS  # bilinear weights are multiples of 1 / SUBPIXEL_STEPS per axis
_RED_BLUE = np.uint32(0x00FF00FF)
_LOW_BYTE = np.uint32(0xFF)
_LOW_LANE = np.uint32(0xFFFF)


@dataclass(frozen=True)
class PackedImage:
    """An image ready for :func:`sample_bilinear`: ``pixels`` ``((H + 1) * (W + 1),)`` uint32, padded."""

    width: int
    height: int
    pixels: np.ndarray


def pack_rgb(image: np.ndarray) -> PackedImage:
    """Pack the R, G, B bytes of an ``(H, W, 3 or 4)`` uint8 image (alpha is dropped)."""
    height, width = image.shape[:2]
    packed = np.empty((height + 1, width + 1), dtype=np.uint32)
    body = packed[:height, :width]
    body[...] = image[..., 2]
    body <<= np.uint32(8)
    body |= image[..., 1]
    body <<= np.uint32(8)
    body |= image[..., 0]
    packed[:height, width] = packed[:height, width - 1]
    packed[height] = packed[height - 1]
    return PackedImage(width=width, height=height, pixels=packed.ravel())


def sample_bilinear(image: PackedImage, x: np.ndarray, y: np.ndarray, scale: np.ndarray | None = None) -> np.ndarray:
    """``(3, N)`` float32 R, G, B of ``image`` at continuous coordinates ``x``, ``y`` ``(N,)``.

    Pixel centres are at ``+0.5`` (``x = 0.5`` is exactly column 0); coordinates beyond the outer
    pixel centres take the edge pixels' colours. ``scale`` ``(N,)`` multiplies the result.
    """
    fixed_x = _fixed_point(x, image.width)
    fixed_y = _fixed_point(y, image.height)
    top_left = (fixed_y >> SUBPIXEL_BITS).astype(np.intp)
    top_left *= image.width + 1
    top_left += fixed_x >> SUBPIXEL_BITS
    right = (fixed_x & (SUBPIXEL_STEPS - 1)).astype(np.uint32)  # a Python int keeps int32 under NumPy 1 and 2
    down = (fixed_y & (SUBPIXEL_STEPS - 1)).astype(np.uint32)
    left = SUBPIXEL_STEPS - right
    up = SUBPIXEL_STEPS - down
    taps = ((0, left * up), (1, right * up), (image.width + 1, left * down), (image.width + 2, right * down))
    red_blue = np.zeros(top_left.shape[0], dtype=np.uint32)
    green = np.zeros(top_left.shape[0], dtype=np.uint32)
    for offset, weight in taps:
        pixels = np.take(image.pixels, top_left + offset if offset else top_left)
        red_blue += (pixels & _RED_BLUE) * weight
        pixels >>= np.uint32(8)
        pixels &= _LOW_BYTE
        pixels *= weight
        green += pixels
    unit = np.float32(1.0 / SUBPIXEL_STEPS**2)
    factor = unit if scale is None else np.asarray(scale, dtype=np.float32) * unit
    result = np.empty((3, top_left.shape[0]), dtype=np.float32)
    result[0] = red_blue & _LOW_LANE  # uint32 -> float32 here: uint32 * float32 would promote to float64
    result[1] = green
    result[2] = red_blue >> np.uint32(16)
    result *= factor
    return result


def _fixed_point(coordinate: np.ndarray, extent: int) -> np.ndarray:
    """int32 position in 1/16 pixel steps relative to pixel centres, clamped to ``0 .. 16 * (extent - 1)``."""
    steps = np.asarray(coordinate, dtype=np.float32) * np.float32(SUBPIXEL_STEPS)
    steps -= np.float32(SUBPIXEL_STEPS / 2)  # pixel centres are at +0.5
    np.maximum(steps, 0, out=steps)
    np.minimum(steps, np.float32(SUBPIXEL_STEPS * (extent - 1)), out=steps)
    steps += np.float32(0.5)  # round to the nearest step
    return steps.astype(np.int32)
