"""Control routes on the API port, outside ``/api/rest/v1`` and without auth, for tests in other processes.

* ``POST /_emulator/faults`` with a FaultRule as JSON -> ``{"rule": {...}}``
* ``GET /_emulator/faults`` -> ``{"faults": [{"rule": {...}, "remaining": n}]}``
* ``DELETE /_emulator/faults`` -> ``{"cleared": n}``
* ``GET /_emulator/stats`` -> ``{"counts": {"POST /generations-texture": n, ...}, "texture_jobs_created",
  "image_generations_created", "jobs_in_flight": {"pending", "running", "queued"}, "uploads_received",
  "credits", "foreign_authorization_headers": [...]}`` (the last one lists redacted Authorization
  headers seen on the upload or CDN hosts and must stay empty)
* ``POST /_emulator/credits`` with ``{"credits": n}`` sets the balance.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..faults import FaultRule, FaultSet
from .messages import Request, Response


class ControlRoutes:
    def __init__(
        self, faults: FaultSet, stats: Callable[[], dict[str, Any]], set_credits: Callable[[int], None]
    ) -> None:
        self._faults = faults
        self._stats = stats
        self._set_credits = set_credits

    def handle(self, request: Request) -> Response:
        route = (request.method, request.path.rstrip("/"))
        try:
            if route == ("POST", "/_emulator/faults"):
                rule = self._faults.add(FaultRule.from_dict(_json(request.body)))
                return Response.json(200, {"rule": rule.to_dict()})
            if route == ("GET", "/_emulator/faults"):
                active = [{"rule": rule.to_dict(), "remaining": left} for rule, left in self._faults.active()]
                return Response.json(200, {"faults": active})
            if route == ("DELETE", "/_emulator/faults"):
                return Response.json(200, {"cleared": self._faults.clear()})
            if route == ("GET", "/_emulator/stats"):
                return Response.json(200, self._stats())
            if route == ("POST", "/_emulator/credits"):
                credits = _json(request.body).get("credits")
                if not isinstance(credits, int) or isinstance(credits, bool) or credits < 0:
                    raise ValueError("'credits' must be a non-negative integer")
                self._set_credits(credits)
                return Response.json(200, {"credits": credits})
        except (ValueError, TypeError) as exc:
            return Response.json(400, {"error": str(exc)})
        return Response.json(404, {"error": f"unknown control route {request.method} {request.path}"})


def _json(body: bytes) -> dict[str, Any]:
    value = json.loads(body or b"{}")
    if not isinstance(value, dict):
        raise ValueError("expected a JSON object")
    return value
