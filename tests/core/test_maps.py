"""PBR maps derived from one colour image: normal signs, flatness, tiling, roughness range, shapes."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from leonardo_blender.core import maps
from leonardo_blender.core.maps import (
    derive_maps,
    height_from_albedo,
    luminance,
    normal_from_height,
    roughness_from_albedo,
)

FLAT_NORMAL = (128, 128, 255)


def grey_image(levels: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 from (H, W) grey levels."""
    return np.repeat(np.clip(np.rint(levels), 0, 255).astype(np.uint8)[:, :, None], 3, axis=2)


def tileable_image(height: int = 96, width: int = 128) -> np.ndarray:
    """A colour pattern made of whole periods of sines and cosines: it tiles exactly."""
    v, u = np.mgrid[0:height, 0:width] / np.array([height, width])[:, None, None]
    red = 128 + 60 * np.sin(2 * np.pi * (3 * u + v)) + 40 * np.cos(2 * np.pi * 5 * v)
    green = 128 + 70 * np.cos(2 * np.pi * (2 * u - 3 * v)) + 30 * np.sin(2 * np.pi * 7 * u)
    blue = 128 + 50 * np.sin(2 * np.pi * (u + 4 * v))
    return np.clip(np.rint(np.stack([red, green, blue], axis=-1)), 0, 255).astype(np.uint8)


def unit_normals(encoded: np.ndarray) -> np.ndarray:
    return (encoded.astype(np.float64) - 128) / 127


# ---------------------------------------------------------------------------------------------
# Normal signs on known height fields


def test_height_rising_to_the_right_faces_left():
    ramp = np.tile(np.linspace(0, 1, 40, dtype=np.float32), (30, 1))  # rises with the column = +u
    normal = normal_from_height(ramp)
    interior = normal[1:-1, 1:-1]
    assert (interior[:, :, 0] < 128).all()  # R < 128: facing -u
    assert (np.abs(interior[:, :, 1].astype(int) - 128) <= 1).all()  # no tilt along v
    assert (interior[:, :, 2] < 255).all()


def test_height_falling_to_the_right_faces_right():
    ramp = np.tile(np.linspace(1, 0, 40, dtype=np.float32), (30, 1))
    assert (normal_from_height(ramp)[1:-1, 1:-1, 0] > 128).all()


def test_height_rising_to_the_top_faces_down():
    # Row 0 is the top of the image (v near 1): this height increases towards +v.
    ramp = np.tile(np.linspace(1, 0, 30, dtype=np.float32)[:, None], (1, 40))
    normal = normal_from_height(ramp)
    interior = normal[1:-1, 1:-1]
    assert (interior[:, :, 1] < 128).all()  # G < 128: facing -v
    assert (np.abs(interior[:, :, 0].astype(int) - 128) <= 1).all()


def test_normals_of_a_bump_point_outwards():
    rows, columns = np.mgrid[0:64, 0:64]
    bump = np.exp(-((rows - 32.0) ** 2 + (columns - 32.0) ** 2) / (2 * 8.0**2)).astype(np.float32)
    normal = normal_from_height(bump).astype(int)
    left, right, above, below = normal[32, 24], normal[32, 40], normal[24, 32], normal[40, 32]
    assert left[0] < 128 < right[0]  # left of the peak faces left, right of it faces right
    assert above[1] > 128 > below[1]  # above it faces up (+v), below it faces down
    assert abs(left[1] - 128) <= 1 and abs(above[0] - 128) <= 1
    assert tuple(normal[32, 32]) == FLAT_NORMAL  # the peak itself is flat


def test_a_brighter_right_side_in_the_albedo_makes_the_normals_face_left():
    image = grey_image(np.tile(np.linspace(20, 230, 64), (48, 1)))
    normal = derive_maps(image)["NORMAL"]
    assert np.median(normal[:, :, 0]) < 128
    assert abs(int(np.median(normal[:, :, 1])) - 128) <= 1


# ---------------------------------------------------------------------------------------------
# Strength and flatness


def test_strength_zero_gives_a_flat_map():
    rng = np.random.default_rng(1)
    height = rng.random((20, 30), dtype=np.float32)
    normal = normal_from_height(height, strength=0.0)
    assert (normal == np.array(FLAT_NORMAL, np.uint8)).all()
    assert (derive_maps(grey_image(height * 255), normal_strength=0.0)["NORMAL"] == FLAT_NORMAL).all()


def test_strength_scales_the_tilt_and_a_negative_strength_inverts_it():
    ramp = np.tile(np.linspace(0, 1, 40, dtype=np.float32), (10, 1))
    tilts = [128 - int(normal_from_height(ramp, strength=strength)[5, 20, 0]) for strength in (0.5, 1, 2, 8)]
    assert tilts == sorted(tilts) and tilts[0] > 0 and tilts[-1] > tilts[0]
    forwards = normal_from_height(ramp, strength=2).astype(int)
    backwards = normal_from_height(ramp, strength=-2).astype(int)
    assert (np.abs(forwards[:, :, 0] + backwards[:, :, 0] - 256) <= 1).all()


def test_normals_are_unit_length_and_face_out_of_the_surface():
    rng = np.random.default_rng(2)
    normal = normal_from_height(rng.random((50, 50), dtype=np.float32), strength=5)
    lengths = np.linalg.norm(unit_normals(normal), axis=2)
    assert np.abs(lengths - 1).max() < 0.02
    assert (normal[:, :, 2] > 128).all()


def test_a_flat_image_gives_mid_height_and_a_flat_normal_map():
    for level in (0, 77, 255):
        image = np.full((16, 24, 3), level, np.uint8)
        assert (height_from_albedo(image) == 0.5).all()
        derived = derive_maps(image)
        assert (derived["NORMAL"] == FLAT_NORMAL).all()
        assert (derived["DISPLACEMENT"] == 128).all()
        assert len(np.unique(derived["ROUGHNESS"])) == 1


def test_nonfinite_strength_is_rejected():
    with pytest.raises(ValueError, match="strength"):
        normal_from_height(np.zeros((4, 4), np.float32), strength=float("nan"))


# ---------------------------------------------------------------------------------------------
# Luminance and height


def test_luminance_uses_rec709_weights_on_linear_light():
    image = np.array([[[0, 0, 0], [255, 255, 255], [0, 255, 0], [128, 128, 128], [255, 0, 0]]], np.uint8)
    linear_128 = ((128 / 255 + 0.055) / 1.055) ** 2.4
    np.testing.assert_allclose(luminance(image)[0], [0, 1, 0.7152, linear_128, 0.2126], atol=1e-6)
    assert luminance(image).dtype == np.float32


def test_alpha_is_ignored():
    image = tileable_image(24, 32)
    with_alpha = np.concatenate([image, np.zeros((24, 32, 1), np.uint8)], axis=2)
    for name, result in derive_maps(with_alpha).items():
        np.testing.assert_array_equal(result, derive_maps(image)[name], err_msg=name)


def test_height_is_brighter_higher_and_spans_the_range_despite_outliers():
    levels = np.tile(np.linspace(60, 180, 100), (100, 1))
    levels[0, 0], levels[99, 99] = 0, 255  # specks that must not squash the rest
    height = height_from_albedo(grey_image(levels), blur_radius=0)
    assert height.dtype == np.float32 and height.shape == (100, 100)
    assert (np.diff(height[50]) >= 0).all() and height[50, 10] < height[50, 50] < height[50, 90]
    assert height[50, 1] <= 0.02 and height[50, 98] >= 0.98


def test_a_low_contrast_image_keeps_gentle_relief():
    rng = np.random.default_rng(3)
    almost_flat = grey_image(128 + rng.integers(0, 2, (40, 40)))  # one code of noise
    height = height_from_albedo(almost_flat, blur_radius=0)
    assert height.min() > 0.3 and height.max() < 0.7


def test_blur_radius_smooths_the_height():
    checker = grey_image((np.indices((32, 32)).sum(axis=0) % 2) * 255.0)
    sharp = height_from_albedo(checker, blur_radius=0)
    blurred = height_from_albedo(checker, blur_radius=2)
    assert np.abs(np.diff(sharp, axis=1)).mean() > 0.9
    assert np.abs(np.diff(blurred, axis=1)).mean() < 0.1
    with pytest.raises(ValueError, match="blur_radius"):
        height_from_albedo(checker, blur_radius=-1)


# ---------------------------------------------------------------------------------------------
# Tiling


def seam_and_typical_steps(image: np.ndarray, axis: int) -> tuple[float, float]:
    """Mean step across the wrap-around seam (last line to first) and the mean step between neighbours."""
    values = image.astype(np.float64)
    first, last = np.take(values, 0, axis=axis), np.take(values, -1, axis=axis)
    return float(np.abs(first - last).mean()), float(np.abs(np.diff(values, axis=axis)).mean())


@pytest.mark.parametrize("name", ["NORMAL", "ROUGHNESS", "DISPLACEMENT"])
def test_with_wrap_the_maps_of_a_tileable_image_continue_across_their_edges(name):
    derived = derive_maps(tileable_image(), wrap=True)[name]
    for axis in (0, 1):
        seam, typical = seam_and_typical_steps(derived, axis)
        assert seam <= 1.5 * typical + 0.5, (axis, seam, typical)


@pytest.mark.parametrize("wrap", [True, False])
def test_normal_and_roughness_of_a_tile_match_the_middle_of_an_endless_tiling_only_with_wrap(wrap):
    """The truth for a seamless tile: what its maps look like in the middle of a 3 x 3 tiling of itself.

    (Height is left out: its normalisation is global, and the big image's own borders shift it.
    The shift test below covers it.)
    """
    tile = tileable_image(48, 64)
    height = height_from_albedo(tile, wrap=True)
    middle = np.s_[48:96, 64:128]
    pairs = {
        "normal": (normal_from_height(height, wrap=wrap), normal_from_height(np.tile(height, (3, 3)))[middle]),
        "roughness": (roughness_from_albedo(tile, wrap=wrap), roughness_from_albedo(np.tile(tile, (3, 3, 1)))[middle]),
    }
    for name, (of_tile, truth) in pairs.items():
        if wrap:
            np.testing.assert_array_equal(of_tile, truth, err_msg=name)
        else:  # without wrapping, the edges see a different neighbourhood
            assert np.abs(of_tile.astype(int) - truth).max() > 4, name


def test_with_wrap_shifting_the_input_shifts_every_map_exactly():
    image = tileable_image(40, 56)
    shift = (13, -21)
    shifted = derive_maps(np.roll(image, shift, axis=(0, 1)), wrap=True)
    for name, result in derive_maps(image, wrap=True).items():
        np.testing.assert_array_equal(shifted[name], np.roll(result, shift, axis=(0, 1)), err_msg=name)
    unwrapped = derive_maps(np.roll(image, shift, axis=(0, 1)), wrap=False)["NORMAL"]
    assert not np.array_equal(unwrapped, np.roll(derive_maps(image, wrap=False)["NORMAL"], shift, axis=(0, 1)))


# ---------------------------------------------------------------------------------------------
# Roughness


def test_roughness_stays_inside_its_range_even_for_extreme_inputs_and_parameters():
    rng = np.random.default_rng(4)
    images = [
        np.zeros((16, 16, 3), np.uint8),
        np.full((16, 16, 3), 255, np.uint8),
        rng.integers(0, 256, (16, 16, 3), dtype=np.uint8),
        grey_image((np.indices((16, 16)).sum(axis=0) % 2) * 255.0),
    ]
    low, high = (round(bound * 255) for bound in maps.ROUGHNESS_RANGE)
    for image in images:
        for base, contrast in [(0.55, 0.35), (0.0, 5.0), (1.0, 5.0), (-3.0, 0.0), (4.0, 0.0)]:
            roughness = roughness_from_albedo(image, base=base, contrast=contrast)
            assert roughness.dtype == np.uint8
            assert low <= roughness.min() and roughness.max() <= high
            assert roughness.min() > 0 and roughness.max() < 255


def test_dark_areas_are_rougher_than_bright_ones():
    dark = roughness_from_albedo(np.full((8, 8, 3), 30, np.uint8))
    bright = roughness_from_albedo(np.full((8, 8, 3), 230, np.uint8))
    assert int(dark[4, 4]) > int(bright[4, 4]) + 40


def test_detailed_areas_are_rougher_than_smooth_ones_of_the_same_tone():
    rng = np.random.default_rng(5)
    smooth = np.full((32, 32), 128.0)
    detailed = 128 + rng.choice([-40.0, 40.0], (32, 32))
    assert roughness_from_albedo(grey_image(detailed)).mean() > roughness_from_albedo(grey_image(smooth)).mean() + 20


def test_default_roughness_lies_within_base_plus_minus_contrast():
    rng = np.random.default_rng(6)
    roughness = roughness_from_albedo(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)) / 255
    assert roughness.min() >= 0.55 - 0.35 - 1 / 255 and roughness.max() <= 0.55 + 0.35 + 1 / 255


# ---------------------------------------------------------------------------------------------
# Shapes, types, determinism


def test_derive_maps_shapes_and_types():
    image = tileable_image(37, 53)
    derived = derive_maps(image)
    assert set(derived) == {"NORMAL", "ROUGHNESS", "DISPLACEMENT"}
    for name, result in derived.items():
        assert result.shape == (37, 53, 3) and result.dtype == np.uint8, name
    for grey_map in ("ROUGHNESS", "DISPLACEMENT"):
        assert (derived[grey_map] == derived[grey_map][:, :, :1]).all()
    assert luminance(image).shape == (37, 53) and luminance(image).dtype == np.float32
    assert height_from_albedo(image).dtype == np.float32
    assert roughness_from_albedo(image).shape == (37, 53)
    np.testing.assert_array_equal(derived["ROUGHNESS"][:, :, 0], roughness_from_albedo(image))
    np.testing.assert_array_equal(derived["DISPLACEMENT"][:, :, 0], np.rint(height_from_albedo(image) * 255))
    np.testing.assert_array_equal(derived["NORMAL"], normal_from_height(height_from_albedo(image)))


def test_derivation_is_deterministic_and_leaves_the_input_alone():
    image = tileable_image()
    original = image.copy()
    first, second = derive_maps(image, wrap=True), derive_maps(image.copy(), wrap=True)
    for name in first:
        np.testing.assert_array_equal(first[name], second[name])
    np.testing.assert_array_equal(image, original)


@pytest.mark.parametrize(
    "bad",
    [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 3), np.float32), np.zeros((4, 4, 2), np.uint8), np.zeros((0, 4, 3))],
    ids=["grey", "float", "two-channels", "empty"],
)
def test_inputs_that_are_not_colour_images_are_rejected(bad):
    with pytest.raises(ValueError):
        derive_maps(bad)


@settings(max_examples=40, deadline=None)
@given(
    image=hnp.arrays(np.uint8, st.tuples(st.integers(1, 12), st.integers(1, 12), st.just(3))),
    wrap=st.booleans(),
    strength=st.floats(-4, 4),
)
def test_any_small_image_gives_valid_maps(image, wrap, strength):
    derived = derive_maps(image, normal_strength=strength, wrap=wrap)
    normal = derived["NORMAL"]
    assert normal.shape == image.shape and (normal[:, :, 2] > 128).all()
    assert np.abs(np.linalg.norm(unit_normals(normal), axis=2) - 1).max() < 0.02
    assert derived["ROUGHNESS"].min() > 0 and derived["ROUGHNESS"].max() < 255


def test_timings_at_2048_pixels(capsys):
    """Not an assertion: prints how long each map takes (run with -s to see it)."""
    image = np.random.default_rng(7).integers(0, 256, (2048, 2048, 3), dtype=np.uint8)
    timings = {}
    for name, derive in [
        ("height", lambda: height_from_albedo(image)),
        ("roughness", lambda: roughness_from_albedo(image)),
        ("all maps, wrap", lambda: derive_maps(image, wrap=True)),
    ]:
        start = time.perf_counter()
        derive()
        timings[name] = time.perf_counter() - start
    height = height_from_albedo(image)
    start = time.perf_counter()
    normal_from_height(height)
    timings["normal from height"] = time.perf_counter() - start
    with capsys.disabled():
        print("\n2048 x 2048: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in timings.items()))
