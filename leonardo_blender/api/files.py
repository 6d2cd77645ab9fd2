"""Uploads to presigned storage URLs and downloads of result files.

These hosts are not the API: they get no ``Authorization`` header (storage answers 403 when one is
sent, and the key must never leave for another host). A separate session without any auth is used,
so the key cannot be attached by accident, even across redirects.

Both directions are idempotent (the same object key is overwritten; a GET changes nothing), so they
retry on connection errors, 5xx and 429 (honouring ``Retry-After`` up to ``max_retry_after``; a longer
wait is reported at once instead of slept), and raise ``UploadError``/``DownloadError`` (their
``*NetworkError`` variants when the host could not be reached) when they finally give up.

Only ``http(s)://`` links are opened (``file://``, ``ftp://``, ``data:`` are refused before anything
is fetched). Downloads stream to a ``.part`` file in chunks, with a size cap (``max_download_bytes``,
256 MiB by default; a larger ``Content-Length`` is refused before reading), and are renamed into place
only when the file is a structurally complete PNG, JPEG or WebP (``imagecheck``); a damaged file is
downloaded once more before giving up. ``fetch`` keeps small files in memory, with its own cap.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import random
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Protocol

import requests
from requests.adapters import HTTPAdapter

from ..core.backoff import HTTP_RETRY, Backoff, parse_retry_after
from ..core.safe_names import path_inside, safe_file_stem
from . import errors
from .bodies import BodyTooLarge, UnsupportedEncoding, iter_body, read_prefix
from .imagecheck import DamagedImageError, check_image, sniff
from .imagecheck import image_kind as image_kind
from .models import UploadSlot
from .multipart import MultipartBody
from .transport import USER_AGENT, Timeouts, clean_message
from .urls import check_transfer_url

#: Largest file ``download`` writes to disk (a 4096 px 16-bit RGBA PNG is about 130 MiB).
DEFAULT_MAX_DOWNLOAD_BYTES = 256 * 1024 * 1024
#: Largest file ``fetch`` keeps in memory (thumbnails, meshes, maps of the older pipeline).
DEFAULT_MAX_FETCH_BYTES = 64 * 1024 * 1024
#: How many times a download that arrived damaged is downloaded afresh before giving up.
DAMAGED_RETRIES = 1
#: File extensions by image kind.
EXTENSIONS = {"jpeg": ".jpg", "png": ".png", "webp": ".webp"}

_S3_MESSAGE = re.compile(r"<Message>(.*?)</Message>", re.S)
_S3_CODE = re.compile(r"<Code>(.*?)</Code>", re.S)
_NOT_RETRIED = (
    requests.exceptions.InvalidSchema,
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.TooManyRedirects,
    requests.exceptions.InvalidHeader,
)
_MIB = 1024 * 1024


def _storage_message(body: bytes, status: int) -> tuple[str, str | None]:
    text = body.decode("utf-8", errors="replace")
    message = _S3_MESSAGE.search(text)
    code = _S3_CODE.search(text)
    detail = clean_message(message.group(1) if message else text[:200])
    return detail or f"HTTP {status}", (clean_message(code.group(1))[:100] if code else None)


def _mib(size: int) -> str:
    return f"{size / _MIB:.0f} MiB" if size >= _MIB else f"{size} bytes"


class _Sink(Protocol):
    def reset(self) -> None: ...
    def write(self, data: bytes) -> None: ...


class _MemorySink:
    def __init__(self) -> None:
        self.data = bytearray()

    def reset(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data


class _FileSink:
    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle

    def reset(self) -> None:
        self.handle.seek(0)
        self.handle.truncate()

    def write(self, data: bytes) -> None:
        self.handle.write(data)


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
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        max_fetch_bytes: int = DEFAULT_MAX_FETCH_BYTES,
        max_retry_after: float = 60.0,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.timeouts = timeouts or Timeouts(connect=10.0, read=120.0)
        self.max_retries = max_retries
        self.backoff = backoff
        self.cancel = cancel or threading.Event()
        self.max_download_bytes = max_download_bytes
        self.max_fetch_bytes = max_fetch_bytes
        self.max_retry_after = max_retry_after
        self._rng = rng or random.Random()
        self._sleep = sleep
        self.session = requests.Session()
        self.session.mount("http://", HTTPAdapter(max_retries=0))
        self.session.mount("https://", HTTPAdapter(max_retries=0))
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers["Accept-Encoding"] = "identity"  # images are compressed already
        self.session.auth = None
        self.session.trust_env = True

    def close(self) -> None:
        self.session.close()

    def _wait(self, attempt: int, retry_after: float | None = None) -> None:
        delay = self.backoff.delay_honouring(attempt, retry_after, self._rng)
        if self._sleep is not None:
            self._sleep(delay)
            self._check_cancel()
            return
        if self.cancel.wait(delay):
            raise errors.CancelledError("Cancelled")

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            raise errors.CancelledError("Cancelled")

    def _should_retry(self, status: int, retry_after: float | None, attempt: int) -> bool:
        """429 and 5xx are retried while attempts remain and the server's wait is acceptable."""
        if status != 429 and status < 500:
            return False
        if attempt >= self.max_retries:
            return False
        return retry_after is None or retry_after <= self.max_retry_after

    # -- upload ----------------------------------------------------------------------------------

    def upload(self, slot: UploadSlot, data: bytes | Path, filename: str, content_type: str) -> None:
        """POST every presigned field unchanged, then the file as the last part named ``file``.

        ``data`` may be a path: the body is then streamed from disk (``multipart.MultipartBody``)."""
        url = check_transfer_url(slot.url, f"upload of {filename}", errors.UploadError)
        attempt = 0
        while True:
            self._check_cancel()
            payload = MultipartBody(slot.fields, data, filename, content_type)  # read once: one per attempt
            try:
                with (
                    payload,
                    self.session.post(
                        url,
                        data=payload,
                        headers={"Content-Type": payload.content_type},
                        timeout=self.timeouts.as_tuple(),
                        allow_redirects=False,
                        stream=True,
                    ) as response,
                ):
                    status = response.status_code
                    body, _complete = read_prefix(response, 64 * 1024)
                    retry_after = parse_retry_after(response.headers.get("Retry-After"))
            except _NOT_RETRIED as exc:
                raise errors.UploadError(f"Uploading {filename} failed: {type(exc).__name__}") from None
            except requests.RequestException as exc:
                if attempt >= self.max_retries:
                    raise errors.UploadNetworkError(
                        f"Uploading {filename} failed after {attempt + 1} attempts: {type(exc).__name__}"
                    ) from None
                self._wait(attempt)
                attempt += 1
                continue
            if status in (200, 201, 204):
                return
            if self._should_retry(status, retry_after, attempt):
                self._wait(attempt, retry_after)
                attempt += 1
                continue
            detail, code = _storage_message(body, status)
            if status == 429:
                error = errors.UploadError(
                    f"The storage host is busy and refused {filename} (HTTP 429: {detail})",
                    status=status,
                    code=code,
                    fix="The storage host is busy; nothing was uploaded. Try again in a minute.",
                )
            else:
                error = errors.UploadError(f"The storage host refused {filename}: {detail}", status=status, code=code)
            error.expired = "expired" in detail.lower()
            raise error

    # -- download --------------------------------------------------------------------------------

    def _receive(self, url: str, what: str, limit: int, sink: _Sink) -> None:
        """GET ``url`` into ``sink`` (reset before every attempt), with retries; ``DownloadError`` family."""
        url = check_transfer_url(url, what, errors.DownloadError)
        attempt = 0
        while True:
            self._check_cancel()
            sink.reset()
            try:
                with self.session.get(url, timeout=self.timeouts.as_tuple(), allow_redirects=True, stream=True) as r:
                    status = r.status_code
                    if status == 200:
                        for piece in iter_body(r, limit):
                            sink.write(piece)
                            self._check_cancel()
                        return
                    body, _complete = read_prefix(r, 64 * 1024)
                    retry_after = parse_retry_after(r.headers.get("Retry-After"))
            except BodyTooLarge as exc:
                announced = f" ({_mib(exc.announced)})" if exc.announced else ""
                raise errors.DownloadError(
                    f"The {what} is larger than the {_mib(limit)} allowed{announced}; it was not downloaded",
                    status=200,
                    fix="The service sent an unexpectedly large file; please report this.",
                    action="",
                ) from None
            except UnsupportedEncoding as exc:
                raise errors.DownloadError(
                    f"The {what} was sent compressed as {exc.encoding!r}, which was not asked for", status=200
                ) from None
            except _NOT_RETRIED as exc:
                raise errors.DownloadError(
                    f"Downloading the {what} failed: {type(exc).__name__} (a redirect to an unusable link?)"
                ) from None
            except requests.RequestException as exc:
                if attempt >= self.max_retries:
                    raise errors.DownloadNetworkError(
                        f"Downloading the {what} failed after {attempt + 1} attempts: {type(exc).__name__}"
                    ) from None
                self._wait(attempt)
                attempt += 1
                continue
            if self._should_retry(status, retry_after, attempt):
                self._wait(attempt, retry_after)
                attempt += 1
                continue
            detail, code = _storage_message(body, status)
            if status == 429:
                wait = f"; it asked to wait {retry_after:.0f} s" if retry_after else ""
                error = errors.DownloadError(
                    f"The download host is busy (HTTP 429) and still refused the {what}{wait}",
                    status=status,
                    code=code,
                    fix="The download host is busy; resume the job in a minute (it is not charged again).",
                )
            elif status >= 500:
                error = errors.DownloadError(
                    f"The download host failed for the {what} (HTTP {status}: {detail})", status=status, code=code
                )
            else:
                error = errors.DownloadError(f"Downloading the {what} failed: {detail}", status=status, code=code)
            error.expired = status == 403
            raise error

    def _damaged(self, what: str, reason: str) -> errors.DownloadError:
        error = errors.DownloadError(
            f"The downloaded {what} is damaged: {reason}",
            fix="It was downloaded twice and arrived damaged both times; try again later.",
        )
        error.damaged = True
        return error

    def fetch(self, url: str, *, expect_image: bool = True, what: str = "file", max_bytes: int | None = None) -> bytes:
        """Download ``url`` into memory (small files: thumbnails, meshes), at most ``max_fetch_bytes``.

        With ``expect_image`` the data must be a structurally complete PNG, JPEG or WebP; a damaged
        file is downloaded once more, then ``DownloadError`` (``damaged=True``).
        """
        limit = self.max_fetch_bytes if max_bytes is None else max_bytes
        for round_ in range(DAMAGED_RETRIES + 1):
            sink = _MemorySink()
            self._receive(url, what, limit, sink)
            data = bytes(sink.data)
            if not expect_image:
                return data
            try:
                check_image(data)
                return data
            except DamagedImageError as exc:
                if round_ >= DAMAGED_RETRIES:
                    raise self._damaged(what, exc.args[0]) from None
        raise AssertionError("unreachable")

    def download(
        self,
        url: str,
        destination: Path,
        *,
        expect_image: bool = True,
        what: str = "file",
        max_bytes: int | None = None,
    ) -> Path:
        """Stream ``url`` to ``destination`` atomically (``.part``, checked, then renamed).

        At most ``max_download_bytes`` (or ``max_bytes``) are written; with ``expect_image`` the file
        must be a structurally complete image (a damaged one is downloaded once more). Nothing is left
        behind on failure.
        """
        self._download_to(url, destination, expect_image=expect_image, what=what, max_bytes=max_bytes)
        return destination

    def download_image(
        self, url: str, folder: Path, stem: str, *, what: str = "image", max_bytes: int | None = None
    ) -> Path:
        """Stream an image into ``folder`` as ``<safe stem>.<jpg|png|webp>`` (extension from its content).

        ``stem`` may come from the service (a map ``type``): it is made safe with ``safe_file_stem`` and
        the result is checked to lie inside ``folder``. Returns the final path.
        """
        safe = safe_file_stem(stem, "image")
        folder.mkdir(parents=True, exist_ok=True)
        partial_target = path_inside(folder, safe + ".download")
        kind = self._download_to(url, partial_target, expect_image=True, what=what, max_bytes=max_bytes, keep=False)
        partial = partial_target.with_name(partial_target.name + ".part")
        try:
            final = path_inside(folder, safe + EXTENSIONS[kind])
            os.replace(partial, final)
        except BaseException:
            with contextlib.suppress(OSError):
                partial.unlink()
            raise
        return final

    def _download_to(
        self,
        url: str,
        destination: Path,
        *,
        expect_image: bool,
        what: str,
        max_bytes: int | None,
        keep: bool = True,
    ) -> str:
        """Download into ``destination.part``; rename to ``destination`` when ``keep``. Returns the kind."""
        limit = self.max_download_bytes if max_bytes is None else max_bytes
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(destination.name + ".part")
        done = False
        try:
            for round_ in range(DAMAGED_RETRIES + 1):
                with open(partial, "wb") as handle:
                    self._receive(url, what, limit, _FileSink(handle))
                    handle.flush()
                    os.fsync(handle.fileno())
                kind = "file"
                if expect_image:
                    try:
                        kind = _check_file(partial)
                    except DamagedImageError as exc:
                        if round_ >= DAMAGED_RETRIES:
                            raise self._damaged(what, exc.args[0]) from None
                        continue
                if keep:
                    os.replace(partial, destination)
                done = True
                return kind
            raise AssertionError("unreachable")
        finally:
            if not done:
                with contextlib.suppress(OSError):
                    partial.unlink()


def _check_file(path: Path) -> str:
    """Structural check of an image file on disk, through a read-only memory map (no full read)."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size == 0:
            raise DamagedImageError("the file is empty")
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
            if sniff(view) is None:
                raise DamagedImageError("it is not a PNG, JPEG or WebP image")
            return check_image(view)
