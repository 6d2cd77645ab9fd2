"""The "Leonardo" tab of the 3D Viewport sidebar: the texture panel and the job list.

``draw()`` only reads properties already in memory: it never makes a request, never parses files,
never waits. Live job states come from the records the dispatcher keeps up to date.
"""

from __future__ import annotations

import time

import bpy

from ...core.jobs import ENGINE_PROJECTION, ENGINE_TEXTURE_API, JobState, format_duration
from .. import addon, online
from ..seamless import prompt_helpers
from . import engines, machinery, texture_jobs

DOCUMENTED_COST = {True: 30, False: 150}
#: Views a projection job generates: one for a preview, front, right, back, left and top otherwise.
PROJECTION_VIEWS = {True: 1, False: 5}
#: The emulator's (and a typical SDXL) price of one 1024 px image until the calculator has answered.
ESTIMATED_VIEW_COST = 4

STATE_ICONS = {
    JobState.EXPORTING.value: "EXPORT",
    JobState.UPLOADING.value: "EXPORT",
    JobState.QUEUED.value: "TIME",
    JobState.SUBMITTING.value: "URL",
    JobState.RECONCILING.value: "QUESTION",
    JobState.GENERATING.value: "SORTTIME",
    JobState.DOWNLOADING.value: "IMPORT",
    JobState.BAKING.value: "RENDER_STILL",
    JobState.DOWNLOADED.value: "IMAGE_DATA",
    JobState.APPLIED.value: "CHECKMARK",
    JobState.FAILED.value: "ERROR",
    JobState.CANCELLED.value: "CANCEL",
}


def job_line(item: bpy.types.PropertyGroup) -> str:
    if item.state == JobState.GENERATING.value and item.accepted_at:
        elapsed = format_duration(time.time() - item.accepted_at)
        if item.views_total:
            current = min(item.views_total, item.views_done + 1)
            return f"View {current}/{item.views_total}: generating {elapsed}"
        return f"Generating {elapsed}"
    if item.state == JobState.DOWNLOADING.value and item.views_total:
        return "Downloading views"
    if item.state == JobState.QUEUED.value:
        ahead = machinery.queue_position(item.job_id)
        return "Queued for a free slot" if ahead is None else f"Queued ({ahead} ahead)"
    if item.state == JobState.FAILED.value and item.error:
        return f"Failed: {item.error}"
    return JobState(item.state).label


def texture_cost(context: bpy.types.Context, preview: bool) -> tuple[int, bool]:
    """(credits, confirmed by the pricing calculator) for the next job, for the engine it will use."""
    runtime = context.window_manager.leonardo
    settings = context.scene.leonardo
    if engines.effective_engine(settings.engine) == ENGINE_PROJECTION:
        views = PROJECTION_VIEWS[preview]
        if runtime.cost_view >= 0 and runtime.cost_view_size == settings.generation_size:
            return runtime.cost_view * views, True
        return ESTIMATED_VIEW_COST * views, False
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
        settings_now = addon.settings()
        if not settings_now.has_key:
            box = layout.box()
            box.label(text="No API key yet", icon="KEY_HLT")
            box.operator("leonardo.open_preferences", text="Set API Key", icon="PREFERENCES")
        elif settings_now.key_recipient:
            self._draw_note(layout, settings_now.key_recipient)

        self._draw_selection(context, layout)

        col = layout.column(align=True)
        row = col.row(align=True)
        row.prop(settings, "prompt", text="", placeholder="Prompt, e.g. rusty iron plates")
        prompt_helpers.draw_buttons(row, "TEXTURE")
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

        layout.prop(settings, "engine")
        note = engines.note()
        if note and settings.engine != ENGINE_TEXTURE_API:
            self._draw_note(layout, note)
        if engines.effective_engine(settings.engine) != ENGINE_TEXTURE_API:
            projection = layout.column(align=True)
            projection.prop(settings, "image_model", text="Model")
            row = projection.row(align=True)
            row.prop(settings, "generation_size")
            row.prop(settings, "bake_size", text="")
            projection.prop(settings, "style_reference")

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
    def _draw_note(layout: bpy.types.UILayout, note: str) -> None:
        box = layout.box()
        column = box.column(align=True)
        words, line = note.split(), ""
        first = True
        for word in words:  # panels do not wrap labels: break the sentence by hand
            if len(line) + len(word) > 42:
                column.label(text=line, icon="INFO" if first else "BLANK1")
                first, line = False, ""
            line = f"{line} {word}".strip()
        if line:
            column.label(text=line, icon="INFO" if first else "BLANK1")

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

    @staticmethod
    def _draw_batch(layout: bpy.types.UILayout, settings: bpy.types.PropertyGroup) -> None:
        """One progress line for the latest batch of several objects, with Cancel while it runs."""
        latest = settings.jobs[-1].batch_id if len(settings.jobs) else ""
        if not latest:
            return
        summary = texture_jobs.batch_summary(latest)
        if summary["total"] < 2:
            return
        row = layout.row(align=True)
        row.label(
            text=f"Batch: {summary['done']}/{summary['total']} done · {summary['running']} running · "
            f"{summary['queued']} queued · {summary['failed']} failed · {summary['credits']} credits",
            icon="SEQ_STRIP_DUPLICATE",
        )
        if summary["running"] or summary["queued"]:
            row.operator("leonardo.cancel_batch", text="", icon="CANCEL").batch_id = latest

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        settings = context.scene.leonardo
        self._draw_batch(layout, settings)
        layout.template_list("LEONARDO_UL_jobs", "", settings, "jobs", settings, "active_job_index", rows=3)
        if not 0 <= settings.active_job_index < len(settings.jobs):
            return
        item = settings.jobs[settings.active_job_index]
        box = layout.box()
        col = box.column(align=True)
        col.label(text=job_line(item), icon=STATE_ICONS.get(item.state, "DOT"))
        engine = {"PROJECTION": "projection", "TEXTURE_API": "texture API"}.get(item.engine, "")
        col.label(text=f"{item.kind} · {item.object_name}" + (f" · {engine}" if engine else ""))
        if item.seed_used:
            col.label(text=f"Seed {item.seed_used}")
        if item.cost >= 0:
            col.label(text=f"Cost {item.cost} credits")
        if item.material_name:
            col.label(text=item.material_name, icon="MATERIAL")
        if item.note:
            LEONARDO_PT_texture._draw_note(box, item.note)
        running = texture_jobs.is_running(item.job_id)
        row = box.row(align=True)
        if running:
            row.operator("leonardo.cancel_job", icon="CANCEL").job_id = item.job_id
        else:
            if item.resumable:
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
