"""Run one texture job on a worker, whichever engine it uses: the one entry point of the worker side.

``TexturePipeline(client, job, ...).run()`` resolves the engine, runs its steps and turns every failure
into the job's state (FAILED with the service's reason and a fix, or CANCELLED). Both engines share
this machinery: the same record, snapshots, journal, polling, cancel and error handling.

Engines (``TextureParams.engine``):

* ``TEXTURE_API``: Leonardo's 3D texture endpoint. On the routing 404 the live service now gives
  ("Endpoint not found"), the job fails with a message naming the projection engine as the way out.
* ``PROJECTION``: depth-guided image generation, baked into the mesh's UVs.
* ``AUTO``: the texture endpoint first; on that routing 404 the same job goes on through projection
  (nothing was charged for the attempt), and ``settings.texture_api_unavailable`` lets later jobs skip
  the attempt. A routing 404 is never reported as a deleted generation.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...api import errors
from ...api.client import LeonardoClient
from .. import imaging, polling
from ..jobs import ENGINE_AUTO, ENGINE_PROJECTION, ENGINE_SEAMLESS, ENGINE_TEXTURE_API, JobState, TextureJob
from ..journal import Journal
from ..obj_arrays import ObjReadError, mesh_arrays_from_obj
from ..scheduler import Suspend
from ..slots import SlotPool
from .base import ImageDecoder, JobContext, PipelineSettings, Publish
from .projection import ProjectionSteps
from .texture_api import TextureApiSteps

FALLBACK_NOTE = (
    "Leonardo's 3D texture endpoint is not available on this service any more, so this job textures "
    "through image generation instead (Projection engine), and so will the next ones while Blender runs. "
    "Nothing was charged for the attempt."
)
TEXTURE_API_GONE_FIX = "Choose the Projection engine (or Auto) to texture through image generation instead."


def refused_before_charging(error: errors.LeonardoError) -> bool:
    """The paid request certainly did nothing, and sending it again later may work."""
    if error.outcome_unknown:
        return False
    if isinstance(error, (errors.RateLimitedError, errors.InsufficientCreditsError)):
        return True
    return getattr(error, "charged", None) is False


class TexturePipeline:
    def __init__(
        self,
        client: LeonardoClient,
        job: TextureJob,
        *,
        maps_dir: Path,
        publish: Publish,
        obj_path: Path | None = None,
        mesh_path: Path | None = None,
        journal: Journal | None = None,
        settings: PipelineSettings | None = None,
        previous_upload: tuple[str, str] | None = None,
        rng: random.Random | None = None,
        decode_image: ImageDecoder | None = None,
        interrupted: threading.Event | None = None,
        slots: SlotPool | None = None,
        durations: polling.Durations | None = None,
        waker: Callable[[], None] | None = None,
    ) -> None:
        self.job = job
        #: Set together with the client's cancel event when Blender (or the add-on) shuts down: the
        #: job stops but keeps its state, so it resumes on the next start instead of ending CANCELLED.
        self.interrupted = interrupted or threading.Event()
        self.ctx = JobContext(
            client,
            job,
            maps_dir=maps_dir,
            publish=publish,
            journal=journal,
            settings=settings or PipelineSettings(),
            rng=rng or random.Random(),
            slots=slots,
            durations=durations,
            waker=waker,
        )
        self.obj_path = obj_path
        self.mesh_path = mesh_path
        self.previous_upload = previous_upload
        self.decode_image = decode_image or imaging.decode_image
        self._texture_steps: TextureApiSteps | None = None
        self._projection_steps: ProjectionSteps | None = None
        self._seamless_steps: Any = None

    @property
    def client(self) -> LeonardoClient:
        return self.ctx.client

    def run(self) -> TextureJob:
        """Run the job to its end on this thread (tests and simple scripts): step, wait, step again."""
        while True:
            try:
                return self.step()
            except Suspend as pause:
                try:
                    self.ctx.wait(pause.delay if pause.slot is None else 0.05)
                except errors.CancelledError:
                    continue  # the next step sees the cancel and ends the job CANCELLED

    def step(self) -> TextureJob:
        """Do what can be done now. Returns the job when it has ended (downloaded, failed, cancelled or
        interrupted); raises ``Suspend`` when it must wait (the scheduler steps it again later)."""
        job = self.job
        try:
            self.client.transport.raise_if_cancelled()
            job.retry_free = False
            self._run_engine()
        except Suspend:
            raise
        except errors.CancelledError:
            if self.interrupted.is_set():
                self.ctx.emit()  # journaled as it stands: the next start resumes it
                return self._ended()
            job.move_to(JobState.CANCELLED)
            self.ctx.emit()
        except errors.LeonardoError as exc:
            job.fail(exc.user_message, exc.action or "")
            job.retry_free = refused_before_charging(exc)
            self.ctx.emit()
        except imaging.ImageDecodeError as exc:
            job.fail(f"A downloaded image could not be read: {exc}", "retry")
            self.ctx.emit()
        except OSError as exc:
            job.fail(f"File error: {exc}")
            self.ctx.emit()
        except ValueError as exc:  # a request the add-on refused locally, before sending it
            job.fail(f"Not sent: {exc}")
            job.retry_free = False
            self.ctx.emit()
        return self._ended()

    def _ended(self) -> TextureJob:
        self.ctx.slots.release_prefix(self.job.id)
        return self.job

    def _mesh_from_export(self) -> None:
        """The projection engine needs the mesh as arrays: read them from the OBJ exported for the texture
        endpoint (no second trip to Blender's main thread)."""
        if self.mesh_path is None or self.mesh_path.is_file() or self.obj_path is None:
            return
        try:
            mesh = mesh_arrays_from_obj(self.obj_path.read_bytes())
        except ObjReadError as exc:
            raise errors.LeonardoError(f"The exported mesh cannot be projected: {exc}", action=None) from None
        self.mesh_path.parent.mkdir(parents=True, exist_ok=True)
        mesh.save(self.mesh_path)

    def initial_engine(self) -> str:
        params = self.job.params
        if params.engine == ENGINE_SEAMLESS:
            return ENGINE_SEAMLESS
        if self.job.generation_id or (self.job.model_asset_id and self.job.state is JobState.RECONCILING):
            return ENGINE_TEXTURE_API  # a texture generation exists already (history, an older record)
        if params.engine == ENGINE_PROJECTION:
            return ENGINE_PROJECTION
        if params.engine == ENGINE_AUTO and self.ctx.settings.texture_api_unavailable:
            self.job.note = FALLBACK_NOTE
            return ENGINE_PROJECTION
        return ENGINE_TEXTURE_API

    def _run_engine(self) -> None:
        job = self.job
        if not job.engine_used:
            job.engine_used = self.initial_engine()
        if job.engine_used == ENGINE_SEAMLESS:
            from .seamless import SeamlessSteps  # the seamless materials feature

            if self._seamless_steps is None:
                self._seamless_steps = SeamlessSteps(self.ctx, decode_image=self.decode_image)
            self._seamless_steps.run()
            return
        if job.engine_used == ENGINE_TEXTURE_API:
            if self._texture_steps is None:
                self._texture_steps = TextureApiSteps(
                    self.ctx, obj_path=self.obj_path, previous_upload=self.previous_upload
                )
            try:
                self._texture_steps.run()
                return
            except errors.EndpointUnavailableError as exc:
                self.ctx.slots.release(job.id)
                if job.params.engine != ENGINE_AUTO:
                    raise errors.EndpointUnavailableError(
                        "Leonardo's 3D texture endpoint (POST /generations-texture) is not available on this "
                        f"service: it answered '{exc.message}'. Nothing was charged",
                        status=exc.status,
                        code=exc.code,
                        fix=TEXTURE_API_GONE_FIX,
                    ) from None
                job.engine_used = ENGINE_PROJECTION
                job.note = FALLBACK_NOTE
                self._mesh_from_export()
                self.ctx.emit()
        if self._projection_steps is None:
            self._projection_steps = ProjectionSteps(self.ctx, mesh_path=self.mesh_path, decode_image=self.decode_image)
        self._projection_steps.run()
