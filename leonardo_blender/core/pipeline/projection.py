"""The projection engine's steps: depth maps up, depth-guided image generations, images down, bake.

For each view of ``core.projection.plan_views`` (one for a preview; front, right, back, left and top
for a full texture) the worker renders a depth map of the captured mesh, uploads it as an init image
and asks ``POST /generations`` for one image guided by it ("Depth to Image" for the model's family),
all views with one seed. With ``style_reference`` (SDXL), the first finished view also guides the
others' style (Style Reference). The images are projected back onto the mesh and baked into its own
UV map; a normal and a roughness map are derived from the baked albedo (``core.maps``).

Every paid create is recorded (journal + snapshot) the moment the service accepts it, and a view whose
create was sent but not answered is looked up in the account's generations, never sent again. Run
again on a half-done job (resume after a crash, a reload or a re-enable), the steps skip what is done:
they never re-send an accepted view. Plain values only, no ``bpy``.
"""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path

import numpy as np

from ...api import errors
from ...api.image_models import Controlnet, ImageGeneration, ImageGenerationRequest
from ...api.models import SEED_MAX, JobStatus
from .. import imaging, maps
from ..jobs import ENGINE_PROJECTION, JobState, ViewState, ViewStep
from ..model_families import DEFAULT_MODEL_ID, depth_guidance_problem, preprocessor
from ..polling import kind_of
from ..projection import MeshArrays, ProjectionBaker, ViewSpec, plan_views, rasterize_uv, render_depth
from ..scheduler import Suspend
from .base import ImageDecoder, JobContext

#: What each view adds to the user's prompt, so the generator draws that side of the object.
VIEW_HINTS = {
    "front": "front view",
    "back": "back view",
    "left": "left side view",
    "right": "right side view",
    "top": "top view, seen from above",
    "bottom": "bottom view, seen from below",
}
#: Added to every view's prompt: the images become colour textures, so light and shadow must stay out.
TEXTURE_HINT = "even flat lighting, no cast shadows"
DEPTH_STRENGTH = "High"
#: A job waiting for a slot with nothing to poll looks again after this long (a slot normally wakes it sooner).
SLOT_RECHECK = 15.0
STYLE_STRENGTH = "Mid"


def view_prompt(prompt: str, view_name: str) -> str:
    return f"{prompt.strip()}, {VIEW_HINTS.get(view_name, view_name + ' view')}, {TEXTURE_HINT}"


class ProjectionSteps:
    def __init__(self, ctx: JobContext, *, mesh_path: Path | None, decode_image: ImageDecoder) -> None:
        self.ctx = ctx
        self.mesh_path = mesh_path
        self.decode_image = decode_image
        self._mesh: MeshArrays | None = None

    @property
    def model_id(self) -> str:
        return self.ctx.job.params.image_model_id or DEFAULT_MODEL_ID

    def run(self) -> None:
        job = self.ctx.job
        problem = depth_guidance_problem(self.model_id)
        if problem:
            raise errors.LeonardoError(problem, fix="", action=None)
        if job.seed_used is None:
            seed = job.params.seed
            job.seed_used = seed if seed is not None else self.ctx.rng.randrange(1, SEED_MAX)
        if not job.views:
            self._plan()
        self._upload_depth_maps()
        self._generate()
        self._download_views()
        self._bake()

    # -- inputs --------------------------------------------------------------------------------------

    def mesh(self) -> MeshArrays:
        if self._mesh is None:
            if self.mesh_path is None or not self.mesh_path.is_file():
                raise errors.LeonardoError(
                    "The mesh captured for this job is gone from disk",
                    fix="Texture the object again; nothing paid for this job can be baked without its mesh.",
                    action=None,
                )
            try:
                self._mesh = MeshArrays.load(self.mesh_path)
            except ValueError as exc:
                raise errors.LeonardoError(f"The mesh captured for this job is damaged: {exc}", action=None) from None
        return self._mesh

    def _plan(self) -> None:
        job, params = self.ctx.job, self.ctx.job.params
        specs = plan_views(
            self.mesh(),
            params.front_rotation_offset,
            preview=params.preview,
            preview_direction=params.preview_direction,
            size=params.generation_size,
        )
        job.views = [ViewStep(name=s.name, spec=s.to_dict(), prompt=view_prompt(params.prompt, s.name)) for s in specs]
        self.ctx.emit()

    def _depth(self, view: ViewStep) -> tuple[ViewSpec, np.ndarray, np.ndarray]:
        spec = ViewSpec.from_dict(view.spec)
        pixels, buffer = render_depth(spec, self.mesh())
        return spec, pixels, buffer

    # -- depth maps ----------------------------------------------------------------------------------

    def _views_dir(self) -> Path:
        folder = self.ctx.maps_dir / "views"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _upload_depth_maps(self) -> None:
        job = self.ctx.job
        todo = [view for view in job.views if view.state is ViewState.PLANNED]
        if not todo:
            return
        if job.state in (JobState.EXPORTING, JobState.SUBMITTING, JobState.FAILED, JobState.CANCELLED):
            job.move_to(JobState.UPLOADING)
        self.ctx.emit()
        for view in todo:
            _spec, pixels, _buffer = self._depth(view)
            path = self._views_dir() / f"{view.name}-depth.png"
            imaging.write_png(path, pixels)
            view.init_image_id = self.ctx.client.upload_init_image(path)
            view.state = ViewState.UPLOADED
            self.ctx.emit()

    # -- generations ---------------------------------------------------------------------------------

    def _generate(self) -> None:
        """Submit what a free slot allows, poll what is in flight; suspend until either can go on.

        A job waiting for a slot keeps polling its views in flight: their results are what frees slots."""
        views = self.ctx.job.views
        use_style = (
            self.ctx.job.params.style_reference
            and len(views) > 1
            and preprocessor("style_reference", self.model_id) is not None
        )
        if use_style:
            first, rest = views[0], views[1:]
            waiting = self._submit([first], style_image_id=None)
            delay = self._poll_pass(views)
            if first.state in (ViewState.READY, ViewState.DOWNLOADED, ViewState.FAILED):
                style = first.image_id if first.state is not ViewState.FAILED else None
                waiting = self._submit(rest, style_image_id=style)
                if any(v.state is ViewState.GENERATING for v in rest):
                    size = int(ViewSpec.from_dict(first.spec).size)
                    fresh = self.ctx.next_poll_delay(time.time(), kind_of(ENGINE_PROJECTION, False, size))
                    delay = fresh if delay is None else min(delay, fresh)
        else:
            waiting = self._submit(views, style_image_id=None)
            delay = self._poll_pass(views)
        if waiting is not None or delay is not None:
            raise Suspend(SLOT_RECHECK if delay is None else delay, slot=waiting)

    def _request(self, view: ViewStep, style_image_id: str | None) -> ImageGenerationRequest:
        params = self.ctx.job.params
        depth_id = preprocessor("depth_to_image", self.model_id)
        assert depth_id is not None and view.init_image_id is not None
        controlnets = [
            Controlnet(
                init_image_id=view.init_image_id,
                init_image_type="UPLOADED",
                preprocessor_id=depth_id,
                strength_type=DEPTH_STRENGTH,
            )
        ]
        style_id = preprocessor("style_reference", self.model_id)
        if style_image_id and style_id is not None:
            controlnets.append(
                Controlnet(
                    init_image_id=style_image_id,
                    init_image_type="GENERATED",
                    preprocessor_id=style_id,
                    strength_type=STYLE_STRENGTH,
                )
            )
        size = int(ViewSpec.from_dict(view.spec).size)
        return ImageGenerationRequest(
            prompt=view.prompt,
            negative_prompt=params.negative_prompt or None,
            model_id=self.model_id,
            width=size,
            height=size,
            num_images=1,
            seed=self.ctx.job.seed_used,
            controlnets=tuple(controlnets),
        )

    def _submit(self, views: list[ViewStep], *, style_image_id: str | None) -> str | None:
        """Create the views that have no generation yet; returns the slot owner still waiting, if any."""
        job = self.ctx.job
        for view in views:
            if view.generation_id or view.state is ViewState.FAILED:
                continue
            if view.state is ViewState.SUBMITTING:
                self._reconcile(view)  # sent before a crash or a lost answer: look, never resend
                continue
            request = self._request(view, style_image_id)
            request.to_wire()  # refuse locally what the service would refuse, before taking a slot
            try:
                self.ctx.acquire_slot(self._owner(view))
            except Suspend:
                if job.state is JobState.UPLOADING:
                    job.move_to(JobState.QUEUED)
                    self.ctx.emit()
                return self._owner(view)
            if job.state in (JobState.UPLOADING, JobState.QUEUED):
                job.move_to(JobState.SUBMITTING)
            view.state = ViewState.SUBMITTING
            view.submitted_at = time.time()
            self.ctx.emit()  # journaled before sending: a crash now is reconciled, not paid twice
            try:
                created = self.ctx.client.create_image_generation(request)
            except errors.LeonardoError as exc:
                if exc.outcome_unknown:
                    self._reconcile(view)
                    continue
                view.state = ViewState.UPLOADED  # certainly not created: it may be sent again later
                view.submitted_at = None
                self.ctx.emit()
                raise
            self._accepted(view, created.id, created.api_credit_cost)
        return None

    def _accepted(self, view: ViewStep, generation_id: str, cost: int | None) -> None:
        job = self.ctx.job
        view.generation_id = generation_id
        view.cost = cost
        view.accepted_at = time.time()
        view.state = ViewState.GENERATING
        job.accepted_at = job.accepted_at or view.accepted_at
        job.cost = sum(v.cost or 0 for v in job.views if v.generation_id) or None
        if job.state is not JobState.GENERATING:
            if job.state not in (JobState.SUBMITTING, JobState.RECONCILING):
                job.move_to(JobState.SUBMITTING)
            job.move_to(JobState.GENERATING)
        self.ctx.emit()

    def _reconcile(self, view: ViewStep) -> None:
        """Adopt the generation a lost answer created (same prompt and seed, created since), or give up
        without sending it again."""
        job = self.ctx.job
        found = self.ctx.find_lost_create(
            lambda: self.ctx.client.image_generations_for_user(self.ctx.user_id()),
            lambda g: g.prompt == view.prompt and (g.seed is None or g.seed == job.seed_used),
            sent_at=view.submitted_at,
            also_taken=[v.generation_id for v in job.views if v.generation_id],
        )
        if found is None:
            raise errors.LeonardoError(
                f"The service did not confirm the {view.name} view's request and it is not in the account's history",
                fix="It was not sent again, so nothing was charged twice; resume later to look again.",
                action="retry",
            )
        self._accepted(view, found.id, None)

    def _owner(self, view: ViewStep) -> str:
        """The concurrency slot a view's generation holds while in flight."""
        return f"{self.ctx.job.id}:{view.name}"

    def _poll_pass(self, views: list[ViewStep]) -> float | None:
        """Look once at every view still generating; the delay until the next poll, or None if none is pending."""
        delays: list[float] = []
        for view in views:
            if view.state is not ViewState.GENERATING:
                continue
            self.ctx.slots.hold(self._owner(view))
            if view.accepted_at is None:
                view.accepted_at = time.time()  # an older record: count from now, once
            size = int(ViewSpec.from_dict(view.spec).size) if view.spec else 0
            try:
                generation = self.ctx.poll_once(
                    self._owner(view),
                    partial(self._fetch, view),
                    accepted=view.accepted_at,
                    kind=kind_of(ENGINE_PROJECTION, False, size),
                    done=lambda g: g.status is not JobStatus.PENDING,
                )
            except Suspend as pause:
                delays.append(pause.delay)
                continue
            self.ctx.slots.release(self._owner(view))
            if generation.status is JobStatus.COMPLETE and generation.images:
                view.image_id = generation.images[0].id
                view.image_url = generation.images[0].url
                view.state = ViewState.READY
            else:
                view.state = ViewState.FAILED
                view.error = "the service failed this view's generation"
            self.ctx.emit()
        return min(delays) if delays else None

    def _fetch(self, view: ViewStep) -> ImageGeneration:
        assert view.generation_id is not None
        return self.ctx.client.image_generation(view.generation_id)

    # -- images down ---------------------------------------------------------------------------------

    def _download_views(self) -> None:
        job = self.ctx.job
        ready = [v for v in job.views if v.state is ViewState.READY]
        if ready:
            job.move_to(JobState.DOWNLOADING)
            self.ctx.emit()
        for view in ready:
            folder, what = self._views_dir(), f"{view.name} view"
            try:
                path = self.ctx.client.files.download_image(view.image_url, folder, view.name, what=what)
            except errors.DownloadError as exc:
                if not getattr(exc, "expired", False):
                    raise
                fresh = self.ctx.client.image_generation(view.generation_id or "")  # signed URL expired: renew
                if not fresh.images:
                    raise
                view.image_url = fresh.images[0].url
                path = self.ctx.client.files.download_image(view.image_url, folder, view.name, what=what)
            view.image_path = str(path)
            view.state = ViewState.DOWNLOADED
            self.ctx.emit()

    # -- bake ----------------------------------------------------------------------------------------

    def _bake(self) -> None:
        job, params = self.ctx.job, self.ctx.job.params
        usable = [v for v in job.views if v.state is ViewState.DOWNLOADED and Path(v.image_path).is_file()]
        if not usable:
            job.service_failed = all(v.state is ViewState.FAILED for v in job.views)
            raise errors.ServerError(
                "The service produced no usable view of the object",
                fix="Try again, perhaps with another prompt or seed.",
                action="retry",
            )
        job.move_to(JobState.BAKING)
        self.ctx.emit()
        surface = rasterize_uv(self.mesh(), params.bake_size)
        baker = ProjectionBaker(surface)
        for view in usable:
            self.ctx.client.transport.raise_if_cancelled()
            spec, _pixels, buffer = self._depth(view)
            image = self.decode_image(Path(view.image_path).read_bytes())
            baker.add_view(spec, buffer, image)
        albedo = baker.albedo()
        derived = maps.derive_maps(albedo, wrap=False)
        self.ctx.maps_dir.mkdir(parents=True, exist_ok=True)
        written = {}
        for map_type, pixels in (
            ("ALBEDO", albedo),
            ("NORMAL", derived["NORMAL"]),
            ("ROUGHNESS", derived["ROUGHNESS"]),
        ):
            path = self.ctx.maps_dir / f"{map_type.lower()}.png"
            imaging.write_png(path, pixels)
            written[map_type] = str(path)
        job.maps = written
        job.completed_at = time.time()
        failed = [v.name for v in job.views if v.state is ViewState.FAILED]
        if failed:
            job.note = f"The service failed the {', '.join(failed)} view(s); those sides were filled from the others."
        job.move_to(JobState.DOWNLOADED)
        self.ctx.emit()
