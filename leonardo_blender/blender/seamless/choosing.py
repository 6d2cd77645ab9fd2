"""Free changes to a seamless material: another candidate, another normal strength, UV or box projection.

None of them makes a request. Maps already derived are swapped in at once (undoable with the operator);
missing ones are derived by a worker (numpy and PNG writing off the main thread) and swapped in when
ready, with their own undo step. Main thread only.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from typing import Any

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, StringProperty

from ...core.jobs import TextureJob
from ...core.pipeline import seamless as steps
from .. import dispatcher
from ..texturing import image_decoding, records, texture_jobs
from . import applying, material_builder
from .properties import PROJECTION_ITEMS

Done = Callable[[str | None], None]
WAIT_SECONDS = 300.0


def shown_job(context: bpy.types.Context, job_id: str = "") -> TextureJob | None:
    return records.load_job(job_id or context.scene.leonardo.seamless.job_id)


def switch(job: TextureJob, index: int, strength: float, done: Done) -> bool:
    """Make candidate ``index`` at ``strength`` the job's maps and update its material; ``done(error)``
    runs on the main thread when finished. Returns True when it finished at once (nothing to derive)."""
    path = steps.candidate_file(job, index)
    if path is None:
        raise ValueError("That candidate is not on disk (yet); resume the job to download it")
    if not math.isfinite(strength):
        raise ValueError("The normal strength must be a number")
    ready = steps.existing_maps(path, index, strength)
    if ready is not None:
        done(_finish(job.id, index, strength, ready, push_undo=False))
        return True

    def derived(future: Future[Any]) -> None:  # main thread
        error = future.exception()
        if error is not None:
            done(f"Could not derive the maps: {error}")
            return
        done(_finish(job.id, index, strength, future.result(), push_undo=True))

    dispatcher.submit(lambda: steps.derive_candidate_maps(path, index, strength, image_decoding.decode), derived)
    return False


def _finish(job_id: str, index: int, strength: float, maps: dict[str, str], *, push_undo: bool) -> str | None:
    job = records.load_job(job_id)
    if job is None:
        return "That job is no longer known"
    if texture_jobs.is_running(job_id):
        return "The job started running again meanwhile; try again when it has finished"
    job.chosen, job.maps = index, maps
    if job.params.seamless is not None:
        job.params = replace(job.params, seamless=replace(job.params.seamless, normal_strength=strength))
    scene = bpy.data.scenes.get(job.scene_name) or bpy.context.scene
    mat = applying.material_for(job, scene)
    job.material_name = mat.name
    records.write_record(job)
    records.journal().save(job)
    applying.show_candidates(job, scene)
    if push_undo and not bpy.app.background:
        with contextlib.suppress(RuntimeError):
            bpy.ops.ed.undo_push(message="Leonardo seamless candidate")
    return None


class _SwitchOperator(bpy.types.Operator):
    job_id: StringProperty(options={"HIDDEN", "SKIP_SAVE"})  # type: ignore[valid-type]
    wait: BoolProperty(options={"HIDDEN", "SKIP_SAVE"})  # type: ignore[valid-type]

    def _switch(self, context: bpy.types.Context, index: int | None, strength: float | None) -> set[str]:
        job = shown_job(context, self.job_id)
        if job is None or not job.candidates:
            self.report({"ERROR"}, "No seamless job with candidates to change")
            return {"CANCELLED"}
        if texture_jobs.is_running(job.id):
            self.report({"WARNING"}, "The job is still running; wait for it (or cancel it) first")
            return {"CANCELLED"}
        if strength is None:
            strength = applying.normal_strength(job)
        index = job.chosen if index is None else index
        outcome: list[str | None] = []

        def done(error: str | None) -> None:
            outcome.append(error)
            if error:
                print(f"Leonardo: {error}")

        try:
            immediate = switch(job, index, strength, done)
        except ValueError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        if not immediate and self.wait:
            dispatcher.run_until(lambda: bool(outcome), timeout=WAIT_SECONDS)
        if outcome and outcome[0]:
            self.report({"ERROR"}, str(outcome[0]))
            return {"CANCELLED"}
        self.report({"INFO"}, "Material updated (no request)" if outcome else "Deriving the maps (no request)…")
        return {"FINISHED"}


class LEONARDO_OT_seamless_choose(_SwitchOperator):
    """Use this candidate for the material (free: no request)"""

    bl_idname = "leonardo.seamless_choose"
    bl_label = "Use Candidate"
    bl_options = {"REGISTER", "UNDO"}

    index: IntProperty(name="Candidate", min=0, options={"SKIP_SAVE"})  # type: ignore[valid-type]

    def execute(self, context: bpy.types.Context) -> set[str]:
        return self._switch(context, int(self.index), None)


class LEONARDO_OT_seamless_rederive(_SwitchOperator):
    """Derive the normal map again with the panel's strength (free: no request)"""

    bl_idname = "leonardo.seamless_rederive"
    bl_label = "Re-derive Maps"
    bl_options = {"REGISTER", "UNDO"}

    normal_strength: FloatProperty(name="Normal Strength", default=1.0, options={"SKIP_SAVE"})  # type: ignore[valid-type]

    def execute(self, context: bpy.types.Context) -> set[str]:
        strength = self.normal_strength
        if not self.properties.is_property_set("normal_strength"):
            strength = context.scene.leonardo.seamless.normal_strength
        return self._switch(context, None, round(float(strength), 3))


class LEONARDO_OT_seamless_projection(bpy.types.Operator):
    """UV coordinates, or box projection for meshes without good UVs (free: no request)"""

    bl_idname = "leonardo.seamless_projection"
    bl_label = "Seamless Projection"
    bl_options = {"REGISTER", "UNDO"}

    job_id: StringProperty(options={"HIDDEN", "SKIP_SAVE"})  # type: ignore[valid-type]
    projection: EnumProperty(name="Projection", items=PROJECTION_ITEMS)  # type: ignore[valid-type]

    def execute(self, context: bpy.types.Context) -> set[str]:
        job = shown_job(context, self.job_id)
        mat = applying.find_material(job.id) if job else None
        if mat is None or not material_builder.is_seamless(mat):
            self.report({"ERROR"}, "This job has no seamless material in this file")
            return {"CANCELLED"}
        material_builder.set_projection(
            mat, self.projection, true_displacement=bool(context.scene.leonardo.true_displacement)
        )
        if job is not None and job.params.seamless is not None and not texture_jobs.is_running(job.id):
            job.params = replace(job.params, seamless=replace(job.params.seamless, projection=self.projection))
            records.write_record(job)
        self.report({"INFO"}, f"'{mat.name}': {self.projection.lower()} projection")
        return {"FINISHED"}
