"""Decode downloaded images for the workers, with Blender's own decoder as the last resort.

Workers decode with ``core.imaging`` (OpenImageIO, bundled with Blender 5.0; Pillow on development
machines; a pure PNG decoder). Where none of those can read a format (JPEG in Blender 4.2, which does
not bundle OpenImageIO), the worker asks the main thread to load the file with ``bpy.data.images``
and waits for the pixels. That one call blocks the main thread for the decode (about 60 ms for a
1536 px JPEG on a 2-core machine, measured on 4.2); it is the only main-thread image decode.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

import bpy
import numpy as np

from ...core import imaging
from .. import dispatcher

MAIN_THREAD_TIMEOUT = 300.0


def decode(data: bytes) -> np.ndarray:
    """Any thread: (H, W, 3|4) uint8 pixels, row 0 at the top."""
    try:
        return imaging.decode_image(data)
    except imaging.ImageUnavailableError:
        return _decode_on_main_thread(data)


def _decode_on_main_thread(data: bytes) -> np.ndarray:
    result: Future[np.ndarray] = Future()

    def work() -> None:  # main thread, through the dispatcher's queue
        try:
            result.set_result(decode_with_blender(data))
        except Exception as exc:  # handed back to the waiting worker
            result.set_exception(exc)

    dispatcher.post(work)
    try:
        return result.result(timeout=MAIN_THREAD_TIMEOUT)
    except FutureTimeout:
        raise imaging.ImageDecodeError("Blender did not decode the image in time") from None


def decode_with_blender(data: bytes) -> np.ndarray:
    """Main thread: load the bytes through ``bpy.data.images`` and return byte pixels, row 0 at the top."""
    kind = imaging.image_size(data)  # raises ImageDecodeError for what is not an image at all
    del kind
    handle, path = tempfile.mkstemp(prefix="leonardo-decode-", suffix=".img")
    image = None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        image = bpy.data.images.load(path, check_existing=False)
        width, height = image.size
        channels = image.channels
        if width == 0 or height == 0:
            raise imaging.ImageDecodeError("Blender could not read the image")
        pixels = np.empty(width * height * channels, dtype=np.float32)
        image.pixels.foreach_get(pixels)
    except RuntimeError as exc:
        raise imaging.ImageDecodeError(f"Blender could not read the image: {exc}") from None
    finally:
        if image is not None:
            bpy.data.images.remove(image)
        with contextlib.suppress(OSError):
            os.unlink(path)
    rows = pixels.reshape(height, width, channels)[::-1]  # Blender's row 0 is the bottom
    return np.clip(np.rint(rows[..., :3] * 255.0), 0, 255).astype(np.uint8)
