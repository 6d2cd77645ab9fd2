"""Exponential backoff with jitter, shared by HTTP retries and job polling.

Pure arithmetic: no sleeping here. Callers decide how to wait (a cancellable ``Event.wait`` in
workers), so the schedule is testable on its own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class Backoff:
    """Delay before attempt ``n`` (0-based) is ``min(cap, base * factor**n)``, jittered.

    ``jitter`` is the fraction of the delay that is randomised downwards: with 0.25 the delay lies
    in ``[0.75 d, d]``. That keeps many clients from retrying in lockstep while never waiting longer
    than the cap.
    """

    base: float = 0.5
    cap: float = 30.0
    factor: float = 2.0
    jitter: float = 0.25

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        raw = min(self.cap, self.base * self.factor ** min(max(0, attempt), 64))  # no overflow on long polls
        spread = raw * self.jitter
        draw = (rng or random).random()
        return max(0.0, raw - spread * draw)

    def delay_honouring(self, attempt: int, retry_after: float | None, rng: random.Random | None = None) -> float:
        """The backoff delay, but never shorter than the server's ``Retry-After``."""
        computed = self.delay(attempt, rng)
        if retry_after is None:
            return computed
        return max(retry_after, min(computed, self.cap))


#: HTTP retries: 0.5 s, 1 s, 2 s, 4 s ... capped at 30 s.
HTTP_RETRY = Backoff(base=0.5, cap=30.0, factor=2.0, jitter=0.25)


def parse_retry_after(value: str | None, now_epoch: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        import time

        now = time.time() if now_epoch is None else now_epoch
        return max(0.0, when.timestamp() - now)
    if seconds != seconds or seconds < 0:  # NaN or negative
        return None
    return seconds
