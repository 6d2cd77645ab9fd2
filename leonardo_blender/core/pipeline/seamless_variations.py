"""Paid variations of a seamless candidate: upscale, universal upscaler, background removal.

A variation is a ``Candidate`` appended to the job by the Blender layer with ``status="REQUESTED"``,
``transform`` (the kind), ``source`` (the candidate it is made from) and ``options``. ``VariationSteps``
carries it out inside the job's own steps (``seamless.SeamlessSteps``): a concurrency slot is taken, the
create is journaled before it is sent and recorded the moment it is accepted, a lost answer is looked up
among the source image's variations (``GET /generations/{id}``) and never sent again, and the result is
polled with ``GET /variations/{id}``. A finished variation becomes the chosen candidate; downloading it
and deriving its maps is the seamless steps' ordinary work. Plain values only, no ``bpy``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

from ...api import errors
from ...api.image_models import UniversalUpscaleRequest, Variation
from ...api.models import CreatedJob, JobStatus
from ..jobs import ENGINE_SEAMLESS, Candidate, JobState, TextureJob
from ..polling import kind_of
from ..scheduler import Suspend
from .base import JobContext

#: ``Candidate.transform`` of the paid variations, and the ``transformType`` the service reports for each.
UPSCALE = "UPSCALE"
UNIVERSAL_UPSCALER = "UNIVERSAL_UPSCALER"
NOBG = "NOBG"
SERVICE_TRANSFORM = {UPSCALE: "UPSCALE", UNIVERSAL_UPSCALER: "UPSCALE", NOBG: "NOBG"}
LABELS = {UPSCALE: "upscale", UNIVERSAL_UPSCALER: "universal upscale", NOBG: "background removal"}
UPSCALER_STYLES = ("GENERAL", "CINEMATIC", "2D ART & ILLUSTRATION", "CG ART & GAME ASSETS")
CREATIVITY_RANGE = (1, 10)
MULTIPLIER_RANGE = (1.0, 2.0)

#: ``Candidate.status`` of a variation.
REQUESTED, SUBMITTING, GENERATING, DONE, FAILED = "REQUESTED", "SUBMITTING", "GENERATING", "DONE", "FAILED"
#: A job waiting for a slot with nothing to poll looks again after this long (a freed slot wakes it sooner).
SLOT_RECHECK = 15.0


def check_variation(job: TextureJob, kind: str, source: int, options: dict[str, object]) -> None:
    """Refuse locally (``ValueError``) a variation the service would refuse."""
    if kind not in SERVICE_TRANSFORM:
        raise ValueError(f"Unknown variation {kind!r}; use one of {', '.join(SERVICE_TRANSFORM)}")
    if not 0 <= source < len(job.candidates):
        raise ValueError("Pick a candidate first")
    origin = job.candidates[source]
    if origin.status not in ("", DONE) or not (origin.image_id or origin.variation_id):
        raise ValueError("That candidate is not ready yet")
    if kind == UPSCALE and origin.variation_id:
        raise ValueError("The upscaler takes generated images only; use the Universal Upscaler on this one")
    if kind == UNIVERSAL_UPSCALER:
        style = options.get("style", "GENERAL")
        creativity = options.get("creativity", 5)
        multiplier = options.get("multiplier", 1.5)
        if style not in UPSCALER_STYLES:
            raise ValueError(f"The upscaler style must be one of {', '.join(UPSCALER_STYLES)}")
        if not isinstance(creativity, int) or not CREATIVITY_RANGE[0] <= creativity <= CREATIVITY_RANGE[1]:
            raise ValueError("Creativity must be a whole number from 1 to 10")
        if not isinstance(multiplier, int | float) or not MULTIPLIER_RANGE[0] <= multiplier <= MULTIPLIER_RANGE[1]:
            raise ValueError("The upscale multiplier must be from 1.0 to 2.0")


class VariationSteps:
    def __init__(self, ctx: JobContext) -> None:
        self.ctx = ctx

    def run(self) -> None:
        """Send what a free slot allows, poll what is in flight; suspend until either can go on."""
        job = self.ctx.job
        waiting: str | None = None
        delays: list[float] = []
        for index, candidate in enumerate(job.candidates):
            if candidate.status == SUBMITTING:
                self._reconcile(candidate)
            elif candidate.status == REQUESTED:
                waiting = self._submit(index, candidate) or waiting
            if candidate.status == GENERATING:
                delay = self._poll(index, candidate)
                if delay is not None:
                    delays.append(delay)
        if waiting is not None or delays:
            raise Suspend(min(delays) if delays else SLOT_RECHECK, slot=waiting)

    def _owner(self, index: int) -> str:
        """The concurrency slot a variation holds while in flight."""
        return f"{self.ctx.job.id}:v{index}"

    def _call(self, candidate: Candidate) -> Callable[[], CreatedJob]:
        job, client = self.ctx.job, self.ctx.client
        check_variation(job, candidate.transform, candidate.source, candidate.options)
        origin = job.candidates[candidate.source]
        if candidate.transform == UPSCALE:
            return partial(client.upscale, origin.image_id)
        if candidate.transform == NOBG:
            source = origin.variation_id or origin.image_id
            return partial(client.remove_background, source, is_variation=bool(origin.variation_id))
        options = candidate.options
        request = UniversalUpscaleRequest(
            generated_image_id=None if origin.variation_id else origin.image_id,
            variation_id=origin.variation_id or None,
            prompt=job.params.prompt,
            creativity_strength=int(options.get("creativity", 5)),
            upscale_multiplier=float(options.get("multiplier", 1.5)),
            upscaler_style=str(options.get("style", "GENERAL")),
        )
        request.to_wire()
        return partial(client.universal_upscale, request)

    def _submit(self, index: int, candidate: Candidate) -> str | None:
        """Send one variation; returns the slot owner when it must wait for a slot."""
        job = self.ctx.job
        create = self._call(candidate)
        try:
            self.ctx.acquire_slot(self._owner(index))
        except Suspend:
            job.note = f"The {LABELS[candidate.transform]} waits for a free concurrency slot"
            self.ctx.emit()
            return self._owner(index)
        if job.state is not JobState.GENERATING:
            job.move_to(JobState.GENERATING)
        candidate.status, candidate.submitted_at = SUBMITTING, time.time()
        self.ctx.emit()  # journaled (the job is paid already): a crash now is reconciled, not paid twice
        try:
            created = create()
        except errors.LeonardoError as exc:
            if exc.outcome_unknown:
                self._reconcile(candidate)
                return None
            candidate.status, candidate.submitted_at = REQUESTED, None  # certainly not created
            self.ctx.emit()
            raise
        self._accepted(candidate, created.id, created.api_credit_cost)
        return None

    def _accepted(self, candidate: Candidate, variation_id: str, cost: int | None) -> None:
        job = self.ctx.job
        candidate.variation_id, candidate.cost = variation_id, cost
        candidate.status, candidate.accepted_at = GENERATING, time.time()
        job.cost = (job.cost or 0) + cost if cost is not None else job.cost
        job.accepted_at = candidate.accepted_at  # the job list shows how long this step takes
        job.note = ""
        if job.state is not JobState.GENERATING:
            job.move_to(JobState.GENERATING)
        self.ctx.emit()

    def _reconcile(self, candidate: Candidate) -> None:
        """Adopt the variation a lost answer created, from the source image's variations; never resend."""
        job, settings, client = self.ctx.job, self.ctx.settings, self.ctx.client
        origin = job.candidates[candidate.source] if 0 <= candidate.source < len(job.candidates) else None
        findable = origin is not None and not origin.variation_id and job.generation_id is not None
        for attempt in range(settings.reconcile_attempts if findable else 0):
            assert origin is not None and job.generation_id is not None
            taken = {c.variation_id for c in job.candidates if c.variation_id}
            image = next(
                (i for i in client.image_generation(job.generation_id).images if i.id == origin.image_id), None
            )
            found = [
                v
                for v in (image.variations if image else ())
                if v.transform_type == SERVICE_TRANSFORM[candidate.transform] and v.id not in taken
            ]
            if found:
                self._accepted(candidate, found[-1].id, None)
                return
            if attempt + 1 < settings.reconcile_attempts:
                self.ctx.wait(settings.reconcile_wait)
        raise errors.LeonardoError(
            f"The service did not confirm the {LABELS.get(candidate.transform, 'variation')} request and it is "
            "not among the image's variations",
            fix="It was not sent again, so nothing was charged twice; resume later to look again.",
            action="retry",
        )

    def _poll(self, index: int, candidate: Candidate) -> float | None:
        """Look once; the delay until the next look while it is pending, None once it has ended."""
        job = self.ctx.job
        self.ctx.slots.hold(self._owner(index))
        if candidate.accepted_at is None:
            candidate.accepted_at = time.time()  # an older record: count from now, once
        try:
            variation: Variation = self.ctx.poll_once(
                self._owner(index),
                partial(self.ctx.client.variation, candidate.variation_id),
                accepted=candidate.accepted_at,
                kind=kind_of(f"{ENGINE_SEAMLESS}-{candidate.transform}", False),
                done=lambda v: v.status is not JobStatus.PENDING,
            )
        except Suspend as pause:
            return pause.delay
        self.ctx.slots.release(self._owner(index))
        if variation.status is JobStatus.COMPLETE and variation.url:
            candidate.url, candidate.status = variation.url, DONE
            job.chosen = index  # swapped in: the material follows once it is downloaded
        else:
            candidate.status, candidate.error = FAILED, "the service failed it"
            job.note = f"The service failed the {LABELS[candidate.transform]}; the material is unchanged."
        self.ctx.emit()
        return None
