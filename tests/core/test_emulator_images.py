"""Tests for the emulator's procedural images, variations, fault helpers and side-colour reader (no bpy)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from leonardo_blender.emulator.content.images import (
    corrupt,
    generation_image,
    is_image,
    remove_background,
    seam_error,
    unzoom,
    upscale,
)
from leonardo_blender.emulator.content.images import (
    image_format as format_of,
)
from leonardo_blender.emulator.content.palette import (
    SIDE_COLORS,
    SIDE_ROUGHNESS,
    SIDES,
    UNTEXTURED_COLOR,
    UNTEXTURED_ROUGHNESS,
    nearest_side,
)
from leonardo_blender.emulator.content.texture_maps import BACKGROUND_COLOR


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def jpeg_of(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8), "RGB").save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def rolled(data: bytes, dx: int, dy: int) -> bytes:
    """The image shifted cyclically: a tileable image stays seamless, its old edges move inside."""
    return jpeg_of(np.roll(np.asarray(decode(data).convert("RGB")), (dy, dx), axis=(0, 1)))


# --- generations ------------------------------------------------------------------------------------


def test_generation_is_a_jpeg_of_the_requested_size() -> None:
    image = decode(generation_image("mossy stone wall", 7, 320, 192, tiling=False))
    assert image.format == "JPEG"
    assert image.size == (320, 192)
    assert image.mode == "RGB"


def test_generation_is_deterministic_in_prompt_and_seed() -> None:
    first = generation_image("rusty metal", 1, 128, 128, tiling=True)
    assert first == generation_image("rusty metal", 1, 128, 128, tiling=True)
    assert first != generation_image("rusty metal", 2, 128, 128, tiling=True)
    assert first != generation_image("rusty metall", 1, 128, 128, tiling=True)


def test_colour_words_steer_the_palette() -> None:
    def mean_rgb(prompt: str) -> np.ndarray:
        pixels = np.asarray(decode(generation_image(prompt, 3, 128, 128, tiling=True)), dtype=float)
        return pixels.reshape(-1, 3).mean(axis=0)

    red, blue = mean_rgb("red brick"), mean_rgb("blue tiles")
    assert red[0] > red[2] + 40
    assert blue[2] > blue[0] + 40


@pytest.mark.parametrize("seed", [0, 1, 42])
def test_tiling_images_are_seamless_and_others_are_not(seed: int) -> None:
    tiling = generation_image("marble", seed, 256, 256, tiling=True)
    plain = generation_image("marble", seed, 256, 256, tiling=False)
    assert seam_error(tiling) < 1.5
    assert seam_error(plain) > 5.0
    # Rolling a tileable image by half moves its seam into the middle and keeps the edges seamless.
    assert seam_error(rolled(tiling, 128, 128)) < 2.0
    assert seam_error(rolled(plain, 128, 128)) < 2.0 < seam_error(plain)


def test_seam_error_handles_flat_images() -> None:
    assert seam_error(jpeg_of(np.full((32, 32, 3), 90))) == 0.0


@pytest.mark.parametrize(("width", "height"), [(0, 64), (64, 5000)])
def test_generation_rejects_bad_sizes(width: int, height: int) -> None:
    with pytest.raises(ValueError, match="between"):
        generation_image("x", 0, width, height, tiling=False)


# --- variations -------------------------------------------------------------------------------------


def test_upscale_doubles_the_size_and_keeps_the_content() -> None:
    source = generation_image("sand", 5, 96, 64, tiling=False)
    result = decode(upscale(source))
    assert result.format == "JPEG" and result.size == (192, 128)
    shrunk = np.asarray(result.resize((96, 64), Image.Resampling.BOX), dtype=float)
    assert np.abs(shrunk - np.asarray(decode(source), dtype=float)).mean() < 6
    assert decode(upscale(source, 1.5)).size == (144, 96)


def test_unzoom_centres_the_original_on_a_larger_stretched_canvas() -> None:
    pixels = np.zeros((64, 96, 3), dtype=np.uint8)
    pixels[:, :48] = (200, 30, 30)  # left half red, right half blue
    pixels[:, 48:] = (30, 30, 200)
    result = decode(unzoom(jpeg_of(pixels)))
    assert result.format == "JPEG" and result.size == (144, 96)
    out = np.asarray(result, dtype=float)
    assert np.abs(out[16:80, 24:120] - pixels).mean() < 6  # original, centred
    assert np.abs(out[48, 2] - (200, 30, 30)).max() < 20  # left border stretched from the red edge
    assert np.abs(out[48, 141] - (30, 30, 200)).max() < 20
    assert np.abs(out[1, 30] - (200, 30, 30)).max() < 20  # top border continues the columns


def test_remove_background_makes_the_border_colour_transparent() -> None:
    pixels = np.full((80, 80, 3), (240, 240, 240), dtype=np.uint8)
    pixels[20:60, 25:55] = (180, 40, 40)
    result = decode(remove_background(jpeg_of(pixels)))
    assert result.format == "PNG" and result.mode == "RGBA"
    alpha = np.asarray(result)[..., 3]
    assert alpha[0, 0] == alpha[0, -1] == alpha[-1, 0] == alpha[-1, -1] == 0
    assert alpha[40, 40] == 255
    assert (alpha[25:55, 30:50] == 255).all() and (alpha[:15] == 0).all()


@pytest.mark.parametrize("action", [upscale, unzoom, remove_background])
def test_variations_reject_data_that_is_not_an_image(action: object) -> None:
    with pytest.raises(ValueError, match="not a decodable image"):
        action(b"definitely not an image")  # type: ignore[operator]


# --- faults and validation --------------------------------------------------------------------------


def test_corrupt_output_is_deterministic_and_not_an_image() -> None:
    original = generation_image("tiles", 9, 64, 64, tiling=True)
    assert is_image(original)
    garbage = corrupt(original)
    assert garbage == corrupt(original)
    assert garbage != corrupt(original + b"x")
    assert not is_image(garbage)
    with pytest.raises(Exception):  # noqa: B017 - any Pillow error type will do
        decode(garbage)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_corrupt_never_yields_a_decodable_image(data: bytes) -> None:
    assert not is_image(corrupt(data))


def test_is_image_accepts_common_formats_and_rejects_truncated_data() -> None:
    pixels = np.random.default_rng(0).integers(0, 255, (40, 40, 3)).astype(np.uint8)
    for image_format in ("PNG", "JPEG", "WEBP"):
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, image_format)
        data = buffer.getvalue()
        assert is_image(data) and format_of(data) == image_format
        assert not is_image(data[: len(data) // 2]) and format_of(data[: len(data) // 2]) is None
    assert not is_image(b"")
    assert not is_image(b"GIF89a")


# --- side palette (reads colours in renders of the texture maps) ----------------------------------


def test_side_palette_is_distinct() -> None:
    assert set(SIDE_COLORS) == set(SIDES) == set(SIDE_ROUGHNESS)
    assert len(set(SIDE_COLORS.values())) == 6
    roughness = sorted([*SIDE_ROUGHNESS.values(), UNTEXTURED_ROUGHNESS])
    assert min(np.diff(roughness)) >= 0.09  # every side and "untextured" readable apart in a render


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("scale", [1.0, 0.9, 0.4])
def test_nearest_side_survives_shading_and_noise(side: str, scale: float) -> None:
    rng = np.random.default_rng(SIDES.index(side))
    expected = side if not (side == "top" and scale < 0.7) else "untextured"  # a dark white is grey
    for _ in range(20):
        rgb = np.clip(np.array(SIDE_COLORS[side]) * scale + rng.uniform(-6, 6, 3), 0, 255)
        assert nearest_side(tuple(rgb)) == expected
        assert nearest_side(tuple(rgb / 255)) == expected


def test_nearest_side_greys_and_unknown_colours() -> None:
    assert nearest_side(UNTEXTURED_COLOR) == "untextured"
    assert nearest_side(tuple(c * 0.6 for c in UNTEXTURED_COLOR)) == "untextured"  # type: ignore[arg-type]
    assert nearest_side(BACKGROUND_COLOR) is None  # too dark
    assert nearest_side((0, 0, 0)) is None
    assert nearest_side((40, 200, 210)) is None  # cyan lies between green and blue
    assert nearest_side((1.0, 1.0, 1.0)) == "top"
    assert nearest_side((250, 120, 110)) == "front"  # lit / desaturated red is still red
