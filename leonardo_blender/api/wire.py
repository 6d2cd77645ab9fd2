"""Small readers for the service's JSON: required and optional fields, presigned POST fields.

A missing required field raises ``UnexpectedResponseError`` instead of leaking a ``KeyError``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .errors import UnexpectedResponseError


def require(data: Mapping[str, Any], key: str, what: str) -> Any:
    value = data.get(key) if isinstance(data, Mapping) else None
    if value is None:
        raise UnexpectedResponseError(f"The {what} in the service's answer has no '{key}'")
    return value


def opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else str(value)


def opt_int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_fields(raw: Any) -> dict[str, str]:
    """Presigned POST fields arrive as a JSON *string*; accept an object too."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise UnexpectedResponseError("The upload fields are not valid JSON") from exc
    if not isinstance(raw, Mapping):
        raise UnexpectedResponseError("The upload fields are not an object")
    return {str(k): str(v) for k, v in raw.items()}
