"""Sidebar panels for the account, the model assets and the texture history (tab "Leonardo").

Like every panel here, ``draw()`` only shows what is already in memory; the refresh buttons start
the requests, off the main thread.
"""

from __future__ import annotations

import bpy

from .. import online, tasks
from .history import history_model_id


class _LeonardoPanel:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Leonardo"


def _state_lines(layout: bpy.types.UILayout, state: str, error: str) -> None:
    if error:
        box = layout.box()
        for index, line in enumerate(_wrap(error, 48)):
            box.label(text=line, icon="ERROR" if index == 0 else "BLANK1")
    elif state:
        layout.label(text=state, icon="INFO")


def _wrap(text: str, width: int) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return lines + ([current] if current else [])


class LEONARDO_PT_account(_LeonardoPanel, bpy.types.Panel):
    bl_label = "Account"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        runtime = context.window_manager.leonardo
        row = layout.row()
        row.label(text=runtime.username or "Not checked yet", icon="USER")
        row.operator("leonardo.refresh_account", text="", icon="FILE_REFRESH")
        if runtime.credits >= 0:
            layout.label(text=f"{runtime.credits} API credits · {runtime.concurrency_slots} concurrent jobs")
        if runtime.cost_full >= 0:
            layout.label(text=f"Preview {runtime.cost_preview} · full texture {runtime.cost_full} credits")
        _state_lines(
            layout,
            "" if runtime.account_state == "Up to date" else runtime.account_state,
            runtime.account_error,
        )
        if runtime.recoverable_jobs:
            box = layout.box()
            box.label(text=f"{runtime.recoverable_jobs} job(s) from an unsaved session", icon="RECOVER_LAST")
            box.operator("leonardo.recover_jobs", icon="IMPORT")


class LEONARDO_UL_assets(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index=0):  # type: ignore[override]
        row = layout.row(align=True)
        row.prop(item, "checked", text="")
        row.label(text=item.name, icon="LINKED" if item.linked_objects else "MESH_DATA")
        row.label(text=item.linked_objects or item.created_at)

    def filter_items(self, context, data, propname):  # type: ignore[override]
        items = getattr(data, propname)
        flags = [self.bitflag_filter_item] * len(items)
        if self.filter_name:
            needle = self.filter_name.lower()
            flags = [self.bitflag_filter_item if needle in f"{i.name} {i.linked_objects}".lower() else 0 for i in items]
        return flags, []


class LEONARDO_PT_assets(_LeonardoPanel, bpy.types.Panel):
    bl_label = "Model Assets"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        runtime = context.window_manager.leonardo
        row = layout.row(align=True)
        row.operator("leonardo.refresh_assets", icon="FILE_REFRESH")
        layout.template_list("LEONARDO_UL_assets", "", runtime, "assets", runtime, "assets_index", rows=4)
        _state_lines(layout, runtime.assets_state, runtime.assets_error)
        col = layout.column(align=True)
        row = col.row(align=True)
        row.operator("leonardo.link_asset", icon="LINKED")
        row.operator("leonardo.unlink_asset", text="", icon="UNLINKED")
        row = col.row(align=True)
        row.operator("leonardo.import_asset", icon="IMPORT")
        ticked = sum(1 for a in runtime.assets if a.checked)
        row.operator("leonardo.delete_assets", text=f"Delete ({ticked})" if ticked else "Delete", icon="TRASH")


class LEONARDO_UL_history(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index=0):  # type: ignore[override]
        row = layout.row(align=True)
        if item.icon_id:
            row.label(text="", icon_value=item.icon_id)
        else:
            row.label(text="", icon="TEXTURE" if item.status == "COMPLETE" else "SORTTIME")
        row.label(text=item.prompt or "(no prompt)", icon="CHECKMARK" if item.applied else "NONE")
        row.label(text=item.seed or item.status.title())


class LEONARDO_PT_history(_LeonardoPanel, bpy.types.Panel):
    bl_label = "History"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        runtime = context.window_manager.leonardo
        layout.prop(runtime, "history_source", expand=True)
        model_id, what = history_model_id(context)
        row = layout.row(align=True)
        row.label(text=what, icon="OBJECT_DATA" if model_id else "INFO")
        row.operator("leonardo.refresh_history", text="", icon="FILE_REFRESH")
        if model_id and model_id != runtime.history_model_id and len(runtime.history):
            layout.label(text="The list shows another asset: refresh", icon="ERROR")
        layout.template_list("LEONARDO_UL_history", "", runtime, "history", runtime, "history_index", rows=4)
        _state_lines(layout, runtime.history_state, runtime.history_error)
        if not 0 <= runtime.history_index < len(runtime.history):
            return
        item = runtime.history[runtime.history_index]
        box = layout.box()
        if item.icon_id:
            box.template_icon(icon_value=item.icon_id, scale=6.0)
        col = box.column(align=True)
        col.label(text=item.prompt)
        if item.negative_prompt:
            col.label(text=f"Not: {item.negative_prompt}")
        col.label(text=f"Seed {item.seed or '?'} · {item.kind or 'preview or full unknown'}")
        col.label(text=f"{item.status.title()} · {item.created_at}")
        if item.material_name:
            col.label(text=item.material_name, icon="MATERIAL")
        row = box.row(align=True)
        label = "Switch To" if item.material_name else ("Apply" if item.local else "Download & Apply")
        row.operator("leonardo.apply_generation", text=label, icon="MATERIAL").generation_id = item.generation_id
        row.operator("leonardo.copy_generation_settings", text="", icon="COPYDOWN").generation_id = item.generation_id
        row = box.row(align=True)
        row.operator("leonardo.rerun_generation", icon="FILE_REFRESH").generation_id = item.generation_id
        if item.kind.startswith("preview"):
            op = row.operator("leonardo.rerun_generation", text="Full Texture", icon="TEXTURE")
            op.generation_id, op.promote = item.generation_id, True
        row.operator("leonardo.delete_generation", text="", icon="TRASH").generation_id = item.generation_id
        layout.operator("leonardo.restore_materials", icon="LOOP_BACK")
        if tasks.why_not() and online.why_offline():
            layout.label(text=online.OFFLINE_HINT, icon="ERROR")
