"""The services a route handler works with, bundled per emulator (no module-level mutable state)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from .concurrency import Concurrency
from .config import EmulatorConfig
from .faults import FaultSet
from .http.signing import Signer
from .jobs import JobRunner
from .state import Job, State


@dataclass
class AppContext:
    config: EmulatorConfig
    state: State
    faults: FaultSet
    signer: Signer
    jobs: JobRunner
    concurrency: Concurrency
    api_key: str
    user_id: str
    upload_origin: str = ""
    cdn_origin: str = ""
    rng: random.Random = field(default_factory=random.Random)

    def cdn_url(self, key: str) -> str:
        """A freshly signed CDN URL for a stored object (valid ``url_expiry_seconds`` from now)."""
        return self.signer.cdn_url(self.cdn_origin, key, self.config.url_expiry_seconds)

    def new_seed(self) -> int:
        return self.rng.randrange(1, 2**31 - 1)

    def paid_job(self, fail: bool = False) -> Job:
        """The timing of a new texture or image generation job, through the concurrency slots."""
        return self.concurrency.new_job(self.user_id, fail)

    def plain_job(self, fail: bool = False) -> Job:
        """The timing of a new job outside the concurrency slots (variations): PENDING ``job_seconds``."""
        job = Job(ready_at=time.monotonic() + self.config.job_seconds)
        if fail:
            job.mark_failed()
        return job
