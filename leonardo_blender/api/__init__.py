"""Leonardo.AI REST API v1 client: typed, retrying, never sends the key where it does not belong.

Imports no ``bpy``: it runs and is tested in plain Python.
"""

from .client import LeonardoClient
from .errors import (
    AuthenticationError,
    BadRequestError,
    CancelledError,
    ContentModerationError,
    DownloadError,
    EndpointUnavailableError,
    InsufficientCreditsError,
    LeonardoError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    UnexpectedResponseError,
    UploadError,
    ValidationError,
)
from .models import JobStatus, TextureGeneration, TextureRequest
from .transport import DEFAULT_BASE_URL, Retry, Timeouts

__all__ = [
    "DEFAULT_BASE_URL",
    "AuthenticationError",
    "BadRequestError",
    "CancelledError",
    "ContentModerationError",
    "DownloadError",
    "EndpointUnavailableError",
    "InsufficientCreditsError",
    "JobStatus",
    "LeonardoClient",
    "LeonardoError",
    "NetworkError",
    "NotFoundError",
    "RateLimitedError",
    "Retry",
    "ServerError",
    "TextureGeneration",
    "TextureRequest",
    "Timeouts",
    "UnexpectedResponseError",
    "UploadError",
    "ValidationError",
]
