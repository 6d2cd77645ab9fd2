"""Images of a generation guided by a Depth-to-Image controlnet: a position code that exposes a wrong bake.

Where the depth map (near = bright, far = dark, background 0) is above 0, every pixel carries its own
position in the served image:

* R = ``round(255 * (col + 0.5) / W)``: left to right;
* G = ``round(255 * (1 - (row + 0.5) / H))``: bottom to top (row 0 is the top);
* B = :func:`controlnet_code_blue` of the full prompt, one value in 40..215 per prompt, so views made
  with different prompts are told apart.

Background pixels (depth 0) are :data:`BACKGROUND` (20, 20, 20). Nothing else is modulated, so an
add-on that projects a view back onto the mesh can check, texel by texel, that it sampled the right
view at the right place. The depth map is resized to the served size with nearest-neighbour sampling;
the result is a JPEG at quality 97 without chroma subsampling, which keeps codes within a few levels.
"""

from __future__ import annotations

import hashlib
import io

import numpy as np
from PIL import Image

BACKGROUND: tuple[int, int, int] = (20, 20, 20)
BLUE_MIN = 40
BLUE_MAX = 215
JPEG_QUALITY = 97
MAX_DEPTH_SIDE = 8192
_INTEGER_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")


def controlnet_code_blue(prompt: str) -> int:
    """The blue value (40..215) of every object pixel of a depth-guided image made for ``prompt``.

    Derived from the SHA-256 of the prompt exactly as sent (UTF-8), so it is stable across processes.
    """
    digest = hashlib.sha256(prompt.encode("utf-8")).digest()
    return BLUE_MIN + int.from_bytes(digest[:8], "big") % (BLUE_MAX - BLUE_MIN + 1)


def position_code(col: int, row: int, width: int, height: int, prompt: str) -> tuple[int, int, int]:
    """The ``(R, G, B)`` an object pixel at ``(col, row)`` of a ``width`` x ``height`` image carries."""
    red = round(255 * (col + 0.5) / width)
    green = round(255 * (1 - (row + 0.5) / height))
    return red, green, controlnet_code_blue(prompt)


def depth_mask(depth_image: bytes, width: int, height: int) -> np.ndarray:
    """``(height, width)`` booleans: where the depth map, resized (nearest) to the served size, is above 0.

    Grey, RGB(A), palette and 16-bit maps are accepted; a pixel counts as object when any colour channel
    is above 0 and it is not fully transparent. ValueError if the bytes are not a decodable image.
    """
    try:
        with Image.open(io.BytesIO(depth_image)) as image:
            image.load()
            if not (1 <= image.width <= MAX_DEPTH_SIDE and 1 <= image.height <= MAX_DEPTH_SIDE):
                raise ValueError(f"depth image of {image.width}x{image.height} pixels is too large")
            if image.mode in _INTEGER_MODES:
                near = np.asarray(image) > 0
            else:
                rgba = np.asarray(image.convert("RGBA"))
                near = (rgba[..., :3].max(axis=-1) > 0) & (rgba[..., 3] > 0)
    except ValueError:
        raise
    except Exception as exc:  # Pillow raises many types for bad data
        raise ValueError(f"the depth image is not a decodable image: {exc}") from exc
    mask = Image.fromarray(near.astype(np.uint8) * 255, "L").resize((width, height), Image.Resampling.NEAREST)
    return np.asarray(mask) > 0


def position_code_rgb(mask: np.ndarray, prompt: str) -> np.ndarray:
    """``(H, W, 3)`` uint8: the position code where ``mask`` is true, :data:`BACKGROUND` elsewhere."""
    height, width = mask.shape
    red = np.rint(255 * (np.arange(width) + 0.5) / width).astype(np.uint8)
    green = np.rint(255 * (1 - (np.arange(height) + 0.5) / height)).astype(np.uint8)
    rgb = np.empty((height, width, 3), dtype=np.uint8)
    rgb[..., 0] = red[None, :]
    rgb[..., 1] = green[:, None]
    rgb[..., 2] = controlnet_code_blue(prompt)
    rgb[~mask] = BACKGROUND
    return rgb


def depth_guided_image(depth_image: bytes, width: int, height: int, prompt: str) -> bytes:
    """The served JPEG (quality 97, 4:4:4) of a Depth-to-Image generation of ``width`` x ``height``."""
    rgb = position_code_rgb(depth_mask(depth_image, width, height), prompt)
    buffer = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, "JPEG", quality=JPEG_QUALITY, subsampling=0)
    return buffer.getvalue()
