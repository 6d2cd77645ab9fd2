"""Emulator content: the position code of depth-guided images, without a server."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from leonardo_blender.emulator import controlnet_code_blue, position_code
from leonardo_blender.emulator.content.controlnet_images import (
    BACKGROUND,
    depth_guided_image,
    depth_mask,
    position_code_rgb,
)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_blue_is_stable_in_range_and_differs_between_prompts():
    prompts = [f"bronze statue, view {index}" for index in range(200)]
    blues = [controlnet_code_blue(prompt) for prompt in prompts]
    assert all(40 <= blue <= 215 for blue in blues)
    assert blues == [controlnet_code_blue(prompt) for prompt in prompts]
    assert len(set(blues)) > 100


def test_position_code_formula():
    blue = controlnet_code_blue("p")
    assert position_code(0, 0, 4, 2, "p") == (round(255 * 0.5 / 4), round(255 * (1 - 0.5 / 2)), blue)
    assert position_code(3, 1, 4, 2, "p") == (round(255 * 3.5 / 4), round(255 * (1 - 1.5 / 2)), blue)
    rgb = position_code_rgb(np.ones((2, 4), dtype=bool), "p")
    for row in range(2):
        for col in range(4):
            assert tuple(rgb[row, col]) == position_code(col, row, 4, 2, "p")
    assert tuple(position_code_rgb(np.zeros((2, 4), dtype=bool), "p")[1, 2]) == BACKGROUND


@pytest.mark.parametrize(
    "image",
    [
        Image.fromarray(np.array([[0, 9], [255, 0]], dtype=np.uint8), "L"),
        Image.fromarray(np.array([[[0, 0, 0], [0, 0, 9]], [[255, 255, 255], [0, 0, 0]]], dtype=np.uint8), "RGB"),
        Image.fromarray(np.array([[0, 300], [65535, 0]], dtype=np.uint16)),
        Image.fromarray(
            np.array([[[0, 0, 0, 255], [9, 9, 9, 255]], [[255, 255, 255, 255], [200, 200, 200, 0]]], dtype=np.uint8),
            "RGBA",
        ),
    ],
    ids=["grey", "rgb", "16-bit", "rgba-transparent-is-background"],
)
def test_depth_mask_modes(image):
    assert depth_mask(_png(image), 2, 2).tolist() == [[False, True], [True, False]]
    assert depth_mask(_png(image), 4, 4).tolist() == [
        [False, False, True, True],
        [False, False, True, True],
        [True, True, False, False],
        [True, True, False, False],
    ]


def test_depth_guided_image_is_a_high_quality_jpeg():
    depth = _png(Image.new("L", (16, 16), 128))
    data = depth_guided_image(depth, 24, 24, "p")
    with Image.open(io.BytesIO(data)) as picture:
        assert picture.format == "JPEG" and picture.size == (24, 24)
        assert picture.layer == [(1, 1, 1, 0), (2, 1, 1, 1), (3, 1, 1, 1)]  # 4:4:4, no chroma subsampling


def test_undecodable_depth_image():
    with pytest.raises(ValueError):
        depth_mask(b"not an image", 8, 8)
