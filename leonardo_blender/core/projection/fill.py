"""Push-pull fill: give every texel nobody saw a colour that blends smoothly from the seen ones.

Unseen texels inside islands and all texels between islands are filled, so the texture has no black
halo around its islands and its mip-maps (which average across island borders) show no seams.
The method (Gortler et al. 1996): *pull* averages the known texels into ever coarser levels (2x2
confidence-weighted means, confidence capped at 1) until one texel is left; *push* goes back up,
filling each level's gaps with the bilinearly upsampled coarser level. Each level is a quarter of
the last, and upsampling is only evaluated at texels that need it (confidence below 1), so the cost is
about one pass over the image plus work proportional to the gaps. Arrays are channel-planar inside.
"""

from __future__ import annotations

import numpy as np


def push_pull_fill(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``(H, W, C)`` float32: ``values`` where ``weights > 0``, a smooth fill from those texels elsewhere.

    ``weights`` ``(H, W)``: > 0 marks a known texel, which keeps its value exactly; its weight (capped at
    1) is its say in the coarse averages. With no known texel at all the result is all zeros.
    """
    values = np.asarray(values, dtype=np.float32)
    weights = np.asarray(weights, dtype=np.float32)
    if values.ndim != 3 or weights.shape != values.shape[:2]:
        raise ValueError(f"values must be (H, W, C) and weights (H, W), got {values.shape} and {weights.shape}")
    planar = np.ascontiguousarray(np.moveaxis(values, 2, 0))
    return np.ascontiguousarray(np.moveaxis(push_pull_fill_planar(planar, weights), 0, 2))


def push_pull_fill_planar(planes: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """:func:`push_pull_fill` on channel-planar ``(C, H, W)`` float32 values; returns ``(C, H, W)``."""
    planes = np.asarray(planes, dtype=np.float32)
    weights = np.asarray(weights, dtype=np.float32)
    if planes.ndim != 3 or weights.shape != planes.shape[1:]:
        raise ValueError(f"planes must be (C, H, W) and weights (H, W), got {planes.shape} and {weights.shape}")
    known = weights > 0
    confidence = np.where(known, np.minimum(weights, np.float32(1)), np.float32(0))
    weighted = np.where(known, planes, np.float32(0)) * confidence
    result = planes.copy()
    fill_unknown_in_place(result, weighted, confidence)
    return result


def fill_unknown_in_place(planes: np.ndarray, weighted: np.ndarray, confidence: np.ndarray) -> None:
    """Overwrite the texels of ``planes`` ``(C, H, W)`` whose ``confidence`` is 0 with the push-pull fill.

    ``confidence`` ``(H, W)`` in 0..1; ``weighted`` is ``planes * confidence`` (zero where unknown). For
    a caller that has these already (known texels at confidence 1, unknown ones at 0 in ``planes``,
    so ``weighted`` can be ``planes`` itself), this skips :func:`push_pull_fill_planar`'s copies.
    """
    if not planes.flags.c_contiguous:
        raise ValueError("planes must be C-contiguous to be filled in place")
    unknown = np.flatnonzero(confidence.ravel() <= 0)
    if unknown.size == 0:
        return
    coarse = _fill_level(*_pull(weighted, confidence))
    channels, height, width = planes.shape
    flat = planes.reshape(channels, height * width)
    upsampled = _upsample_at(coarse, unknown, width)
    for channel in range(channels):
        flat[channel, unknown] = upsampled[channel]


def _fill_level(weighted: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """Filled values of one level from its confidence-weighted sums and confidence (recursive push-pull)."""
    means = weighted / np.where(confidence > 0, confidence, np.float32(1))
    height, width = confidence.shape
    if (height <= 1 and width <= 1) or confidence.min() >= 1.0:
        return means
    coarse = _fill_level(*_pull(weighted, confidence))
    # Blend where the confidence is below 1: means * confidence + upsampled * (1 - confidence).
    partial = np.flatnonzero(confidence < 1)
    upsampled = _upsample_at(coarse, partial, width)
    flat_means = means.reshape(means.shape[0], -1)
    flat_weighted = weighted.reshape(weighted.shape[0], -1)
    remaining = 1 - confidence.ravel()[partial]
    for channel in range(means.shape[0]):
        flat_means[channel, partial] = flat_weighted[channel, partial] + upsampled[channel] * remaining
    return means


def _pull(weighted: np.ndarray, confidence: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Half-size level: 2x2 sums of weighted values and confidence, rescaled so the confidence caps at 1.

    The coarse texel's value (sum / confidence) is the confidence-weighted mean of its four children.
    """
    height, width = confidence.shape
    if height % 2 or width % 2:
        pad = ((0, height % 2), (0, width % 2))
        weighted = np.pad(weighted, ((0, 0), *pad))
        confidence = np.pad(confidence, pad)
    total = confidence[0::2, 0::2] + confidence[1::2, 0::2]
    total += confidence[0::2, 1::2]
    total += confidence[1::2, 1::2]
    summed = weighted[:, 0::2, 0::2] + weighted[:, 1::2, 0::2]
    summed += weighted[:, 0::2, 1::2]
    summed += weighted[:, 1::2, 1::2]
    capped = np.minimum(total, np.float32(1))
    summed *= capped / np.where(total > 0, total, np.float32(1))
    return summed, capped


def _upsample_at(coarse: np.ndarray, flat_index: np.ndarray, width: int) -> np.ndarray:
    """``(C, K)`` bilinear 2x upsampling of planar ``coarse`` ``(C, h, w)`` at fine texels ``flat_index``.

    Fine texel ``2i`` along an axis lies at coarse coordinate ``i - 1/4``: 3/4 of coarse ``i`` and 1/4 of
    ``i - 1``; ``2i + 1`` takes 1/4 of ``i + 1``. Indices beyond the coarse edges are clamped.
    """
    channels, coarse_height, coarse_width = coarse.shape
    row, col = np.divmod(flat_index, width)
    near_row, near_col = row // 2, col // 2
    far_row = np.clip(near_row + (row % 2) * 2 - 1, 0, coarse_height - 1)
    far_col = np.clip(near_col + (col % 2) * 2 - 1, 0, coarse_width - 1)
    near_row = np.minimum(near_row, coarse_height - 1)
    near_col = np.minimum(near_col, coarse_width - 1)
    flat = coarse.reshape(channels, -1)
    taps = (
        (near_row * coarse_width + near_col, np.float32(9 / 16)),
        (near_row * coarse_width + far_col, np.float32(3 / 16)),
        (far_row * coarse_width + near_col, np.float32(3 / 16)),
        (far_row * coarse_width + far_col, np.float32(1 / 16)),
    )
    result = np.zeros((channels, flat_index.shape[0]), dtype=np.float32)
    for index, weight in taps:
        for channel in range(channels):
            result[channel] += np.take(flat[channel], index) * weight
    return result
