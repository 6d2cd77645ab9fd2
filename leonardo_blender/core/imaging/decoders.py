"""``decode_image``: OpenImageIO (bundled with Blender 5.0), else Pillow (development), else built-in PNG."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Final

import numpy as np

from .errors import ImageDecodeError, ImageUnavailableError
from .headers import _check_complete, _image_format
from .png_read import decode_png

# ---------------------------------------------------------------------------------------------
# Decoding any format


def decode_image(data: bytes) -> np.ndarray:
    """(H, W, 3) or (H, W, 4) uint8 pixels of a PNG, JPEG or WebP image, row 0 at the top.

    Grey images come back as RGB, grey+alpha as RGBA, 16-bit samples rounded to 8 bits; alpha is
    straight (not premultiplied). Decoders are tried in order: OpenImageIO, Pillow, the built-in
    PNG decoder; the first that handles the format decides. Raises ``ImageDecodeError`` for data that
    is not such an image or is truncated or corrupt, and ``ImageUnavailableError`` when no decoder
    available here handles the format.
    """
    kind = _image_format(data)
    _check_complete(data, kind)
    decoders = _available_decoders()
    for decoder in decoders:
        if kind in decoder.formats:
            return _as_rgb_or_rgba(decoder.decode(data, kind))
    tried = ", ".join(decoder.name for decoder in decoders)
    raise ImageUnavailableError(f"no decoder for {kind.upper()} images is available here (have: {tried})")


def decoders_available() -> list[str]:
    """The decoders ``decode_image`` can use here and their formats, for diagnostics."""
    return [f"{decoder.name} ({', '.join(sorted(decoder.formats))})" for decoder in _available_decoders()]


@dataclass(frozen=True)
class _Decoder:
    name: str
    formats: frozenset[str]
    decode: Callable[[bytes, str], np.ndarray]


_SUPPORTED_FORMATS: Final = frozenset(["png", "jpeg", "webp"])
_FILE_SUFFIXES: Final = {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}


def _available_decoders() -> list[_Decoder]:
    decoders = [_openimageio_decoder(), _pillow_decoder()]
    builtin = _Decoder("built-in PNG", frozenset(["png"]), lambda data, _kind: decode_png(data))
    return [decoder for decoder in decoders if decoder is not None] + [builtin]


def _as_rgb_or_rgba(pixels: np.ndarray) -> np.ndarray:
    """Any decoder's output as contiguous (H, W, 3 or 4) uint8."""
    if pixels.dtype == np.uint16:
        pixels = ((pixels.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    elif pixels.dtype != np.uint8:
        raise ImageDecodeError(f"decoder returned unexpected {pixels.dtype} pixels")
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    channels = pixels.shape[2]
    if channels == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    elif channels == 2:
        pixels = np.concatenate([np.repeat(pixels[:, :, :1], 3, axis=2), pixels[:, :, 1:]], axis=2)
    elif channels > 4:
        pixels = pixels[:, :, :4]
    return np.ascontiguousarray(pixels)


# --- OpenImageIO (bundled with Blender 5.0)


class _OpenImageIOLoader:
    """Imports OpenImageIO once, lazily and thread-safely; ``None`` when it is not available.

    Blender 5.0 bundles the module in its own site-packages, which is on ``sys.path`` inside the
    Blender application but not in the ``bpy`` wheel (Blender as a Python module). There, once
    ``bpy`` has been imported (this module never imports it), the bundled copy is loaded from beside
    ``bpy``. A miss is remembered only once ``bpy`` is loaded, since importing it may make a
    difference.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._module: ModuleType | None = None
        self._settled = False

    def get(self) -> ModuleType | None:
        with self._lock:
            if not self._settled:
                self._module = _import_openimageio()
                self._settled = self._module is not None or "bpy" in sys.modules
            return self._module


def _import_openimageio() -> ModuleType | None:
    try:
        import OpenImageIO
    except (ImportError, OSError):
        return _import_openimageio_beside_bpy()
    return OpenImageIO


def _import_openimageio_beside_bpy() -> ModuleType | None:
    package = _openimageio_beside_bpy()
    if package is None:
        return None
    spec = importlib.util.spec_from_file_location(
        "OpenImageIO", package / "__init__.py", submodule_search_locations=[str(package)]
    )
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules["OpenImageIO"] = module  # the package imports its extension module relatively
    try:
        spec.loader.exec_module(module)
    except Exception:
        sys.modules.pop("OpenImageIO", None)
        return None
    return module


def _openimageio_beside_bpy() -> Path | None:
    """The OpenImageIO package in the Python bundled with the imported ``bpy``, if any.

    ``bpy`` lives in ``<version>/scripts/modules/bpy`` and the bundled packages in
    ``<version>/python/lib/python3.X/site-packages`` (``python/lib/site-packages`` on Windows), in
    the application and in the wheel alike.
    """
    bpy_file = getattr(sys.modules.get("bpy"), "__file__", None)
    if not bpy_file:
        return None
    python = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for folder in Path(bpy_file).parents[:4]:
        for site_packages in (
            folder / "python" / "lib" / python / "site-packages",
            folder / "python/lib/site-packages",
        ):
            package = site_packages / "OpenImageIO"
            if (package / "__init__.py").is_file():
                return package
    return None


_openimageio = _OpenImageIOLoader()


def _openimageio_decoder() -> _Decoder | None:
    oiio = _openimageio.get()
    if oiio is None:
        return None
    formats = frozenset(oiio.get_string_attribute("input_format_list").split(",")) & _SUPPORTED_FORMATS
    version = getattr(oiio, "VERSION_STRING", "")
    return _Decoder(
        f"OpenImageIO {version}".strip(), formats, lambda data, kind: _decode_with_openimageio(oiio, data, kind)
    )


def _decode_with_openimageio(oiio: Any, data: bytes, kind: str) -> np.ndarray:
    """OpenImageIO's Python binding cannot read from memory (no IOProxy), so go through a temporary file."""
    descriptor, temporary = tempfile.mkstemp(prefix="leonardo-decode-", suffix=_FILE_SUFFIXES[kind])
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        return _read_with_openimageio(oiio, temporary, kind)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _read_with_openimageio(oiio: Any, path: str, kind: str) -> np.ndarray:
    config = oiio.ImageSpec()
    config.attribute("oiio:UnassociatedAlpha", 1)  # keep straight alpha; OIIO premultiplies by default
    image_input = oiio.ImageInput.open(path, config)
    if image_input is None:
        raise ImageDecodeError(f"OpenImageIO cannot read this {kind.upper()} image: {oiio.geterror()}")
    try:
        channels = min(image_input.spec().nchannels, 4)
        pixels = image_input.read_image(0, 0, 0, channels, "uint8")
        # A truncated JPEG still yields (padded) pixels; the error flag is what tells.
        if pixels is None or image_input.has_error:
            raise ImageDecodeError(f"corrupt or truncated {kind.upper()} image: {image_input.geterror()}")
    finally:
        image_input.close()
    return np.asarray(pixels)


# --- Pillow (development machines; Blender does not bundle it)


def _pillow_decoder() -> _Decoder | None:
    try:
        import PIL
        from PIL import features
    except ImportError:
        return None
    checks = {"png": lambda: features.check_codec("zlib"), "jpeg": lambda: features.check_codec("jpg")}
    checks["webp"] = lambda: features.check_module("webp")
    formats = frozenset(kind for kind, check in checks.items() if check())
    return _Decoder(f"Pillow {PIL.__version__}", formats, _decode_with_pillow)


def _decode_with_pillow(data: bytes, kind: str) -> np.ndarray:
    """Pillow raises on truncated files as long as ``ImageFile.LOAD_TRUNCATED_IMAGES`` is False (its default)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data), formats=[kind.upper()]) as image:
            image.load()
            return _pillow_pixels(image)
    except (OSError, SyntaxError, ValueError, EOFError, UnidentifiedImageError, Image.DecompressionBombError) as error:
        raise ImageDecodeError(f"corrupt or truncated {kind.upper()} image: {error}") from error


def _pillow_pixels(image: Any) -> np.ndarray:
    if image.mode in ("L", "LA", "RGB", "RGBA"):
        return np.asarray(image)
    if image.mode.startswith("I"):  # 16-bit grey ("I;16", "I;16B") or 32-bit integer grey ("I")
        return np.clip(np.asarray(image), 0, 65535).astype(np.uint16)
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    return np.asarray(image.convert("RGBA" if has_alpha else "RGB"))
