"""Errors raised by the Leonardo client.

Every error carries the server's own message (never the API key), the HTTP status and the Hasura
``code`` when there was one, and a short ``fix`` sentence telling the user what to do about it. The
``action`` is a stable identifier the Blender layer turns into a button (open the preferences, open
the top-up page, enable online access, retry).

``outcome_unknown`` is set when a paid request may have reached the server although no answer came
back: such a request is never re-sent automatically; the caller reconciles instead (see
``core.jobs``), so no second paid job is created.
"""

from __future__ import annotations

ACTION_OPEN_PREFERENCES = "open_preferences"
ACTION_TOP_UP = "top_up"
ACTION_RETRY = "retry"
ACTION_EDIT_PROMPT = "edit_prompt"

TOP_UP_URL = "https://app.leonardo.ai/api-access"


class LeonardoError(Exception):
    """Base class: something the Leonardo service (or the way to it) refused or broke."""

    default_fix = "Try again; if it keeps failing, check the service status."
    default_action: str | None = ACTION_RETRY

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        fix: str | None = None,
        action: str | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.fix = fix if fix is not None else self.default_fix
        self.action = action if action is not None else self.default_action
        self.outcome_unknown = outcome_unknown

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status}, code={self.code!r})"

    @property
    def user_message(self) -> str:
        """One line for the panel or ``self.report``: what happened, then what to do."""
        if self.fix:
            return f"{self.message}. {self.fix}" if not self.message.endswith(".") else f"{self.message} {self.fix}"
        return self.message


class AuthenticationError(LeonardoError):
    """The API key is missing, wrong or revoked (401, or the auth hook's 500)."""

    default_fix = "Check the API key in Preferences > Add-ons > Leonardo (or LEONARDO_API_KEY)."
    default_action = ACTION_OPEN_PREFERENCES


class BadRequestError(LeonardoError):
    """The service refused the request as malformed (400 ``bad-request`` and friends)."""

    default_fix = "This is probably a bug in the add-on; please report it with the message."
    default_action: str | None = None


class ValidationError(BadRequestError):
    """A field had the wrong type or a required one was missing (400 ``validation-failed``)."""


class InsufficientCreditsError(BadRequestError):
    """The account has not enough API credits ("not enough api tokens")."""

    default_fix = f"Top up API credits at {TOP_UP_URL}."
    default_action = ACTION_TOP_UP


class ContentModerationError(BadRequestError):
    """The prompt was rejected by the content filter."""

    default_fix = "Change the prompt and try again."
    default_action = ACTION_EDIT_PROMPT


class RateLimitedError(LeonardoError):
    """Too many requests (429). ``retry_after`` holds the server's ``Retry-After`` in seconds."""

    default_fix = "Wait a moment; the add-on retries automatically."

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ServerError(LeonardoError):
    """The service failed (5xx)."""

    default_fix = "The Leonardo service had a problem; try again in a minute."


class NetworkError(LeonardoError):
    """The service could not be reached, or the connection broke or timed out."""

    default_fix = "Check your internet connection (and proxy settings), then try again."


class NotFoundError(LeonardoError):
    """The id is unknown to the service (the API answers ``null`` for ``*_by_pk``)."""

    default_fix = "It may have been deleted on the Leonardo web app; refresh the list."
    default_action: str | None = None


class EndpointUnavailableError(LeonardoError):
    """The service answered a routing-level 404 ("Endpoint not found"): it does not offer this call at all.

    Not a missing id (that is ``NotFoundError``, an HTTP 200 with ``null``): the whole endpoint is gone,
    as ``POST /generations-texture`` was from the live service around May 2026. Nothing was charged.
    """

    default_fix = "The Leonardo service no longer offers this call; nothing was charged."
    default_action: str | None = None


class UnexpectedResponseError(LeonardoError):
    """The service answered with something this client does not understand."""

    default_fix = "The Leonardo API may have changed; please report this with the message."
    default_action = None


class UploadError(LeonardoError):
    """The presigned upload of a mesh or image was refused by the storage host."""

    default_fix = "Try again; the upload link is only valid for two minutes."


class DownloadError(LeonardoError):
    """A result file could not be downloaded or is not a valid image."""

    default_fix = "Try downloading again from the texture history."


class CancelledError(LeonardoError):
    """The user cancelled the operation."""

    default_fix = ""
    default_action = None


def redact(text: str, *secrets: str | None) -> str:
    """Remove every secret from ``text`` (used on anything that might reach a log or the UI)."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text
