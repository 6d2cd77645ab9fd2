"""Procedural image content for the emulator's image generations, variations and fault injection.

Generated images are deterministic in ``(prompt, seed)``: the same request always yields the same bytes.
Colour words in the prompt ("red", "wood", ...) steer the palette so results look related to the request.
Tiling images are built only from sinusoids whose period divides the image size, so the last column
continues into the first and the last row into the first; non-tiling images add a gradient and
non-periodic frequencies so their wrap-around seams are clearly visible (see :func:`seam_error`).
"""

from __future__ import annotations

import hashlib
import io
import re

import numpy as np
from PIL import Image

JPEG_QUALITY = 92
MAX_GENERATION_SIDE = 4096
MAX_VARIATION_SIDE = 8192
UNZOOM_FACTOR = 1.5
BACKGROUND_DISTANCE = 48.0  # RGB distance under which remove_background makes a pixel transparent
_CORRUPT_HEADER = b"\x00\xffLEONARDO-EMULATOR-CORRUPTED-IMAGE\x00"  # byte 1 = 0xff: not even a TGA header

_PROMPT_COLORS: dict[str, tuple[int, int, int]] = {
    "red": (190, 40, 35),
    "orange": (230, 130, 30),
    "yellow": (235, 205, 50),
    "gold": (212, 175, 55),
    "green": (60, 150, 60),
    "teal": (30, 140, 140),
    "blue": (40, 80, 190),
    "purple": (120, 50, 160),
    "pink": (230, 120, 170),
    "brown": (110, 70, 40),
    "wood": (140, 95, 55),
    "stone": (130, 128, 120),
    "grey": (128, 128, 128),
    "gray": (128, 128, 128),
    "white": (235, 235, 230),
    "black": (25, 25, 28),
    # material words, so demo prompts ("mossy cobblestone", "rusty iron") look like what they say
    "moss": (85, 115, 55),
    "mossy": (85, 115, 55),
    "cobblestone": (125, 120, 110),
    "cobble": (125, 120, 110),
    "brick": (150, 65, 45),
    "rust": (150, 75, 40),
    "rusty": (150, 75, 40),
    "iron": (95, 95, 100),
    "metal": (150, 150, 155),
    "bronze": (140, 100, 50),
    "copper": (180, 100, 60),
    "patina": (80, 140, 120),
    "marble": (225, 225, 218),
    "sand": (200, 180, 130),
    "grass": (75, 140, 55),
    "leather": (110, 70, 40),
}


# --- generation ------------------------------------------------------------------------------------


def _rng_for(prompt: str, seed: int) -> np.random.Generator:
    """Random generator seeded from a SHA-256 of the prompt and seed (so stable across processes)."""
    digest = hashlib.sha256(f"{seed}\x00{prompt}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "little"))


def prompt_palette(prompt: str, rng: np.random.Generator, count: int = 3) -> np.ndarray:
    """``(count, 3)`` float colours: colour words of the prompt first, random colours after."""
    words = re.findall(r"[a-z]+", prompt.lower())
    named = [_PROMPT_COLORS[word] for word in dict.fromkeys(words) if word in _PROMPT_COLORS][:count]
    palette = rng.uniform(30, 230, size=(count, 3))
    if named:
        palette[: len(named)] = named
        palette[len(named) :] = np.array(named[0]) * rng.uniform(0.55, 1.2, size=(count - len(named), 1))
    return np.clip(palette, 0, 255)


def _wave_field(rng: np.random.Generator, width: int, height: int, tiling: bool, terms: int) -> np.ndarray:
    """Sum of plane waves, normalised to 0..1. Integer frequencies (tiling) make it periodic in W and H.

    ``sin(a + b) = sin a cos b + cos a sin b`` lets each term be built from two outer products.
    """
    x = 2.0 * np.pi * np.arange(width) / width
    y = 2.0 * np.pi * np.arange(height) / height
    field = np.zeros((height, width))
    for _ in range(terms):
        kx, ky = rng.integers(-7, 8, size=2)
        if kx == 0 and ky == 0:
            kx = 1
        fx, fy = float(kx), float(ky)
        if not tiling:
            fx, fy = fx + rng.uniform(0.2, 0.8), fy + rng.uniform(0.2, 0.8)
        phase = rng.uniform(0, 2 * np.pi)
        amplitude = 1.0 / np.hypot(fx, fy)
        ax, by = fx * x + phase, fy * y
        field += amplitude * (np.outer(np.cos(by), np.sin(ax)) + np.outer(np.sin(by), np.cos(ax)))
    low, high = field.min(), field.max()
    return (field - low) / (high - low) if high > low else np.zeros_like(field)


def _value_noise(rng: np.random.Generator, width: int, height: int, tiling: bool) -> np.ndarray:
    """Fractal value noise in 0..1 (8 cells across up to 4-px cells); periodic in W and H when ``tiling``.

    Each octave interpolates a random lattice with smoothstep weights; for tiling images the lattice's
    last row/column repeats its first, so sampling wraps around exactly at the image edge.
    """
    noise = np.zeros((height, width))
    total = 0.0
    octaves = max(1, int(np.log2(max(width // 4, 8) / 8)) + 1)
    for octave in range(octaves):
        cells_x = max(1, min(width // 4, 8 << octave))
        cells_y = max(1, min(height // 4, round(cells_x * height / width) or 1))
        lattice = rng.random((cells_y + 1, cells_x + 1))
        if tiling:
            lattice[-1, :], lattice[:, -1] = lattice[0, :], lattice[:, 0]
        noise += _sample_lattice(lattice, width, height) * 0.6**octave
        total += 0.6**octave
    return noise / total


def _sample_lattice(lattice: np.ndarray, width: int, height: int) -> np.ndarray:
    """Smoothstep-interpolate a ``(cy + 1, cx + 1)`` lattice over a ``height x width`` pixel grid."""
    cells_y, cells_x = lattice.shape[0] - 1, lattice.shape[1] - 1
    gx, gy = np.arange(width) * cells_x / width, np.arange(height) * cells_y / height
    ix, iy = gx.astype(np.int64), gy.astype(np.int64)
    tx, ty = gx - ix, gy - iy
    tx, ty = tx * tx * (3 - 2 * tx), ty * ty * (3 - 2 * ty)
    top = lattice[iy][:, ix] * (1 - tx) + lattice[iy][:, ix + 1] * tx
    bottom = lattice[iy + 1][:, ix] * (1 - tx) + lattice[iy + 1][:, ix + 1] * tx
    return top * (1 - ty)[:, None] + bottom * ty[:, None]


def _colorize(pattern: np.ndarray, shading: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Blend palette colours along ``pattern`` (0..1) and modulate brightness with ``shading`` (0..1)."""
    stops = np.linspace(0.0, 1.0, len(palette))
    rgb = np.stack([np.interp(pattern, stops, palette[:, channel]) for channel in range(3)], axis=-1)
    return rgb * (0.7 + 0.45 * shading)[..., None]


def _gradient(width: int, height: int) -> np.ndarray:
    """Diagonal brightness ramp 0.35..1.0: guarantees visible seams for non-tiling images."""
    ramp_x = np.linspace(0.0, 1.0, width)[None, :]
    ramp_y = np.linspace(0.0, 1.0, height)[:, None]
    return 0.35 + 0.65 * (ramp_x + ramp_y) / 2.0


def _check_side(name: str, value: int, maximum: int) -> None:
    """Raise ValueError unless ``1 <= value <= maximum``."""
    if not 1 <= value <= maximum:
        raise ValueError(f"{name} must be between 1 and {maximum}, got {value}")


def generation_image(prompt: str, seed: int, width: int, height: int, tiling: bool) -> bytes:
    """Deterministic procedural JPEG for an image generation; seamless when ``tiling`` is true."""
    _check_side("width", width, MAX_GENERATION_SIDE)
    _check_side("height", height, MAX_GENERATION_SIDE)
    rng = _rng_for(prompt, seed)
    palette = prompt_palette(prompt, rng)
    pattern = _wave_field(rng, width, height, tiling, terms=10)
    shading = 0.5 * _wave_field(rng, width, height, tiling, terms=8) + 0.5 * _value_noise(rng, width, height, tiling)
    rgb = _colorize(pattern, shading, palette)
    if not tiling:
        rgb *= _gradient(width, height)[..., None]
    return _encode(rgb, "JPEG")


def _block_boundary_differences(rgb: np.ndarray, axis: int) -> np.ndarray:
    """Absolute differences between neighbours across interior 8-px (JPEG block) boundaries along ``axis``.

    The wrap-around seam of a JPEG always joins two block edges, where compression error is larger
    than inside blocks, so seams are compared with interior block boundaries. Images 8 px or less
    along ``axis`` have none; all neighbour pairs are used instead.
    """
    length = rgb.shape[axis]
    if length <= 8:
        return np.abs(np.diff(rgb, axis=axis)).ravel()
    after = np.take(rgb, np.arange(8, length, 8), axis=axis)
    before = np.take(rgb, np.arange(7, length - 1, 8), axis=axis)
    return np.abs(after - before).ravel()


def seam_error(image_bytes: bytes) -> float:
    """Mean absolute difference across the wrap-around seams relative to the image's neighbour differences.

    The reference is the mean difference across interior 8-px block boundaries (see
    :func:`_block_boundary_differences`). About 1 for a seamlessly tileable image (0 for a flat one),
    much larger when the edges do not continue into each other.
    """
    rgb = _decode_rgb(image_bytes).astype(np.float64)
    seams = np.concatenate([np.abs(rgb[:, 0] - rgb[:, -1]).ravel(), np.abs(rgb[0] - rgb[-1]).ravel()])
    reference = np.concatenate([_block_boundary_differences(rgb, 1), _block_boundary_differences(rgb, 0)])
    seam = float(seams.mean())
    typical = float(reference.mean()) if reference.size else 0.0
    if typical < 1e-9:
        return 0.0 if seam < 1e-9 else float("inf")
    return seam / typical


# --- variations ------------------------------------------------------------------------------------


def _decode_rgb(image_bytes: bytes) -> np.ndarray:
    """Decode any Pillow-readable image to an ``(H, W, 3)`` uint8 array; ValueError if it is not one."""
    try:
        with Image.open(io.BytesIO(image_bytes)) as image:
            image.load()
            _check_side("image width", image.width, MAX_VARIATION_SIDE)
            _check_side("image height", image.height, MAX_VARIATION_SIDE)
            return np.asarray(image.convert("RGB"))
    except ValueError:
        raise
    except Exception as exc:  # Pillow raises many types (OSError, SyntaxError, DecompressionBombError, ...)
        raise ValueError(f"not a decodable image: {exc}") from exc


def _encode(pixels: np.ndarray, image_format: str) -> bytes:
    """Encode an ``(H, W, 3|4)`` array (float or uint8) as JPEG (RGB) or PNG (RGB/RGBA)."""
    array = np.clip(np.rint(pixels), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    image = Image.fromarray(array, "RGBA" if array.shape[-1] == 4 else "RGB")
    if image_format == "JPEG":
        image.save(buffer, "JPEG", quality=JPEG_QUALITY, subsampling=0)  # 4:4:4: no chroma blur at seams
    else:
        image.save(buffer, image_format)
    return buffer.getvalue()


def upscale(image_bytes: bytes, factor: float = 2.0) -> bytes:
    """Lanczos-resized JPEG, each side multiplied by ``factor`` (rounded, at least 1 px)."""
    rgb = _decode_rgb(image_bytes)
    if not 0 < factor <= 8:
        raise ValueError(f"upscale factor must be in (0, 8], got {factor}")
    height, width = rgb.shape[:2]
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    resized = Image.fromarray(rgb, "RGB").resize(size, Image.Resampling.LANCZOS)
    return _encode(np.asarray(resized), "JPEG")


def unzoom(image_bytes: bytes) -> bytes:
    """JPEG on a 1.5x larger canvas with the original centred and the border made by stretching its edges."""
    rgb = _decode_rgb(image_bytes)
    height, width = rgb.shape[:2]
    extra_y, extra_x = round(height * UNZOOM_FACTOR) - height, round(width * UNZOOM_FACTOR) - width
    padding = ((extra_y // 2, extra_y - extra_y // 2), (extra_x // 2, extra_x - extra_x // 2), (0, 0))
    return _encode(np.pad(rgb, padding, mode="edge"), "JPEG")


def border_color(rgb: np.ndarray) -> np.ndarray:
    """Per-channel median of the outermost pixel ring: the colour taken to be the background."""
    ring = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    return np.median(ring.astype(np.float64), axis=0)


def remove_background(image_bytes: bytes) -> bytes:
    """RGBA PNG where pixels close to the border colour are fully transparent and the rest opaque."""
    rgb = _decode_rgb(image_bytes)
    distance = np.linalg.norm(rgb.astype(np.float64) - border_color(rgb), axis=-1)
    alpha = np.where(distance < BACKGROUND_DISTANCE, 0, 255)
    return _encode(np.dstack([rgb, alpha]), "PNG")


# --- faults and validation -------------------------------------------------------------------------


def corrupt(data: bytes) -> bytes:
    """Deterministic garbage derived from ``data`` (same size, 256 B .. 64 KiB) that no decoder accepts."""
    digest = hashlib.sha256(data).digest()
    length = min(max(len(data), 256), 64 * 1024)
    noise = np.random.default_rng(int.from_bytes(digest, "little")).bytes(length - len(_CORRUPT_HEADER))
    return _CORRUPT_HEADER + noise


def image_format(data: bytes) -> str | None:
    """Pillow's format name (``"PNG"``, ``"JPEG"``, ``"WEBP"``, ...) if ``data`` fully decodes, else None."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return str(image.format)
    except Exception:  # Pillow signals bad data with many exception types
        return None


def is_image(data: bytes) -> bool:
    """True if Pillow can fully decode ``data`` as an image (header and pixel data), in any format."""
    return image_format(data) is not None
