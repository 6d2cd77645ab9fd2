"""Reading and writing images in worker threads, without Pillow and without ``bpy``.

The add-on's workers download the images Leonardo serves (JPEG mostly, sometimes PNG or WebP) and
write PNGs (depth maps to upload, baked texture maps) off Blender's main thread. Blender bundles
numpy but not Pillow, so this module carries its own PNG encoder and decoder in numpy and borrows
the decoders it finds for the other formats:

* ``encode_png`` / ``write_png``: 8-bit grey, grey+alpha, RGB, RGBA and 16-bit of the same layouts.
* ``decode_png``: the same layouts, non-interlaced; other PNG variants raise ``ImageUnavailableError``.
* ``image_size``: width and height of a PNG, JPEG or WebP from its header, without decoding it.
* ``decode_image``: PNG, JPEG or WebP to (H, W, 3 or 4) uint8 through OpenImageIO (bundled with
  Blender 5.0), else Pillow (development machines), else the built-in PNG decoder. When nothing here
  can decode the format it raises ``ImageUnavailableError`` and the Blender layer decodes the file on
  the main thread instead.

A truncated or corrupt image raises ``ImageDecodeError``; it never comes back as padded pixels.
Orientation tags (EXIF) are not applied, by any of the decoders.
"""

from __future__ import annotations

from .decoders import decode_image, decoders_available
from .errors import ImageDecodeError, ImageUnavailableError
from .headers import image_size
from .png_read import decode_png
from .png_write import encode_png, write_png

__all__ = [
    "ImageDecodeError",
    "ImageUnavailableError",
    "decode_image",
    "decode_png",
    "decoders_available",
    "encode_png",
    "image_size",
    "write_png",
]
