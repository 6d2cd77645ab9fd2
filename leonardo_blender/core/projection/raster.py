"""Vectorised triangle rasteriser: which pixel centres each 2D triangle covers, with barycentrics.

Used twice by the projection engine: for depth maps (triangles projected into a view, z-buffered)
and for UV space (the texels of the bake). The output is sparse, one *fragment* per covered
(pixel, triangle) pair, because both users only care about covered pixels.

How it works: vertices are snapped to a 1/256-pixel fixed-point grid, so every edge function is an
integer, computed exactly (in int64, then float64, which is exact below 2**53). For each (triangle,
pixel row) pair the covered columns form one span, found exactly with one division per edge (the
floor of a correctly rounded quotient of such integers is the exact floor); the spans are then
expanded into fragments. No Python loop runs over triangles or pixels, and the work is proportional to the rows
and pixels actually covered, not to bounding boxes. A tie-break ("top-left") rule gives a pixel
centre lying exactly on an edge shared by two triangles to exactly one of them: no cracks, no
double coverage. Interpolated values (barycentrics by default, or any per-corner attributes such as
depth or position) are affine in the pixel coordinates: their plane is solved once per triangle over
the snapped corners (so a covered centre is never outside the triangle the values belong to; the
corners moved by at most 1/512 pixel), evaluated once per span, and stepped per pixel in float32.

Coordinates are continuous pixels: ``x`` grows with the column, ``y`` with the row (row 0 at the
top), and the centre of pixel ``(col, row)`` is ``(col + 0.5, row + 0.5)``. Triangles with
non-finite vertices, a vertex farther than :data:`MAX_COORDINATE` pixels from the origin, or zero
area are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SUBPIXEL_BITS = 8
SUBPIXEL = 1 << SUBPIXEL_BITS  # fixed-point steps per pixel
MAX_COORDINATE = float(1 << 16)  # pixels; keeps every edge function an integer below 2**53 (exact in float64)
BATCH_ROWS = 1 << 19  # (triangle, row) spans solved per numpy batch; bounds temporary memory


@dataclass(frozen=True)
class Fragments:
    """Covered pixel centres of a rasterisation, one entry per (pixel, triangle) pair.

    ``pixel`` ``(N,)`` int64 flat index ``row * width + col``; ``triangle`` ``(N,)`` int32 index into the
    input triangles; ``values`` ``(N, C)`` float32 per-corner values interpolated at the pixel centre:
    the barycentric weights of the three corners (``C = 3``, summing to 1) unless the caller passed
    its own ``corner_values``. A pixel appears more than once only where triangles overlap.
    """

    width: int
    height: int
    pixel: np.ndarray
    triangle: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return int(self.pixel.shape[0])

    def subset(self, keep: np.ndarray) -> Fragments:
        """The fragments selected by a boolean mask or index array."""
        return Fragments(self.width, self.height, self.pixel[keep], self.triangle[keep], self.values[keep])

    def to_dense(self) -> tuple[np.ndarray, np.ndarray]:
        """``(triangle (H, W) int32, -1 where empty; values (H, W, C) float32)``, for one fragment per pixel."""
        triangle = np.full(self.width * self.height, -1, dtype=np.int32)
        values = np.zeros((self.width * self.height, self.values.shape[1]), dtype=np.float32)
        triangle[self.pixel] = self.triangle
        values[self.pixel] = self.values
        return triangle.reshape(self.height, self.width), values.reshape(self.height, self.width, -1)


def rasterize(tri_xy: np.ndarray, width: int, height: int, corner_values: np.ndarray | None = None) -> Fragments:
    """All fragments of ``(T, 3, 2)`` pixel-space triangles in a ``width x height`` image.

    ``corner_values`` ``(T, 3)`` or ``(T, 3, C)``: values to interpolate (``Fragments.values``); the
    default gives barycentrics. Fragments come in triangle order. Overlapping triangles all produce
    fragments; resolve them with :func:`keep_last` or :func:`keep_nearest`.
    """
    tri_xy = np.asarray(tri_xy, dtype=np.float64).reshape(-1, 3, 2)
    if corner_values is None:
        corner_values = np.broadcast_to(np.eye(3), (tri_xy.shape[0], 3, 3))
    corner_values = np.asarray(corner_values)
    if corner_values.ndim == 2:
        corner_values = corner_values[:, :, None]
    if corner_values.shape[:2] != (tri_xy.shape[0], 3):
        raise ValueError(f"corner_values must have shape (T, 3) or (T, 3, C) with T = {tri_xy.shape[0]}")
    setup = _TriangleSetup.build(tri_xy, width, height, corner_values)
    rows_per_triangle = setup.row1 - setup.row0 + 1
    ends = np.cumsum(rows_per_triangle)
    pieces = []
    start = 0
    while start < setup.ids.size:
        limit = ends[start] - rows_per_triangle[start] + BATCH_ROWS
        stop = max(start + 1, int(np.searchsorted(ends, limit, "right")))
        pieces.append(setup.spans(np.arange(start, stop), width))
        start = stop
    if not pieces:
        empty_values = np.zeros((0, corner_values.shape[2]), np.float32)
        return Fragments(width, height, np.zeros(0, np.int64), np.zeros(0, np.int32), empty_values)
    pixel, triangle, values = (np.concatenate(parts) for parts in zip(*pieces, strict=True))
    return Fragments(width, height, pixel, triangle, values)


def keep_last(fragments: Fragments) -> Fragments:
    """One fragment per pixel: where triangles overlap, the one with the highest index wins."""
    if len(fragments) == 0 or np.bincount(fragments.pixel).max() <= 1:
        return fragments
    winner = np.full(fragments.width * fragments.height, -1, dtype=np.int32)
    np.maximum.at(winner, fragments.pixel, fragments.triangle)
    return fragments.subset(winner[fragments.pixel] == fragments.triangle)


def keep_nearest(fragments: Fragments, depth: np.ndarray) -> Fragments:
    """Z-buffer: per pixel the fragment with the smallest ``depth`` ``(N,)`` (e.g. ``values[:, 0]``).

    Of fragments tied in depth, one is kept.
    """
    nearest = np.full(fragments.width * fragments.height, np.inf, dtype=depth.dtype)
    np.minimum.at(nearest, fragments.pixel, depth)
    candidates = np.flatnonzero(depth <= nearest[fragments.pixel])
    chosen = np.full(fragments.width * fragments.height, -1, dtype=np.int64)
    chosen[fragments.pixel[candidates]] = candidates  # whichever tied write lands, all agree on it below
    return fragments.subset(candidates[chosen[fragments.pixel[candidates]] == candidates])


def nearest_depth(tri_xy: np.ndarray, tri_depth: np.ndarray, width: int, height: int) -> np.ndarray:
    """``(height, width)`` float32 depth of the nearest surface at each pixel centre, ``+inf`` where empty.

    ``tri_depth`` ``(T, 3)`` is the depth of each corner; depth is interpolated linearly in pixel space
    (exact for orthographic views).
    """
    tri_depth = np.asarray(tri_depth, dtype=np.float32)
    fragments = rasterize(tri_xy, width, height, tri_depth)
    # A sliver's steep plane can overshoot in float32: keep each depth within its triangle's range.
    corners = tri_depth.T
    lowest = np.minimum(np.minimum(corners[0], corners[1]), corners[2])
    highest = np.maximum(np.maximum(corners[0], corners[1]), corners[2])
    depth = np.maximum(fragments.values[:, 0], np.take(lowest, fragments.triangle))
    np.minimum(depth, np.take(highest, fragments.triangle), out=depth)
    nearest = np.full(width * height, np.inf, dtype=np.float32)
    np.minimum.at(nearest, fragments.pixel, depth)
    return nearest.reshape(height, width)


@dataclass(frozen=True)
class _TriangleSetup:
    """Per-triangle data of the coverage test, for the triangles whose box holds a pixel centre."""

    ids: np.ndarray  # (K,) int64 index of each triangle in the input
    col0: np.ndarray  # (K,) int64 pixel box, inclusive, clipped to the image
    col1: np.ndarray
    row0: np.ndarray
    row1: np.ndarray
    edge_origin: np.ndarray  # (3, K) float64 (exact integers) biased edge functions at pixel (0, 0)
    edge_row_step: np.ndarray  # (3, K) float64 (exact integers) change per row
    edge_divisor: np.ndarray  # (3, K) float64 |change per column|, or a tiny number for horizontal edges
    edge_is_lower: np.ndarray  # (3, K) bool: the edge bounds columns from below (change per column >= 0)
    centroid: np.ndarray  # (2, K) float64 x, y of each triangle's centroid
    value_at_centroid: np.ndarray  # (K, C) float32 interpolated values there (small magnitudes: accurate)
    value_col_step: np.ndarray  # (K, C) float32 change per column
    value_row_step: np.ndarray  # (K, C) float32 change per row

    @classmethod
    def build(cls, tri_xy: np.ndarray, width: int, height: int, corner_values: np.ndarray) -> _TriangleSetup:
        xs = np.ascontiguousarray(tri_xy[:, :, 0].T)  # (3, T): corner-major, so per-corner rows are contiguous
        ys = np.ascontiguousarray(tri_xy[:, :, 1].T)
        usable = np.ones(xs.shape[1], dtype=bool)
        for coordinates in (xs, ys):
            for corner in coordinates:
                usable &= np.abs(corner) <= MAX_COORDINATE  # False for NaN and inf too
        if not usable.all():
            xs, ys = np.where(usable, xs, 0.0), np.where(usable, ys, 0.0)
        x = np.rint(xs * SUBPIXEL).astype(np.int64)
        y = np.rint(ys * SUBPIXEL).astype(np.int64)
        area = (x[1] - x[0]) * (y[2] - y[0]) - (y[1] - y[0]) * (x[2] - x[0])
        half = SUBPIXEL // 2
        col0 = np.maximum(-((half - np.minimum(np.minimum(x[0], x[1]), x[2])) >> SUBPIXEL_BITS), 0)  # ceil
        row0 = np.maximum(-((half - np.minimum(np.minimum(y[0], y[1]), y[2])) >> SUBPIXEL_BITS), 0)
        col1 = np.minimum((np.maximum(np.maximum(x[0], x[1]), x[2]) - half) >> SUBPIXEL_BITS, width - 1)
        row1 = np.minimum((np.maximum(np.maximum(y[0], y[1]), y[2]) - half) >> SUBPIXEL_BITS, height - 1)
        ids = np.flatnonzero(usable & (area != 0) & (col1 >= col0) & (row1 >= row0))
        x, y = x[:, ids], y[:, ids]
        # Values are interpolated over the snapped triangle, so a covered centre is never outside it.
        at_centroid, col_step, row_step = _value_planes(x / SUBPIXEL, y / SUBPIXEL, np.take(corner_values, ids, axis=0))
        centroid = np.stack([(x[0] + x[1] + x[2]) / (3 * SUBPIXEL), (y[0] + y[1] + y[2]) / (3 * SUBPIXEL)])
        flip = area[ids] < 0  # orient every triangle one way round by swapping corners 1 and 2
        x = np.stack([x[0], np.where(flip, x[2], x[1]), np.where(flip, x[1], x[2])])
        y = np.stack([y[0], np.where(flip, y[2], y[1]), np.where(flip, y[1], y[2])])
        dx = x[[1, 2, 0]] - x  # edge k runs from corner k to corner k + 1
        dy = y[[1, 2, 0]] - y
        inclusive = (dy < 0) | ((dy == 0) & (dx > 0))  # of two twin edges exactly one owns the centres on it
        # Inside: E(p) = dx * (py - y) - dy * (px - x) > 0, or = 0 on an inclusive edge; i.e. E + bias >= 0.
        edge_origin = dx * (half - y) - dy * (half - x) - (~inclusive)
        return cls(
            ids=ids,
            col0=col0[ids],
            col1=col1[ids],
            row0=row0[ids],
            row1=row1[ids],
            edge_origin=edge_origin.astype(np.float64),
            edge_row_step=(dx * SUBPIXEL).astype(np.float64),
            # A horizontal edge (step 0) acts as a lower bound with a tiny step: value >= 0 gives a
            # bound of -inf or 0 (no constraint), value < 0 one of +inf (the row is outside).
            edge_divisor=np.where(dy == 0, 1e-300, np.abs(dy * SUBPIXEL).astype(np.float64)),
            edge_is_lower=dy <= 0,
            centroid=centroid,
            value_at_centroid=at_centroid,
            value_col_step=col_step,
            value_row_step=row_step,
        )

    def spans(self, members: np.ndarray, image_width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fragments ``(pixel, triangle, values)`` of the triangles ``members`` (indices into this setup)."""
        heights = self.row1[members] - self.row0[members] + 1
        owner = np.repeat(members, heights)  # one entry per (triangle, row)
        row = np.arange(owner.size) - np.repeat(np.cumsum(heights) - heights - self.row0[members], heights)
        # Edge functions at column 0 of each row (exact: integers below 2**53), then the column bound of
        # each edge: floor(value / |step|) is exact too, as a correctly rounded quotient of such integers.
        value = np.take(self.edge_origin, owner, axis=1)
        value += row.astype(np.float64) * np.take(self.edge_row_step, owner, axis=1)
        with np.errstate(over="ignore"):  # horizontal edges: +-inf on purpose
            value /= np.take(self.edge_divisor, owner, axis=1)
        bound = np.floor(value, out=value)
        is_lower = np.take(self.edge_is_lower, owner, axis=1)
        lower = np.where(is_lower, -bound, -np.inf).max(axis=0)  # col >= -floor(value / step) for step >= 0
        upper = np.where(is_lower, np.inf, bound).min(axis=0)  # col <= floor(value / -step) for step < 0
        first = np.maximum(lower, np.take(self.col0, owner))
        lengths = np.minimum(upper, np.take(self.col1, owner)) - first + 1
        covered = np.flatnonzero(lengths > 0)
        owner, row = owner[covered], row[covered]
        first, lengths = first[covered].astype(np.int64), lengths[covered].astype(np.int64)
        span = np.repeat(np.arange(owner.size), lengths)
        offset = np.arange(span.size) - np.take(np.cumsum(lengths) - lengths, span)
        pixel = np.take(row * image_width + first, span)
        pixel += offset
        # Values at each span's first pixel, from the centroid: all terms stay within the triangle's range.
        col_step = np.take(self.value_col_step, owner, axis=0)
        first_value = np.take(self.value_at_centroid, owner, axis=0)
        from_centroid_x = (first + 0.5 - np.take(self.centroid[0], owner)).astype(np.float32)
        from_centroid_y = (row + 0.5 - np.take(self.centroid[1], owner)).astype(np.float32)
        first_value += col_step * from_centroid_x[:, None]
        first_value += np.take(self.value_row_step, owner, axis=0) * from_centroid_y[:, None]
        values = np.take(col_step, span, axis=0)
        values *= offset.astype(np.float32)[:, None]
        values += np.take(first_value, span, axis=0)
        return pixel, np.take(self.ids.astype(np.int32), np.take(owner, span)), values


def _value_planes(
    xs: np.ndarray, ys: np.ndarray, corner_values: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Affine planes of per-corner values over pixel space: float32 ``(value at the centroid, d/dx, d/dy)``.

    ``xs``, ``ys`` ``(3, K)`` float64 corner coordinates (in corner order); ``corner_values`` ``(K, 3, C)``;
    results ``(K, C)``. The triangle's 2x2 inverse is solved in float64, the per-channel products in float32. At the
    centroid the plane's value is the corners' mean. A zero-area triangle (the rasteriser never keeps
    one) would get a constant plane.
    """
    values = np.asarray(corner_values, dtype=np.float32)
    e1x, e1y = xs[1] - xs[0], ys[1] - ys[0]
    e2x, e2y = xs[2] - xs[0], ys[2] - ys[0]
    determinant = e1x * e2y - e1y * e2x
    inverse = 1.0 / np.where(determinant == 0, np.inf, determinant)  # 0 for degenerate triangles
    # (b1, b2) = M @ (p - corner0) with M = [[e2y, -e2x], [-e1y, e1x]] / det
    delta1 = values[:, 1] - values[:, 0]  # (K, C)
    delta2 = values[:, 2] - values[:, 0]
    gradient_x = (e2y * inverse).astype(np.float32)[:, None] * delta1
    gradient_x -= (e1y * inverse).astype(np.float32)[:, None] * delta2
    gradient_y = (e1x * inverse).astype(np.float32)[:, None] * delta2
    gradient_y -= (e2x * inverse).astype(np.float32)[:, None] * delta1
    at_centroid = (values[:, 0] + values[:, 1] + values[:, 2]) * np.float32(1 / 3)
    return at_centroid, gradient_x, gradient_y
