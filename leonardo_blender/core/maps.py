"""PBR maps (normal, roughness, displacement) derived from one colour image, in numpy alone.

Shared by the projection engine, which derives them from the albedo it baked into the mesh's UVs,
and by seamless tileable materials, which derive them from one generated tile. With ``wrap=True``
every neighbourhood operation (blur, gradients, local contrast) wraps around the image edges, so
the maps tile whenever the input tiles; with ``wrap=False`` edges are extended instead.

Conventions:

* Images are (H, W, 3) uint8 (a fourth, alpha channel is ignored), row 0 is the top of the image,
  which is v near 1 in UV space.
* Normal maps are tangent space, OpenGL convention, as Blender's Normal Map node expects:
  R = +U (right), G = +V (up in UV, towards row 0), B = out of the surface, each component
  encoded as ``128 + 127 * n``. A flat surface is (128, 128, 255).
* Heights are float32 0..1 (1 = highest); grey maps are uint8.

The maps are heuristics, not measurements: brightness stands in for height and for glossiness.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np

__all__ = [
    "derive_maps",
    "height_from_albedo",
    "luminance",
    "normal_from_height",
    "roughness_from_albedo",
]

#: Rec.709 luminance weights, applied to linear light.
REC709_WEIGHTS: Final = (0.2126, 0.7152, 0.0722)

#: Height is normalised between these percentiles of the blurred luminance, so a few specks of
#: pure black or white do not squash everything else into a narrow band.
HEIGHT_PERCENTILES: Final = (1.0, 99.0)
#: Luminance contrast (linear light) that spans the whole 0..1 height range at the least: an almost
#: flat image keeps almost flat relief instead of having its noise stretched into deep bumps.
MIN_HEIGHT_SPAN: Final = 0.02

#: At normal strength 1, a height rise across the full 0..1 range over this many pixels tilts the
#: surface by 45 degrees. Strength scales the slope linearly.
RELIEF_PIXELS: Final = 8.0

#: Roughness heuristic: the weights of darkness and of fine detail (they sum to 1), the Gaussian
#: radius (pixels) of the neighbourhood whose lightness spread measures detail, and the spread
#: (in CIE L* / 100) that counts as full detail.
DARKNESS_WEIGHT: Final = 0.6
DETAIL_WEIGHT: Final = 0.4
DETAIL_RADIUS: Final = 1.5
FULL_DETAIL_SPREAD: Final = 0.08
#: Roughness is kept inside this range: nothing real is a perfect mirror or perfectly diffuse.
ROUGHNESS_RANGE: Final = (0.02, 0.98)

DEFAULT_BLUR_RADIUS: Final = 2.0
DEFAULT_ROUGHNESS_BASE: Final = 0.55
DEFAULT_ROUGHNESS_CONTRAST: Final = 0.35


def _linear_luminance_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per channel, the 256 sRGB codes mapped to their weighted contribution to linear luminance."""
    codes = np.arange(256, dtype=np.float64) / 255.0
    linear = np.where(codes <= 0.04045, codes / 12.92, ((codes + 0.055) / 1.055) ** 2.4)
    red, green, blue = ((linear * weight).astype(np.float32) for weight in REC709_WEIGHTS)
    return red, green, blue


_LUMINANCE_TABLES: Final = _linear_luminance_tables()


# ---------------------------------------------------------------------------------------------
# Public API


def luminance(rgb: np.ndarray) -> np.ndarray:
    """(H, W) float32 0..1: Rec.709 luminance of the linearised sRGB colours."""
    _check_colour_image(rgb)
    red, green, blue = _LUMINANCE_TABLES
    result = red[rgb[:, :, 0]]
    result += green[rgb[:, :, 1]]
    result += blue[rgb[:, :, 2]]
    return np.clip(result, 0.0, 1.0, out=result)


def height_from_albedo(rgb: np.ndarray, *, blur_radius: float = DEFAULT_BLUR_RADIUS, wrap: bool = False) -> np.ndarray:
    """(H, W) float32 0..1: brighter is higher.

    The luminance is blurred (Gaussian, sigma ``blur_radius`` pixels; 0 for none) so the relief
    follows shapes rather than pixel noise, then stretched between its 1st and 99th percentiles to
    0..1, its middle at 0.5. A flat image gives 0.5 everywhere; a low-contrast one stays gentle
    (see ``MIN_HEIGHT_SPAN``).
    """
    return _height_from_luminance(luminance(rgb), blur_radius=blur_radius, wrap=wrap)


def normal_from_height(height: np.ndarray, *, strength: float = 1.0, wrap: bool = False) -> np.ndarray:
    """(H, W, 3) uint8 tangent-space normal map (OpenGL convention) of a height field.

    Slopes come from Sobel gradients, scaled by ``strength`` (see ``RELIEF_PIXELS``); strength 0
    gives a flat map, a negative strength turns bumps into dents. The surface faces away from
    where it rises:

    * a height that increases towards +u (to the right, with the column) gives R < 128;
    * a height that increases towards +v (to the top, towards row 0) gives G < 128;
    * so around a bump the normals point outwards: R < 128 left of its peak and R > 128 right of
      it, G > 128 above it and G < 128 below it.
    """
    heights = _check_height(height)
    if not math.isfinite(strength):
        raise ValueError(f"strength must be finite, got {strength}")
    rise_along_u = _sobel(heights, axis=1, wrap=wrap)  # per pixel, to the right
    rise_along_v = -_sobel(heights, axis=0, wrap=wrap)  # per pixel, upwards (rows grow downwards)
    scale = np.float32(strength * RELIEF_PIXELS)
    return _encode_normals(-scale * rise_along_u, -scale * rise_along_v)


def roughness_from_albedo(
    rgb: np.ndarray,
    *,
    wrap: bool = False,
    base: float = DEFAULT_ROUGHNESS_BASE,
    contrast: float = DEFAULT_ROUGHNESS_CONTRAST,
) -> np.ndarray:
    """(H, W) uint8 roughness: darker and more detailed areas rougher, bright smooth areas glossier.

    ``roughness = base + contrast * (0.6 * darkness + 0.4 * detail)``, where darkness runs from -1
    (white) to +1 (black) through perceptual lightness (CIE L*), and detail from -1 (no local
    variation) to +1 (a lightness spread of ``FULL_DETAIL_SPREAD`` or more within ``DETAIL_RADIUS``
    pixels). So ``base`` is the roughness of a mid-grey surface of moderate detail and ``contrast``
    how far it strays either way; the result is clipped to ``ROUGHNESS_RANGE`` (never 0 or 255).
    """
    return _roughness_from_luminance(luminance(rgb), wrap=wrap, base=base, contrast=contrast)


def derive_maps(rgb: np.ndarray, *, normal_strength: float = 1.0, wrap: bool = False) -> dict[str, np.ndarray]:
    """The maps of a colour image, each (H, W, 3) uint8 ready to save.

    ``{"NORMAL": normal map, "ROUGHNESS": roughness as grey, "DISPLACEMENT": height as grey}``,
    with the defaults of ``height_from_albedo``, ``normal_from_height`` and
    ``roughness_from_albedo``. With ``wrap=True`` the maps tile whenever ``rgb`` does.
    """
    lightness = luminance(rgb)  # computed once, shared by height and roughness
    height = _height_from_luminance(lightness, blur_radius=DEFAULT_BLUR_RADIUS, wrap=wrap)
    roughness = _roughness_from_luminance(
        lightness, wrap=wrap, base=DEFAULT_ROUGHNESS_BASE, contrast=DEFAULT_ROUGHNESS_CONTRAST
    )
    return {
        "NORMAL": normal_from_height(height, strength=normal_strength, wrap=wrap),
        "ROUGHNESS": _grey_as_rgb(roughness),
        "DISPLACEMENT": _grey_as_rgb(_to_uint8(height)),
    }


# ---------------------------------------------------------------------------------------------
# Steps


def _height_from_luminance(linear_luminance: np.ndarray, *, blur_radius: float, wrap: bool) -> np.ndarray:
    if not (math.isfinite(blur_radius) and blur_radius >= 0):
        raise ValueError(f"blur_radius must be a finite number >= 0, got {blur_radius}")
    blurred = _gaussian_blur(linear_luminance, blur_radius, wrap=wrap)
    return _normalise_robustly(blurred)


def _normalise_robustly(values: np.ndarray) -> np.ndarray:
    """``values`` stretched so their percentile range spans 0..1 around 0.5, clipped to 0..1."""
    low, high = (float(bound) for bound in np.percentile(values, HEIGHT_PERCENTILES, method="inverted_cdf"))
    centre = (low + high) / 2
    span = max(high - low, MIN_HEIGHT_SPAN)
    normalised = (values - np.float32(centre)) * np.float32(1 / span) + np.float32(0.5)
    return np.clip(normalised, 0.0, 1.0, out=normalised)


def _roughness_from_luminance(linear_luminance: np.ndarray, *, wrap: bool, base: float, contrast: float) -> np.ndarray:
    if not (math.isfinite(base) and math.isfinite(contrast)):
        raise ValueError(f"base and contrast must be finite, got {base} and {contrast}")
    lightness = _perceptual_lightness(linear_luminance)
    spread = _local_spread(lightness, DETAIL_RADIUS, wrap=wrap)
    darkness = 1 - 2 * lightness
    detail = 2 * np.minimum(spread * np.float32(1 / FULL_DETAIL_SPREAD), 1) - 1
    roughness = base + contrast * (DARKNESS_WEIGHT * darkness + DETAIL_WEIGHT * detail)
    return _to_uint8(np.clip(roughness, *ROUGHNESS_RANGE))


def _perceptual_lightness(linear_luminance: np.ndarray) -> np.ndarray:
    """CIE L* / 100 (0..1) of a relative luminance: equal steps look equally different."""
    return np.where(
        linear_luminance > (6 / 29) ** 3,
        np.cbrt(linear_luminance) * np.float32(1.16) - np.float32(0.16),
        linear_luminance * np.float32((29 / 3) ** 3 / 100),
    ).astype(np.float32)


def _local_spread(values: np.ndarray, radius: float, *, wrap: bool) -> np.ndarray:
    """Standard deviation of ``values`` in a Gaussian neighbourhood of each pixel."""
    mean = _gaussian_blur(values, radius, wrap=wrap)
    mean_of_squares = _gaussian_blur(values * values, radius, wrap=wrap)
    variance = np.maximum(mean_of_squares - mean * mean, 0, out=mean_of_squares)
    return np.sqrt(variance, out=variance)


def _encode_normals(slope_u: np.ndarray, slope_v: np.ndarray) -> np.ndarray:
    """Unit normals (slope_u, slope_v, 1) / length encoded as ``128 + 127 * n`` per component."""
    inverse_length = 1 / np.sqrt(slope_u * slope_u + slope_v * slope_v + 1)
    encoded = np.empty((*slope_u.shape, 3), dtype=np.uint8)
    for channel, component in enumerate((slope_u * inverse_length, slope_v * inverse_length, inverse_length)):
        encoded[:, :, channel] = np.rint(128 + 127 * component)
    return encoded


# ---------------------------------------------------------------------------------------------
# Neighbourhood operations: edges wrap (tiling) or extend


def _gaussian_blur(image: np.ndarray, sigma: float, *, wrap: bool) -> np.ndarray:
    """Separable Gaussian blur of a 2-D float32 image (sigma in pixels; 0 returns a copy)."""
    if sigma == 0:
        return image.copy()
    radius = max(1, math.ceil(3 * sigma))
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-(offsets**2) / (2 * sigma * sigma))
    kernel = (kernel / kernel.sum()).astype(np.float32)
    return _correlate(_correlate(image, kernel, axis=0, wrap=wrap), kernel, axis=1, wrap=wrap)


def _sobel(image: np.ndarray, *, axis: int, wrap: bool) -> np.ndarray:
    """Rise per pixel along ``axis`` (central difference, smoothed 1-2-1 across it): a ramp gives its slope."""
    difference = _correlate(image, np.array([-0.5, 0.0, 0.5], dtype=np.float32), axis=axis, wrap=wrap)
    return _correlate(difference, np.array([0.25, 0.5, 0.25], dtype=np.float32), axis=1 - axis, wrap=wrap)


def _correlate(image: np.ndarray, kernel: np.ndarray, *, axis: int, wrap: bool) -> np.ndarray:
    """``sum(kernel[k] * image[i + k - radius])`` along ``axis``; outside pixels by wrapping or edge copies.

    Taps at the same distance either side are paired (one multiply for both, as Gaussian and
    difference kernels are symmetric or antisymmetric). Every output pixel is computed from its
    own neighbours in the same order, so rolling a wrapped input rolls the output exactly.
    """
    radius = len(kernel) // 2
    padding = [(0, 0), (0, 0)]
    padding[axis] = (radius, radius)
    padded = np.pad(image, padding, mode="wrap" if wrap else "edge")
    length = image.shape[axis]

    def window(offset: int) -> np.ndarray:
        return padded[offset : offset + length] if axis == 0 else padded[:, offset : offset + length]

    result = window(radius) * kernel[radius]
    scratch = np.empty_like(result)
    for offset in range(radius):
        before, after = kernel[offset], kernel[-1 - offset]
        if before == after:
            np.add(window(offset), window(2 * radius - offset), out=scratch)
        elif before == -after:
            np.subtract(window(offset), window(2 * radius - offset), out=scratch)
        else:  # no symmetry: one multiply per tap
            np.multiply(window(2 * radius - offset), after, out=scratch)
            result += scratch
            np.copyto(scratch, window(offset))
        scratch *= before
        result += scratch
    return result


# ---------------------------------------------------------------------------------------------
# Small helpers


def _check_colour_image(rgb: np.ndarray) -> None:
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] not in (3, 4):
        shape = getattr(rgb, "shape", None)
        raise ValueError(f"expected an (H, W, 3 or 4) uint8 image, got {getattr(rgb, 'dtype', type(rgb))} {shape}")
    if rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise ValueError(f"image is empty: {rgb.shape}")


def _check_height(height: np.ndarray) -> np.ndarray:
    if not isinstance(height, np.ndarray) or height.ndim != 2 or height.size == 0:
        raise ValueError(f"expected a non-empty (H, W) height field, got shape {getattr(height, 'shape', None)}")
    return height.astype(np.float32, copy=False)


def _to_uint8(unit: np.ndarray) -> np.ndarray:
    """0..1 floats to 0..255 codes, rounded."""
    return np.rint(np.clip(unit, 0, 1) * 255).astype(np.uint8)


def _grey_as_rgb(grey: np.ndarray) -> np.ndarray:
    return np.repeat(grey[:, :, None], 3, axis=2)
