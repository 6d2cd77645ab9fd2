"""Reading HTTP bodies with a size cap, whatever the server claims or sends.

``iter_body`` yields the decoded body of a ``stream=True`` response in chunks and raises
``BodyTooLarge`` as soon as more than ``limit`` bytes have arrived (after decoding: a gzip bomb is
stopped at the cap too, by our own bounded ``zlib`` decoder, independent of the urllib3 version
Blender bundles). A ``Content-Length`` above the cap is refused before reading anything. A body
shorter than its ``Content-Length`` is a broken connection (``requests.ConnectionError``), even with
an urllib3 that does not enforce the length itself.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator

import requests
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ReadTimeoutError

CHUNK = 256 * 1024


class BodyTooLarge(Exception):  # noqa: N818 - an internal signal, turned into a LeonardoError by callers
    """The body is (or announces to be) larger than the cap."""

    def __init__(self, limit: int, announced: int | None = None) -> None:
        super().__init__(limit, announced)
        self.limit = limit
        self.announced = announced


class UnsupportedEncoding(Exception):  # noqa: N818 - an internal signal, turned into a LeonardoError by callers
    """The server compressed the body in a way we did not ask for and cannot bound (br, zstd, ...)."""

    def __init__(self, encoding: str) -> None:
        super().__init__(encoding)
        self.encoding = encoding


def announced_length(response: requests.Response) -> int | None:
    value = (response.headers.get("Content-Length") or "").strip()
    if not value.isdigit() or len(value) > 18:
        return None
    return int(value)


def _decoder(response: requests.Response, chunk: int) -> Callable[[bytes], Iterator[bytes]] | None:
    """A bounded gzip/deflate decoder: yields at most ``chunk`` bytes at a time, however compressed."""
    encoding = (response.headers.get("Content-Encoding") or "").strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise UnsupportedEncoding(encoding[:40])
    state = {"inflater": zlib.decompressobj(32 + zlib.MAX_WBITS)}  # gzip or zlib header, detected

    def decode(data: bytes) -> Iterator[bytes]:
        inflater = state["inflater"]
        pending = data
        while pending:
            if inflater.eof:  # a gzip body may hold several members, one after the other
                pending = inflater.unused_data + pending
                inflater = state["inflater"] = zlib.decompressobj(32 + zlib.MAX_WBITS)
            piece = inflater.decompress(pending, chunk)
            if piece:
                yield piece
            pending = inflater.unconsumed_tail
            if inflater.eof and not pending and inflater.unused_data:
                pending = inflater.unused_data
                inflater = state["inflater"] = zlib.decompressobj(32 + zlib.MAX_WBITS)
        while not inflater.eof:  # output the decoder still holds after the last input byte
            piece = inflater.decompress(b"", chunk)
            if not piece:
                break
            yield piece

    return decode


def iter_body(response: requests.Response, limit: int, chunk: int = CHUNK) -> Iterator[bytes]:
    """The decoded body in chunks; ``BodyTooLarge`` beyond ``limit`` bytes; network faults as requests errors."""
    announced = announced_length(response)
    encoding = (response.headers.get("Content-Encoding") or "").strip().lower()
    if announced is not None and announced > limit and encoding in ("", "identity"):
        raise BodyTooLarge(limit, announced)
    decode = _decoder(response, chunk)
    received_raw = 0
    delivered = 0
    try:
        for raw in response.raw.stream(chunk, decode_content=False):
            received_raw += len(raw)
            for piece in (raw,) if decode is None else decode(raw):
                delivered += len(piece)
                if delivered > limit:
                    raise BodyTooLarge(limit, announced)
                if piece:
                    yield piece
    except (ReadTimeoutError, TimeoutError) as exc:
        raise requests.exceptions.ReadTimeout(f"no data while reading the body ({type(exc).__name__})") from exc
    except (Urllib3Error, OSError) as exc:
        raise requests.ConnectionError(f"the connection broke while reading the body ({type(exc).__name__})") from exc
    except zlib.error as exc:
        raise requests.exceptions.ContentDecodingError(f"the compressed body is damaged ({exc})") from exc
    if announced is not None and received_raw < announced:
        raise requests.ConnectionError(f"the body ended after {received_raw} of {announced} bytes")


def read_body(response: requests.Response, limit: int) -> bytearray:
    """The whole decoded body, at most ``limit`` bytes (else ``BodyTooLarge``); held once, not twice."""
    body = bytearray()
    for piece in iter_body(response, limit):
        body += piece
    return body


def read_prefix(response: requests.Response, limit: int) -> tuple[bytes, bool]:
    """Up to ``limit`` bytes of the body and whether that was all of it (for error messages).

    Never raises for size or a broken connection: an error answer is reported with what arrived.
    """
    parts: list[bytes] = []
    size = 0
    try:
        for piece in iter_body(response, limit):
            parts.append(piece)
            size += len(piece)
    except BodyTooLarge:
        return b"".join(parts)[:limit], False
    except (requests.RequestException, UnsupportedEncoding):
        return b"".join(parts)[:limit], False
    return b"".join(parts), True
