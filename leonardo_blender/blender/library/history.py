"""The texture history of a model asset, as data: fetching it (with albedo thumbnails, off the main
thread), matching it with what this machine already has (jobs, maps on disk, materials), and the
settings of a generation. The History panel's operators are in ``ops_history.py``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import bpy

from ...api.client import LeonardoClient
from ...api.errors import LeonardoError
from ...api.models import JobStatus
from ...core.jobs import ENGINE_TEXTURE_API, JobState, TextureJob, TextureParams
from ...core.safe_names import safe_file_stem
from .. import addon, material, tasks
from ..properties import runtime
from ..texturing import applying, records
from . import thumbnails
from .assets import active_row

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


def local_jobs_by_generation() -> dict[str, TextureJob]:
    """Every job this machine knows (the open file first, then the journal), by generation id."""
    known: dict[str, TextureJob] = {}
    for job in records.journal().all() + records.all_records():
        if job.generation_id:
            known[job.generation_id] = job
    return known


def material_for_generation(generation_id: str) -> bpy.types.Material | None:
    return next((m for m in bpy.data.materials if m.get("leonardo_generation_id") == generation_id), None)


def history_model_id(context: bpy.types.Context) -> tuple[str, str]:
    """(model asset id, what it is) the History panel is about, or ('', why not)."""
    if context.window_manager.leonardo.history_source == "ASSET":
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
        state = runtime()
        state.history_model_id = model_id
        show_rows(rows)
        state.history_state = f"{len(rows)} generation{'s' if len(rows) != 1 else ''} of {what}"
        state.history_error = ""

    def failed(message: str, action: str) -> None:
        runtime().history_state = ""
        runtime().history_error = message

    reason = tasks.run("history", work, done, failed)
    if reason is None:
        runtime().history_state = f"Loading the history of {what}…"
    return reason


def _thumbnail(client: LeonardoClient, generation, folder: Path, index: int) -> str | None:  # worker
    """The albedo thumbnail of a generation; its file is named from the (server-given) id, made safe."""
    stem = safe_file_stem(generation.id, "generation")
    existing = next((p for p in folder.glob(f"{stem}.*") if p.suffix in (".jpg", ".png", ".webp")), None)
    if existing is not None:
        return str(existing)
    albedo = generation.image("ALBEDO")
    if generation.status is not JobStatus.COMPLETE or albedo is None or index >= THUMBNAILS_PER_REFRESH:
        return None
    try:
        return str(client.files.download_image(albedo.url, folder, stem, what="thumbnail"))
    except (LeonardoError, ValueError):
        return None  # a missing thumbnail is not worth an error


def show_rows(rows: list[GenerationRow]) -> None:
    state = runtime()
    local = local_jobs_by_generation()
    obj = bpy.context.active_object
    applied_id = ""
    if obj is not None and obj.type == "MESH":
        slot = material.leonardo_slot_index(obj)
        if slot is not None:
            applied_id = obj.material_slots[slot].material.get("leonardo_generation_id", "")
    state.history.clear()
    for source in rows:
        row = state.history.add()
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
    state.history_index = min(state.history_index, max(0, len(rows) - 1))


def active_generation() -> bpy.types.PropertyGroup | None:
    state = runtime()
    if 0 <= state.history_index < len(state.history):
        return state.history[state.history_index]
    return None


def job_for_download(context: bpy.types.Context, row: bpy.types.PropertyGroup, obj: bpy.types.Object) -> TextureJob:
    """A local record for a generation made elsewhere (web app, another file): it is paid already."""
    params = TextureParams(
        prompt=row.prompt,
        negative_prompt=row.negative_prompt,
        seed=int(row.seed) if row.seed else None,
        engine=ENGINE_TEXTURE_API,
    )
    job = TextureJob(
        params=params,
        object_name=obj.name,
        object_uid=applying.ensure_uid(obj),
        scene_name=context.scene.name,
        blend_path=bpy.data.filepath,
        model_asset_id=runtime().history_model_id,
        generation_id=row.generation_id,
        uv_map=obj.data.uv_layers.active.name if obj.data.uv_layers.active else "",
        accepted_at=time.time(),
        engine_used=ENGINE_TEXTURE_API,
    )
    job.state = JobState.GENERATING
    return job


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


def forget_generation(state: bpy.types.PropertyGroup, generation_id: str) -> None:
    """After a delete: drop the generation's rows from a history list (``history``, ``history_index``)."""
    for index in reversed(range(len(state.history))):
        if state.history[index].generation_id == generation_id:
            state.history.remove(index)
    state.history_index = min(state.history_index, max(0, len(state.history) - 1))
    state.history_state = "Generation deleted"
