"""``leonardo.generate_seamless``: one tiling image generation becomes a PBR material on the selection.

Like ``leonardo.texture_selected`` it never blocks on the network: the job is built here (main thread)
and handed to the shared job machinery (``texture_jobs.submit``); with ``wait=True`` (scripts,
``blender -b``) it drives the same machinery to the end. Its properties, when given, override the
panel's settings:

    bpy.ops.leonardo.generate_seamless(prompt="mossy cobblestone", width=1024, height=1024, wait=True)
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import replace
from typing import Any

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, StringProperty

from ...api.models import SEED_MAX
from ...core.jobs import ENGINE_SEAMLESS, JobState, SeamlessParams, TextureJob, TextureParams
from ...core.model_families import DEFAULT_MODEL_ID
from .. import addon, dispatcher, online
from ..texturing import records, texture_jobs
from ..texturing.operators import MAX_PROMPT_LENGTH, NO_KEY_MESSAGE, parse_seed
from . import catalog, init_images
from .properties import DEFAULT, PRESET_ITEMS, PROJECTION_ITEMS, SCHEDULER_ITEMS

SIZE_RANGE = (32, 1536)
STEPS_RANGE = (10, 60)
GUIDANCE_RANGE = (1, 20)
INIT_STRENGTH_RANGE = (0.1, 0.9)


def check_settings(width: int, height: int, num_images: int, guidance: int, steps: int) -> None:
    """Refuse (``ValueError`` with a sentence) what ``POST /generations`` would refuse."""
    for name, side in (("Width", width), ("Height", height)):
        if side % 8 or not SIZE_RANGE[0] <= side <= SIZE_RANGE[1]:
            raise ValueError(f"{name} must be a multiple of 8 from {SIZE_RANGE[0]} to {SIZE_RANGE[1]} pixels")
    most = 4 if max(width, height) > 768 else 8
    if not 1 <= num_images <= most:
        raise ValueError(f"Ask for 1 to {most} candidates" + (" when a side is over 768 pixels" if most == 4 else ""))
    if guidance and not GUIDANCE_RANGE[0] <= guidance <= GUIDANCE_RANGE[1]:
        raise ValueError("Guidance must be 0 (the model's default) or a whole number from 1 to 20")
    if steps and not STEPS_RANGE[0] <= steps <= STEPS_RANGE[1]:
        raise ValueError("Steps must be 0 (the model's default) or from 10 to 60")


def selected_meshes(context: bpy.types.Context) -> list[str]:
    return [obj.name for obj in context.selected_objects if obj.type == "MESH"]


class LEONARDO_OT_generate_seamless(bpy.types.Operator):
    """Generate a seamless tileable PBR material with Leonardo.AI and put it on the selected meshes
    (runs in the background)"""

    bl_idname = "leonardo.generate_seamless"
    bl_label = "Generate Seamless Material"
    bl_options = {"REGISTER"}

    prompt: StringProperty(name="Prompt", options={"SKIP_SAVE"})  # type: ignore[valid-type]
    negative_prompt: StringProperty(name="Negative Prompt", options={"SKIP_SAVE"})  # type: ignore[valid-type]
    model_id: StringProperty(name="Model", description="Image model id", options={"SKIP_SAVE"})  # type: ignore[valid-type]
    width: IntProperty(name="Width", default=1024, options={"SKIP_SAVE"})  # type: ignore[valid-type]
    height: IntProperty(name="Height", default=1024, options={"SKIP_SAVE"})  # type: ignore[valid-type]
    num_images: IntProperty(name="Candidates", default=4, options={"SKIP_SAVE"})  # type: ignore[valid-type]
    guidance_scale: IntProperty(name="Guidance", description="0: the model's default", options={"SKIP_SAVE"})  # type: ignore[valid-type]
    num_inference_steps: IntProperty(name="Steps", description="0: the model's default", options={"SKIP_SAVE"})  # type: ignore[valid-type]
    scheduler: EnumProperty(name="Scheduler", items=SCHEDULER_ITEMS, options={"SKIP_SAVE"})  # type: ignore[valid-type]
    preset_style: EnumProperty(name="Style", items=PRESET_ITEMS, options={"SKIP_SAVE"})  # type: ignore[valid-type]
    seed: IntProperty(  # type: ignore[valid-type]
        name="Seed", description="-1 for random", default=-1, min=-1, max=SEED_MAX, options={"SKIP_SAVE"}
    )
    init_image: StringProperty(  # type: ignore[valid-type]
        name="Init Image", description="Name of a Blender image to make a tileable variant of", options={"SKIP_SAVE"}
    )
    init_strength: FloatProperty(name="Init Strength", default=0.5, options={"SKIP_SAVE"})  # type: ignore[valid-type]
    normal_strength: FloatProperty(name="Normal Strength", default=1.0, options={"SKIP_SAVE"})  # type: ignore[valid-type]
    scale: FloatProperty(name="Tiles", default=1.0, min=0.001, options={"SKIP_SAVE"})  # type: ignore[valid-type]
    projection: EnumProperty(name="Projection", items=PROJECTION_ITEMS, options={"SKIP_SAVE"})  # type: ignore[valid-type]
    wait: BoolProperty(  # type: ignore[valid-type]
        name="Wait",
        description="Block until the material is applied (scripts, blender -b)",
        options={"SKIP_SAVE", "HIDDEN"},
    )
    timeout: FloatProperty(  # type: ignore[valid-type]
        name="Timeout", description="With wait: give up after this many seconds (0: the job timeout)",
        default=0.0, min=0.0, options={"SKIP_SAVE", "HIDDEN"},
    )  # fmt: skip

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return online.poll_online(cls, context)

    def _value(self, panel: Any, name: str, panel_name: str | None = None) -> Any:
        return getattr(self, name) if self.properties.is_property_set(name) else getattr(panel, panel_name or name)

    def params(self, context: bpy.types.Context) -> tuple[TextureParams, bpy.types.Image | None]:
        panel = context.scene.leonardo.seamless
        prompt = str(self._value(panel, "prompt")).strip()
        if not prompt:
            raise ValueError("Write a prompt first: describe the tileable texture you want")
        if len(prompt) > MAX_PROMPT_LENGTH:
            raise ValueError(f"The prompt has {len(prompt)} characters; Leonardo accepts at most {MAX_PROMPT_LENGTH}")
        width, height = int(self._value(panel, "width")), int(self._value(panel, "height"))
        count = int(self._value(panel, "num_images"))
        guidance, steps = int(self._value(panel, "guidance_scale")), int(self._value(panel, "num_inference_steps"))
        check_settings(width, height, count, guidance, steps)
        if self.properties.is_property_set("seed"):
            seed = None if self.seed < 0 else int(self.seed)
        else:
            seed = parse_seed(panel.seed)
        image = None
        if self.properties.is_property_set("init_image"):
            image = bpy.data.images.get(self.init_image) if self.init_image else None
            if self.init_image and image is None:
                raise ValueError(f"There is no image '{self.init_image}' in this file")
        else:
            image = panel.init_image
        init_strength = round(float(self._value(panel, "init_strength")), 3)  # a float32 property
        if image is not None and not INIT_STRENGTH_RANGE[0] <= init_strength <= INIT_STRENGTH_RANGE[1]:
            raise ValueError("Init strength must be from 0.1 to 0.9")
        scheduler, style = str(self._value(panel, "scheduler")), str(self._value(panel, "preset_style"))
        seamless = SeamlessParams(
            width=width,
            height=height,
            num_images=count,
            guidance_scale=guidance or None,
            num_inference_steps=steps or None,
            scheduler=None if scheduler == DEFAULT else scheduler,
            preset_style=None if style == DEFAULT else style,
            init_strength=init_strength,
            normal_strength=round(float(self._value(panel, "normal_strength")), 3),
            scale=round(float(self._value(panel, "scale")), 4),
            projection=str(self._value(panel, "projection")),
        )
        params = TextureParams(
            prompt=prompt,
            negative_prompt=str(self._value(panel, "negative_prompt")).strip(),
            seed=seed,
            engine=ENGINE_SEAMLESS,
            image_model_id=str(self._value(panel, "model_id", "model")) or DEFAULT_MODEL_ID,
            seamless=seamless,
        )
        return params, image

    def execute(self, context: bpy.types.Context) -> set[str]:
        reason = online.why_offline()
        if reason:
            self.report({"ERROR"}, reason)
            return {"CANCELLED"}
        if not addon.settings().has_key:
            self.report({"ERROR"}, NO_KEY_MESSAGE)
            return {"CANCELLED"}
        try:
            params, image = self.params(context)
            job = new_job(context, params)
            init = init_images.prepare(image, addon.user_dir("init_images") / f"{job.id}.png") if image else None
        except ValueError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        context.scene.leonardo.seamless.job_id = job.id
        start(job, init)
        if not self.wait:
            where = (
                f"for {len(job.target_objects)} object(s)"
                if job.target_objects
                else "(no mesh selected: material only)"
            )
            count = params.seamless.num_images if params.seamless else 0
            self.report({"INFO"}, f"Generating {count} tileable candidate(s) of '{params.prompt[:40]}' {where}")
            return {"FINISHED"}
        return self._wait_for(job.id)

    def _wait_for(self, job_id: str) -> set[str]:
        timeout = self.timeout or (addon.settings().job_timeout + 300.0)
        if not texture_jobs.wait([job_id], timeout):
            texture_jobs.cancel(job_id)
            self.report({"ERROR"}, f"Gave up waiting after {timeout:.0f} s; resume the job from the Jobs list later")
            return {"CANCELLED"}
        job = records.load_job(job_id)
        if job is None or job.state is not JobState.APPLIED:
            self.report({"ERROR"}, job.status_text() if job else "The job was lost")
            return {"CANCELLED"}
        self.report(
            {"INFO"}, f"Applied '{job.material_name}' to {len(job.target_objects)} object(s), seed {job.seed_used}"
        )
        return {"FINISHED"}


def new_job(context: bpy.types.Context, params: TextureParams) -> TextureJob:
    targets = selected_meshes(context)
    return TextureJob(
        params=params,
        object_name=targets[0] if targets else "",
        scene_name=context.scene.name,
        blend_path=bpy.data.filepath,
        target_objects=targets,
    )


def start(job: TextureJob, init: init_images.InitImage | None) -> None:
    """Record the job and hand it to the machinery; an init image's pixels are written by a worker first."""
    if init is None or init.pixels is None:
        if init is not None:
            job.params = _with_init(job.params, str(init.path))
        texture_jobs.submit(job)
        return
    records.write_record(job)

    def written(future: Future[Any]) -> None:  # main thread
        error = future.exception()
        if error is not None:
            job.fail(f"The init image could not be written: {error}")
            records.write_record(job)
            return
        job.params = _with_init(job.params, str(future.result()))
        texture_jobs.submit(job)

    dispatcher.submit(lambda: init_images.write(init), on_done=written)


def _with_init(params: TextureParams, path: str) -> TextureParams:
    assert params.seamless is not None
    return replace(params, seamless=replace(params.seamless, init_image_path=path))


class LEONARDO_OT_seamless_refresh(bpy.types.Operator):
    """List your account's image models and price the current settings (off the main thread)"""

    bl_idname = "leonardo.seamless_refresh"
    bl_label = "Refresh Models and Prices"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return online.poll_online(cls, context)

    def execute(self, context: bpy.types.Context) -> set[str]:
        reason = catalog.refresh_models() or catalog.request_costs(context.scene)
        if reason:
            self.report({"ERROR"}, reason)
            return {"CANCELLED"}
        return {"FINISHED"}
