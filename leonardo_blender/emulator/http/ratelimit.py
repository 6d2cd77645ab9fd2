"""Sliding-window rate limits per create route and overall (documented numbers; the 429 shape is a guess).

The docs give 100 requests/minute for each create route (``/generations``, ``/generations-texture``, the
variation routes) and 2000/minute for all requests. The status (429), the ``Retry-After`` header and the
body ``{"error": ..., "path": "$", "code": "rate-limit"}`` are the emulator's UNCONFIRMED guess.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque

WINDOW_SECONDS = 60.0


class RateLimiter:
    """Counts accepted requests in a 60 s window; rejected requests are not counted."""

    def __init__(self, per_route: int, total: int) -> None:
        self._per_route = per_route
        self._total = total
        self._lock = threading.Lock()
        self._hits: defaultdict[str, deque[float]] = defaultdict(deque)

    def _wait(self, key: str, limit: int, now: float) -> float | None:
        hits = self._hits[key]
        while hits and hits[0] <= now - WINDOW_SECONDS:
            hits.popleft()
        if len(hits) < limit:
            return None
        return hits[0] + WINDOW_SECONDS - now

    def check(self, route_key: str, limited_route: bool) -> tuple[int, str] | None:
        """None if the request may pass (and count it), else ``(retry_after_seconds, what was exceeded)``."""
        now = time.monotonic()
        with self._lock:
            wait = self._wait("*", self._total, now)
            if wait is not None:
                return max(1, math.ceil(wait)), f"{self._total} requests per minute"
            if limited_route:
                wait = self._wait(route_key, self._per_route, now)
                if wait is not None:
                    return max(1, math.ceil(wait)), f"{self._per_route} requests per minute to this endpoint"
                self._hits[route_key].append(now)
            self._hits["*"].append(now)
        return None
