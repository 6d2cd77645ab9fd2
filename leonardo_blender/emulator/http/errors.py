"""Error types of the emulator and the bodies they turn into (Hasura JSON for the API, S3 XML elsewhere)."""

from __future__ import annotations

import json
from xml.sax.saxutils import escape


class ApiError(Exception):
    """An API answer in Hasura's error shape ``{"error", "path", "code"}``."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str,
        path: str = "$",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.path = path
        self.headers = dict(headers or {})

    def body(self) -> bytes:
        return hasura_error_body(self.message, self.code, self.path)


def hasura_error_body(message: str, code: str, path: str = "$") -> bytes:
    """JSON bytes of a Hasura REST error."""
    return json.dumps({"error": message, "path": path, "code": code}).encode()


def bad_request(message: str) -> ApiError:
    """400 ``bad-request`` (unknown variable, unreadable body)."""
    return ApiError(400, message, "bad-request")


def validation_failed(message: str, path: str = "$") -> ApiError:
    """400 ``validation-failed`` (wrong type, missing required variable, unknown enum value)."""
    return ApiError(400, message, "validation-failed", path)


def unexpected(message: str, status: int = 400) -> ApiError:
    """``unexpected``: what Leonardo's action handlers answer for semantic errors."""
    return ApiError(status, message, "unexpected")


def code_for_status(status: int) -> str:
    """Hasura-like ``code`` used for injected status faults."""
    if status == 429:
        return "rate-limit"
    if status in (401, 403):
        return "access-denied"
    if status == 404:
        return "not-found"
    if 400 <= status < 500:
        return "bad-request"
    return "unexpected"


def default_message_for_status(status: int) -> str:
    """Message used for injected status faults that carry none."""
    if status == 429:
        return "Rate limit exceeded, please slow down"
    if 500 <= status < 600:
        return "Service Error"
    return f"Request failed with status {status}"


class S3Error(Exception):
    """An answer of the upload or CDN host in S3's XML error shape."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> bytes:
        return s3_error_body(self.code, self.message)


def s3_error_body(code: str, message: str) -> bytes:
    """XML bytes of an S3 error document."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        "<RequestId>EMULATOR</RequestId><HostId>emulator</HostId></Error>"
    ).encode()


def s3_code_for_status(status: int) -> str:
    """S3 error code used for injected status faults on the upload and CDN hosts."""
    return {
        400: "InvalidRequest",
        403: "AccessDenied",
        404: "NoSuchKey",
        429: "SlowDown",
        500: "InternalError",
        503: "SlowDown",
    }.get(status, "InternalError" if status >= 500 else "InvalidRequest")
