"""Alias of :mod:`.content.palette`, kept because ``tests/blender/test_texturing.py`` imports
``leonardo_blender.emulator.palette``. New code imports ``leonardo_blender.emulator.content.palette``
(or ``nearest_side`` from the package itself)."""

from __future__ import annotations

from .content.palette import (
    SIDE_COLORS,
    SIDE_ROUGHNESS,
    SIDES,
    UNTEXTURED,
    UNTEXTURED_COLOR,
    UNTEXTURED_ROUGHNESS,
    nearest_side,
)

__all__ = [
    "SIDES",
    "SIDE_COLORS",
    "SIDE_ROUGHNESS",
    "UNTEXTURED",
    "UNTEXTURED_COLOR",
    "UNTEXTURED_ROUGHNESS",
    "nearest_side",
]
