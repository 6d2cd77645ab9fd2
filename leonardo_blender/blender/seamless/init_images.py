"""A Blender image (an existing texture, or the render result) as a file the worker uploads as init image.

Main thread: an image file on disk that the service accepts (PNG, JPEG, WebP) and that is unchanged
since it was loaded is used as it is. Otherwise the pixels are read here (``foreach_get``, fast) and a
worker writes them as PNG (``write``). The render result has no readable pixels: only Blender itself
can save it (``save_render``), which it does here, on the main thread, once per job.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import bpy
import numpy as np

from ...core import imaging

UPLOADABLE = (".png", ".jpg", ".jpeg", ".webp")
#: Longest side sent: the service resizes init images to the generation's size anyway.
MAX_SIDE = 2048


@dataclass
class InitImage:
    path: Path
    #: Pixels a worker still has to write to ``path`` (None: the file is ready).
    pixels: np.ndarray | None = None


def prepare(image: bpy.types.Image, destination: Path) -> InitImage:
    """How to get ``image`` into an uploadable file; ``ValueError`` with a sentence when it cannot be."""
    if image.type == "RENDER_RESULT":
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            image.save_render(str(destination))
        except RuntimeError:
            raise ValueError("The render result is empty: render first (F12), then generate") from None
        return InitImage(destination)
    if image.source == "FILE" and image.packed_file is None and not image.is_dirty:
        source = Path(bpy.path.abspath(image.filepath))
        if source.suffix.lower() in UPLOADABLE and source.is_file():
            return InitImage(source)
    width, height = image.size
    if width == 0 or height == 0 or (not image.has_data and not _load(image)):
        raise ValueError(f"The image '{image.name}' has no pixels to send")
    channels = image.channels
    values = np.empty(width * height * channels, dtype=np.float32)
    image.pixels.foreach_get(values)
    rows = values.reshape(height, width, channels)[::-1]  # Blender's row 0 is the bottom
    rgb = np.repeat(rows[:, :, :1], 3, axis=2) if channels < 3 else rows[:, :, :3]
    if image.is_float:  # linear light: encode as sRGB like any 8-bit texture
        rgb = np.where(rgb <= 0.0031308, rgb * 12.92, 1.055 * np.power(np.maximum(rgb, 0), 1 / 2.4) - 0.055)
    step = max(1, -(-max(width, height) // MAX_SIDE))
    pixels = np.clip(np.rint(rgb[::step, ::step] * 255.0), 0, 255).astype(np.uint8)
    return InitImage(destination, pixels)


def _load(image: bpy.types.Image) -> bool:
    image.pixels[0]
    return bool(image.has_data)


def write(init: InitImage) -> Path:
    """Worker: write the pixels (if any) and return the file to upload."""
    if init.pixels is not None:
        init.path.parent.mkdir(parents=True, exist_ok=True)
        imaging.write_png(init.path, init.pixels)
    return init.path
