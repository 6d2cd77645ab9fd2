"""Hasura-like request validation: field types, per-endpoint variable schemas and their error messages.

Leonardo's v1 API is served by Hasura RESTified endpoints. Body keys (and path/query parameters) are
GraphQL *variables*: an unknown or mis-cased one is a 400 ``bad-request`` "Unexpected variable <key>"; a
value of the wrong JSON type or an unknown enum value is a 400 ``validation-failed`` whose ``path``
points into the action's arguments; a missing required variable is a 400 ``validation-failed``
"expecting a value for non-nullable variable". Integral floats such as ``-90.0`` are accepted for Int
(as GraphQL's Int coercion does). Semantic checks (ranges, existing ids) belong to the route handlers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import bad_request, validation_failed

_INT32 = (-(2**31), 2**31 - 1)
UUID_PATTERN = re.compile(r"^[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89aAbB][a-f0-9]{3}-[a-f0-9]{12}$", re.I)


def json_kind(value: Any) -> str:
    """How Hasura names the JSON type it found."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


@dataclass(frozen=True)
class Scalar:
    """A GraphQL scalar: ``String``, ``Int``, ``Float``, ``Boolean``, ``bigint`` or ``uuid``."""

    name: str

    def coerce(self, value: Any, path: str) -> Any:
        name = self.name
        if name == "String":
            if isinstance(value, str):
                return value
            raise _type_error("a string", name, value, path)
        if name == "Boolean":
            if isinstance(value, bool):
                return value
            raise _type_error("a boolean", name, value, path)
        if name in ("Int", "bigint"):
            return _coerce_int(value, name, path)
        if name == "Float":
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
            raise _type_error("a float", name, value, path)
        if name == "uuid":
            if not isinstance(value, str):
                raise _type_error("a string", name, value, path)
            if not UUID_PATTERN.match(value):
                raise validation_failed(f'invalid input syntax for type uuid: "{value}"', path)
            return value.lower()
        raise AssertionError(f"unknown scalar {name}")

    def from_query(self, text: str, path: str) -> Any:
        """Parse a query-string (or path) value the way Hasura reads URL variables."""
        if self.name in ("Int", "bigint", "Float"):
            try:
                number = float(text) if self.name == "Float" else int(text)
            except ValueError:
                raise _type_error(
                    "a float" if self.name == "Float" else "a 32-bit integer", self.name, text, path
                ) from None
            return self.coerce(number, path)
        if self.name == "Boolean":
            lowered = text.lower()
            if lowered in ("true", "false"):
                return lowered == "true"
            raise _type_error("a boolean", self.name, text, path)
        return self.coerce(text, path)


def _coerce_int(value: Any, name: str, path: str) -> int:
    what = "a 32-bit integer" if name == "Int" else "a bigint"
    if name == "bigint" and isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _type_error(what, name, value, path)
    if isinstance(value, float):
        if not value.is_integer():
            raise _type_error(what, name, value, path)
        value = int(value)
    if name == "Int" and not _INT32[0] <= value <= _INT32[1]:
        raise _type_error(what, name, value, path)
    return value


def _type_error(expected: str, type_name: str, value: Any, path: str) -> Exception:
    return validation_failed(f"expected {expected} for type '{type_name}', but found {json_kind(value)}", path)


@dataclass(frozen=True)
class Enum:
    """A GraphQL enum; only the listed string values are accepted."""

    name: str
    values: tuple[str, ...]

    def coerce(self, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            raise _type_error("an enum value", self.name, value, path)
        if value not in self.values:
            raise validation_failed(f"unexpected value \"{value}\" for enum: '{self.name}'", path)
        return value

    def from_query(self, text: str, path: str) -> Any:
        return self.coerce(text, path)


@dataclass(frozen=True)
class ListOf:
    """A GraphQL list; a single value is coerced into a one-element list, as GraphQL does."""

    item: FieldType

    def coerce(self, value: Any, path: str) -> Any:
        items = value if isinstance(value, list) else [value]
        return [_coerce_value(self.item, item, f"{path}[{index}]") for index, item in enumerate(items)]

    def from_query(self, text: str, path: str) -> Any:
        return self.coerce(text, path)


@dataclass(frozen=True)
class InputObject:
    """A GraphQL input object with its own fields (unknown fields are rejected)."""

    name: str
    fields: Mapping[str, Field]

    def coerce(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise _type_error("an object", self.name, value, path)
        for key in value:
            if key not in self.fields:
                raise validation_failed(f"field \"{key}\" not found in type: '{self.name}'", path)
        result: dict[str, Any] = {}
        for key, spec in self.fields.items():
            if key not in value:
                if spec.required:
                    raise validation_failed(f'missing required field "{key}"', path)
                continue
            result[key] = _coerce_value(spec.type, value[key], f"{path}.{key}", spec.required)
        return result

    def from_query(self, text: str, path: str) -> Any:
        return self.coerce(text, path)


FieldType = Scalar | Enum | ListOf | InputObject


@dataclass(frozen=True)
class Field:
    """A variable or an input-object field: its type and whether it is non-nullable and required."""

    type: FieldType
    required: bool = False


def _coerce_value(kind: FieldType, value: Any, path: str, required: bool = False) -> Any:
    if value is None:
        if required:
            raise validation_failed(f'null value found for non-nullable type: "{_type_label(kind)}!"', path)
        return None
    return kind.coerce(value, path)


def _type_label(kind: FieldType) -> str:
    if isinstance(kind, ListOf):
        return f"[{_type_label(kind.item)}]"
    return kind.name


STRING = Scalar("String")
INT = Scalar("Int")
FLOAT = Scalar("Float")
BOOLEAN = Scalar("Boolean")
BIGINT = Scalar("bigint")
UUID = Scalar("uuid")


@dataclass(frozen=True)
class Schema:
    """The variables one endpoint accepts; ``error_root`` is the Hasura path its type errors point at."""

    fields: Mapping[str, Field] = field(default_factory=dict)
    error_root: str = "$"

    def validate(
        self,
        body: Mapping[str, Any],
        query: Mapping[str, str] | None = None,
        path_params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Merge body, query and path variables (later ones win) and coerce them; return the values."""
        raw: dict[str, tuple[Any, bool]] = {key: (value, False) for key, value in body.items()}
        raw.update({key: (value, True) for key, value in (query or {}).items()})
        raw.update({key: (value, True) for key, value in (path_params or {}).items()})
        for key in raw:
            if key not in self.fields:
                raise bad_request(f"Unexpected variable {key}")
        values: dict[str, Any] = {}
        for key, spec in self.fields.items():
            if key not in raw:
                if spec.required:
                    raise validation_failed(f'expecting a value for non-nullable variable: "{key}"')
                continue
            value, from_url = raw[key]
            path = f"{self.error_root}.{key}"
            if from_url and isinstance(value, str):
                values[key] = spec.type.from_query(value, path)
            else:
                values[key] = _coerce_value(spec.type, value, path, spec.required)
        return values


def schema(error_root: str, **fields: Field) -> Schema:
    """Shorthand: ``schema("$.selectionSet.x.args", id=Field(UUID, required=True))``."""
    return Schema(dict(fields), error_root)


def action_root(action: str) -> str:
    """Error path root of a Hasura action called with one input object ``arg1``."""
    return f"$.selectionSet.{action}.args.arg1"


def query_root(root_field: str) -> str:
    """Error path root of a table query or delete (``model_assets_by_pk`` ...)."""
    return f"$.selectionSet.{root_field}.args"


PAGING = {"offset": Field(INT), "limit": Field(INT)}
