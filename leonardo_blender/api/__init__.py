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
    DownloadNetworkError,
    EndpointUnavailableError,
    InsecureURLError,
    InsufficientCreditsError,
    InvalidIdError,
    LeonardoError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    UnexpectedResponseError,
    UploadError,
    UploadNetworkError,
    ValidationError,
)
from .files import FileTransfer
from .models import TEXTURE_MAP_TYPES, JobStatus, TextureGeneration, TextureRequest
from .transport import DEFAULT_BASE_URL, Retry, Timeouts, Transport
from .urls import LEONARDO_API_HOST, check_api_base_url, is_loopback_host, key_recipient_warning, path_id

__all__ = [
    "DEFAULT_BASE_URL",
    "LEONARDO_API_HOST",
    "TEXTURE_MAP_TYPES",
    "AuthenticationError",
    "BadRequestError",
    "CancelledError",
    "ContentModerationError",
    "DownloadError",
    "DownloadNetworkError",
    "EndpointUnavailableError",
    "FileTransfer",
    "InsecureURLError",
    "InsufficientCreditsError",
    "InvalidIdError",
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
    "Transport",
    "UnexpectedResponseError",
    "UploadError",
    "UploadNetworkError",
    "ValidationError",
    "check_api_base_url",
    "is_loopback_host",
    "key_recipient_warning",
    "path_id",
]
