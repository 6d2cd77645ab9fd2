"""The worker side of a texture job: upload, submit, poll, download. Runs off the main thread.

Plain values only: the job record, file paths and a client. No ``bpy``. Each step publishes a
snapshot of the job through ``publish`` (the Blender layer queues it for the main thread) and, once
the service may have charged, writes it to the journal first, so a crash never loses a paid job.

The paid create is sent once. When its outcome is unknown (timeout, broken connection, 5xx), the
pipeline looks for the job among the model's generations instead of sending it again.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..api import errors
from ..api.client import LeonardoClient
from ..api.files import FileTransfer, image_kind
from ..api.models import JobStatus, TextureGeneration, TextureRequest
from .backoff import JOB_POLL, Backoff
from .fingerprint import LINKED, obj_fingerprint
from .jobs import JobState, TextureJob
from .journal import Journal

Publish = Callable[[TextureJob], None]


@dataclass
class PipelineSettings:
    job_timeout: float = 30 * 60.0
    poll: Backoff = JOB_POLL
    download_workers: int = 4
    reconcile_attempts: int = 4
    reconcile_wait: float = 3.0
    #: Generation ids already attributed to other jobs (never adopted when reconciling).
    known_generation_ids: Collection[str] = field(default_factory=tuple)


class TexturePipeline:
    def __init__(
        self,
        client: LeonardoClient,
        job: TextureJob,
        *,
        maps_dir: Path,
        publish: Publish,
        obj_path: Path | None = None,
        journal: Journal | None = None,
        settings: PipelineSettings | None = None,
        previous_upload: tuple[str, str] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.job = job
        self.maps_dir = Path(maps_dir)
        self.obj_path = obj_path
        self.journal = journal
        self.settings = settings or PipelineSettings()
        self._publish = publish
        self.previous_upload = previous_upload  # (model asset id, fingerprint) the object was uploaded as
        self._rng = rng or random.Random()

    @property
    def cancel(self) -> threading.Event:
        return self.client.cancel

    # -- entry point ---------------------------------------------------------------------------------

    def run(self) -> TextureJob:
        job = self.job
        try:
            if job.generation_id is None and job.state is not JobState.RECONCILING:
                self._identify_mesh()
                if job.model_asset_id is None or job.state is JobState.UPLOADING:
                    self._upload()
                else:
                    self._check_asset_still_exists()
                self._submit()
            if job.state is JobState.RECONCILING:
                self._reconcile()
            if job.state is not JobState.DOWNLOADED:
                generation = self._poll()
                self._download(generation)
        except errors.CancelledError:
            job.move_to(JobState.CANCELLED)
            self._emit()
        except errors.LeonardoError as exc:
            job.fail(exc.user_message, exc.action or "")
            self._emit()
        except OSError as exc:
            job.fail(f"File error: {exc}")
            self._emit()
        return job

    def _emit(self) -> None:
        if self.journal is not None and (self.job.state.paid or self.job.generation_id):
            self.journal.save(self.job)
        self._publish(self.job.snapshot())

    # -- steps ---------------------------------------------------------------------------------------

    def _identify_mesh(self) -> None:
        """Fingerprint the exported mesh; reuse the object's model asset when the shape is unchanged."""
        job = self.job
        if self.obj_path is None or job.mesh_fingerprint is not None:
            return
        job.mesh_fingerprint = obj_fingerprint(self.obj_path.read_bytes())
        if (
            self.previous_upload
            and self.previous_upload[1] in (job.mesh_fingerprint, LINKED)
            and not job.model_asset_id
        ):
            job.model_asset_id = self.previous_upload[0]

    def _upload(self) -> None:
        job = self.job
        if self.obj_path is None:
            raise errors.UploadError("No exported mesh to upload")
        job.move_to(JobState.UPLOADING)
        self._emit()
        data = self.obj_path.read_bytes()
        job.model_asset_id = self.client.upload_model(data, name=job.object_name or None, filename=self.obj_path.name)
        self._emit()

    def _check_asset_still_exists(self) -> None:
        """A reused model asset may have been deleted on the web app since: upload again then."""
        assert self.job.model_asset_id is not None
        try:
            self.client.model_asset(self.job.model_asset_id)
        except errors.NotFoundError:
            self.job.model_asset_id = None
            self._upload()

    def _submit(self) -> None:
        job, params = self.job, self.job.params
        assert job.model_asset_id is not None
        request = TextureRequest(
            prompt=params.prompt,
            model_asset_id=job.model_asset_id,
            negative_prompt=params.negative_prompt or None,
            front_rotation_offset=params.front_rotation_offset,
            sd_version=params.sd_version,
            preview=params.preview,
            preview_direction=params.preview_direction,
            seed=params.seed,
        )
        job.move_to(JobState.SUBMITTING)
        self._emit()
        job.submitted_at = time.time()
        try:
            created = self.client.create_texture(request)
        except errors.LeonardoError as exc:
            if not exc.outcome_unknown:
                raise
            job.move_to(JobState.RECONCILING)
            job.error = exc.message
            self._emit()
            return
        job.generation_id = created.id
        job.cost = created.api_credit_cost
        job.accepted_at = time.time()
        job.move_to(JobState.GENERATING)
        self._emit()

    def _reconcile(self) -> None:
        """Find the generation a lost answer created, by model, prompt and time; never re-send it."""
        job = self.job
        assert job.model_asset_id is not None
        since = (job.submitted_at or job.created_at) - 300.0
        for attempt in range(self.settings.reconcile_attempts):
            candidates = [
                g
                for g in self.client.texture_generations_for_model(job.model_asset_id)
                if g.prompt == job.params.prompt
                and g.id not in self.settings.known_generation_ids
                and _epoch(g.created_at, default=since) >= since
            ]
            if candidates:
                newest = max(candidates, key=lambda g: _epoch(g.created_at, default=0.0))
                job.generation_id = newest.id
                job.accepted_at = job.submitted_at or time.time()
                job.move_to(JobState.GENERATING)
                self._emit()
                return
            if attempt + 1 < self.settings.reconcile_attempts:
                self.client.transport.wait(self.settings.reconcile_wait)
        raise errors.LeonardoError(
            "The service did not confirm the texture request and it is not in the model's history",
            fix="It was not sent again, so nothing was charged twice; check the history later or retry.",
            action="",
        )

    def _poll(self) -> TextureGeneration:
        job = self.job
        assert job.generation_id is not None
        if job.state not in (JobState.GENERATING, JobState.DOWNLOADING):
            job.move_to(JobState.GENERATING)
            self._emit()
        started = job.accepted_at or time.time()
        attempt = 0
        while True:
            try:
                generation = self.client.texture_generation(job.generation_id)
            except (errors.NetworkError, errors.ServerError, errors.RateLimitedError):
                generation = None  # transient after the client's own retries: keep polling
            if generation is not None:
                if generation.seed is not None and generation.seed != job.seed_used:
                    job.seed_used = generation.seed
                    self._emit()
                if generation.status is JobStatus.COMPLETE:
                    job.completed_at = time.time()
                    return generation
                if generation.status is JobStatus.FAILED:
                    raise errors.ServerError(
                        "The service reported that the texture generation failed",
                        fix="Try again, perhaps with another prompt or seed.",
                        action="retry",
                    )
            if time.time() - started > self.settings.job_timeout:
                raise errors.LeonardoError(
                    f"No result after {self.settings.job_timeout / 60:.0f} min",
                    fix="The job may still finish on the service: resume it from the job list later.",
                    action="retry",
                )
            self.client.transport.wait(self.settings.poll.delay(attempt, self._rng))
            attempt += 1

    def _download(self, generation: TextureGeneration) -> None:
        job = self.job
        if not generation.images:
            raise errors.UnexpectedResponseError("The generation is complete but lists no texture maps")
        job.move_to(JobState.DOWNLOADING)
        self._emit()
        self.maps_dir.mkdir(parents=True, exist_ok=True)
        try:
            maps = self._download_all(generation)
        except errors.DownloadError as exc:
            if not getattr(exc, "expired", False):
                raise
            # The signed URLs expired (a resumed job): ask for fresh ones once.
            maps = self._download_all(self.client.texture_generation(generation.id))
        job.maps = maps
        job.move_to(JobState.DOWNLOADED)
        self._emit()

    def _download_all(self, generation: TextureGeneration) -> dict[str, str]:
        def fetch(url: str, map_type: str) -> tuple[str, str]:
            transfer = FileTransfer(cancel=self.cancel)
            try:
                data = transfer.fetch(url, what=f"{map_type.lower()} map")
            finally:
                transfer.close()
            extension = {"png": ".png", "webp": ".webp"}.get(image_kind(data) or "", ".jpg")
            destination = self.maps_dir / f"{map_type.lower()}{extension}"
            partial = destination.with_name(destination.name + ".part")
            partial.write_bytes(data)
            partial.replace(destination)
            return map_type, str(destination)

        workers = max(1, min(self.settings.download_workers, len(generation.images)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="leonardo-download") as pool:
            futures = [pool.submit(fetch, image.url, image.type) for image in generation.images]
            return dict(f.result() for f in futures)


def _epoch(stamp: str | None, *, default: float) -> float:
    if not stamp:
        return default
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return default
    if moment.tzinfo is None:  # Hasura timestamps are UTC without an offset
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
