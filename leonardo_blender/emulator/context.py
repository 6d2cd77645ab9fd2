"""The services a route handler works with, bundled per emulator (no module-level mutable state)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from .config import EmulatorConfig
from .faults import FaultSet
from .jobs import JobRunner
from .signing import Signer
from .state import State


@dataclass
class AppContext:
    config: EmulatorConfig
    state: State
    faults: FaultSet
    signer: Signer
    jobs: JobRunner
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

    def job_ready_at(self) -> float:
        """Monotonic time before which a job created now reads ``PENDING``."""
        return time.monotonic() + self.config.job_seconds
