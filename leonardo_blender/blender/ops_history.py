"""The History panel's operators: a model asset's texture generations (all pages) with albedo
thumbnails, and what to do with one: apply it (downloading the maps only if they are not local),
re-run it (same seed and settings, or promoted from a preview to a full texture), copy its settings
into the panel, delete it. Applying an already applied generation is a free material switch.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

import bpy
from bpy.props import BoolProperty, StringProperty

from ..api.client import LeonardoClient
from ..api.errors import LeonardoError
from ..api.models import JobStatus
from ..core.jobs import JobState, TextureJob, TextureParams
from . import addon, material, online, tasks, texture_jobs, thumbnails
from .ops_assets import active_row
from .properties import OFFSET_TO_FACING

THUMBNAILS_PER_REFRESH = 40


@dataclass(frozen=True)
class GenerationRow:
    id: str
    status: str
    prompt: str
    negative_prompt: str
    seed: str
    created_at: str
    thumbnail: str | None


def _runtime() -> bpy.types.PropertyGroup:
    return bpy.context.window_manager.leonardo


def local_jobs_by_generation() -> dict[str, TextureJob]:
    """Every job this machine knows (the open file first, then the journal), by generation id."""
    known: dict[str, TextureJob] = {}
    for job in texture_jobs.journal().all() + texture_jobs.all_records():
        if job.generation_id:
            known[job.generation_id] = job
    return known


def material_for_generation(generation_id: str) -> bpy.types.Material | None:
    return next((m for m in bpy.data.materials if m.get("leonardo_generation_id") == generation_id), None)


def history_model_id(context: bpy.types.Context) -> tuple[str, str]:
    """(model asset id, what it is) the History panel is about, or ('', why not)."""
    runtime = context.window_manager.leonardo
    if runtime.history_source == "ASSET":
        row = active_row()
        return (row.asset_id, f"asset '{row.name}'") if row else ("", "Highlight a model asset first")
    obj = context.active_object
    if obj is None or obj.type != "MESH":
        return "", "Select a mesh object"
    if not obj.leonardo.model_asset_id:
        return "", f"'{obj.name}' has not been uploaded yet"
    return obj.leonardo.model_asset_id, f"'{obj.name}'"


# -- refresh --------------------------------------------------------------------------------------------


def refresh_history(context: bpy.types.Context) -> str | None:
    model_id, what = history_model_id(context)
    if not model_id:
        return what
    thumbs_dir = addon.user_dir("thumbnails")
    local_albedos = {gid: job.maps["ALBEDO"] for gid, job in local_jobs_by_generation().items() if "ALBEDO" in job.maps}

    def work(client: LeonardoClient) -> list[GenerationRow]:  # worker thread
        rows = []
        for index, generation in enumerate(client.texture_generations_for_model(model_id)):
            thumbnail = local_albedos.get(generation.id)
            if not (thumbnail and Path(thumbnail).is_file()):
                thumbnail = _thumbnail(client, generation, thumbs_dir, index)
            rows.append(
                GenerationRow(
                    id=generation.id,
                    status=generation.status.value,
                    prompt=generation.prompt or "",
                    negative_prompt=generation.negative_prompt or "",
                    seed="" if generation.seed is None else str(generation.seed),
                    created_at=(generation.created_at or "")[:16].replace("T", " "),
                    thumbnail=thumbnail,
                )
            )
        return rows

    def done(rows: list[GenerationRow]) -> None:
        runtime = _runtime()
        runtime.history_model_id = model_id
        show_rows(rows)
        runtime.history_state = f"{len(rows)} generation{'s' if len(rows) != 1 else ''} of {what}"
        runtime.history_error = ""

    def failed(message: str, action: str) -> None:
        _runtime().history_state = ""
        _runtime().history_error = message

    reason = tasks.run("history", work, done, failed)
    if reason is None:
        _runtime().history_state = f"Loading the history of {what}…"
    return reason


def _thumbnail(client: LeonardoClient, generation, folder: Path, index: int) -> str | None:  # worker
    path = folder / f"{generation.id}.jpg"
    if path.is_file():
        return str(path)
    albedo = generation.image("ALBEDO")
    if generation.status is not JobStatus.COMPLETE or albedo is None or index >= THUMBNAILS_PER_REFRESH:
        return None
    try:
        return str(client.files.download(albedo.url, path, what="thumbnail"))
    except LeonardoError:
        return None  # a missing thumbnail is not worth an error


def show_rows(rows: list[GenerationRow]) -> None:
    runtime = _runtime()
    local = local_jobs_by_generation()
    obj = bpy.context.active_object
    applied_id = ""
    if obj is not None and obj.type == "MESH":
        slot = material.leonardo_slot_index(obj)
        if slot is not None:
            applied_id = obj.material_slots[slot].material.get("leonardo_generation_id", "")
    runtime.history.clear()
    for source in rows:
        row = runtime.history.add()
        job = local.get(source.id)
        row.generation_id, row.status, row.prompt = source.id, source.status, source.prompt
        row.name = source.prompt[:60]
        row.negative_prompt, row.seed, row.created_at = source.negative_prompt, source.seed, source.created_at
        row.kind = job.params.kind if job else ""
        row.job_id = job.id if job else ""
        row.local = bool(job and job.maps and all(Path(p).is_file() for p in job.maps.values()))
        found = material_for_generation(source.id)
        row.material_name = found.name if found else ""
        row.applied = source.id == applied_id
        row.icon_id = thumbnails.icon_id(source.id, source.thumbnail)
    runtime.history_index = min(runtime.history_index, max(0, len(rows) - 1))


def active_generation() -> bpy.types.PropertyGroup | None:
    runtime = _runtime()
    if 0 <= runtime.history_index < len(runtime.history):
        return runtime.history[runtime.history_index]
    return None


# -- operators ------------------------------------------------------------------------------------------


class LEONARDO_OT_refresh_history(bpy.types.Operator):
    """List the texture generations of the active object's (or the chosen) model asset"""

    bl_idname = "leonardo.refresh_history"
    bl_label = "Refresh History"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return online.poll_online(cls, context)

    def execute(self, context: bpy.types.Context) -> set[str]:
        reason = refresh_history(context)
        if reason:
            self.report({"ERROR"}, reason)
            return {"CANCELLED"}
        return {"FINISHED"}


class _GenerationOperator(bpy.types.Operator):
    generation_id: StringProperty(options={"HIDDEN", "SKIP_SAVE"})  # type: ignore[valid-type]

    def row(self) -> bpy.types.PropertyGroup | None:
        runtime = _runtime()
        wanted = self.generation_id or (active_generation().generation_id if active_generation() else "")
        found = next((r for r in runtime.history if r.generation_id == wanted), None)
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
            applied = texture_jobs.apply(job, obj.name)
            _mark_applied(row.generation_id)
            return {"FINISHED"} if applied else {"CANCELLED"}
        if row.status != JobStatus.COMPLETE.value:
            self.report({"WARNING"}, f"This generation is {row.status.lower()}; it cannot be applied")
            return {"CANCELLED"}
        reason = tasks.why_not()
        if reason:
            self.report({"ERROR"}, reason)
            return {"CANCELLED"}
        job = _job_for_download(context, row, obj)
        texture_jobs.write_record(job)
        texture_jobs.resume(job)
        self.report({"INFO"}, f"Downloading the maps of '{row.prompt[:40]}'…")
        return {"FINISHED"}


def _job_for_download(context: bpy.types.Context, row: bpy.types.PropertyGroup, obj: bpy.types.Object) -> TextureJob:
    """A local record for a generation made elsewhere (web app, another file): it is paid already."""
    if not obj.leonardo.uid:
        obj.leonardo.uid = uuid.uuid4().hex
    params = TextureParams(
        prompt=row.prompt, negative_prompt=row.negative_prompt, seed=int(row.seed) if row.seed else None
    )
    job = TextureJob(
        params=params,
        object_name=obj.name,
        object_uid=obj.leonardo.uid,
        scene_name=context.scene.name,
        blend_path=bpy.data.filepath,
        model_asset_id=_runtime().history_model_id,
        generation_id=row.generation_id,
        uv_map=obj.data.uv_layers.active.name if obj.data.uv_layers.active else "",
        accepted_at=time.time(),
    )
    job.state = JobState.GENERATING
    return job


def _mark_applied(generation_id: str) -> None:
    for row in _runtime().history:
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


def params_of(row: bpy.types.PropertyGroup, context: bpy.types.Context) -> TextureParams:
    """The generation's settings: prompt, negative prompt and seed from the service, the rest from the
    local record when this machine made it, else from the panel."""
    job = local_jobs_by_generation().get(row.generation_id)
    panel = context.scene.leonardo
    base = (
        job.params
        if job
        else TextureParams(
            prompt=row.prompt,
            sd_version=panel.sd_version,
            front_rotation_offset=panel.front_rotation_offset,
            preview=panel.preview,
            preview_direction=panel.preview_direction,
        )
    )
    seed = int(row.seed) if row.seed else base.seed
    return replace(base, prompt=row.prompt, negative_prompt=row.negative_prompt, seed=seed)


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
            runtime = _runtime()
            for index in reversed(range(len(runtime.history))):
                if runtime.history[index].generation_id == generation_id:
                    runtime.history.remove(index)
            runtime.history_index = min(runtime.history_index, max(0, len(runtime.history) - 1))
            runtime.history_state = "Generation deleted"

        def failed(message: str, action: str) -> None:
            _runtime().history_error = message

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
