"""What happened to each object, as JSON lines (``--json``) or readable lines, and the summary."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

APPLIED = "APPLIED"


@dataclass(frozen=True)
class ObjectResult:
    object: str
    state: str  # APPLIED, FAILED or CANCELLED
    material: str | None
    seed: int | None
    cost: int | None  # credits the service charged (None: unknown, nothing was accepted)
    error: str | None
    engine: str | None  # "texture" or "projection": the engine that ran the job
    job_id: str | None
    file: str  # the input .blend
    output: str | None  # the saved .blend (None when it could not be saved)
    prompt: str

    @property
    def ok(self) -> bool:
        return self.state == APPLIED

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    def describe(self) -> str:
        """``applied 'Leonardo oak (42)' (seed 42, 150 credits)`` or ``failed: <reason>``."""
        if self.ok:
            details = []
            if self.seed is not None:
                details.append(f"seed {self.seed}")
            if self.cost is not None:
                details.append(f"{self.cost} credits")
            return f"applied '{self.material}'" + (f" ({', '.join(details)})" if details else "")
        return f"{self.state.lower()}: {self.error or 'no reason given'}"

    def line(self) -> str:
        return f"{self.object}: {self.describe()}"


def summary(results: list[ObjectResult], seconds: float) -> str:
    textured = sum(1 for r in results if r.ok)
    failed = len(results) - textured
    credits = sum(r.cost or 0 for r in results)
    minutes, secs = divmod(int(seconds), 60)
    text = f"{textured} of {len(results)} object{'s' * (len(results) != 1)} textured"
    if failed:
        text += f", {failed} not"
    return text + f"; {credits} credits; {minutes}:{secs:02d}"
