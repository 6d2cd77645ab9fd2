"""Which surface points a view really saw, and how much to trust each pixel of it.

Built once per view from its depth buffer (:func:`prepare_visibility`), then queried for many
points at once through one lookup grid indexed at pixel *corners*: the corner nearest to a point is
the centre of the 2x2 block of pixel centres enclosing it.

*Visibility*: a point is visible when its depth is at most the nearest depth of its 2x2 block plus a
tolerance. Taking the block's minimum lets a point between pixel centres on a silhouette still find
its own surface, and rejects a point next to an occluder's edge instead of painting it with the
occluder's colour. The tolerance is a small fraction of the depth range plus the local depth slope
(per pixel, the smaller of the two one-sided differences along each axis, so a step on one side
never counts as slope; capped at :data:`MAX_SLOPE_PIXELS`): surfaces seen at grazing angles, whose
depth changes fast from pixel to pixel, are not lost, and occluded ones are still rejected.

*Trust* (``fade``): near a silhouette, a depth step or the frame border generated images and depth
maps disagree most, so a pixel's weight ramps down over :func:`fade_radius` pixels towards
:data:`FADE_FLOOR` (not zero: a point only one view saw near its silhouette still gets that view's
colour). Where several views see a point, the seams between them become soft.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .views import ViewSpec

RELATIVE_DEPTH_TOLERANCE = 0.004  # of the view's depth range
PIXEL_DEPTH_TOLERANCE = 0.5  # pixels' worth of world distance
SLOPE_FACTOR = 1.5  # a point lies within one pixel of its 2x2 block's centres on each axis, plus margin
MAX_SLOPE_PIXELS = 16.0  # steepest depth slope trusted, in pixel widths per pixel (about 86 degrees)
DEPTH_STEP_PIXELS = 8.0  # for the fade: a jump over this many pixel widths (or 3% of the range) is a step
RELATIVE_DEPTH_STEP = 0.03
FADE_FLOOR = 0.05

NEAREST, TOLERANCE, FADE = 0, 1, 2  # channels of ViewVisibility.grid
BACKGROUND_DEPTH = np.float32(1e30)


@dataclass(frozen=True)
class ViewVisibility:
    """Lookup grid of one view, ``(size + 2) * (size + 1)`` pixel corners by 3 channels, float32.

    Channels: ``NEAREST`` depth of the corner's 2x2 pixels (``-inf`` where none is covered, so nothing
    there counts as seen), ``TOLERANCE`` allowed depth excess, ``FADE`` trust (mean of the 2x2 pixels).
    The extra last row is all ``-inf``: the index :meth:`corner_index` gives points outside the frame.
    """

    size: int
    grid: np.ndarray

    def corner_index(self, col: np.ndarray, row: np.ndarray) -> np.ndarray:
        """Flat grid index of the corner nearest to each point; outside the frame -> the ``-inf`` row."""
        size = self.size
        inside = (col >= 0) & (col < size) & (row >= 0) & (row < size)
        corner = (row + 0.5).astype(np.int32) * (size + 1) + (col + 0.5).astype(np.int32)
        return np.where(inside, corner, (size + 1) * (size + 1))

    def lookup(self, col: np.ndarray, row: np.ndarray, depth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(visible bool, fade float32)`` of points at continuous pixel coordinates and depths."""
        values = np.take(self.grid, self.corner_index(col, row), axis=0)
        return depth <= values[:, NEAREST] + values[:, TOLERANCE], values[:, FADE]


def fade_radius(size: int) -> int:
    """Width in pixels of the trust ramp at silhouettes, depth steps and the frame border."""
    return max(2, size // 64)


def prepare_visibility(view: ViewSpec, depth_buffer: np.ndarray) -> ViewVisibility:
    """Lookup grid for ``view`` from its ``(size, size)`` depth buffer (``+inf`` = background)."""
    size = view.size
    depth = np.asarray(depth_buffer, dtype=np.float32)
    if depth.shape != (size, size):
        raise ValueError(f"depth buffer must be ({size}, {size}) for view {view.name!r}, got {depth.shape}")
    pixel = view.pixel_world_size
    depth_range = max(view.far - view.near, pixel)
    step_limit = max(DEPTH_STEP_PIXELS * pixel, RELATIVE_DEPTH_STEP * depth_range)
    covered = np.isfinite(depth)
    finite_depth = np.where(covered, depth, BACKGROUND_DEPTH)  # a far plane: no inf - inf
    max_slope = MAX_SLOPE_PIXELS * pixel
    slope_x, smooth_x = _slope(finite_depth, 1, step_limit, max_slope)
    slope_y, smooth_y = _slope(finite_depth, 0, step_limit, max_slope)
    slope = np.where(covered, slope_x + slope_y, np.float32(0))
    trusted = covered & smooth_x & smooth_y
    fade = np.where(covered, FADE_FLOOR + (1.0 - FADE_FLOOR) * _ramp(trusted, fade_radius(size)), 0.0)
    base = RELATIVE_DEPTH_TOLERANCE * depth_range + PIXEL_DEPTH_TOLERANCE * pixel
    grid = np.empty((size + 2, size + 1, 3), dtype=np.float32)
    grid[: size + 1, :, NEAREST] = _corner_reduce(depth, np.minimum, np.inf)
    grid[: size + 1, :, TOLERANCE] = base + SLOPE_FACTOR * _corner_reduce(slope, np.maximum, 0.0)
    grid[: size + 1, :, FADE] = _corner_reduce(fade, np.add, 0.0) * 0.25
    grid[: size + 1, :, NEAREST][np.isinf(grid[: size + 1, :, NEAREST])] = -np.inf
    grid[size + 1] = (-np.inf, 0.0, 0.0)
    return ViewVisibility(size=size, grid=grid.reshape(-1, 3))


def _slope(depth: np.ndarray, axis: int, step_limit: float, max_slope: float) -> tuple[np.ndarray, np.ndarray]:
    """Per pixel along ``axis``: (depth slope per pixel, True where neither neighbour is a step away).

    The slope is the smaller of the two one-sided differences (so a single step beside a pixel does not
    count), capped at ``max_slope``; 0 where both neighbours are background or beyond the border.
    """
    difference = np.abs(np.diff(depth, axis=axis))
    border = np.full((1, depth.shape[1]) if axis == 0 else (depth.shape[0], 1), np.inf, dtype=np.float32)
    ahead = np.concatenate([difference, border], axis=axis)
    behind = np.concatenate([border, difference], axis=axis)
    smaller = np.minimum(ahead, behind)
    slope = np.where(smaller < BACKGROUND_DEPTH / 2, np.minimum(smaller, np.float32(max_slope)), np.float32(0))
    return slope, np.maximum(ahead, behind) <= step_limit


def _corner_reduce(grid: np.ndarray, reduce: np.ufunc, pad_value: float) -> np.ndarray:
    """``(H + 1, W + 1)`` float32: ``reduce`` over the (up to) four pixels touching each pixel corner."""
    padded = np.pad(grid.astype(np.float32), 1, constant_values=pad_value)
    rows = reduce(padded[:-1], padded[1:])
    return reduce(rows[:, :-1], rows[:, 1:])


def _ramp(trusted: np.ndarray, radius: int) -> np.ndarray:
    """float32 0..1: 0 at the edge of the trusted region, rising to 1 about ``radius`` pixels inside it.

    The share of trusted pixels in a ``(2 radius + 1)^2`` window (outside the frame counts as
    untrusted) is 1/2 on a straight edge and 1 deep inside; it is mapped linearly to 0..1. A wide
    ramp is computed at half resolution (a 2x2 block is trusted when all four pixels are): a quarter
    of the work for a smooth ramp that is at most a pixel narrower.
    """
    height, width = trusted.shape
    if radius >= 4 and height % 2 == 0 and width % 2 == 0:
        blocks = trusted[0::2, 0::2] & trusted[1::2, 0::2] & trusted[0::2, 1::2] & trusted[1::2, 1::2]
        coarse = _window_ramp(blocks, radius // 2)
        return np.where(trusted, np.repeat(np.repeat(coarse, 2, axis=0), 2, axis=1), np.float32(0))
    return _window_ramp(trusted, radius)


def _window_ramp(trusted: np.ndarray, radius: int) -> np.ndarray:
    """:func:`_ramp` at full resolution: box-filter counts from cumulative sums, separably."""
    window = 2 * radius + 1
    counts = trusted.astype(np.int32)
    for axis in (0, 1):
        padded = np.pad(counts, [(radius + 1, radius) if a == axis else (0, 0) for a in range(2)])
        cumulative = np.cumsum(padded, axis=axis, dtype=np.int32)
        length = counts.shape[axis]
        ahead = cumulative[window : window + length] if axis == 0 else cumulative[:, window : window + length]
        behind = cumulative[:length] if axis == 0 else cumulative[:, :length]
        counts = ahead - behind
    share = counts.astype(np.float32) * np.float32(1.0 / (window * window))
    return np.where(trusted, np.clip(2.0 * share - 1.0, 0.0, 1.0), np.float32(0)).astype(np.float32)
