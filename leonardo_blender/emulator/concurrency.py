"""Concurrency slots: how many paid jobs (texture and image generations) a user may have PENDING.

The docs give a default of 10 concurrent image generation jobs (reported as ``apiConcurrencySlots`` in
``/me``) but not what happens beyond them, so both readings can be chosen with
``EmulatorConfig.concurrency_mode``:

* ``"off"``: no limit; every job's ``job_seconds`` timer starts when it is created.
* ``"reject"``: a create while every slot is taken answers 429
  ``{"error": "Concurrency limit reached: ...", "path": "$", "code": "rate-limit"}`` (status, text and
  code are the emulator's UNCONFIRMED guess); nothing is charged and no job is made.
* ``"queue"``: the create is accepted and charged; the job stays PENDING and its ``job_seconds`` timer
  starts only when a slot frees, in creation order.

A job holds its slot from its start until it stops being PENDING (``Job.finished_at``: its timer ran
out and its work is done, or it failed) or its record is deleted. Start times are worked out from
those finish times, not from when someone looks, so a queued job starts exactly when its slot freed.
Every method must be called with the state lock held.
"""

from __future__ import annotations

import heapq
import math
import time
from collections import deque

from .http.errors import ApiError
from .state import QUEUED, Job


class SlotPool:
    """The slots of one user: the jobs holding one, the jobs waiting, and since when idle slots are free."""

    def __init__(self, slots: int, job_seconds: float) -> None:
        self._job_seconds = job_seconds
        self._idle: list[float] = [-math.inf] * slots  # heap: since when each idle slot is free
        self._running: list[Job] = []
        self._waiting: deque[Job] = deque()

    def _release_finished(self, now: float) -> None:
        still: list[Job] = []
        for job in self._running:
            finished = job.finished_at
            if finished is not None and finished <= now:
                heapq.heappush(self._idle, finished)
            else:
                still.append(job)
        self._running = still

    def promote(self, now: float) -> None:
        """Start waiting jobs on the slots that freed up to ``now``, each when its slot freed."""
        while True:
            self._release_finished(now)
            while self._waiting and self._waiting[0].retired_at is not None:
                self._waiting.popleft()
            if not self._waiting or not self._idle or self._idle[0] > now:
                return
            free_since = heapq.heappop(self._idle)
            job = self._waiting.popleft()
            job.ready_at = max(free_since, job.created_at) + self._job_seconds
            self._running.append(job)

    def has_free_slot(self, now: float) -> bool:
        self.promote(now)
        return bool(self._idle) and not self._waiting

    def add(self, job: Job, now: float) -> None:
        """Queue ``job`` (``ready_at`` QUEUED) and start it at once if a slot is free."""
        job.ready_at = QUEUED
        self._waiting.append(job)
        self.promote(now)

    def in_flight(self, now: float) -> int:
        """Jobs holding a slot (started and still PENDING)."""
        self.promote(now)
        return len(self._running)

    def waiting(self, now: float) -> int:
        """Jobs accepted but still waiting for a slot."""
        self.promote(now)
        return sum(1 for job in self._waiting if job.retired_at is None)


class Concurrency:
    """The concurrency policy of one emulator (``mode`` off, reject or queue), one pool per user."""

    def __init__(self, mode: str, slots: int, job_seconds: float) -> None:
        self.mode = mode
        self.slots = slots
        self._job_seconds = job_seconds
        self._pools: dict[str, SlotPool] = {}

    def _pool(self, user_id: str) -> SlotPool:
        pool = self._pools.get(user_id)
        if pool is None:
            pool = self._pools[user_id] = SlotPool(self.slots, self._job_seconds)
        return pool

    def check_capacity(self, user_id: str) -> None:
        """In ``reject`` mode, raise the 429 when every slot is taken (call before charging)."""
        if self.mode != "reject" or self._pool(user_id).has_free_slot(time.monotonic()):
            return
        raise ApiError(
            429,
            f"Concurrency limit reached: {self.slots} generation jobs are already in progress for this API key; "
            "wait for one to finish",
            "rate-limit",
        )

    def new_job(self, user_id: str, fail: bool = False) -> Job:
        """A paid job created now: timed at once (``off``), or through the user's slots."""
        now = time.monotonic()
        job = Job(ready_at=now + self._job_seconds, created_at=now)
        if fail:
            job.mark_failed()
        if self.mode != "off":
            self._pool(user_id).add(job, now)
        return job

    def promote(self) -> None:
        """Start queued jobs whose slot has freed (called before every API request is handled)."""
        now = time.monotonic()
        for pool in self._pools.values():
            pool.promote(now)

    def in_flight(self, user_id: str) -> int:
        return self._pool(user_id).in_flight(time.monotonic()) if self.mode != "off" else 0

    def waiting(self, user_id: str) -> int:
        return self._pool(user_id).waiting(time.monotonic()) if self.mode != "off" else 0
