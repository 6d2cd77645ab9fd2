"""What the emulator remembers about the traffic it saw: the request log and per-route hit counters."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .routing import route_matches


@dataclass(frozen=True)
class RequestRecord:
    """One request as seen by a host.

    ``host`` is ``"api"``, ``"upload"`` or ``"cdn"``; ``path`` excludes the query string, which is in
    ``query``; ``json_body`` is the decoded body when it was a JSON object; ``status`` is the answer's
    status, ``0`` when the connection was dropped by a fault. ``route`` is the matched route template
    (``"POST /generations-texture"``, ``"POST upload/model"``, ``"GET cdn/textures/albedo.jpg"``) or None.
    """

    host: str
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json_body: dict[str, Any] | None
    status: int
    route: str | None = None


class RequestLog:
    """Thread-safe, append-only list of :class:`RequestRecord` (iterating gives a snapshot)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[RequestRecord] = []

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            self._items.append(record)

    def snapshot(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __getitem__(self, index: int) -> RequestRecord:
        with self._lock:
            return self._items[index]

    def __repr__(self) -> str:
        return f"RequestLog({len(self)} requests)"


class RouteCounter:
    """Counts requests per route key ``"METHOD template"``; only requests that passed auth are counted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def hit(self, route_key: str) -> None:
        with self._lock:
            self._counts[route_key] += 1

    def as_dict(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def count(self, method: str, template: str) -> int:
        """Hits of every counted route matching ``METHOD template`` (same matching rules as faults)."""
        pattern = f"{method} {template}"
        return sum(n for key, n in self.as_dict().items() if route_matches(pattern, key))


class LeakLog:
    """Authorization headers that reached the upload or CDN host (a client bug; must stay empty).

    Only a redacted form is kept: the scheme and the first 4 characters of the credential.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[dict[str, str]] = []

    def add(self, host: str, method: str, path: str, authorization: str) -> None:
        scheme, _, credential = authorization.partition(" ")
        redacted = f"{scheme} {credential[:4]}..." if credential else f"{authorization[:4]}..."
        with self._lock:
            self._items.append({"host": host, "method": method, "path": path, "authorization": redacted})

    def snapshot(self) -> list[dict[str, str]]:
        with self._lock:
            return [dict(item) for item in self._items]
