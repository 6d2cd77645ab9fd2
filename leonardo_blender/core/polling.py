"""When to look at a generation again: soon after it finishes, never more than once per 2 s on average.

Backing off while a job is merely PENDING costs the user seconds and saves the service nothing. So:

* While nothing is known about how long this kind of job takes, poll every ``INTERVAL`` (2 s): a
  finished job is seen about a second after it finishes, on average.
* Once past jobs of the same kind have been timed (``Durations``), sleep until shortly before the
  quickest of them would have finished, then poll every ``INTERVAL``: fewer polls, same promptness.
* Back off only when the service pushes back (429, 5xx, a broken connection): ``error_delay``.

Pure arithmetic and a small thread-safe store; no sleeping here, no ``bpy``.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections import deque
from pathlib import Path

INTERVAL = 2.0
#: Wake this long before the quickest past job of the kind would have finished.
EARLY = 1.5
KEEP = 20
#: Jobs at least this long (learned) get the quicker polls around their expected end.
DENSE_FROM = 8 * INTERVAL
ERROR_CAP = 30.0


def next_delay(elapsed: float, expected: float | None, interval: float = INTERVAL) -> float:
    """Seconds until the next poll, ``elapsed`` seconds after the service accepted the job.

    With a learned duration: sleep until shortly before it, poll twice as often around it (a few
    polls; the long sleep before keeps the average under one per ``interval``), then every interval."""
    if expected is None:
        return interval
    if elapsed < expected - EARLY:
        return max(interval, expected - EARLY - elapsed)
    if expected >= DENSE_FROM and elapsed < expected + 2 * interval:
        return interval / 2  # a long sleep came first: a few quicker polls keep the average low
    return interval


def error_delay(consecutive_errors: int, retry_after: float | None = None, interval: float = INTERVAL) -> float:
    """Back off after failed polls (the client already retried each one): 2, 4, 8 ... 30 s."""
    delay = min(ERROR_CAP, interval * 2 ** min(max(0, consecutive_errors - 1), 8))
    return max(delay, retry_after or 0.0)


def kind_of(engine: str, preview: bool, size: int = 0) -> str:
    """The key past durations are kept under: jobs of one kind take about as long as each other."""
    return f"{engine.lower()}:{'preview' if preview else 'full'}" + (f":{size}" if size else "")


class Durations:
    """How long recent jobs of each kind took from acceptance to being seen finished.

    Kept in memory and, when ``path`` is given, in a small JSON file so a new Blender session starts
    with what the last one learned. ``expected`` is the quickest recent duration: waking before that
    never delays a result.
    """

    def __init__(self, path: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._path = path
        self._seen: dict[str, deque[float]] = {}
        if path is not None:
            self._load(path)

    def expected(self, kind: str) -> float | None:
        with self._lock:
            recent = self._seen.get(kind)
            return min(recent) if recent else None

    def record(self, kind: str, seconds: float) -> None:
        if not 0 < seconds < 24 * 3600:
            return
        with self._lock:
            self._seen.setdefault(kind, deque(maxlen=KEEP)).append(float(seconds))
            snapshot = {k: list(v) for k, v in self._seen.items()}
        if self._path is not None:
            self._save(self._path, snapshot)

    def _load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if not isinstance(data, dict):
            return
        for kind, values in data.items():
            if isinstance(kind, str) and isinstance(values, list):
                good = [float(v) for v in values if isinstance(v, int | float) and 0 < v < 24 * 3600]
                if good:
                    self._seen[kind] = deque(good[-KEEP:], maxlen=KEEP)

    @staticmethod
    def _save(path: Path, snapshot: dict[str, list[float]]) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".durations-", dir=path.parent)
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(snapshot, stream)
            os.replace(temporary, path)
        except OSError:
            pass  # a cache: losing it only costs a few polls
