"""What every engine's worker shares: settings, publishing snapshots, the journal, polling and downloads.

A ``JobContext`` is handed to the engine steps (``texture_api.py``, ``projection.py``). It runs on a
worker thread with plain values only: the job record, paths, a client. Each ``emit()`` publishes a
snapshot (the Blender layer queues it for the main thread) and, once the service may have charged,
writes the job to the journal first, so a crash never loses a paid generation.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np

from ...api import errors
from ...api.client import LeonardoClient
from .. import polling
from ..jobs import JobState, TextureJob
from ..journal import Journal
from ..scheduler import Suspend
from ..slots import SlotPool

DOWNLOAD_WORKERS = 4
T = TypeVar("T")
G = TypeVar("G", bound="Listed")
Publish = Callable[[TextureJob], None]
#: Decodes downloaded image bytes to an (H, W, 3|4) uint8 array (the Blender layer may hop to the main thread).
ImageDecoder = Callable[[bytes], np.ndarray]


_downloads: ThreadPoolExecutor | None = None
_downloads_lock = threading.Lock()


def download_pool() -> ThreadPoolExecutor:
    """One small pool for every job's map and image downloads: a batch of jobs downloading at once
    adds no threads (each one more would compete for the GIL with Blender's main thread)."""
    global _downloads
    with _downloads_lock:
        if _downloads is None:
            _downloads = ThreadPoolExecutor(max_workers=DOWNLOAD_WORKERS, thread_name_prefix="leonardo-download")
        return _downloads


class Listed(Protocol):
    """What a listed generation offers for finding a lost one (texture and image generations both do)."""

    @property
    def id(self) -> str: ...

    @property
    def created_at(self) -> str | None: ...


@dataclass
class PipelineSettings:
    job_timeout: float = 30 * 60.0
    #: Seconds between polls of a pending generation (``core.polling``); tests make it short.
    poll_interval: float = polling.INTERVAL
    reconcile_attempts: int = 4
    reconcile_wait: float = 3.0
    #: Generation ids already attributed to other jobs (never adopted when reconciling).
    known_generation_ids: Collection[str] = field(default_factory=tuple)
    #: AUTO goes straight to projection: the texture endpoint answered "Endpoint not found" earlier.
    texture_api_unavailable: bool = False


#: Transient poll failures (after the client's own retries): poll again later instead of failing.
TRANSIENT = (errors.NetworkError, errors.ServerError, errors.RateLimitedError)


class JobContext:
    """The job being worked on and the services the steps use.

    Steps never sleep through a wait: ``poll_once`` looks once and raises ``Suspend`` with the delay
    of the poll schedule, and ``acquire_slot`` raises ``Suspend(slot=...)`` when the account's
    concurrency slots are all in use. A scheduler (or ``TexturePipeline.run``) steps the job again.
    """

    def __init__(
        self,
        client: LeonardoClient,
        job: TextureJob,
        *,
        maps_dir: Path,
        publish: Publish,
        journal: Journal | None,
        settings: PipelineSettings,
        rng: random.Random,
        slots: SlotPool | None = None,
        durations: polling.Durations | None = None,
        waker: Callable[[], None] | None = None,
    ) -> None:
        self.client = client
        self.job = job
        self.maps_dir = Path(maps_dir)
        self.journal = journal
        self.settings = settings
        self.rng = rng
        self._publish = publish
        self.slots = slots if slots is not None else SlotPool(capacity=1_000_000)
        self.durations = durations if durations is not None else polling.Durations()
        self.waker = waker
        self._poll_errors: dict[str, int] = {}
        self._poll_due: dict[str, float] = {}  # when each target may be looked at next
        self._last_pending: dict[str, float] = {}  # when each target was last seen pending
        self._user_id: str | None = None
        #: The timeout counts from the later of the acceptance and this run's start, so a job resumed
        #: after the timeout gets a full timeout again instead of failing at once.
        self.run_started = time.time()

    def emit(self) -> None:
        """Journal (once anything may be paid) and publish a snapshot of the job."""
        job = self.job
        if self.journal is not None and (job.state.paid or job.has_paid_work or _view_in_flight(job)):
            self.journal.save(job)
        self._publish(job.snapshot())

    def wait(self, seconds: float) -> None:
        self.client.transport.wait(seconds)

    def check_timeout(self, started: float) -> None:
        if time.time() - max(started, self.run_started) > self.settings.job_timeout:
            raise errors.LeonardoError(
                f"No result after {self.settings.job_timeout / 60:.0f} min",
                fix="The job may still finish on the service: resume it from the job list later.",
                action="retry",
            )

    def poll_once(
        self,
        target: str,
        fetch: Callable[[], T],
        *,
        accepted: float,
        kind: str,
        done: Callable[[T], bool],
    ) -> T:
        """Fetch once; return the result when ``done``, else raise ``Suspend`` until the next poll.

        A job created in this run is not looked at before its first poll is due (polling right after
        the create only costs a request). Transient failures (after the client's own retries) back
        off. A finished job's duration is recorded, as the middle of the last poll that saw it pending
        and the one that saw it done, so later polls of the kind wake just in time."""
        now = time.time()
        due = self._poll_due.get(target)
        if due is None and accepted >= self.run_started - 1.0:
            due = self._poll_due[target] = accepted + self.next_poll_delay(accepted, kind, now=accepted)
        if due is not None and now < due - 0.01:
            raise Suspend(due - now)
        try:
            result = fetch()
        except TRANSIENT as exc:
            failures = self._poll_errors.get(target, 0) + 1
            self._poll_errors[target] = failures
            self.check_timeout(accepted)
            delay = polling.error_delay(failures, getattr(exc, "retry_after", None), self.settings.poll_interval)
            self._poll_due[target] = time.time() + delay
            raise Suspend(delay) from None
        self._poll_errors.pop(target, None)
        now = time.time()
        if done(result):
            if accepted >= self.run_started - 1.0:
                last_pending = self._last_pending.get(target)
                finished = (last_pending + now) / 2.0 if last_pending is not None else now
                self.durations.record(kind, finished - accepted)
            return result
        self.check_timeout(accepted)
        self._last_pending[target] = now
        delay = self.next_poll_delay(accepted, kind)
        self._poll_due[target] = now + delay
        raise Suspend(delay)

    def next_poll_delay(self, accepted: float, kind: str, *, now: float | None = None) -> float:
        elapsed = (time.time() if now is None else now) - accepted
        return polling.next_delay(elapsed, self.durations.expected(kind), self.settings.poll_interval)

    # -- lost answers --------------------------------------------------------------------------------

    def user_id(self) -> str:
        """The account's user id (asked once per job run), for listing its generations."""
        if self._user_id is None:
            self._user_id = self.client.me().user_id
        return self._user_id

    def find_lost_create(
        self,
        listing: Callable[[], Iterable[G]],
        matches: Callable[[G], bool],
        *,
        sent_at: float | None,
        also_taken: Iterable[str] = (),
    ) -> G | None:
        """The generation a paid create made although its answer was lost, or None (it is never re-sent).

        Looks ``reconcile_attempts`` times (the new job may take a moment to be listed) for the newest
        generation that ``matches`` (same prompt, seed...), was created since shortly before the request
        was sent, and is not already some other job's."""
        settings = self.settings
        since = (sent_at or self.job.created_at) - 300.0
        taken = set(settings.known_generation_ids) | set(also_taken)
        for attempt in range(settings.reconcile_attempts):
            found = [
                g for g in listing() if g.id not in taken and matches(g) and epoch(g.created_at, default=since) >= since
            ]
            if found:
                return max(found, key=lambda g: epoch(g.created_at, default=0.0))
            if attempt + 1 < settings.reconcile_attempts:
                self.wait(settings.reconcile_wait)
        return None

    # -- concurrency slots ---------------------------------------------------------------------------

    def acquire_slot(self, owner: str) -> None:
        """Take one of the account's concurrency slots before a paid create, or suspend until one frees."""
        if not self.slots.known:
            try:
                self.slots.set_capacity(self.client.me().api_concurrency_slots)
            except errors.CancelledError:
                raise
            except errors.LeonardoError:
                self.slots.set_capacity(None)  # unknown: the documented default
        if not self.slots.try_acquire(owner, self.waker):
            raise Suspend(slot=owner)

    def acquire_slot_or_queue(self) -> None:
        """``acquire_slot`` for the whole job, shown as QUEUED while it waits for a slot."""
        try:
            self.acquire_slot(self.job.id)
        except Suspend:
            if self.job.state is not JobState.QUEUED:
                self.job.move_to(JobState.QUEUED)
                self.emit()
            raise


def _view_in_flight(job: TextureJob) -> bool:
    return any(view.submitted_at is not None for view in job.views)


def epoch(stamp: str | None, *, default: float) -> float:
    """Seconds since the epoch of a Hasura timestamp (UTC, with or without an offset)."""
    if not stamp:
        return default
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return default
    if moment.tzinfo is None:  # Hasura timestamps are UTC without an offset
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
