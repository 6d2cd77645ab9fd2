"""Bake generated views into the mesh's UV map: back-project, test visibility, blend, fill.

For every covered texel of the bake (:class:`~.surface.UvSurface`) and every view: project the
texel's world position into the view; keep it if it lies inside the frame, faces the camera and is
not hidden (:mod:`.visibility`); weigh it by ``max(0, dot(normal, direction)) ** sharpness`` times the
view's trust at that pixel (a fade near silhouettes, depth steps and the frame border, so seams
between views are soft); and add the image colour there (bilinear) to a weighted sum. The albedo
is the weighted mean where some view saw the texel, and a push-pull fill (:mod:`.fill`) everywhere
else, including all texels outside the UV islands.
"""

from __future__ import annotations

import numpy as np

from .fill import fill_unknown_in_place
from .sampling import pack_rgb, sample_bilinear
from .surface import UvSurface
from .views import ViewSpec
from .visibility import prepare_visibility

MIN_FACING = 0.05  # cosine below which a view sees a texel too obliquely to use it (about 87 degrees)
UNSEEN_COLOR = 128.0  # grey of a bake no view saw at all
CHUNK_TEXELS = 1 << 16  # texels processed per numpy batch: keeps temporaries in cache


class ProjectionBaker:
    """Accumulates views into a UV-space colour bake; one instance per job (not thread-safe)."""

    def __init__(self, surface: UvSurface, *, sharpness: float = 4.0) -> None:
        if not (np.isfinite(sharpness) and sharpness >= 0):
            raise ValueError(f"sharpness must be a non-negative number, got {sharpness}")
        self.surface = surface
        self.sharpness = float(sharpness)
        self._sums = np.zeros((4, surface.texel_count), dtype=np.float32)  # weighted R, G, B; total weight

    def add_view(self, view: ViewSpec, depth_buffer: np.ndarray, image: np.ndarray) -> float:
        """Project ``image`` (the view's generated picture) onto the texels; return the share of texels it saw.

        ``depth_buffer`` is the view's ``(size, size)`` buffer from :func:`~.depth.render_depth`.
        ``image`` is ``(H, W, 3)`` or ``(H, W, 4)`` uint8 as served (alpha is ignored); it need not be
        ``view.size`` square: view pixel coordinates are scaled by ``W / size`` and ``H / size``.
        """
        packed = pack_rgb(_check_image(image))
        visibility = prepare_visibility(view, depth_buffer)
        height, width = packed.height, packed.width
        scale_x, scale_y = np.float32(width / view.size), np.float32(height / view.size)
        direction = np.asarray(view.direction, dtype=np.float32)
        seen = 0
        for start in range(0, self.surface.texel_count, CHUNK_TEXELS):
            chunk = slice(start, start + CHUNK_TEXELS)
            facing = self.surface.normals[chunk] @ direction
            local = np.flatnonzero(facing > MIN_FACING)
            col, row, depth = view.project(np.take(self.surface.positions[chunk], local, axis=0))
            visible, fade = visibility.lookup(col, row, depth)
            keep = np.flatnonzero(visible)
            texels = local[keep]
            weight = _power(np.take(facing, texels), self.sharpness) * np.take(fade, keep)
            colors = sample_bilinear(packed, np.take(col, keep) * scale_x, np.take(row, keep) * scale_y, weight)
            texels += start
            for channel in range(3):
                self._sums[channel][texels] += colors[channel]
            self._sums[3][texels] += weight
            seen += keep.size
        return seen / max(self.surface.texel_count, 1)

    def texel_weights(self) -> np.ndarray:
        """``(N,)`` float32 total blend weight of each covered texel of the surface; 0 where no view saw it."""
        return self._sums[3].copy()

    def seen_fraction(self) -> float:
        """Share of the covered texels that at least one added view saw."""
        return float(np.count_nonzero(self._sums[3] > 0)) / max(self.surface.texel_count, 1)

    def albedo(self) -> np.ndarray:
        """``(size, size, 3)`` uint8 bake: blended colours, unseen and empty texels filled (row 0 = v 1)."""
        size = self.surface.size
        if not (self._sums[3] > 0).any():
            return np.full((size, size, 3), UNSEEN_COLOR, dtype=np.uint8)
        weights = self._sums[3]
        inverse_weight = 1 / np.where(weights > 0, weights, np.float32(1))  # unseen texels: sums are 0
        planes = np.zeros((3, size * size), dtype=np.float32)
        for channel in range(3):
            planes[channel, self.surface.texel_index] = self._sums[channel] * inverse_weight
        known = np.zeros(size * size, dtype=np.float32)
        known[self.surface.texel_index] = weights > 0
        planes = planes.reshape(3, size, size)
        fill_unknown_in_place(planes, planes, known.reshape(size, size))  # planes are 0 where unknown
        np.rint(planes, out=planes)  # weighted means and fills of 0..255 values: already in range
        return np.ascontiguousarray(planes.astype(np.uint8).transpose(1, 2, 0))


def _check_image(image: np.ndarray) -> np.ndarray:
    """The RGB channels of a served image; ``ValueError`` unless it is ``(H, W, 3 or 4)`` uint8."""
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (3, 4) or min(image.shape[:2]) < 1:
        raise ValueError(f"image must be (H, W, 3) or (H, W, 4) uint8, got {image.shape} {image.dtype}")
    return image[:, :, :3]


def _power(base: np.ndarray, exponent: float) -> np.ndarray:
    """``base ** exponent`` (base >= 0), by repeated squaring when the exponent is a small whole number."""
    if exponent != int(exponent) or not 0 <= exponent <= 64:
        return np.power(base, np.float32(exponent))
    result = np.ones_like(base)
    factor = base.copy()
    whole = int(exponent)
    while whole:
        if whole & 1:
            result *= factor
        whole >>= 1
        if whole:
            factor *= factor
    return result
