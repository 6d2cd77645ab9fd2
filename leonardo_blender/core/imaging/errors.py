"""The two errors of image reading: not an image (or a broken one), and no decoder for it here."""

from __future__ import annotations


class ImageDecodeError(ValueError):
    """The bytes are not an image this module can read: unrecognised, truncated or corrupt."""


class ImageUnavailableError(ImageDecodeError):
    """The image may be fine, but no decoder for its format (or variant) is available here."""
