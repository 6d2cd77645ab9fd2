"""Errors raised by the Leonardo client.

Every error carries the server's own message (never the API key), the HTTP status and the Hasura
``code`` when there was one, and a short ``fix`` sentence telling the user what to do about it. The
``action`` is a stable identifier the Blender layer turns into a button (open the preferences, open
the top-up page, enable online access, retry).

``outcome_unknown`` is set when a paid request may have reached the server although no answer came
back: such a request is never re-sent automatically; the caller reconciles instead (see
``core.jobs``), so no second paid job is created.

``never_reached`` is the opposite certainty: the service provably did NOT act on the request (it
refused it with 429 before doing anything, the connection was never established, or the client
refused to send it at all). ``charged`` sums both up for the UI: ``False`` when nothing can have
been charged, ``None`` when the client cannot know. A paid job that failed with ``never_reached``
can simply be resumed (sent again) later without any risk of paying twice.
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
        never_reached: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.fix = fix if fix is not None else self.default_fix
        self.action = action if action is not None else self.default_action
        self.outcome_unknown = outcome_unknown
        # The two certainties exclude each other; "may have reached" wins (it is the cautious one).
        self.never_reached = never_reached and not outcome_unknown

    @property
    def charged(self) -> bool | None:
        """``False`` when the request certainly cost nothing (``never_reached``); ``None`` otherwise.

        ``None`` does not mean "charged": a refused request (400, moderation) normally costs nothing
        either, but only ``never_reached`` is a certainty the client can vouch for.
        """
        return False if self.never_reached else None

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
    """Too many requests (429), still refused after the client's own retries.

    ``retry_after`` holds the server's ``Retry-After`` in seconds. A 429 is a refusal before the
    service does anything, so the client raises it with ``never_reached=True``: nothing was charged.
    """

    default_fix = "The Leonardo service is busy; nothing was charged. Resume the job (or try again) in a minute."

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        kwargs.setdefault("never_reached", True)
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


class InvalidIdError(BadRequestError, ValueError):
    """An id that would go into a request path is not UUID-shaped; nothing was sent.

    Also a ``ValueError``, like the other local refusals. The ids of every path the client builds are
    UUIDs in the spec; anything else (``../../x``, a URL, an empty string) is refused before sending,
    so a broken or hostile id can never send the key to another path.
    """

    default_fix = "The id is damaged (not a Leonardo id); refresh the list or start a new job."


class InsecureURLError(LeonardoError):
    """The API URL would send the key in cleartext (``http://`` to a non-loopback host) or is no URL."""

    default_fix = (
        "Use an https:// API URL (the default is https://cloud.leonardo.ai/api/rest/v1); "
        "plain http:// is only allowed to this computer (127.0.0.1, ::1, localhost)."
    )
    default_action = ACTION_OPEN_PREFERENCES


class UploadError(LeonardoError):
    """The presigned upload of a mesh or image was refused by the storage host, or never got there."""

    default_fix = "Try again; the upload link is only valid for two minutes."
    #: The presigned slot expired (the caller may ask for a fresh one).
    expired: bool = False


class DownloadError(LeonardoError):
    """A result file could not be downloaded, was too large, or is not a valid (complete) image."""

    default_fix = "Try downloading again from the texture history."
    #: The signed URL expired or was refused (403): ask the API for fresh URLs.
    expired: bool = False
    #: The file arrived but is not a complete image of a known kind (damaged or truncated).
    damaged: bool = False


class UploadNetworkError(UploadError, NetworkError):
    """The storage host could not be reached for an upload, even after retries (both error kinds)."""

    default_fix = "Check your internet connection (and proxy settings), then try again."


class DownloadNetworkError(DownloadError, NetworkError):
    """The download host could not be reached, even after retries (both error kinds)."""

    default_fix = "Check your internet connection (and proxy settings), then resume the job."


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
