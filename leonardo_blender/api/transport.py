"""HTTP to the Leonardo API: authentication, timeouts, retries and error mapping.

Rules this module enforces:

* The API key is attached only to requests whose origin is the API's own origin; upload and
  download hosts get no ``Authorization`` header (see ``files.py``, which uses a separate session).
* Every request has a (connect, read) timeout.
* Idempotent calls (GET, DELETE, the pricing calculator) retry with exponential backoff and jitter
  on connection errors, timeouts, 429 and 5xx, honouring ``Retry-After``.
* A paid create is re-sent only when the service provably did not act on it: a 429, or a
  connection that was never established. A read timeout, a broken connection or a 5xx after the
  request was sent raise an error with ``outcome_unknown=True`` instead; the job layer reconciles.
* A paid create that is refused with 429, or whose connection was never established, raises an
  error with ``never_reached=True``: nothing was charged, so the job can simply be resumed.
* The key is never sent in cleartext: an ``http://`` base URL is refused unless its host is loopback
  (``urls.check_api_base_url``). Request paths are checked too (no ``..``, no query or fragment
  smuggled into a path); ids in paths are validated by the client (``urls.path_id``).
* Answers are read with a cap (``max_json_bytes``, 32 MiB by default): a larger or endless answer is an
  ``UnexpectedResponseError``, never a memory blow-up; so is JSON that does not parse (deep nesting,
  invalid UTF-8, a 5000-digit number). A 2xx answer to a paid create that cannot be read or parsed
  has ``outcome_unknown=True``: the service probably acted on it.
* Nothing here logs the key, and every message that leaves this module is passed through
  ``redact``.
"""

from __future__ import annotations

import enum
import json
import logging
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from ..core.backoff import HTTP_RETRY, Backoff, parse_retry_after
from . import errors
from .bodies import BodyTooLarge, UnsupportedEncoding, read_body, read_prefix
from .errors import redact
from .urls import check_api_base_url
from .wire import type_name

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://cloud.leonardo.ai/api/rest/v1"
USER_AGENT = "leonardo-blender/0.1"

#: Largest JSON answer read from the API (a list page of 50 rows is a few tens of KiB).
MAX_JSON_BYTES = 32 * 1024 * 1024
#: Of an error answer only this much is read (for its message).
ERROR_BODY_BYTES = 64 * 1024
#: The server's message is cut to this many characters before it reaches the UI.
MAX_MESSAGE_CHARS = 500


class Retry(enum.Enum):
    """How a request may be retried."""

    IDEMPOTENT = "idempotent"  # GET, DELETE, pure calculations: always safe to re-send
    CREATE = "create"  # creates something free (an upload slot): a duplicate is harmless
    PAID = "paid"  # spends credits: re-send only when the service provably did not act


@dataclass(frozen=True)
class Timeouts:
    connect: float = 10.0
    read: float = 60.0

    def as_tuple(self) -> tuple[float, float]:
        return (self.connect, self.read)


class _BearerForOrigin(requests.auth.AuthBase):
    """Adds ``Authorization: Bearer`` only when the request goes to the API's origin."""

    def __init__(self, api_key: str, origin: tuple[str, str]) -> None:
        self._api_key = api_key
        self._origin = origin

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        parts = urlsplit(request.url or "")
        if (parts.scheme, parts.netloc) == self._origin:
            request.headers["Authorization"] = f"Bearer {self._api_key}"
        else:
            request.headers.pop("Authorization", None)
        return request

    def __repr__(self) -> str:
        return "<BearerForOrigin ***>"


def origin_of(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return (parts.scheme, parts.netloc)


class Transport:
    """One authenticated session to the API, used from one thread at a time."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeouts: Timeouts | None = None,
        max_retries: int = 4,
        backoff: Backoff = HTTP_RETRY,
        max_retry_after: float = 60.0,
        cancel: threading.Event | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], None] | None = None,
        max_json_bytes: int = MAX_JSON_BYTES,
    ) -> None:
        if not api_key or not api_key.strip():
            raise errors.AuthenticationError("No Leonardo API key is set")
        self.base_url = check_api_base_url(base_url)
        self._api_key = api_key.strip()
        self.max_json_bytes = max_json_bytes
        self.timeouts = timeouts or Timeouts()
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.cancel = cancel or threading.Event()
        self._rng = rng or random.Random()
        self._sleep = sleep
        self.session = requests.Session()
        # No urllib3-level retries: every retry decision is made here, knowing what is paid.
        self.session.mount("http://", HTTPAdapter(max_retries=0))
        self.session.mount("https://", HTTPAdapter(max_retries=0))
        self.session.auth = _BearerForOrigin(self._api_key, origin_of(self.base_url))
        self.session.headers.update(
            {
                "accept": "application/json",
                "content-type": "application/json",
                "User-Agent": USER_AGENT,
                # Only what bodies.iter_body can decode with a cap (requests would offer br/zstd too).
                "Accept-Encoding": "gzip, deflate",
            }
        )

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r}, api_key=***)"

    def close(self) -> None:
        self.session.close()

    # -- waiting ---------------------------------------------------------------------------------

    def wait(self, seconds: float) -> None:
        """Sleep, but wake up (and raise) as soon as the operation is cancelled."""
        if self._sleep is not None:
            self._sleep(seconds)
            self.raise_if_cancelled()
            return
        if self.cancel.wait(max(0.0, seconds)):
            raise errors.CancelledError("Cancelled")

    def raise_if_cancelled(self) -> None:
        if self.cancel.is_set():
            raise errors.CancelledError("Cancelled")

    # -- requests --------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        retry: Retry = Retry.IDEMPOTENT,
    ) -> dict[str, Any]:
        """Send one API call and return the decoded JSON object, or raise a ``LeonardoError``."""
        url = f"{self.base_url}/{check_request_path(path).lstrip('/')}"
        attempt = 0
        while True:
            self.raise_if_cancelled()
            try:
                with self.session.request(
                    method,
                    url,
                    json=dict(json_body) if json_body is not None else None,
                    params=dict(params) if params else None,
                    timeout=self.timeouts.as_tuple(),
                    stream=True,
                ) as response:
                    status = response.status_code
                    log.debug("%s %s -> %s", method, path, status)
                    if 200 <= status < 300:
                        data = self._read_answer(response, method, path, retry)
                        return decode_json_object(
                            data, f"{method} {path}", status=status, outcome_unknown=retry is Retry.PAID
                        )
                    prefix, _complete = read_prefix(response, ERROR_BODY_BYTES)
                    failure = self._http_failure(response, retry, prefix)
            except requests.RequestException as exc:
                lost = self._network_failure(exc, method, path, retry)
                if attempt >= self.max_retries or lost.outcome_unknown:
                    raise lost from None
                delay = self.backoff.delay(attempt, self._rng)
                log.info("%s %s: %s; retrying in %.1f s", method, path, lost.message, delay)
                self.wait(delay)
                attempt += 1
                continue

            if not self._may_retry(failure, retry) or attempt >= self.max_retries:
                raise failure
            retry_after = getattr(failure, "retry_after", None)
            if retry_after is not None and retry_after > self.max_retry_after:
                raise failure
            delay = self.backoff.delay_honouring(attempt, retry_after, self._rng)
            log.info("%s %s: HTTP %s; retrying in %.1f s", method, path, status, delay)
            self.wait(delay)
            attempt += 1

    def _read_answer(self, response: requests.Response, method: str, path: str, retry: Retry) -> bytearray:
        """The 2xx body, capped. Network faults while reading propagate as ``requests`` errors."""
        unknown = retry is Retry.PAID
        note = " (the request may have been carried out; it was not sent again)" if unknown else ""
        try:
            return read_body(response, self.max_json_bytes)
        except BodyTooLarge as exc:
            size = f" ({exc.announced} bytes announced)" if exc.announced else ""
            raise errors.UnexpectedResponseError(
                f"{method} {path}: the answer is larger than {self.max_json_bytes // (1024 * 1024)} MiB{size}; "
                f"it was not read{note}",
                status=response.status_code,
                outcome_unknown=unknown,
            ) from None
        except UnsupportedEncoding as exc:
            raise errors.UnexpectedResponseError(
                f"{method} {path}: the answer is compressed as {exc.encoding!r}, which was not asked for{note}",
                status=response.status_code,
                outcome_unknown=unknown,
            ) from None

    @staticmethod
    def _may_retry(failure: errors.LeonardoError, retry: Retry) -> bool:
        if isinstance(failure, errors.RateLimitedError):
            return True  # refused before doing anything, paid or not
        if isinstance(failure, errors.ServerError):
            return retry is not Retry.PAID
        return False

    def _network_failure(
        self, exc: requests.RequestException, method: str, path: str, retry: Retry
    ) -> errors.NetworkError:
        never_sent = request_never_sent(exc)
        host = urlsplit(self.base_url).netloc
        if isinstance(exc, requests.Timeout) and not never_sent:
            text = f"{method} {path}: no answer from {host} within {self.timeouts.read:g} s"
        elif never_sent:
            text = f"Cannot connect to {host}"
        else:
            text = f"{method} {path}: the connection to {host} broke"
        unknown = retry is Retry.PAID and not never_sent
        fix = None
        if unknown:
            text += " (the request may have reached the service; it was not sent again)"
        elif never_sent and retry is Retry.PAID:
            fix = "Check your internet connection (and proxy settings); nothing was sent, so nothing was charged."
        return errors.NetworkError(
            redact(text, self._api_key), outcome_unknown=unknown, never_reached=never_sent, fix=fix
        )

    def _http_failure(
        self, response: requests.Response, retry: Retry, body: bytes | None = None
    ) -> errors.LeonardoError:
        return error_from_response(
            response, secrets=(self._api_key,), outcome_unknown_on_5xx=retry is Retry.PAID, body=body
        )


def check_request_path(path: str) -> str:
    """``path`` if it is a plain API path: no ``.``/``..`` segment, no query, fragment, backslash, control
    character or percent sign (so nothing can be re-decoded into another path). Else ``InvalidIdError``."""
    bad = (
        not isinstance(path, str)
        or any(ch in path for ch in "?#%\\")
        or not path.isprintable()
        or any(segment in (".", "..") for segment in path.split("/"))
        or "//" in path.strip("/")
    )
    if bad:
        raise errors.InvalidIdError(
            f"Refusing to send a request to the unsafe path {str(path)[:80]!r}", never_reached=True
        )
    return path


def decode_json_object(
    data: bytes | bytearray, what: str, *, status: int | None = None, outcome_unknown: bool = False
) -> dict[str, Any]:
    """The JSON object in ``data``, or ``UnexpectedResponseError`` (never ``ValueError``/``RecursionError``)."""
    note = " (the request may have been carried out; it was not sent again)" if outcome_unknown else ""
    if not data.strip():
        raise errors.UnexpectedResponseError(
            f"{what}: the service answered HTTP {status} with no JSON{note}",
            status=status,
            outcome_unknown=outcome_unknown,
        )
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):
        raise errors.UnexpectedResponseError(
            f"{what}: the service answered HTTP {status} with no valid JSON{note}",
            status=status,
            outcome_unknown=outcome_unknown,
        ) from None
    if not isinstance(body, dict):
        raise errors.UnexpectedResponseError(
            f"{what}: the service answered with {type_name(body)}, not a JSON object{note}",
            status=status,
            outcome_unknown=outcome_unknown,
        )
    return body


def request_never_sent(exc: BaseException) -> bool:
    """True when the connection was never established, so the server cannot have seen the request."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    # requests wraps urllib3: ConnectionError(MaxRetryError(reason=NewConnectionError(...)))
    from urllib3.exceptions import MaxRetryError, NewConnectionError

    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, NewConnectionError):
            return True
        if isinstance(item, ConnectionRefusedError):
            return True
        if isinstance(item, MaxRetryError):
            stack.append(item.reason)
        if isinstance(item, BaseException):
            stack.extend(a for a in item.args if isinstance(a, BaseException))
            stack.append(item.__cause__)
            stack.append(item.__context__)
    return False


def error_from_response(
    response: requests.Response,
    *,
    secrets: tuple[str | None, ...] = (),
    outcome_unknown_on_5xx: bool = False,
    body: bytes | None = None,
) -> errors.LeonardoError:
    """Map a non-2xx answer to the matching ``LeonardoError`` carrying the server's message.

    ``body`` is the (capped) body already read; without it, ``response.content`` is used.
    """
    status = response.status_code
    message, code = _hasura_error(response.content if body is None else body)
    message = redact(message, *secrets)
    lowered = message.lower()
    kwargs: dict[str, Any] = {"status": status, "code": code}

    if "content moderation" in lowered or "inappropriate content" in lowered:
        return errors.ContentModerationError(message, **kwargs)
    if "authorization hook" in lowered or "authentication hook" in lowered or status in (401, 403):
        return errors.AuthenticationError(message or "The API key was refused", **kwargs)
    if "not enough api tokens" in lowered or "not enough tokens" in lowered:
        return errors.InsufficientCreditsError(message, **kwargs)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return errors.RateLimitedError(
            message or "The Leonardo service is busy (too many requests)", retry_after=retry_after, **kwargs
        )
    if status >= 500:
        return errors.ServerError(
            message or f"The service failed (HTTP {status})",
            outcome_unknown=outcome_unknown_on_5xx,
            **kwargs,
        )
    if code == "validation-failed":
        return errors.ValidationError(message, **kwargs)
    if is_routing_404(status, code, message):
        return errors.EndpointUnavailableError(message, **kwargs)
    if status == 404:
        return errors.NotFoundError(message or "Not found", **kwargs)
    return errors.BadRequestError(message or f"The service refused the request (HTTP {status})", **kwargs)


def is_routing_404(status: int, code: str | None, message: str) -> bool:
    """Hasura's answer for a path it does not route at all: ``404 {"error": "Endpoint not found", "code":
    "not-found"}``. Distinct from an unknown id (200 with ``null``) and from a 404 on a known route."""
    return status == 404 and (code or "") == "not-found" and message.strip().lower().startswith("endpoint not found")


def clean_message(text: str) -> str:
    """A server message made safe for one UI line: control characters removed, length capped."""
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 3] + "..."


def _hasura_error(data: bytes) -> tuple[str, str | None]:
    """``(message, code)`` of a Hasura error body (or of whatever text came back)."""
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):
        return (clean_message(data[:2000].decode("utf-8", errors="replace")), None)
    if isinstance(body, dict):
        message = body.get("error") or body.get("message") or ""
        if isinstance(message, dict):
            message = message.get("message") or ""
        code = body.get("code")
        if code is None and isinstance(body.get("extensions"), dict):
            code = body["extensions"].get("code")
        text = message if isinstance(message, str) else ""
        code_text = code if isinstance(code, str) else None
        return (clean_message(text), None if code_text is None else clean_message(code_text)[:100])
    if isinstance(body, str):
        return (clean_message(body), None)
    return ("", None)
