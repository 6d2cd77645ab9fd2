"""Background work of the emulator's jobs: texture maps, generated images and variations.

Work starts when the job is created and runs on a small thread pool owned by the emulator, so requests
never wait for it. The results are stored as blobs (served by the CDN host) and the job is marked
rendered; whether it reads ``COMPLETE`` also depends on ``job_seconds`` (see ``state.Job``). A job
whose record was deleted meanwhile is dropped; a job whose work raises ends ``FAILED``.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from .content import images
from .content.controlnet_images import depth_guided_image
from .content.obj_mesh import ObjMesh
from .content.texture_maps import render_texture_maps
from .state import Blob, Generation, Job, State, TextureGeneration, Variation

LogFn = Callable[[str], None]


class JobRunner:
    """A thread pool for job work; failures are logged and turned into ``FAILED`` by the work function."""

    def __init__(self, workers: int = 2, log: LogFn | None = None) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="emulator-job")
        self._log = log

    def submit(self, work: Callable[[], None]) -> None:
        self._pool.submit(work)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def log(self, line: str) -> None:
        if self._log is not None:
            self._log(line)


def texture_work(runner: JobRunner, state: State, generation: TextureGeneration, mesh: ObjMesh, size: int) -> None:
    """Render the job's maps from the uploaded mesh and store them under the images' keys."""
    try:
        maps = render_texture_maps(
            mesh,
            front_rotation_offset=float(generation.front_rotation_offset),
            preview=generation.preview,
            preview_direction=generation.preview_direction,
            size=size,
            seed=generation.seed,
            map_types=tuple(image.type for image in generation.images),
        )
    except Exception as exc:
        _fail(runner, state, generation.job, f"texture job {generation.id} failed: {exc!r}")
        return
    with state.lock:
        if generation.id not in state.texture_generations:
            return
        for image in generation.images:
            state.blobs[image.key] = Blob(maps[image.type], "image/jpeg")
        generation.job.mark_rendered()


def generation_work(runner: JobRunner, state: State, generation: Generation) -> None:
    """Make every image of an image generation at its served size.

    With a Depth-to-Image controlnet every image is the position code of
    :mod:`.content.controlnet_images`; otherwise procedural images (seamless with ``tiling``).
    """
    tiling = bool(generation.params.get("tiling") or False)
    width, height = generation.served_width, generation.served_height
    try:
        if generation.depth_image is not None:
            coded = depth_guided_image(generation.depth_image, width, height, generation.prompt)
            made = [coded for _ in generation.images]
        else:
            made = [
                images.generation_image(generation.prompt, generation.seed + image.index, width, height, tiling)
                for image in generation.images
            ]
    except Exception as exc:
        _fail(runner, state, generation.job, f"image generation {generation.id} failed: {exc!r}")
        return
    with state.lock:
        if generation.id not in state.generations:
            return
        for image, data in zip(generation.images, made, strict=True):
            state.blobs[image.key] = Blob(data, "image/jpeg")
        generation.job.mark_rendered()


def variation_work(runner: JobRunner, state: State, variation: Variation) -> None:
    """Upscale, unzoom or cut out the source image."""
    with state.lock:
        source = state.blobs.get(variation.source_key)
    try:
        if source is None:
            raise ValueError("the source image no longer exists")
        if variation.transform_type == "UPSCALE":
            data, content_type = images.upscale(source.data, factor=variation.factor), "image/jpeg"
        elif variation.transform_type == "UNZOOM":
            data, content_type = images.unzoom(source.data), "image/jpeg"
        else:
            data, content_type = images.remove_background(source.data), "image/png"
    except Exception as exc:
        _fail(runner, state, variation.job, f"variation {variation.id} failed: {exc!r}")
        return
    with state.lock:
        if variation.id not in state.variations:
            return
        state.blobs[variation.key] = Blob(data, content_type)
        variation.job.mark_rendered()


def _fail(runner: JobRunner, state: State, job: Job, message: str) -> None:
    runner.log(message)
    with state.lock:
        job.mark_failed(message)
