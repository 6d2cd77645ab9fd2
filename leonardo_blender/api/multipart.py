"""A ``multipart/form-data`` body for presigned uploads, streamed from disk (or memory) with its length.

Storage hosts answer a presigned POST only with a ``Content-Length`` (no chunked encoding), and the
file must be the last part. Building the body in memory (what ``requests`` does for ``files=``) copies
an 80 MB OBJ several times and holds the GIL while it does, freezing Blender's main thread for tens
of milliseconds. This body is read in chunks by the HTTP library instead: the fields, the file, the
closing boundary. Make a new one for every attempt (it is read once).
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ")


class MultipartBody(io.RawIOBase):
    def __init__(self, fields: Mapping[str, str], source: bytes | Path, filename: str, content_type: str) -> None:
        super().__init__()
        boundary = uuid.uuid4().hex
        self.content_type = f"multipart/form-data; boundary={boundary}"
        head = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"\r\n\r\n'.encode()
            + str(value).encode()
            + b"\r\n"
            for name, value in fields.items()
        )
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{_quoted(filename)}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        if isinstance(source, Path):
            file: BinaryIO = open(source, "rb")  # noqa: SIM115 (closed with the body)
            size = os.fstat(file.fileno()).st_size
        else:
            file, size = io.BytesIO(source), len(source)
        self._parts: list[BinaryIO] = [io.BytesIO(head), file, io.BytesIO(tail)]
        self._length = len(head) + size + len(tail)

    def __len__(self) -> int:  # requests sends this as Content-Length
        return self._length

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunks = []
        while self._parts and (size < 0 or size > 0):
            chunk = self._parts[0].read(size)
            if not chunk:
                self._parts.pop(0).close()
                continue
            chunks.append(chunk)
            if size > 0:
                size -= len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        for part in self._parts:
            part.close()
        self._parts = []
        super().close()
