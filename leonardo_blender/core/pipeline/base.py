"""What every engine's worker shares: settings, publishing snapshots, the journal, polling and downloads.

A ``JobContext`` is handed to the engine steps (``texture_api.py``, ``projection.py``). It runs on a
worker thread with plain values only: the job record, paths, a client. Each ``emit()`` publishes a
snapshot (the Blender layer queues it for the main thread) and, once the service may have charged,
writes the job to the journal first, so a crash never loses a paid generation.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import numpy as np

from ...api import errors
from ...api.client import LeonardoClient
from ..backoff import JOB_POLL, Backoff
from ..jobs import TextureJob
from ..journal import Journal

T = TypeVar("T")
Publish = Callable[[TextureJob], None]
#: Decodes downloaded image bytes to an (H, W, 3|4) uint8 array (the Blender layer may hop to the main thread).
ImageDecoder = Callable[[bytes], np.ndarray]


@dataclass
class PipelineSettings:
    job_timeout: float = 30 * 60.0
    poll: Backoff = JOB_POLL
    download_workers: int = 4
    reconcile_attempts: int = 4
    reconcile_wait: float = 3.0
    #: Generation ids already attributed to other jobs (never adopted when reconciling).
    known_generation_ids: Collection[str] = field(default_factory=tuple)
    #: AUTO goes straight to projection: the texture endpoint answered "Endpoint not found" earlier.
    texture_api_unavailable: bool = False


class JobContext:
    """The job being worked on and the services the steps use."""

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
    ) -> None:
        self.client = client
        self.job = job
        self.maps_dir = Path(maps_dir)
        self.journal = journal
        self.settings = settings
        self.rng = rng
        self._publish = publish
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

    def poll(self, fetch: Callable[[], T | None], *, started: float, done: Callable[[T], bool]) -> T:
        """Call ``fetch`` on the poll schedule until ``done(result)``; transient failures keep polling."""
        attempt = 0
        while True:
            try:
                result = fetch()
            except (errors.NetworkError, errors.ServerError, errors.RateLimitedError):
                result = None  # transient after the client's own retries: keep polling
            if result is not None and done(result):
                return result
            self.check_timeout(started)
            self.wait(self.settings.poll.delay(attempt, self.rng))
            attempt += 1


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
