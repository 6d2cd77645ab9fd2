"""The Seamless Material panels (tab "Leonardo"): settings and Generate, the candidates with the material's
controls and the paid variations, and the Seamless History.

``draw()`` only shows what is in memory (settings, the mirrored candidates, runtime lists); thumbnails
are registered lazily with ``bpy.utils.previews``. Every request starts from a button, off the main thread.
"""

from __future__ import annotations

from pathlib import Path

import bpy

from .. import addon, online
from ..library import thumbnails
from ..texturing import records, texture_jobs
from ..texturing.panel import STATE_ICONS, job_line
from . import applying, catalog, material_builder, prompt_helpers, variations
from .variations import KIND_ITEMS


class _SeamlessPanel:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Leonardo"


def _lines(layout: bpy.types.UILayout, text: str, icon: str, width: int = 44) -> None:
    """Panels do not wrap labels: break the sentence by hand."""
    line, first = "", True
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            layout.label(text=line, icon=icon if first else "BLANK1")
            line, first = "", False
        line = f"{line} {word}".strip()
    if line:
        layout.label(text=line, icon=icon if first else "BLANK1")


def _maps_folder(job_id: str) -> Path | None:
    """Where the job's maps are now: beside the material's albedo (maps move when a file is first saved)."""
    mat = applying.find_material(job_id)
    node = mat.node_tree.nodes.get(material_builder.IMAGE_NODES["ALBEDO"]) if mat and mat.node_tree else None
    if node is None or node.image is None or not node.image.filepath:
        return None
    return Path(bpy.path.abspath(node.image.filepath)).parent


def _thumbnail(key: str, path: str, folder: Path | None) -> int:
    """The candidate's icon; found beside the maps when its folder moved since it was listed."""
    if not path:
        return 0
    if folder is not None and not thumbnails.loaded(key) and not Path(path).is_file():
        path = str(folder / Path(path).name)
    return thumbnails.icon_id(key, path)


class LEONARDO_PT_seamless(_SeamlessPanel, bpy.types.Panel):
    bl_label = "Seamless Material"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        settings = context.scene.leonardo.seamless
        state = context.window_manager.leonardo.seamless
        reason = online.why_offline() or (None if addon.settings().has_key else "No API key yet (preferences)")
        if reason:
            _lines(layout.box(), reason, "ERROR")
        meshes = sum(1 for obj in context.selected_objects if obj.type == "MESH")
        layout.label(
            text=f"For {meshes} selected mesh{'es' if meshes != 1 else ''}"
            if meshes
            else "No mesh selected: material only",
            icon="MESH_DATA" if meshes else "INFO",
        )
        column = layout.column(align=True)
        row = column.row(align=True)
        row.prop(settings, "prompt", text="", placeholder="Prompt, e.g. mossy cobblestone")
        prompt_helpers.draw_buttons(row, "SEAMLESS")
        column.prop(settings, "negative_prompt", text="", placeholder="Negative prompt (optional)")
        if state.prompt_error:
            _lines(layout, state.prompt_error, "ERROR")
        elif state.prompt_message:
            layout.label(text=state.prompt_message, icon="INFO")

        row = layout.row(align=True)
        row.prop(settings, "model", text="")
        row.operator("leonardo.seamless_refresh", text="", icon="FILE_REFRESH")
        if state.models_error:
            _lines(layout, state.models_error, "ERROR")
        column = layout.column(align=True)
        row = column.row(align=True)
        row.prop(settings, "width")
        row.prop(settings, "height")
        row = column.row(align=True)
        row.prop(settings, "num_images")
        row.prop(settings, "seed")
        layout.prop(settings, "show_advanced", icon="TRIA_DOWN" if settings.show_advanced else "TRIA_RIGHT")
        if settings.show_advanced:
            column = layout.column(align=True)
            row = column.row(align=True)
            row.prop(settings, "guidance_scale")
            row.prop(settings, "num_inference_steps")
            column.prop(settings, "scheduler")
            column.prop(settings, "preset_style")
        column = layout.column(align=True)
        column.prop(settings, "init_image")
        sub = column.row(align=True)
        sub.active = settings.init_image is not None
        sub.prop(settings, "init_strength", slider=True)
        column = layout.column(align=True)
        column.row(align=True).prop(settings, "projection", expand=True)
        row = column.row(align=True)
        row.prop(settings, "scale")
        row.prop(settings, "normal_strength")

        cost, confirmed = catalog.generation_cost(context.scene)
        button = layout.row()
        button.scale_y = 1.5
        label = f"Generate Seamless · {cost} credits" + ("" if confirmed else " (est.)")
        button.operator("leonardo.generate_seamless", text=label, icon="TEXTURE")
        credits = context.window_manager.leonardo.credits
        if 0 <= credits < cost:
            layout.label(text=f"Only {credits} credits left", icon="ERROR")


class LEONARDO_PT_seamless_candidates(_SeamlessPanel, bpy.types.Panel):
    bl_label = "Candidates"
    bl_parent_id = "LEONARDO_PT_seamless"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        settings = context.scene.leonardo.seamless
        return bool(settings.job_id) and records.find_record(settings.job_id)[1] is not None

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        settings = context.scene.leonardo.seamless
        job_id = settings.job_id
        _scene, item = records.find_record(job_id)
        if item is None:
            return
        running = texture_jobs.is_running(job_id)
        row = layout.row(align=True)
        row.label(text=f"{item.prompt[:40]} · {job_line(item)}", icon=STATE_ICONS.get(item.state, "DOT"))
        if running:
            row.operator("leonardo.cancel_job", text="", icon="CANCEL").job_id = job_id
        folder = _maps_folder(job_id)
        grid = layout.grid_flow(columns=2, even_columns=True, align=True)
        for candidate in settings.candidates:
            cell = grid.column(align=True)
            icon = _thumbnail(f"seamless:{job_id}:{candidate.index}", candidate.path, folder)
            if icon:
                cell.template_icon(icon_value=icon, scale=5.0)
            what = candidate.transform.replace("_", " ").title() if candidate.transform else "Candidate"
            size = f" {candidate.width}px" if candidate.width else ""
            chosen = candidate.index == settings.chosen
            if candidate.status in ("", "DONE") and candidate.path:
                op = cell.operator(
                    "leonardo.seamless_choose",
                    text=f"{candidate.index + 1}. {what}{size}",
                    icon="CHECKMARK" if chosen else "NONE",
                    depress=chosen,
                )
                op.index, op.job_id = candidate.index, job_id
            else:
                cell.label(text=f"{candidate.index + 1}. {what}: {candidate.status.lower() or 'downloading'}")
        self._draw_material(context, layout, job_id, running)
        self._draw_variations(context, layout, running)

    @staticmethod
    def _draw_material(context: bpy.types.Context, layout: bpy.types.UILayout, job_id: str, running: bool) -> None:
        settings = context.scene.leonardo.seamless
        mat = applying.find_material(job_id)
        box = layout.box()
        if mat is None or not material_builder.is_seamless(mat):
            box.label(text="No material in this file yet", icon="INFO")
            return
        box.label(text=mat.name, icon="MATERIAL")
        mapping = material_builder.mapping_node(mat)
        if mapping is not None:
            box.prop(mapping.inputs["Scale"], "default_value", text="Tiles")
        row = box.row(align=True)
        projection = material_builder.projection_of(mat)
        for identifier, label in (("UV", "UV"), ("BOX", "Box")):
            op = row.operator("leonardo.seamless_projection", text=label, depress=projection == identifier)
            op.projection, op.job_id = identifier, job_id
        row = box.row(align=True)
        row.enabled = not running
        row.prop(settings, "normal_strength")
        row.operator("leonardo.seamless_rederive", text="", icon="FILE_REFRESH").job_id = job_id

    @staticmethod
    def _draw_variations(context: bpy.types.Context, layout: bpy.types.UILayout, running: bool) -> None:
        settings = context.scene.leonardo.seamless
        box = layout.box()
        box.enabled = not running
        box.label(text="Upscale or cut out the chosen one (paid)", icon="FULLSCREEN_ENTER")
        row = box.row(align=True)
        row.prop(settings, "upscaler_style", text="")
        row.prop(settings, "creativity")
        box.prop(settings, "multiplier")
        for kind, label, _description in KIND_ITEMS:
            cost, known = variations.price(context, kind)
            if known:
                text = f"{label} · {cost} credits"
            elif kind == "UNIVERSAL_UPSCALER":
                text = f"{label} · refresh for the price"
            else:
                text = f"{label} · price known once charged"
            box.operator("leonardo.seamless_variation", text=text).kind = kind


class LEONARDO_UL_seamless_history(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index=0):  # type: ignore[override]
        row = layout.row(align=True)
        thumb = thumbnails.icon_id(f"history:{item.generation_id}", item.thumbnail) if item.thumbnail else 0
        if thumb:
            row.label(text="", icon_value=thumb)
        else:
            row.label(text="", icon="TEXTURE" if item.status == "COMPLETE" else "SORTTIME")
        row.label(text=item.prompt or "(no prompt)", icon="MATERIAL" if item.seamless else "NONE")
        row.label(text=item.seed or item.status.title())

    def filter_items(self, context, data, propname):  # type: ignore[override]
        items = getattr(data, propname)
        show_views = context.window_manager.leonardo.seamless.show_views
        needle = self.filter_name.lower()
        flags = [
            self.bitflag_filter_item
            if (show_views or not item.projection_view) and needle in item.prompt.lower()
            else 0
            for item in items
        ]
        return flags, []


class LEONARDO_PT_seamless_history(_SeamlessPanel, bpy.types.Panel):
    bl_label = "Seamless History"
    bl_parent_id = "LEONARDO_PT_seamless"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        state = context.window_manager.leonardo.seamless
        row = layout.row(align=True)
        row.prop(state, "show_views")
        row.operator("leonardo.seamless_history_refresh", text="", icon="FILE_REFRESH")
        layout.template_list("LEONARDO_UL_seamless_history", "", state, "history", state, "history_index", rows=4)
        if state.history_error:
            _lines(layout, state.history_error, "ERROR")
        elif state.history_state:
            layout.label(text=state.history_state, icon="INFO")
        if not 0 <= state.history_index < len(state.history):
            return
        item = state.history[state.history_index]
        box = layout.box()
        thumb = thumbnails.icon_id(f"history:{item.generation_id}", item.thumbnail) if item.thumbnail else 0
        if thumb:
            box.template_icon(icon_value=thumb, scale=6.0)
        column = box.column(align=True)
        _lines(column, item.prompt or "(no prompt)", "TEXT")
        column.label(text=f"Seed {item.seed or '?'} · {item.width} x {item.height} · {item.images} image(s)")
        column.label(text=f"{item.status.title()} · {item.created_at}")
        row = box.row(align=True)
        label = "Apply" if item.seamless else "Download & Apply"
        row.operator("leonardo.seamless_history_apply", text=label, icon="MATERIAL").generation_id = item.generation_id
        op = row.operator("leonardo.seamless_history_delete", text="", icon="TRASH")
        op.generation_id = item.generation_id
