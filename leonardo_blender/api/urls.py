"""Where requests may go: the API base URL, ids inside request paths, upload and download links.

* The API key travels only over TLS, except to this computer: ``check_api_base_url`` refuses an
  ``http://`` API URL unless its host is loopback (127.0.0.0/8, ::1, ``localhost``), and any URL
  with a user name, a query or a fragment.
* ``key_recipient_warning`` tells the UI, in one sentence, which host receives the key when it is not
  Leonardo's own (``cloud.leonardo.ai``).
* ``path_id`` validates every id the client puts into a request path. The spec declares all of them
  UUIDs, so anything that is not UUID-shaped is refused before sending (``InvalidIdError``). This is
  validation rather than percent-encoding on purpose: an encoded ``..%2F..%2Fx`` is still a foreign
  path to any proxy, CDN or server that decodes ``%2F`` or dot segments before routing, and a
  damaged id gets a clear local error instead of a confusing answer from the service.
* ``check_transfer_url`` refuses upload and download links that are not ``http(s)://`` with a host
  (``file://``, ``ftp://``, ``data:``): nothing is fetched or sent.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from . import errors

LEONARDO_API_HOST = "cloud.leonardo.ai"

#: 8-4-4-4-12 hex digits. The spec's path pattern also pins the version nibble to 4; the service's
#: ``uuid`` type accepts any version, and the safety comes from the alphabet, so any version passes.
_UUID = re.compile(r"\A[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")

_LOOPBACK_NAMES = frozenset({"localhost"})


def is_uuid(value: Any) -> bool:
    """True for a UUID-shaped string (any version, either case)."""
    return isinstance(value, str) and _UUID.match(value) is not None


def path_id(value: Any, what: str = "id") -> str:
    """``value`` if it is safe as one request path segment (UUID-shaped), else ``InvalidIdError``."""
    if is_uuid(value):
        return str(value)
    shown = repr(value) if isinstance(value, str) else f"a {type(value).__name__}"
    if isinstance(value, str) and len(value) > 60:
        shown = repr(value[:60]) + "..."
    raise errors.InvalidIdError(
        f"The {what} {shown} is not a Leonardo id (a UUID); it was not sent",
        never_reached=True,
    )


def is_loopback_host(host: str | None) -> bool:
    """True for ``localhost`` and literal loopback addresses (127.0.0.0/8, ::1, IPv4-mapped 127.x)."""
    if not host:
        return False
    name = host.strip().lower().strip("[]")
    if name in _LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def check_api_base_url(base_url: Any) -> str:
    """The API URL without a trailing slash, or ``InsecureURLError`` when the key would not be safe there."""
    if not isinstance(base_url, str) or not base_url.strip():
        raise errors.InsecureURLError("No API URL is set")
    url = base_url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise errors.InsecureURLError(f"The API URL {url[:200]!r} is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        raise errors.InsecureURLError(f"The API URL {url[:200]!r} is not an http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise errors.InsecureURLError("The API URL must not contain a user name or password")
    if parts.query or parts.fragment:
        raise errors.InsecureURLError("The API URL must not contain a '?query' or '#fragment'")
    if scheme == "http" and not is_loopback_host(host):
        raise errors.InsecureURLError(
            f"The API URL uses plain http:// to {host}: the API key would travel unencrypted, so it is not used"
        )
    return url.rstrip("/")


def key_recipient_warning(base_url: Any) -> str | None:
    """One sentence for the UI naming the host that receives the API key when it is not Leonardo's.

    ``None`` for Leonardo's own API host. For a URL the client refuses, the refusal itself.
    """
    try:
        url = check_api_base_url(base_url)
    except errors.InsecureURLError as exc:
        return f"{exc.message}. {exc.fix}"
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    if host == LEONARDO_API_HOST:
        return None
    where = parts.netloc
    if is_loopback_host(host):
        return (
            f"Your API key is sent to {where} on this computer (a local server such as the emulator), "
            f"not to Leonardo ({LEONARDO_API_HOST})."
        )
    return (
        f"Your API key will be sent to {where}, which is not Leonardo's service ({LEONARDO_API_HOST}); "
        "use this API URL only if you trust that host."
    )


def check_transfer_url(url: Any, what: str, error: type[errors.LeonardoError]) -> str:
    """``url`` if it is an ``http(s)://`` URL with a host; else ``error`` (nothing is fetched or sent)."""
    if not isinstance(url, str) or not url:
        raise error(f"The link for the {what} is missing", never_reached=True)
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        raise error(f"The link for the {what} is not a valid URL", never_reached=True) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        shown = f"{scheme}:" if scheme else "no scheme"
        raise error(
            f"The link for the {what} is not an http(s) URL ({shown}); it was not opened",
            never_reached=True,
            action="",
            fix="The service sent an unusable link; please report this.",
        )
    return url.strip()
