"""Put a seamless job's tiling material on its objects, and keep the panel's candidate list in step.

Main thread only. One material per job (tagged with its id, like every generated material): building it
the first time, swapping its images when the chosen candidate or the normal strength changes. Called by
``texturing.applying.apply`` when a seamless job reaches DOWNLOADED, and by the seamless operators.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import bpy

from ...core.jobs import JobState, TextureJob
from ...core.pipeline.seamless import candidate_file
from ...core.pipeline.seamless_variations import NOBG
from .. import addon, material, storage
from ..texturing import records
from . import catalog, material_builder

MAP_TYPES = ("ALBEDO", "NORMAL", "ROUGHNESS", "DISPLACEMENT")


def find_material(job_id: str) -> bpy.types.Material | None:
    return next((m for m in bpy.data.materials if m.get(material.MATERIAL_TAG) == job_id), None)


def material_name(job: TextureJob) -> str:
    prompt = job.params.prompt.strip()
    short = prompt if len(prompt) <= 40 else prompt[:39].rstrip() + "…"
    seed = job.seed_used if job.seed_used is not None else job.params.seed
    return f"Leonardo tile {short}" + (f" ({seed})" if seed is not None else "")


def is_decal(job: TextureJob) -> bool:
    """The chosen image is a cut-out (background removed): it shows once, with its alpha."""
    return 0 <= job.chosen < len(job.candidates) and job.candidates[job.chosen].transform == NOBG


def normal_strength(job: TextureJob) -> float:
    return job.params.seamless.normal_strength if job.params.seamless else 1.0


def material_for(job: TextureJob, scene: bpy.types.Scene) -> bpy.types.Material:
    """The job's material with the job's current maps: built the first time, its images swapped after."""
    existing = find_material(job.id)
    if existing is not None and material_builder.is_seamless(existing):
        material_builder.set_images(existing, job.maps, decal=is_decal(job), normal_strength=normal_strength(job))
        mat = existing
    else:
        seamless = job.params.seamless
        mat = material_builder.build(
            material_name(job),
            job.maps,
            scale=seamless.scale if seamless else 1.0,
            projection=seamless.projection if seamless else "UV",
            decal=is_decal(job),
            normal_strength=normal_strength(job),
            true_displacement=bool(scene.leonardo.true_displacement),
            tags={
                material.MATERIAL_TAG: job.id,
                "leonardo_generation_id": job.generation_id or "",
                "leonardo_prompt": job.params.prompt,
                "leonardo_seed": "" if job.seed_used is None else str(job.seed_used),
                "leonardo_engine": job.engine_used,
            },
        )
    settings = addon.settings()
    if settings.pack_images:
        storage.pack_material_images(mat)
    else:
        storage.make_image_paths_relative(mat)
    return mat


def apply_seamless(
    job: TextureJob, object_name: str | None = None, *, push_undo: bool = False
) -> bpy.types.Material | None:
    """Build (or update) the job's tiling material and put it on every target object (or ``object_name``)."""
    missing = [path for kind, path in job.maps.items() if kind in MAP_TYPES and not Path(path).is_file()]
    if missing or not job.maps:
        job.maps = {}
        job.fail("The maps of this material are missing from disk; resume to download them again", "retry")
        records.write_record(job)
        return None
    scene = bpy.data.scenes.get(job.scene_name) or bpy.context.scene
    mat = material_for(job, scene)
    job.material_name = mat.name
    names = [object_name] if object_name else list(job.target_objects)
    gone = []
    for name in names:
        obj = bpy.data.objects.get(name)
        if obj is None or obj.type != "MESH":
            gone.append(name)
            continue
        material.assign(obj, mat)
        if name not in job.target_objects:
            job.target_objects.append(name)
    if gone:
        job.note = f"Not on {', '.join(repr(n) for n in gone)}: no such mesh any more; use Apply to Active"
    if job.state is JobState.DOWNLOADED:
        job.move_to(JobState.APPLIED)
    records.write_record(job)
    records.save_later(job)
    show_candidates(job, scene)
    _forget_init_copy(job)
    if push_undo and not bpy.app.background:
        with contextlib.suppress(RuntimeError):  # no window (e.g. while a file loads)
            bpy.ops.ed.undo_push(message="Leonardo seamless material")
    return mat


def _forget_init_copy(job: TextureJob) -> None:
    """The init image this add-on wrote for the job (pixels of a Blender image) is not needed any more;
    an image file of the user's own is never touched."""
    seamless = job.params.seamless
    if seamless is None or not seamless.init_image_path or not seamless.init_image_id:
        return
    path = Path(seamless.init_image_path)
    if storage.is_inside(path, addon.user_dir("init_images")):
        with contextlib.suppress(OSError):
            path.unlink()


def show_candidates(job: TextureJob, scene: bpy.types.Scene | None = None) -> None:
    """Make the panel show this job's candidates (a mirror of its record, for ``draw()``)."""
    settings = (scene or bpy.context.scene).leonardo.seamless
    settings.job_id = job.id
    settings.chosen = job.chosen
    settings.candidates.clear()
    for index, candidate in enumerate(job.candidates):
        row = settings.candidates.add()
        row.index = index
        path = candidate_file(job, index)
        row.path = str(path) if path else ""
        row.transform, row.status = candidate.transform, candidate.status
        row.width, row.height = candidate.width, candidate.height
    catalog.learn_costs(job.candidates)
