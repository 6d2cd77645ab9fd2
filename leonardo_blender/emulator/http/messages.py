"""Plain request/response values passed between the HTTP plumbing (``server``) and the three hosts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    """One HTTP request as read off the socket; ``path`` is unquoted and without the query string."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        """Case-insensitive header lookup."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


@dataclass
class Response:
    """What a host answers. ``drop`` closes the connection without sending anything at all."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
        merged = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status, json.dumps(payload).encode(), merged)

    @classmethod
    def xml(cls, status: int, body: bytes, headers: dict[str, str] | None = None) -> Response:
        return cls(status, body, {"Content-Type": "application/xml", **(headers or {})})

    @classmethod
    def dropped(cls) -> Response:
        return cls(0, drop=True)
