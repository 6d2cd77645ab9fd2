"""Put a job's result on its object: build (or reuse) the material, assign it, record the step.

Main thread only. Objects are found again by their ``uid`` (it survives renames and undo) or name.
"""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

import bpy

from ...core.jobs import ENGINE_SEAMLESS, JobState, TextureJob
from .. import addon, material, storage
from . import records


def ensure_uid(obj: bpy.types.Object) -> str:
    """The object's identity for jobs (created on first use; it survives renames)."""
    if not obj.leonardo.uid:
        obj.leonardo.uid = uuid.uuid4().hex
    return obj.leonardo.uid


def find_object(job: TextureJob) -> bpy.types.Object | None:
    """The job's object, even if it was renamed since (its ``uid`` travels with it)."""
    if job.object_uid:
        by_uid = next((o for o in bpy.data.objects if o.leonardo.uid == job.object_uid), None)
        if by_uid is not None:
            return by_uid
    by_name = bpy.data.objects.get(job.object_name)
    # An object of that name without an identity is the job's own (its identity may have been undone);
    # one with another identity is a different object that took the name.
    if by_name is not None and by_name.leonardo.uid in ("", job.object_uid):
        return by_name
    return None


def apply(
    job: TextureJob, object_name: str | None = None, *, push_undo: bool = False, fresh: bool = False
) -> bpy.types.Material | None:
    """Build (or reuse) the job's material and put it on its object (or ``object_name``).

    ``push_undo``: record an undo step (when applied by the timer, outside any operator), so that
    Ctrl+Z undoes the texture, not the user's previous action, and the record stays consistent.
    ``fresh``: the result comes straight from the worker (its maps were just written).
    Seamless jobs put their tiling material on every object they were made for (``seamless``)."""
    if job.engine_used == ENGINE_SEAMLESS:
        from ..seamless.applying import apply_seamless

        return apply_seamless(job, object_name, push_undo=push_undo)
    target = bpy.data.objects.get(object_name) if object_name else find_object(job)
    # ``fresh``: the worker has just written the maps; checking them again only costs the main thread
    missing = [] if fresh else [path for path in job.maps.values() if not Path(path).is_file()]
    if missing:
        job.maps = {}
        job.fail(f"{len(missing)} downloaded map(s) are missing from disk; resume to download them again", "retry")
        records.write_record(job)
        return None
    settings = addon.settings()
    existing = next((m for m in bpy.data.materials if m.get(material.MATERIAL_TAG) == job.id), None)
    mat = existing or _build(job, settings)
    job.material_name = mat.name
    if target is None or target.type != "MESH":
        job.error = f"'{job.object_name}' no longer exists; apply the result to another object from the job list"
        records.write_record(job)
        records.journal().save(job)
        return mat
    material.assign(target, mat)
    job.object_name = target.name
    job.object_uid = ensure_uid(target)
    job.move_to(JobState.APPLIED)
    records.write_record(job)
    records.save_later(job, drop_mesh=True)
    if push_undo and not bpy.app.background:
        with contextlib.suppress(RuntimeError):  # no window (e.g. while a file loads)
            bpy.ops.ed.undo_push(message="Leonardo texture applied")
    return mat


def _build(job: TextureJob, settings: addon.Settings) -> bpy.types.Material:
    prompt = job.params.prompt.strip()
    short = prompt if len(prompt) <= 40 else prompt[:39].rstrip() + "…"
    seed = job.seed_used if job.seed_used is not None else job.params.seed
    name = f"Leonardo {short}" + (f" ({seed})" if seed is not None else "")
    if job.params.preview:
        name += f" preview {job.params.preview_direction}"  # its promoted full texture keeps the plain name
    scene = bpy.data.scenes.get(job.scene_name) or bpy.context.scene
    mat = material.build_material(
        name,
        job.maps,
        uv_map=job.uv_map,
        true_displacement=bool(scene.leonardo.true_displacement),
        tags={
            material.MATERIAL_TAG: job.id,
            "leonardo_generation_id": job.generation_id or "",
            "leonardo_prompt": prompt,
            "leonardo_seed": "" if seed is None else str(seed),
            "leonardo_engine": job.engine_used,
        },
    )
    if settings.pack_images:
        storage.pack_material_images(mat)
    else:
        storage.make_image_paths_relative(mat)
    if settings.mark_as_assets:
        mark_as_asset(mat, job.maps.get("ALBEDO"))
    return mat


def mark_as_asset(mat: bpy.types.Material, preview_image: str | None) -> None:
    """Show the material in the Asset Browser, with the albedo map as its preview."""
    mat.asset_mark()
    mat.asset_data.description = mat.get("leonardo_prompt", "")
    mat.asset_data.tags.new("Leonardo", skip_if_exists=True)
    if preview_image and Path(preview_image).is_file():
        with contextlib.suppress(RuntimeError), bpy.context.temp_override(id=mat):
            bpy.ops.ed.lib_id_load_custom_preview(filepath=preview_image)
