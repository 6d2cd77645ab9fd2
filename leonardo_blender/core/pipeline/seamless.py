"""The seamless engine's steps: one tileable image generation, its candidates, their PBR maps, variations.

``POST /generations`` with ``tiling: true`` (optionally guided by an uploaded init image) makes
``num_images`` candidates. All are downloaded; the height, normal and roughness maps of the chosen one
(the first by default) are derived locally by ``core.maps`` with ``wrap=True``, so they tile because
the image does. Switching candidates or re-deriving with another normal strength needs no request:
``derive_candidate_maps`` is a pure function the Blender layer also runs on a worker.

The generation's create takes a concurrency slot, is journaled before it is sent and recorded the
moment it is accepted; a lost answer is looked up in the account's generations, never sent again. Paid
variations of a candidate (upscale, universal upscaler, background removal) are candidates too, carried
out by the same job (``seamless_variations``), then downloaded and swapped in here. Run again on a
half-done job, the steps skip what is done. Plain values only, no ``bpy``.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

from ...api import errors
from ...api.files import FileTransfer
from ...api.image_models import ImageGeneration, ImageGenerationRequest
from ...api.models import SEED_MAX, JobStatus
from .. import imaging, maps
from ..jobs import ENGINE_SEAMLESS, Candidate, JobState, SeamlessParams, TextureJob
from ..model_families import DEFAULT_MODEL_ID
from ..polling import kind_of
from .base import ImageDecoder, JobContext, download_pool
from .seamless_variations import DONE, VariationSteps

# -- files of a candidate and its maps (pure; the Blender layer uses them too) ---------------------------


def candidate_stem(index: int) -> str:
    return f"candidate-{index}"


def strength_code(strength: float) -> str:
    """The normal strength as it appears in the normal map's file name (1.0 -> "s100")."""
    return f"s{round(strength * 100)}"


def map_paths(folder: Path, index: int, strength: float) -> dict[str, Path]:
    """Where the maps derived from candidate ``index`` live; only the normal map depends on the strength."""
    return {
        "NORMAL": folder / f"normal-c{index}-{strength_code(strength)}.png",
        "ROUGHNESS": folder / f"roughness-c{index}.png",
        "DISPLACEMENT": folder / f"height-c{index}.png",
    }


def existing_maps(albedo: Path, index: int, strength: float) -> dict[str, str] | None:
    """The job's maps for this candidate and strength when they are all on disk already, else None."""
    paths = map_paths(albedo.parent, index, strength)
    if albedo.is_file() and all(path.is_file() for path in paths.values()):
        return {"ALBEDO": str(albedo), **{name: str(path) for name, path in paths.items()}}
    return None


def derive_candidate_maps(albedo: Path, index: int, strength: float, decode: ImageDecoder) -> dict[str, str]:
    """Worker: the maps of candidate ``index`` at ``strength`` ({type: path}), derived with wrapping
    neighbourhoods (they tile as the image does) and written beside it, unless they exist already."""
    if not math.isfinite(strength):
        raise ValueError(f"The normal strength must be a number, not {strength}")
    found = existing_maps(albedo, index, strength)
    if found is not None:
        return found
    derived = maps.derive_maps(decode(albedo.read_bytes()), normal_strength=strength, wrap=True)
    paths = map_paths(albedo.parent, index, strength)
    for map_type, path in paths.items():
        if not path.is_file():
            imaging.write_png(path, derived[map_type])
    return {"ALBEDO": str(albedo), **{name: str(path) for name, path in paths.items()}}


def candidate_file(job: TextureJob, index: int) -> Path | None:
    """Candidate ``index``'s image on disk: where it was downloaded or, when the folder moved (maps of an
    unsaved file move beside the .blend on its first save), beside the job's maps. None when missing."""
    if not 0 <= index < len(job.candidates) or not job.candidates[index].path:
        return None
    path = Path(job.candidates[index].path)
    if path.is_file():
        return path
    for other in job.maps.values():
        moved = Path(other).parent / path.name
        if moved.is_file():
            return moved
    return None


# -- the steps ------------------------------------------------------------------------------------------


class SeamlessSteps:
    def __init__(self, ctx: JobContext, *, decode_image: ImageDecoder) -> None:
        self.ctx = ctx
        self.decode_image = decode_image
        self.variations = VariationSteps(ctx)

    @property
    def settings(self) -> SeamlessParams:
        return self.ctx.job.params.seamless or SeamlessParams()

    def run(self) -> None:
        """One step: everything that can be done now; raises ``Suspend`` to wait for a slot or a poll."""
        job = self.ctx.job
        if job.seed_used is None:
            seed = job.params.seed
            job.seed_used = seed if seed is not None else self.ctx.rng.randrange(1, SEED_MAX)
        if job.generation_id is None:
            if job.state is JobState.RECONCILING:
                self._reconcile()
            else:
                self.request().to_wire()  # refuse locally what the service would refuse, before any upload
                self._upload_init_image()
                self._submit()
        if not job.candidates:
            self._poll()
        self.variations.run()
        self._download_candidates()
        self._derive()

    def _journal(self) -> None:
        if self.ctx.journal is not None:
            self.ctx.journal.save(self.ctx.job)

    # -- the generation ------------------------------------------------------------------------------

    def _upload_init_image(self) -> None:
        job, settings = self.ctx.job, self.settings
        if not settings.init_image_path or settings.init_image_id:
            return
        path = Path(settings.init_image_path)
        if not path.is_file():
            raise errors.LeonardoError(
                "The init image prepared for this job is gone from disk",
                fix="Pick the image again and generate again; nothing was charged.",
                action=None,
            )
        job.move_to(JobState.UPLOADING)
        self.ctx.emit()
        init_image_id = self.ctx.client.upload_init_image(path)
        job.params = replace(job.params, seamless=replace(settings, init_image_id=init_image_id))
        self.ctx.emit()

    def request(self) -> ImageGenerationRequest:
        job, settings = self.ctx.job, self.settings
        return ImageGenerationRequest(
            prompt=job.params.prompt,
            negative_prompt=job.params.negative_prompt or None,
            model_id=job.params.image_model_id or DEFAULT_MODEL_ID,
            width=settings.width,
            height=settings.height,
            num_images=settings.num_images,
            num_inference_steps=settings.num_inference_steps,
            guidance_scale=settings.guidance_scale,
            seed=job.seed_used,
            scheduler=settings.scheduler or None,
            preset_style=settings.preset_style or None,
            tiling=True,
            init_image_id=settings.init_image_id or None,
            init_strength=settings.init_strength if settings.init_image_id else None,
        )

    def _submit(self) -> None:
        job = self.ctx.job
        request = self.request()
        request.to_wire()  # refuse locally what the service would refuse, before taking a slot
        self.ctx.acquire_slot_or_queue()
        job.move_to(JobState.SUBMITTING)
        job.submitted_at = time.time()
        self._journal()  # before sending: a crash from now on is reconciled, never paid twice
        self.ctx.emit()
        try:
            created = self.ctx.client.create_image_generation(request)
        except errors.LeonardoError as exc:
            if not exc.outcome_unknown:
                if self.ctx.journal is not None:
                    self.ctx.journal.remove(job.id)  # refused: nothing exists to reconcile
                raise
            job.move_to(JobState.RECONCILING)
            job.error = exc.message
            self.ctx.emit()
            self._reconcile()
            return
        self._accepted(created.id, created.api_credit_cost)

    def _accepted(self, generation_id: str, cost: int | None) -> None:
        job = self.ctx.job
        job.generation_id = generation_id
        job.cost = cost
        job.accepted_at = time.time() if job.state is JobState.SUBMITTING else (job.submitted_at or time.time())
        job.move_to(JobState.GENERATING)
        self.ctx.emit()

    def _reconcile(self) -> None:
        """Adopt the generation a lost answer created (same prompt and seed, created since); never resend."""
        job = self.ctx.job
        found = self.ctx.find_lost_create(
            lambda: self.ctx.client.image_generations_for_user(self.ctx.user_id()),
            lambda g: g.prompt == job.params.prompt and (g.seed is None or g.seed == job.seed_used),
            sent_at=job.submitted_at,
        )
        if found is None:
            raise errors.LeonardoError(
                "The service did not confirm the seamless generation and it is not in the account's history",
                fix="It was not sent again, so nothing was charged twice; look for it in the Seamless History later.",
                action="retry",
            )
        self._accepted(found.id, None)

    def _poll(self) -> None:
        job = self.ctx.job
        generation_id = job.generation_id
        assert generation_id is not None
        if job.state is not JobState.GENERATING:
            job.move_to(JobState.GENERATING)
            self.ctx.emit()
        if job.accepted_at is None:
            job.accepted_at = time.time()
        self.ctx.slots.hold(job.id)  # in flight on the service, whether this run created it or resumed it
        generation: ImageGeneration = self.ctx.poll_once(
            job.id,
            partial(self.ctx.client.image_generation, generation_id),
            accepted=job.accepted_at,
            kind=kind_of(ENGINE_SEAMLESS, False, self.settings.width),
            done=lambda g: g.status is not JobStatus.PENDING,
        )
        self.ctx.slots.release(job.id)
        if generation.status is JobStatus.FAILED:
            job.service_failed = True
            raise errors.ServerError(
                "The service reported that the seamless generation failed",
                fix="Try again, perhaps with another prompt or seed.",
                action="retry",
            )
        if not generation.images:
            raise errors.UnexpectedResponseError("The generation is complete but lists no image")
        job.candidates = [Candidate(image_id=image.id, url=image.url) for image in generation.images]
        job.chosen = min(max(job.chosen, 0), len(job.candidates) - 1)
        if generation.seed is not None:
            job.seed_used = generation.seed
        job.completed_at = time.time()
        self.ctx.emit()

    # -- images down, maps derived -------------------------------------------------------------------

    def _download_candidates(self) -> None:
        job = self.ctx.job
        todo = [
            index
            for index, candidate in enumerate(job.candidates)
            if candidate.url and candidate.status in ("", DONE) and candidate_file(job, index) is None
        ]
        if not todo:
            return
        if job.state is not JobState.DOWNLOADING:
            job.move_to(JobState.DOWNLOADING)
            self.ctx.emit()
        folder = self.ctx.maps_dir
        folder.mkdir(parents=True, exist_ok=True)
        cancel = self.ctx.client.cancel

        def fetch(index: int) -> Path | errors.DownloadError:
            transfer = FileTransfer(cancel=cancel)
            try:
                url = job.candidates[index].url
                return transfer.download_image(url, folder, candidate_stem(index), what=f"candidate {index + 1}")
            except errors.DownloadError as exc:
                if getattr(exc, "expired", False):
                    return exc  # renewed below, on this thread
                raise
            finally:
                transfer.close()

        results = dict(zip(todo, download_pool().map(fetch, todo), strict=True))
        for index, result in results.items():
            if isinstance(result, errors.DownloadError):  # the signed URL expired (a resumed job): renew once
                job.candidates[index].url = self._fresh_url(job.candidates[index])
                result = self.ctx.client.files.download_image(
                    job.candidates[index].url, folder, candidate_stem(index), what=f"candidate {index + 1}"
                )
            candidate = job.candidates[index]
            candidate.path = str(result)
            candidate.width, candidate.height = imaging.image_size(result.read_bytes())
            self.ctx.emit()

    def _fresh_url(self, candidate: Candidate) -> str:
        if candidate.variation_id:
            url = self.ctx.client.variation(candidate.variation_id).url
        else:
            generation = self.ctx.client.image_generation(self.ctx.job.generation_id or "")
            url = next((image.url for image in generation.images if image.id == candidate.image_id), None)
        if not url:
            raise errors.DownloadError("The service no longer lists this image", action="retry")
        return url

    def _derive(self) -> None:
        job = self.ctx.job
        usable = [index for index in range(len(job.candidates)) if candidate_file(job, index) is not None]
        if not usable:
            raise errors.LeonardoError("No candidate image is on disk", fix="Resume the job to download them.")
        index = job.chosen if job.chosen in usable else usable[0]
        path = candidate_file(job, index)
        assert path is not None
        if job.state is not JobState.DOWNLOADING:
            job.move_to(JobState.DOWNLOADING)
        job.maps = derive_candidate_maps(path, index, self.settings.normal_strength, self.decode_image)
        job.chosen = index
        job.move_to(JobState.DOWNLOADED)
        self.ctx.emit()
