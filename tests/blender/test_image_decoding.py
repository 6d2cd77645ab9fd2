"""Decoding served images where the worker has no decoder for them (JPEG in Blender 4.2, which bundles no
OpenImageIO): Blender's own loader on the main thread, handed back to the waiting worker."""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest
from PIL import Image


def jpeg(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, "JPEG", quality=97, subsampling=0)
    return buffer.getvalue()


def gradient(width: int = 48, height: int = 32) -> np.ndarray:
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    return np.stack(
        [np.broadcast_to(x, (height, width)), np.broadcast_to(y, (height, width)), np.full((height, width), 90.0)], -1
    ).astype(np.uint8)


def test_blender_decodes_like_pillow_with_row_zero_at_the_top(addon):
    decoding = addon.blender.texturing.image_decoding
    pixels = gradient()
    data = jpeg(pixels)
    decoded = decoding.decode_with_blender(data)
    assert decoded.shape == (32, 48, 3)
    reference = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert np.abs(decoded.astype(int) - reference.astype(int)).max() <= 2
    assert decoded[0, :, 1].mean() < decoded[-1, :, 1].mean()  # green grows downwards: row 0 is the top


def test_a_worker_without_a_decoder_gets_pixels_from_the_main_thread(addon, monkeypatch):
    decoding = addon.blender.texturing.image_decoding
    dispatcher = addon.blender.dispatcher

    def no_decoder(data: bytes) -> np.ndarray:
        raise decoding.imaging.ImageUnavailableError("no decoder for JPEG in this Blender")

    monkeypatch.setattr(decoding.imaging, "decode_image", no_decoder)
    data = jpeg(gradient())
    result: dict[str, object] = {}

    def worker() -> None:
        result["pixels"] = decoding.decode(data)

    thread = threading.Thread(target=worker)
    thread.start()
    assert dispatcher.run_until(lambda: not thread.is_alive(), timeout=20)
    thread.join()
    assert result["pixels"].shape == (32, 48, 3)


def test_something_that_is_not_an_image_is_a_clear_error(addon):
    decoding = addon.blender.texturing.image_decoding
    with pytest.raises(decoding.imaging.ImageDecodeError):  # the add-on's own copy of the class
        decoding.decode_with_blender(b"not an image at all")
