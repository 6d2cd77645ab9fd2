"""Constants of the PNG format shared by the encoder and the decoder."""

from __future__ import annotations

from typing import Final

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"

#: The largest image (in pixels) the built-in PNG decoder accepts: 16384 x 16384.
MAX_PNG_PIXELS: Final = 1 << 28

_COLOUR_TYPE_BY_CHANNELS: Final = {1: 0, 2: 4, 3: 2, 4: 6}
_CHANNELS_BY_COLOUR_TYPE: Final = {colour: channels for channels, colour in _COLOUR_TYPE_BY_CHANNELS.items()}
_PALETTE_COLOUR_TYPE: Final = 3
_FILTER_NONE, _FILTER_SUB, _FILTER_UP, _FILTER_AVERAGE, _FILTER_PAETH = range(5)
#: Rows are filtered and compressed in blocks of about this many bytes, to bound the encoder's memory.
_ENCODE_BLOCK_BYTES: Final = 1 << 22
