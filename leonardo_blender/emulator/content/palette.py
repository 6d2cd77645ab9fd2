"""Side colours and roughness values that the emulator paints onto textured meshes.

The local Leonardo emulator does not generate "real" textures. Instead it paints every side of the
mesh (front, back, left, right, top, bottom, as defined by ``front_rotation_offset``) with one strongly
distinct colour. A render made in Blender can then be checked pixel by pixel with :func:`nearest_side`,
which proves that upload, orientation, UV layout, image download and material wiring all agree.

:func:`nearest_side` compares hue (a brightness-independent chromaticity measure), so it copes with
shading and lighting. It does *not* cope with hue-shifting view transforms: render with Blender's
``Standard`` view transform, not ``AgX``/``Filmic``.
"""

from __future__ import annotations

import colorsys
import math

SIDES: tuple[str, ...] = ("front", "back", "left", "right", "top", "bottom")

SIDE_COLORS: dict[str, tuple[int, int, int]] = {
    "front": (230, 40, 40),  # red
    "back": (40, 80, 230),  # blue
    "left": (240, 210, 40),  # yellow
    "right": (40, 190, 60),  # green
    "top": (235, 235, 235),  # white
    "bottom": (200, 40, 200),  # magenta
}

UNTEXTURED_COLOR: tuple[int, int, int] = (128, 128, 128)
"""Colour of the sides a preview did not texture."""

UNTEXTURED = "untextured"
"""Label :func:`nearest_side` returns for :data:`UNTEXTURED_COLOR` (and other mid greys)."""

SIDE_ROUGHNESS: dict[str, float] = {
    "front": 0.20,
    "back": 0.30,
    "left": 0.40,
    "right": 0.60,  # 0.50 is UNTEXTURED_ROUGHNESS; all values are at least 0.1 apart
    "top": 0.70,
    "bottom": 0.85,
}

UNTEXTURED_ROUGHNESS = 0.5
"""Roughness of untextured (preview) areas; deliberately different from every side's value."""

MIN_CHROMA_SATURATION = 0.3
"""HSV saturation below which a colour counts as neutral (white top, grey untextured or background)."""

MAX_HUE_DISTANCE_DEG = 30.0
"""A chromatic colour further than this from every side's hue matches no side."""

WHITE_MIN_VALUE = 0.72
"""Neutral colours at least this bright (HSV value, 0..1) are the white top side."""

GREY_MIN_VALUE = 0.25
"""Neutral colours between this and :data:`WHITE_MIN_VALUE` are untextured grey; darker ones match nothing."""

MIN_VALUE = 0.06
"""Colours darker than this (HSV value) are too dark to classify at all."""


def _to_unit_rgb(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    """Return ``rgb`` as 0..1 floats; values above 1 mean the caller passed 0..255."""
    r, g, b = (float(c) for c in rgb)
    if not all(math.isfinite(c) for c in (r, g, b)):
        raise ValueError(f"colour components must be finite, got {rgb!r}")
    if max(r, g, b) > 1.0:
        r, g, b = r / 255.0, g / 255.0, b / 255.0
    return (min(max(r, 0.0), 1.0), min(max(g, 0.0), 1.0), min(max(b, 0.0), 1.0))


def _hue_distance_deg(h1: float, h2: float) -> float:
    """Angular distance between two hues given as 0..1 fractions of the colour wheel, in degrees."""
    d = abs(h1 - h2) % 1.0
    return min(d, 1.0 - d) * 360.0


def _chromatic_side_hues() -> dict[str, float]:
    """HSV hue of every side colour that is not neutral (all but the white top)."""
    hues: dict[str, float] = {}
    for side, color in SIDE_COLORS.items():
        h, s, _ = colorsys.rgb_to_hsv(*(c / 255.0 for c in color))
        if s >= MIN_CHROMA_SATURATION:
            hues[side] = h
    return hues


_SIDE_HUES = _chromatic_side_hues()


def _classify_neutral(value: float) -> str | None:
    """Classify a low-chroma colour by brightness: white top, untextured grey, or nothing."""
    if value >= WHITE_MIN_VALUE:
        return "top"
    if value >= GREY_MIN_VALUE:
        return UNTEXTURED
    return None


def nearest_side(rgb: tuple[float, float, float]) -> str | None:
    """Return the side whose colour best explains ``rgb``, ``"untextured"``, or ``None``.

    ``rgb`` is sRGB, either 0..1 floats or 0..255 values (any component above 1 selects 0..255).
    Saturated colours are matched by hue only, so a shaded (darker) or lit (brighter) face still maps to
    its side. Neutral colours are split by brightness, which is the only thing that separates the white
    top from the untextured grey: a strongly shadowed top face (value below 0.72) reads as untextured.
    ``None`` means nothing is close: a hue between two side hues, or a colour too dark to judge.
    """
    h, s, v = colorsys.rgb_to_hsv(*_to_unit_rgb(rgb))
    if v < MIN_VALUE:
        return None
    if s < MIN_CHROMA_SATURATION:
        return _classify_neutral(v)
    side, distance = min(
        ((name, _hue_distance_deg(h, hue)) for name, hue in _SIDE_HUES.items()), key=lambda item: item[1]
    )
    return side if distance <= MAX_HUE_DISTANCE_DEG else None
