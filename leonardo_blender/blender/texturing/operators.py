"""Operators of the texturing flow: texture the selection, follow, cancel, resume, apply jobs.

``leonardo.texture_selected`` never blocks on the network: it exports on the main thread and hands
the rest to a worker. With ``wait=True`` (pipelines, ``blender -b``) it drives the same machinery to
completion itself. Its properties, when given, override the panel's settings:

    bpy.ops.leonardo.texture_selected(prompt="rusty iron", seed=42, front_rotation_offset=90, wait=True)
"""

from __future__ import annotations

import uuid

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, StringProperty

from ...api.models import FRONT_ROTATION_OFFSETS, SEED_MAX
from ...core.jobs import ENGINE_PROJECTION, JobState, TextureParams
from ...core.model_families import DEFAULT_MODEL_ID, depth_guidance_problem
from .. import addon, dispatcher, online, storage, tasks
from ..properties import DIRECTION_ITEMS, ENGINE_ITEMS, OFFSET_TO_FACING, SD_VERSION_ITEMS
from . import applying, engines, mesh_export, records, recovery, texture_jobs

MAX_PROMPT_LENGTH = 1500
VIEW_SIZES = (256, 1536)
BAKE_SIZES = (256, 8192)

NO_KEY_MESSAGE = f"No Leonardo API key: set it in Preferences > Add-ons > Leonardo, or in ${addon.ENV_API_KEY}"


def parse_seed(text: str) -> int | None:
    """Blank means random; otherwise a whole number in the service's range."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > SEED_MAX:
        raise ValueError(f"Seed must be blank (random) or a whole number from 0 to {SEED_MAX}")
    return int(text)


class LEONARDO_OT_texture_selected(bpy.types.Operator):
    """Texture the selected mesh objects with Leonardo.AI (runs in the background)"""

    bl_idname = "leonardo.texture_selected"
    bl_label = "Texture Selected"
    bl_options = {"REGISTER"}

    prompt: StringProperty(name="Prompt", options={"SKIP_SAVE"})  # type: ignore[valid-type]
    negative_prompt: StringProperty(name="Negative Prompt", options={"SKIP_SAVE"})  # type: ignore[valid-type]
    seed: IntProperty(  # type: ignore[valid-type]
        name="Seed", description="-1 for random", default=-1, min=-1, max=SEED_MAX, options={"SKIP_SAVE"}
    )
    sd_version: EnumProperty(name="Model", items=SD_VERSION_ITEMS, options={"SKIP_SAVE"})  # type: ignore[valid-type]
    front_rotation_offset: IntProperty(  # type: ignore[valid-type]
        name="Front Rotation Offset",
        description="Which way the model faces: 0 = -Y, 90 = +X, -90 = -X, 180 = +Y",
        default=0,
        options={"SKIP_SAVE"},
    )
    preview: BoolProperty(name="Preview", options={"SKIP_SAVE"})  # type: ignore[valid-type]
    preview_direction: EnumProperty(  # type: ignore[valid-type]
        name="Preview Side", items=DIRECTION_ITEMS, options={"SKIP_SAVE"}
    )
    engine: EnumProperty(name="Engine", items=ENGINE_ITEMS, options={"SKIP_SAVE"})  # type: ignore[valid-type]
    image_model_id: StringProperty(  # type: ignore[valid-type]
        name="Image Model", description="Projection engine: the image model's id", options={"SKIP_SAVE"}
    )
    generation_size: IntProperty(  # type: ignore[valid-type]
        name="View Size",
        description="Projection engine: pixels per generated view",
        default=1024,
        options={"SKIP_SAVE"},
    )
    bake_size: IntProperty(  # type: ignore[valid-type]
        name="Bake Size", description="Projection engine: size of the baked maps", default=2048, options={"SKIP_SAVE"}
    )
    style_reference: BoolProperty(  # type: ignore[valid-type]
        name="Consistent Style",
        description="Projection engine: guide the other views by the first one's style",
        default=True,
        options={"SKIP_SAVE"},
    )
    wait: BoolProperty(  # type: ignore[valid-type]
        name="Wait",
        description="Block until the textures are applied (for scripts and blender -b)",
        default=False,
        options={"SKIP_SAVE", "HIDDEN"},
    )
    timeout: FloatProperty(  # type: ignore[valid-type]
        name="Timeout",
        description="With wait: give up after this many seconds (0 = the job timeout from the preferences)",
        default=0.0,
        min=0.0,
        options={"SKIP_SAVE", "HIDDEN"},
    )

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return online.poll_online(cls, context)

    def _params(self, context: bpy.types.Context) -> TextureParams:
        panel = context.scene.leonardo
        given = self.properties.is_property_set
        prompt = self.prompt if given("prompt") else panel.prompt
        if not prompt.strip():
            raise ValueError("Write a prompt first: describe the texture you want")
        if len(prompt.strip()) > MAX_PROMPT_LENGTH:
            raise ValueError(
                f"The prompt has {len(prompt.strip())} characters; Leonardo accepts at most {MAX_PROMPT_LENGTH}. "
                "Shorten it"
            )
        seed = (None if self.seed < 0 else int(self.seed)) if given("seed") else parse_seed(panel.seed)
        if given("front_rotation_offset"):
            if self.front_rotation_offset not in FRONT_ROTATION_OFFSETS:
                raise ValueError(f"front_rotation_offset must be one of {', '.join(map(str, FRONT_ROTATION_OFFSETS))}")
            offset = int(self.front_rotation_offset)
        else:
            offset = panel.front_rotation_offset
        engine = self.engine if given("engine") else panel.engine
        model_id = (self.image_model_id if given("image_model_id") else panel.image_model) or DEFAULT_MODEL_ID
        if engines.effective_engine(engine) == ENGINE_PROJECTION:
            problem = depth_guidance_problem(model_id)
            if problem:
                raise ValueError(problem)
        view_size = int(self.generation_size if given("generation_size") else panel.generation_size)
        if view_size % 8 or not VIEW_SIZES[0] <= view_size <= VIEW_SIZES[1]:
            raise ValueError(f"The view size must be a multiple of 8 from {VIEW_SIZES[0]} to {VIEW_SIZES[1]} pixels")
        bake_size = int(self.bake_size if given("bake_size") else panel.bake_size)
        if not BAKE_SIZES[0] <= bake_size <= BAKE_SIZES[1]:
            raise ValueError(f"The bake size must be from {BAKE_SIZES[0]} to {BAKE_SIZES[1]} pixels")
        return TextureParams(
            prompt=prompt.strip(),
            negative_prompt=(self.negative_prompt if given("negative_prompt") else panel.negative_prompt).strip(),
            seed=seed,
            sd_version=self.sd_version if given("sd_version") else panel.sd_version,
            front_rotation_offset=offset,
            preview=bool(self.preview if given("preview") else panel.preview),
            preview_direction=self.preview_direction if given("preview_direction") else panel.preview_direction,
            engine=engine,
            image_model_id=model_id,
            generation_size=view_size,
            bake_size=bake_size,
            style_reference=bool(self.style_reference if given("style_reference") else panel.style_reference),
        )

    def execute(self, context: bpy.types.Context) -> set[str]:
        reason = online.why_offline()
        if reason:
            self.report({"ERROR"}, reason)
            return {"CANCELLED"}
        settings = addon.settings()
        if not settings.has_key:
            self.report({"ERROR"}, NO_KEY_MESSAGE)
            return {"CANCELLED"}
        if settings.url_problem:
            self.report({"ERROR"}, settings.url_problem)
            return {"CANCELLED"}
        unwritable = storage.unwritable_reason(settings.texture_folder)
        if unwritable:
            self.report({"ERROR"}, unwritable)
            return {"CANCELLED"}
        try:
            params = self._params(context)
            objects = mesh_export.texturable_objects(context)
        except ValueError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}

        started = []
        batch_id = uuid.uuid4().hex[:12]
        for obj in objects:
            try:
                job, warnings = texture_jobs.start(
                    context, obj, params, auto_unwrap=context.scene.leonardo.auto_unwrap, batch_id=batch_id
                )
            except mesh_export.SelectionError as exc:
                self.report({"ERROR"}, str(exc))
                continue
            for warning in warnings:
                self.report({"WARNING"}, warning)
            started.append(job.id)
        if not started:
            return {"CANCELLED"}
        self._report_engine_note()
        if not self.wait:
            names = ", ".join(f"'{o.name}'" for o in objects)
            self.report({"INFO"}, f"Texturing {names} ({params.kind}); you can keep working")
            return {"FINISHED"}
        return self._wait_for(started)

    def _report_engine_note(self) -> None:
        note = engines.take_unreported_note()
        if note:
            self.report({"WARNING"}, note)

    def _wait_for(self, job_ids: list[str]) -> set[str]:
        timeout = self.timeout or (addon.settings().job_timeout + 300.0)
        finished = texture_jobs.wait(job_ids, timeout)
        self._report_engine_note()
        if not finished:
            for job_id in job_ids:
                texture_jobs.cancel(job_id)
            # let the workers stop, so the job list shows them cancelled (with Resume) when we return
            dispatcher.run_until(lambda: not any(texture_jobs.is_running(i) for i in job_ids), timeout=15)
            self.report({"ERROR"}, f"Gave up waiting after {timeout:.0f} s; resume the jobs from the panel later")
            return {"CANCELLED"}
        ok = True
        for job_id in job_ids:
            job = records.load_job(job_id)
            if job is None:
                continue
            if job.state is JobState.APPLIED:
                seed = "" if job.seed_used is None else f", seed {job.seed_used}"
                self.report({"INFO"}, f"'{job.object_name}': applied '{job.material_name}'{seed}")
            else:
                ok = False
                self.report({"ERROR"}, f"'{job.object_name}': {job.status_text()}")
        return {"FINISHED"} if ok else {"CANCELLED"}


class _JobOperator(bpy.types.Operator):
    job_id: StringProperty(options={"HIDDEN", "SKIP_SAVE"})  # type: ignore[valid-type]

    def _job(self):  # -> TextureJob | None
        job = records.load_job(self.job_id)
        if job is None:
            self.report({"ERROR"}, "That job is no longer known")
        return job


class LEONARDO_OT_cancel_job(_JobOperator):
    """Stop following this job (the service may still finish it; resume it later from the list)"""

    bl_idname = "leonardo.cancel_job"
    bl_label = "Cancel Job"

    def execute(self, context: bpy.types.Context) -> set[str]:
        if not texture_jobs.cancel(self.job_id):
            self.report({"WARNING"}, "That job is not running")
            return {"CANCELLED"}
        self.report({"INFO"}, "Cancelling…")
        return {"FINISHED"}


class LEONARDO_OT_cancel_batch(bpy.types.Operator):
    """Cancel every running job of this batch (the service may still finish what it accepted; resume later)"""

    bl_idname = "leonardo.cancel_batch"
    bl_label = "Cancel Batch"

    batch_id: StringProperty(options={"HIDDEN", "SKIP_SAVE"})  # type: ignore[valid-type]

    def execute(self, context: bpy.types.Context) -> set[str]:
        cancelled = texture_jobs.cancel_batch(self.batch_id)
        if not cancelled:
            self.report({"WARNING"}, "No job of this batch is running")
            return {"CANCELLED"}
        self.report({"INFO"}, f"Cancelling {cancelled} job(s)…")
        return {"FINISHED"}


class LEONARDO_OT_resume_job(_JobOperator):
    """Continue a job that was interrupted, without paying for it again"""

    bl_idname = "leonardo.resume_job"
    bl_label = "Resume Job"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return online.poll_online(cls, context)

    def execute(self, context: bpy.types.Context) -> set[str]:
        job = self._job()
        if job is None:
            return {"CANCELLED"}
        settings = addon.settings()
        if not settings.has_key or settings.url_problem:
            self.report({"ERROR"}, settings.url_problem or NO_KEY_MESSAGE)
            return {"CANCELLED"}
        reason = texture_jobs.resume(job)
        if reason:
            self.report({"WARNING"}, reason)
            return {"CANCELLED"}
        return {"FINISHED"}


class LEONARDO_OT_apply_job(_JobOperator):
    """Put this job's material on the active object (or its own object)"""

    bl_idname = "leonardo.apply_job"
    bl_label = "Apply Result"
    bl_options = {"REGISTER", "UNDO"}

    to_active: BoolProperty(name="To Active Object", default=False, options={"SKIP_SAVE"})  # type: ignore[valid-type]

    def execute(self, context: bpy.types.Context) -> set[str]:
        job = self._job()
        if job is None:
            return {"CANCELLED"}
        if not job.maps:
            self.report({"WARNING"}, "The maps are not downloaded yet; resume the job first")
            return {"CANCELLED"}
        target = context.active_object.name if self.to_active and context.active_object else None
        if target is not None and context.active_object.type != "MESH":
            self.report({"ERROR"}, "The active object is not a mesh")
            return {"CANCELLED"}
        material = applying.apply(job, target)
        job = records.load_job(job.id) or job
        if material is None or job.state is not JobState.APPLIED:
            self.report({"ERROR"}, job.error or "Could not apply the result")
            return {"CANCELLED"}
        self.report({"INFO"}, f"Applied '{material.name}' to '{job.object_name}'")
        return {"FINISHED"}


class LEONARDO_OT_remove_job(_JobOperator):
    """Remove this job from the list (its material and maps are kept)"""

    bl_idname = "leonardo.remove_job"
    bl_label = "Remove from List"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        if texture_jobs.is_running(self.job_id):
            self.report({"WARNING"}, "Cancel the job before removing it")
            return {"CANCELLED"}
        scene, _item = records.find_record(self.job_id)
        if scene is None:
            return {"CANCELLED"}
        jobs = scene.leonardo.jobs
        index = next(i for i, it in enumerate(jobs) if it.job_id == self.job_id)
        jobs.remove(index)
        scene.leonardo.active_job_index = min(scene.leonardo.active_job_index, max(0, len(jobs) - 1))
        return {"FINISHED"}


class LEONARDO_OT_wait_jobs(bpy.types.Operator):
    """Resume the open file's unfinished jobs, then wait until every Leonardo job and task (account,
    assets, history, deletes) has finished (for scripts and blender -b, where timers never run)"""

    bl_idname = "leonardo.wait_jobs"
    bl_label = "Wait for Leonardo Jobs"
    bl_options = {"INTERNAL"}

    timeout: FloatProperty(default=0.0, min=0.0, options={"SKIP_SAVE"})  # type: ignore[valid-type]

    def execute(self, context: bpy.types.Context) -> set[str]:
        recovery.resume_unfinished()  # idempotent: running jobs are left alone
        ids = texture_jobs.running_ids()

        def all_done() -> bool:  # texture jobs, and account/asset/history/delete tasks
            return all(texture_jobs.finished(i) for i in ids) and not tasks.busy() and not dispatcher.busy()

        if not dispatcher.run_until(all_done, timeout=self.timeout or None):
            self.report({"ERROR"}, "Jobs are still running")
            return {"CANCELLED"}
        return {"FINISHED"}


class LEONARDO_OT_front_from_view(bpy.types.Operator):
    """Set "Model Faces" to the axis pointing at you in the current 3D view"""

    bl_idname = "leonardo.front_from_view"
    bl_label = "Use Current View as Front"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if context.region_data is None:
            cls.poll_message_set("Use it from a 3D Viewport")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        facing = facing_from_view_rotation(context.region_data.view_rotation)
        context.scene.leonardo.facing = facing
        self.report({"INFO"}, f"Model faces {facing.replace('NEG_', '-').replace('POS_', '+')}")
        return {"FINISHED"}


def facing_from_view_rotation(rotation) -> str:  # rotation: mathutils.Quaternion
    """The model faces the viewer: the horizontal axis closest to the direction towards the camera."""
    from mathutils import Vector

    towards_viewer = rotation @ Vector((0.0, 0.0, 1.0))
    x, y = towards_viewer.x, towards_viewer.y
    if abs(x) > abs(y):
        return OFFSET_TO_FACING[90] if x > 0 else OFFSET_TO_FACING[-90]
    return OFFSET_TO_FACING[180] if y > 0 else OFFSET_TO_FACING[0]


class LEONARDO_OT_open_preferences(bpy.types.Operator):
    """Open the Leonardo add-on preferences (API key, URL, folders)"""

    bl_idname = "leonardo.open_preferences"
    bl_label = "Open Leonardo Preferences"

    def execute(self, context: bpy.types.Context) -> set[str]:
        bpy.ops.screen.userpref_show("INVOKE_DEFAULT")
        context.preferences.active_section = "ADDONS"
        context.window_manager.addon_search = "Leonardo"
        return {"FINISHED"}
