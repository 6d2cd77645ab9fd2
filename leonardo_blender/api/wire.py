"""Small, strict readers for the service's JSON: objects, lists, strings, ids, bounded integers.

Every reader either returns a sane value or raises ``UnexpectedResponseError`` naming the field; no
``KeyError``, ``TypeError``, ``OverflowError``, ``ValueError`` or ``AttributeError`` escapes, whatever
JSON the service sends (``1e999`` parses as ``inf``, numbers may be huge, any value may be a list).
Optional values of the wrong type are treated as absent; required ones are refused.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from .errors import UnexpectedResponseError

#: Ids, keys and URLs longer than this are not believable (a UUID has 36 characters).
MAX_ID_LENGTH = 200
#: Text fields (prompts, names, URLs) are cut to this many characters.
MAX_TEXT_LENGTH = 100_000
#: Integers beyond this are not believable anywhere in this API (2**53: exact in JSON doubles).
MAX_INT = 2**53

_INTEGRAL_FLOAT_LIMIT = float(2**63)


def type_name(value: Any) -> str:
    """The JSON name of ``value``'s type, for messages (never the value itself: it may be huge)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"


def as_object(value: Any, what: str) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else ``UnexpectedResponseError``."""
    if not isinstance(value, Mapping):
        raise UnexpectedResponseError(f"The {what} in the service's answer is {type_name(value)}, not an object")
    return value


def field_object(data: Mapping[str, Any], key: str, what: str) -> Mapping[str, Any]:
    """The object under ``key``; missing or of another type is an ``UnexpectedResponseError``."""
    value = as_object(data, what).get(key)
    if value is None:
        raise UnexpectedResponseError(f"The service's answer has no '{key}'")
    if not isinstance(value, Mapping):
        raise UnexpectedResponseError(f"The service's '{key}' is {type_name(value)}, not an object")
    return value


def opt_list(data: Mapping[str, Any], key: str, what: str) -> list[Any]:
    """The list under ``key``; ``[]`` when absent or null; anything else is an ``UnexpectedResponseError``."""
    value = as_object(data, what).get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise UnexpectedResponseError(f"The '{key}' of the {what} is {type_name(value)}, not a list")
    return value


def require(data: Mapping[str, Any], key: str, what: str) -> Any:
    value = data.get(key) if isinstance(data, Mapping) else None
    if value is None:
        raise UnexpectedResponseError(f"The {what} in the service's answer has no '{key}'")
    return value


def req_str(data: Mapping[str, Any], key: str, what: str, *, max_length: int = MAX_TEXT_LENGTH) -> str:
    """A required non-empty string (a number is accepted and written in decimal)."""
    value = require(data, key, what)
    text = _scalar_text(value)
    if text is None or not text.strip():
        raise UnexpectedResponseError(f"The '{key}' of the {what} is {type_name(value)}, not a non-empty string")
    if len(text) > max_length:
        raise UnexpectedResponseError(f"The '{key}' of the {what} is implausibly long ({len(text)} characters)")
    return text


def req_id(data: Mapping[str, Any], key: str, what: str) -> str:
    """A required id: a non-empty string of at most ``MAX_ID_LENGTH`` characters, no control characters.

    Whether it is safe inside a request path is decided where it is used (``urls.path_id``).
    """
    value = require(data, key, what)
    if not isinstance(value, str) or not value.strip():
        raise UnexpectedResponseError(f"The '{key}' of the {what} is {type_name(value)}, not an id")
    if len(value) > MAX_ID_LENGTH or not value.isprintable():
        raise UnexpectedResponseError(f"The '{key}' of the {what} is not a plausible id")
    return value


def _scalar_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if abs(value) <= MAX_INT else None
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    return None


def opt_str(data: Mapping[str, Any], key: str) -> str | None:
    """An optional string: ``None`` when absent, null or not a string/number; cut to ``MAX_TEXT_LENGTH``."""
    value = data.get(key) if isinstance(data, Mapping) else None
    text = _scalar_text(value)
    return None if text is None else text[:MAX_TEXT_LENGTH]


def to_int(value: Any, *, minimum: int = -MAX_INT, maximum: int = MAX_INT) -> int | None:
    """``value`` as an int within bounds, or ``None`` (booleans, fractions, inf, NaN, huge, other types)."""
    if value is None or isinstance(value, bool):
        return None
    number: int
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer() or abs(value) >= _INTEGRAL_FLOAT_LIMIT:
            return None
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 20 or not text.lstrip("+-").isdigit() or not text.isascii():
            return None
        number = int(text)
    else:
        return None
    return number if minimum <= number <= maximum else None


def opt_int(data: Mapping[str, Any], key: str, *, minimum: int = -MAX_INT, maximum: int = MAX_INT) -> int | None:
    """An optional integer within bounds; anything else (including out of bounds) is ``None``."""
    value = data.get(key) if isinstance(data, Mapping) else None
    return to_int(value, minimum=minimum, maximum=maximum)


def opt_bool(data: Mapping[str, Any], key: str, default: bool = False) -> bool:
    """A JSON boolean; anything else is ``default``."""
    value = data.get(key) if isinstance(data, Mapping) else None
    return value if isinstance(value, bool) else default


def opt_flag(data: Mapping[str, Any], key: str) -> bool:
    """A flag where "set" is the cautious reading (``nsfw``): true, a non-zero number, "true"/"1"/"yes"."""
    value = data.get(key) if isinstance(data, Mapping) else None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return False


def parse_fields(raw: Any) -> dict[str, str]:
    """Presigned POST fields arrive as a JSON *string*; accept an object too. Values must be scalars."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise UnexpectedResponseError("The upload fields are not valid JSON") from exc
    if not isinstance(raw, Mapping):
        raise UnexpectedResponseError("The upload fields are not an object")
    fields: dict[str, str] = {}
    for key, value in raw.items():
        text = value if isinstance(value, str) else _scalar_text(value)
        if text is None:
            raise UnexpectedResponseError(f"The upload field '{str(key)[:60]}' is {type_name(value)}, not a string")
        fields[str(key)] = text
    return fields
