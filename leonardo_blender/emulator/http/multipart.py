"""A small, strict ``multipart/form-data`` parser for the upload host (the stdlib ``cgi`` module is gone).

Part headers are parsed with :mod:`email.parser` over the raw header block; the body is split on the
boundary by hand so binary file contents survive untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import collapse_rfc2231_value


class MultipartError(ValueError):
    """The body is not well-formed multipart/form-data."""


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def _header_message(raw: bytes) -> Message:
    return BytesHeaderParser().parsebytes(raw + b"\r\n\r\n")


def _param(message: Message, header: str, name: str) -> str | None:
    value = message.get_param(name, header=header)
    if value is None:
        return None
    return collapse_rfc2231_value(value)


def boundary_of(content_type: str | None) -> str:
    """The boundary of a ``multipart/form-data`` Content-Type header, or MultipartError."""
    if not content_type:
        raise MultipartError("missing Content-Type")
    message = _header_message(f"Content-Type: {content_type}".encode("latin-1"))
    if message.get_content_type() != "multipart/form-data":
        raise MultipartError(f"Content-Type is {message.get_content_type()}, not multipart/form-data")
    boundary = _param(message, "content-type", "boundary")
    if not boundary or len(boundary) > 200:
        raise MultipartError("multipart boundary missing or too long")
    return boundary


def parse_multipart(body: bytes, content_type: str | None) -> list[Part]:
    """Split ``body`` into its parts, in order; raise MultipartError when it is malformed."""
    delimiter = b"--" + boundary_of(content_type).encode("latin-1")
    if body.startswith(delimiter):
        position = 0
    else:
        position = body.find(b"\r\n" + delimiter)
        if position < 0:
            raise MultipartError("multipart boundary not found in the body")
        position += 2
    parts: list[Part] = []
    while True:
        position += len(delimiter)
        if body[position : position + 2] == b"--":
            return parts
        if body[position : position + 2] != b"\r\n":
            raise MultipartError("malformed multipart boundary line")
        position += 2
        header_end = body.find(b"\r\n\r\n", position)
        if header_end < 0:
            raise MultipartError("multipart part without a header block")
        headers = _header_message(body[position:header_end])
        data_start = header_end + 4
        next_delimiter = body.find(b"\r\n" + delimiter, data_start)
        if next_delimiter < 0:
            raise MultipartError("multipart body ends without a closing boundary")
        name = _param(headers, "content-disposition", "name")
        if headers.get_content_disposition() != "form-data" or name is None:
            raise MultipartError("multipart part without 'Content-Disposition: form-data; name=...'")
        parts.append(
            Part(
                name=name,
                filename=_param(headers, "content-disposition", "filename"),
                content_type=headers.get("Content-Type"),
                data=body[data_start:next_delimiter],
            )
        )
        position = next_delimiter + 2
