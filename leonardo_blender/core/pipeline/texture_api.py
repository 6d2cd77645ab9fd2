"""The texture-API engine's steps: upload the OBJ, ``POST /generations-texture``, poll, download the maps.

Runs on a worker through a ``JobContext`` (plain values, no ``bpy``). The paid create is sent once.
When its outcome is unknown (timeout, broken connection, 5xx), the steps look for the job among the
model's generations instead of sending it again. A routing 404 ("Endpoint not found") on the create is
raised as ``EndpointUnavailableError`` for the runner to fall back (AUTO) or explain (TEXTURE_API).
"""

from __future__ import annotations

import time
from pathlib import Path

from ...api import errors
from ...api.files import FileTransfer
from ...api.models import JobStatus, TextureGeneration, TextureRequest
from ..fingerprint import LINKED, obj_file_fingerprint
from ..jobs import ENGINE_TEXTURE_API, JobState
from ..polling import kind_of
from .base import JobContext, download_pool


class TextureApiSteps:
    def __init__(
        self, ctx: JobContext, *, obj_path: Path | None, previous_upload: tuple[str, str] | None = None
    ) -> None:
        self.ctx = ctx
        self.obj_path = obj_path
        self.previous_upload = previous_upload  # (model asset id, fingerprint) the object was uploaded as
        self._asset_checked = False

    def run(self) -> None:
        """One step: everything that can be done now; raises ``Suspend`` to wait for a slot or a poll."""
        job = self.ctx.job
        if job.generation_id is None and job.state is not JobState.RECONCILING:
            self._identify_mesh()
            if job.model_asset_id is None or job.state is JobState.UPLOADING:
                self._upload()
            elif not self._asset_checked:
                self._check_asset_still_exists()
            self._asset_checked = True
            self._submit()
        if job.state is JobState.RECONCILING:
            self._reconcile()
        if job.state is not JobState.DOWNLOADED:
            generation = self._poll()
            self._download(generation)

    # -- steps ---------------------------------------------------------------------------------------

    def _identify_mesh(self) -> None:
        """Fingerprint the exported mesh; reuse the object's model asset when the shape is unchanged."""
        job = self.ctx.job
        if self.obj_path is None or job.mesh_fingerprint is not None:
            return
        job.mesh_fingerprint = obj_file_fingerprint(self.obj_path)
        if (
            self.previous_upload
            and self.previous_upload[1] in (job.mesh_fingerprint, LINKED)
            and not job.model_asset_id
        ):
            job.model_asset_id = self.previous_upload[0]

    def _upload(self) -> None:
        job = self.ctx.job
        if self.obj_path is None:
            raise errors.UploadError("No exported mesh to upload")
        job.move_to(JobState.UPLOADING)
        self.ctx.emit()
        job.model_asset_id = self.ctx.client.upload_model(
            self.obj_path, name=job.object_name or None, filename=self.obj_path.name
        )
        self.ctx.emit()

    def _check_asset_still_exists(self) -> None:
        """A reused model asset may have been deleted on the web app since: upload again then."""
        job = self.ctx.job
        assert job.model_asset_id is not None
        try:
            self.ctx.client.model_asset(job.model_asset_id)
        except errors.NotFoundError:
            job.model_asset_id = None
            self._upload()

    def _submit(self) -> None:
        job, params = self.ctx.job, self.ctx.job.params
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
        request.to_wire()  # refuse locally what the service would refuse, before taking a slot
        self.ctx.acquire_slot_or_queue()
        job.move_to(JobState.SUBMITTING)
        self.ctx.emit()
        job.submitted_at = time.time()
        try:
            created = self.ctx.client.create_texture(request)
        except errors.LeonardoError as exc:
            if not exc.outcome_unknown:
                raise
            job.move_to(JobState.RECONCILING)
            job.error = exc.message
            self.ctx.emit()
            return
        job.generation_id = created.id
        job.cost = created.api_credit_cost
        job.accepted_at = time.time()
        job.move_to(JobState.GENERATING)
        self.ctx.emit()

    def _reconcile(self) -> None:
        """Find the generation a lost answer created, by model, prompt and time; never re-send it."""
        job = self.ctx.job
        model_asset_id = job.model_asset_id
        assert model_asset_id is not None
        found = self.ctx.find_lost_create(
            lambda: self.ctx.client.texture_generations_for_model(model_asset_id),
            lambda g: g.prompt == job.params.prompt,
            sent_at=job.submitted_at,
        )
        if found is None:
            raise errors.LeonardoError(
                "The service did not confirm the texture request and it is not in the model's history",
                fix="It was not sent again, so nothing was charged twice; check the history later or retry.",
                action="",
            )
        job.generation_id = found.id
        job.accepted_at = job.submitted_at or time.time()
        job.move_to(JobState.GENERATING)
        self.ctx.emit()

    def _poll(self) -> TextureGeneration:
        job = self.ctx.job
        assert job.generation_id is not None
        generation_id = job.generation_id
        if job.state not in (JobState.GENERATING, JobState.DOWNLOADING):
            job.move_to(JobState.GENERATING)
            self.ctx.emit()

        def fetch() -> TextureGeneration:
            generation = self.ctx.client.texture_generation(generation_id)
            if generation.seed is not None and generation.seed != job.seed_used:
                job.seed_used = generation.seed
                self.ctx.emit()
            return generation

        self.ctx.slots.hold(job.id)  # in flight on the service, whether this run created it or resumed it
        if job.accepted_at is None:
            job.accepted_at = time.time()  # an older record: count from now, once
        generation = self.ctx.poll_once(
            job.id,
            fetch,
            accepted=job.accepted_at,
            kind=kind_of(ENGINE_TEXTURE_API, job.params.preview),
            done=lambda g: g.status.finished,
        )
        self.ctx.slots.release(job.id)
        if generation.status is JobStatus.FAILED:
            job.service_failed = True
            raise errors.ServerError(
                "The service reported that the texture generation failed",
                fix="Try again, perhaps with another prompt or seed.",
                action="retry",
            )
        job.completed_at = time.time()
        return generation

    def _download(self, generation: TextureGeneration) -> None:
        job = self.ctx.job
        if not generation.images:
            raise errors.UnexpectedResponseError("The generation is complete but lists no texture maps")
        if not any(image.type == "ALBEDO" for image in generation.images):
            # Applying the other maps alone would give a colourless material that looks like a result.
            raise errors.UnexpectedResponseError(
                "The generation is complete but lists no albedo map",
                fix="Resume later: it asks for the maps again and pays nothing again.",
            )
        job.move_to(JobState.DOWNLOADING)
        self.ctx.emit()
        self.ctx.maps_dir.mkdir(parents=True, exist_ok=True)
        try:
            maps = self._download_all(generation)
        except errors.DownloadError as exc:
            if not getattr(exc, "expired", False):
                raise
            # The signed URLs expired (a resumed job): ask for fresh ones once.
            maps = self._download_all(self.ctx.client.texture_generation(generation.id))
        job.maps = maps
        job.move_to(JobState.DOWNLOADED)
        self.ctx.emit()

    def _download_all(self, generation: TextureGeneration) -> dict[str, str]:
        """Stream every map to disk, a few at a time; names come from the map type, made safe."""
        cancel = self.ctx.client.cancel

        def fetch(url: str, map_type: str) -> tuple[str, str]:
            transfer = FileTransfer(cancel=cancel)
            try:
                path = transfer.download_image(url, self.ctx.maps_dir, map_type.lower(), what=f"{map_type.lower()} map")
            finally:
                transfer.close()
            return map_type, str(path)

        futures = [download_pool().submit(fetch, image.url, image.type) for image in generation.images]
        return dict(f.result() for f in futures)
