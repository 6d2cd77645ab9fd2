"""Uploads to presigned storage URLs and downloads of result files.

These hosts are not the API: they get no ``Authorization`` header (storage answers 403 when one is
sent, and the key must never leave for another host). A separate session without any auth is used,
so the key cannot be attached by accident, even across redirects.

Both directions are idempotent (the same object key is overwritten; a GET changes nothing), so they
retry on connection errors and 5xx. Downloads are written to a ``.part`` file and renamed into place
only when complete and recognisably an image, so a half-written map never reaches Blender.
"""

from __future__ import annotations

import os
import random
import re
import threading
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

from ..core.backoff import HTTP_RETRY, Backoff
from . import errors
from .models import UploadSlot
from .transport import USER_AGENT, Timeouts

_S3_MESSAGE = re.compile(r"<Message>(.*?)</Message>", re.S)
_S3_CODE = re.compile(r"<Code>(.*?)</Code>", re.S)


def image_kind(data: bytes) -> str | None:
    """'jpeg', 'png' or 'webp' when ``data`` looks like a complete image of that kind, else None."""
    if data[:3] == b"\xff\xd8\xff" and b"\xff\xd9" in data[-16:]:
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n" and b"IEND" in data[-16:]:
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def _storage_message(response: requests.Response) -> tuple[str, str | None]:
    text = response.text or ""
    message = _S3_MESSAGE.search(text)
    code = _S3_CODE.search(text)
    detail = message.group(1).strip() if message else text.strip()[:200]
    return detail, code.group(1).strip() if code else None


class FileTransfer:
    """Presigned uploads and plain downloads, without credentials."""

    def __init__(
        self,
        *,
        timeouts: Timeouts | None = None,
        max_retries: int = 3,
        backoff: Backoff = HTTP_RETRY,
        cancel: threading.Event | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.timeouts = timeouts or Timeouts(connect=10.0, read=120.0)
        self.max_retries = max_retries
        self.backoff = backoff
        self.cancel = cancel or threading.Event()
        self._rng = rng or random.Random()
        self.session = requests.Session()
        self.session.mount("http://", HTTPAdapter(max_retries=0))
        self.session.mount("https://", HTTPAdapter(max_retries=0))
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.auth = None
        self.session.trust_env = True

    def close(self) -> None:
        self.session.close()

    def _wait(self, attempt: int) -> None:
        if self.cancel.wait(self.backoff.delay(attempt, self._rng)):
            raise errors.CancelledError("Cancelled")

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            raise errors.CancelledError("Cancelled")

    # -- upload ----------------------------------------------------------------------------------

    def upload(self, slot: UploadSlot, data: bytes, filename: str, content_type: str) -> None:
        """POST every presigned field unchanged, then the file as the last part named ``file``."""
        attempt = 0
        while True:
            self._check_cancel()
            try:
                response = self.session.post(
                    slot.url,
                    data=dict(slot.fields),
                    files={"file": (filename, data, content_type)},
                    timeout=self.timeouts.as_tuple(),
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                if attempt >= self.max_retries:
                    raise errors.NetworkError(f"Uploading {filename} failed: {type(exc).__name__}") from None
                self._wait(attempt)
                attempt += 1
                continue
            if response.status_code in (200, 201, 204):
                return
            detail, code = _storage_message(response)
            if response.status_code >= 500 and attempt < self.max_retries:
                self._wait(attempt)
                attempt += 1
                continue
            expired = "expired" in detail.lower()
            error = errors.UploadError(
                f"The storage host refused {filename}: {detail or 'HTTP ' + str(response.status_code)}",
                status=response.status_code,
                code=code,
            )
            error.expired = expired  # type: ignore[attr-defined]
            raise error

    # -- download --------------------------------------------------------------------------------

    def fetch(self, url: str, *, expect_image: bool = True, what: str = "file") -> bytes:
        """Download ``url`` into memory (small files: thumbnails, meshes)."""
        attempt = 0
        while True:
            self._check_cancel()
            try:
                response = self.session.get(url, timeout=self.timeouts.as_tuple(), allow_redirects=True)
            except requests.RequestException as exc:
                if attempt >= self.max_retries:
                    raise errors.NetworkError(f"Downloading the {what} failed: {type(exc).__name__}") from None
                self._wait(attempt)
                attempt += 1
                continue
            if response.status_code == 200:
                data = response.content
                if expect_image and image_kind(data) is None:
                    if attempt < self.max_retries:
                        self._wait(attempt)
                        attempt += 1
                        continue
                    raise errors.DownloadError(f"The downloaded {what} is not a valid image")
                return data
            detail, code = _storage_message(response)
            if response.status_code >= 500 and attempt < self.max_retries:
                self._wait(attempt)
                attempt += 1
                continue
            error = errors.DownloadError(
                f"Downloading the {what} failed: {detail or 'HTTP ' + str(response.status_code)}",
                status=response.status_code,
                code=code,
            )
            error.expired = response.status_code == 403  # type: ignore[attr-defined]
            raise error

    def download(self, url: str, destination: Path, *, expect_image: bool = True, what: str = "file") -> Path:
        """Download ``url`` to ``destination`` atomically (``.part`` then rename)."""
        data = self.fetch(url, expect_image=expect_image, what=what)
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(destination.name + ".part")
        with open(partial, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, destination)
        return destination
