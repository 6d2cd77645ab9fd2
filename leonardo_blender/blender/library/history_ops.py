"""The History panel's operators: a model asset's texture generations (all pages) with albedo
thumbnails, and what to do with one: apply it (downloading the maps only if they are not local),
re-run it (same seed and settings, or promoted from a preview to a full texture), copy its settings
into the panel, delete it. Applying an already applied generation is a free material switch.
"""

from __future__ import annotations

from dataclasses import replace

import bpy
from bpy.props import BoolProperty, StringProperty

from ...api.models import JobStatus
from .. import material, online, tasks
from ..properties import OFFSET_TO_FACING, runtime
from ..texturing import applying, records, texture_jobs
from . import history
from .history import active_generation, forget_generation, local_jobs_by_generation, material_for_generation, params_of

# -- operators ------------------------------------------------------------------------------------------


class LEONARDO_OT_refresh_history(bpy.types.Operator):
    """List the texture generations of the active object's (or the chosen) model asset"""

    bl_idname = "leonardo.refresh_history"
    bl_label = "Refresh History"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return online.poll_online(cls, context)

    def execute(self, context: bpy.types.Context) -> set[str]:
        reason = history.refresh_history(context)
        if reason:
            self.report({"ERROR"}, reason)
            return {"CANCELLED"}
        return {"FINISHED"}


class _GenerationOperator(bpy.types.Operator):
    generation_id: StringProperty(options={"HIDDEN", "SKIP_SAVE"})  # type: ignore[valid-type]

    def row(self) -> bpy.types.PropertyGroup | None:
        state = runtime()
        wanted = self.generation_id or (active_generation().generation_id if active_generation() else "")
        found = next((r for r in state.history if r.generation_id == wanted), None)
        if found is None:
            self.report({"WARNING"}, "Pick a generation in the History list")
        return found

    def target(self, context: bpy.types.Context) -> bpy.types.Object | None:
        obj = context.active_object
        if obj is None or obj.type != "MESH":
            self.report({"ERROR"}, "Select the mesh object to put it on")
            return None
        return obj


class LEONARDO_OT_apply_generation(_GenerationOperator):
    """Put this generation on the active object (free: maps are downloaded only if not already here)"""

    bl_idname = "leonardo.apply_generation"
    bl_label = "Apply"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        row, obj = self.row(), self.target(context)
        if row is None or obj is None:
            return {"CANCELLED"}
        existing = material_for_generation(row.generation_id)
        if existing is not None:
            material.assign(obj, existing)
            self.report({"INFO"}, f"Switched '{obj.name}' to '{existing.name}'")
            _mark_applied(row.generation_id)
            return {"FINISHED"}
        job = local_jobs_by_generation().get(row.generation_id)
        if job is not None and row.local:
            applied = applying.apply(job, obj.name)
            _mark_applied(row.generation_id)
            return {"FINISHED"} if applied else {"CANCELLED"}
        if row.status != JobStatus.COMPLETE.value:
            self.report({"WARNING"}, f"This generation is {row.status.lower()}; it cannot be applied")
            return {"CANCELLED"}
        reason = tasks.why_not()
        if reason:
            self.report({"ERROR"}, reason)
            return {"CANCELLED"}
        job = history.job_for_download(context, row, obj)
        records.write_record(job)
        texture_jobs.resume(job)
        self.report({"INFO"}, f"Downloading the maps of '{row.prompt[:40]}'…")
        return {"FINISHED"}


def _mark_applied(generation_id: str) -> None:
    for row in runtime().history:
        row.applied = row.generation_id == generation_id


class LEONARDO_OT_rerun_generation(_GenerationOperator):
    """Texture the active object again with this generation's prompt, seed and settings"""

    bl_idname = "leonardo.rerun_generation"
    bl_label = "Re-run"

    promote: BoolProperty(  # type: ignore[valid-type]
        name="As Full Texture",
        description="Make a full texture from a preview's settings",
        options={"SKIP_SAVE"},
    )

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return online.poll_online(cls, context)

    def execute(self, context: bpy.types.Context) -> set[str]:
        row, obj = self.row(), self.target(context)
        if row is None or obj is None:
            return {"CANCELLED"}
        reason = tasks.why_not()
        if reason:
            self.report({"ERROR"}, reason)
            return {"CANCELLED"}
        params = params_of(row, context)
        if self.promote:
            params = replace(params, preview=False)
        try:
            _job, warnings = texture_jobs.start(context, obj, params, auto_unwrap=context.scene.leonardo.auto_unwrap)
        except ValueError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        for warning in warnings:
            self.report({"WARNING"}, warning)
        self.report({"INFO"}, f"Re-running '{params.prompt[:40]}' ({params.kind}, seed {params.seed})")
        return {"FINISHED"}


class LEONARDO_OT_copy_generation_settings(_GenerationOperator):
    """Copy this generation's prompt, seed and settings into the Texture panel"""

    bl_idname = "leonardo.copy_generation_settings"
    bl_label = "Copy Settings"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        row = self.row()
        if row is None:
            return {"CANCELLED"}
        params = params_of(row, context)
        panel = context.scene.leonardo
        panel.prompt, panel.negative_prompt = params.prompt, params.negative_prompt
        panel.seed = "" if params.seed is None else str(params.seed)
        panel.sd_version, panel.facing = params.sd_version, OFFSET_TO_FACING[params.front_rotation_offset]
        panel.preview, panel.preview_direction = params.preview, params.preview_direction
        self.report({"INFO"}, "Settings copied into the Texture panel")
        return {"FINISHED"}


class LEONARDO_OT_delete_generation(_GenerationOperator):
    """Delete this texture generation from your Leonardo account (local materials and maps stay)"""

    bl_idname = "leonardo.delete_generation"
    bl_label = "Delete Generation"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return online.poll_online(cls, context)

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        row = self.row()
        if row is None:
            return {"CANCELLED"}
        return context.window_manager.invoke_confirm(
            self,
            event,
            title="Delete this generation?",
            message=f"'{row.prompt[:50]}' on Leonardo. Cannot be undone.",
        )

    def execute(self, context: bpy.types.Context) -> set[str]:
        row = self.row()
        if row is None:
            return {"CANCELLED"}
        generation_id = row.generation_id

        def done(_deleted: str) -> None:
            forget_generation(runtime(), generation_id)

        def failed(message: str, action: str) -> None:
            runtime().history_error = message

        reason = tasks.run(
            f"delete-{generation_id}",
            lambda client: client.delete_texture_generation(generation_id),
            done,
            failed,
        )
        if reason:
            self.report({"ERROR"}, reason)
            return {"CANCELLED"}
        return {"FINISHED"}


class LEONARDO_OT_restore_materials(bpy.types.Operator):
    """Give the active object back the materials it had before its first Leonardo texture"""

    bl_idname = "leonardo.restore_materials"
    bl_label = "Restore Original Materials"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        obj = context.active_object
        if obj is None or obj.type != "MESH" or not material.restore_original(obj):
            self.report({"WARNING"}, "The active object has no Leonardo material")
            return {"CANCELLED"}
        _mark_applied("")
        return {"FINISHED"}
