"""The "Leonardo" tab of the 3D Viewport sidebar: the texture panel and the job list.

``draw()`` only reads properties already in memory: it never makes a request, never parses files,
never waits. Live job states come from the records the dispatcher keeps up to date.
"""

from __future__ import annotations

import time

import bpy

from ..core.jobs import JobState, format_duration
from . import addon, online, texture_jobs

DOCUMENTED_COST = {True: 30, False: 150}

STATE_ICONS = {
    JobState.EXPORTING.value: "EXPORT",
    JobState.UPLOADING.value: "EXPORT",
    JobState.SUBMITTING.value: "URL",
    JobState.RECONCILING.value: "QUESTION",
    JobState.GENERATING.value: "SORTTIME",
    JobState.DOWNLOADING.value: "IMPORT",
    JobState.DOWNLOADED.value: "IMAGE_DATA",
    JobState.APPLIED.value: "CHECKMARK",
    JobState.FAILED.value: "ERROR",
    JobState.CANCELLED.value: "CANCEL",
}


def job_line(item: bpy.types.PropertyGroup) -> str:
    if item.state == JobState.GENERATING.value and item.accepted_at:
        return f"Generating {format_duration(time.time() - item.accepted_at)}"
    if item.state == JobState.FAILED.value and item.error:
        return f"Failed: {item.error}"
    return JobState(item.state).label


def texture_cost(context: bpy.types.Context, preview: bool) -> tuple[int, bool]:
    """(credits, confirmed by the pricing calculator) for the next job."""
    runtime = context.window_manager.leonardo
    fetched = runtime.cost_preview if preview else runtime.cost_full
    if fetched >= 0:
        return fetched, True
    return DOCUMENTED_COST[preview], False


class LEONARDO_PT_texture(bpy.types.Panel):
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Leonardo"
    bl_label = "Texture"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        settings = context.scene.leonardo
        reason = online.why_offline()
        if reason:
            box = layout.box()
            box.label(text="Online access is off", icon="ERROR")
            box.label(text=online.OFFLINE_HINT if "Enable" in reason else reason)
        if not addon.settings().has_key:
            box = layout.box()
            box.label(text="No API key yet", icon="KEY_HLT")
            box.operator("leonardo.open_preferences", text="Set API Key", icon="PREFERENCES")

        self._draw_selection(context, layout)

        col = layout.column(align=True)
        col.prop(settings, "prompt", text="", placeholder="Prompt, e.g. rusty iron plates")
        col.prop(settings, "negative_prompt", text="", placeholder="Negative prompt (optional)")
        row = layout.row(align=True)
        row.prop(settings, "seed")
        row.prop(settings, "sd_version", text="")
        row = layout.row(align=True)
        row.prop(settings, "facing")
        row.operator("leonardo.front_from_view", text="", icon="VIEW_CAMERA")
        row = layout.row(align=True)
        row.prop(settings, "preview", toggle=True)
        sub = row.row(align=True)
        sub.active = settings.preview
        sub.prop(settings, "preview_direction", text="")

        options = layout.column(heading="Options", align=True)
        options.prop(settings, "auto_unwrap")
        options.prop(settings, "true_displacement")

        cost, confirmed = texture_cost(context, settings.preview)
        label = f"Texture Selected · {cost} credits" + ("" if confirmed else " (est.)")
        button = layout.row()
        button.scale_y = 1.5
        button.operator("leonardo.texture_selected", text=label, icon="TEXTURE")
        credits = context.window_manager.leonardo.credits
        if 0 <= credits < cost:
            layout.label(text=f"Only {credits} credits left", icon="ERROR")

    @staticmethod
    def _draw_selection(context: bpy.types.Context, layout: bpy.types.UILayout) -> None:
        obj = context.active_object
        if obj is None or not obj.select_get():
            layout.label(text="Select a mesh to texture", icon="INFO")
            return
        if obj.type != "MESH":
            layout.label(text=f"{obj.name}: not a mesh", icon="ERROR")
            return
        mesh = obj.data
        uv = "UVs" if mesh.uv_layers else ("no UVs: will unwrap" if context.scene.leonardo.auto_unwrap else "no UVs!")
        uploaded = " · uploaded" if obj.leonardo.model_asset_id else ""
        layout.label(text=f"{obj.name}: {len(mesh.polygons)} faces, {uv}{uploaded}", icon="MESH_DATA")


class LEONARDO_UL_jobs(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index=0):  # type: ignore[override]
        row = layout.row(align=True)
        row.label(text=item.prompt or "(no prompt)", icon=STATE_ICONS.get(item.state, "DOT"))
        row.label(text=f"{item.object_name} · {job_line(item)}")


class LEONARDO_PT_jobs(bpy.types.Panel):
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Leonardo"
    bl_label = "Jobs"
    bl_parent_id = "LEONARDO_PT_texture"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return len(context.scene.leonardo.jobs) > 0

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        settings = context.scene.leonardo
        layout.template_list("LEONARDO_UL_jobs", "", settings, "jobs", settings, "active_job_index", rows=3)
        if not 0 <= settings.active_job_index < len(settings.jobs):
            return
        item = settings.jobs[settings.active_job_index]
        box = layout.box()
        col = box.column(align=True)
        col.label(text=job_line(item), icon=STATE_ICONS.get(item.state, "DOT"))
        col.label(text=f"{item.kind} · {item.object_name}")
        if item.seed_used:
            col.label(text=f"Seed {item.seed_used}")
        if item.cost >= 0:
            col.label(text=f"Cost {item.cost} credits")
        if item.material_name:
            col.label(text=item.material_name, icon="MATERIAL")
        running = texture_jobs.is_running(item.job_id)
        row = box.row(align=True)
        if running:
            row.operator("leonardo.cancel_job", icon="CANCEL").job_id = item.job_id
        else:
            if item.generation_id and item.state in {
                JobState.FAILED.value,
                JobState.CANCELLED.value,
                JobState.GENERATING.value,
                JobState.DOWNLOADING.value,
                JobState.RECONCILING.value,
            }:
                row.operator("leonardo.resume_job", icon="PLAY").job_id = item.job_id
            if item.state in {JobState.DOWNLOADED.value, JobState.APPLIED.value}:
                op = row.operator("leonardo.apply_job", text="Apply to Active", icon="MATERIAL")
                op.job_id = item.job_id
                op.to_active = True
            row.operator("leonardo.remove_job", text="", icon="X").job_id = item.job_id
        if item.error_action == "open_preferences":
            box.operator("leonardo.open_preferences", icon="PREFERENCES")
        elif item.error_action == "top_up":
            box.operator("wm.url_open", text="Top Up Credits", icon="URL").url = "https://app.leonardo.ai/api-access"
