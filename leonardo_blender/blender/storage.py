"""Where downloaded maps live, and moving them beside the .blend when it is first saved.

* Saved file: ``<texture folder>/<prompt>-<job>/albedo.jpg`` with the folder relative to the .blend
  (default ``//textures/leonardo``), and image paths stored relative (``//textures/...``).
* Unsaved file: the add-on's user folder (``.../unsaved/<prompt>-<job>/``). On the first save
  (``save_pre``, so the written file already has the final paths) the maps are moved beside the
  new .blend and the image paths and job records rewritten.
* Optional: images packed into the .blend instead.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path

import bpy

from ..core.jobs import TextureJob
from . import addon

_UNSAFE = re.compile(r"[^A-Za-z0-9]+")


def slug(text: str, limit: int = 32) -> str:
    cleaned = _UNSAFE.sub("-", text.strip().lower()).strip("-")
    return (cleaned[:limit].rstrip("-")) or "texture"


def unsaved_root() -> Path:
    return addon.user_dir("unsaved")


def texture_root(texture_folder: str, blend_path: str | None = None) -> Path:
    """The absolute folder for maps of the .blend at ``blend_path`` (default: the open file)."""
    blend_path = bpy.data.filepath if blend_path is None else blend_path
    if not blend_path:
        return unsaved_root()
    if texture_folder.startswith("//"):
        return Path(blend_path).resolve().parent / texture_folder[2:]
    return Path(bpy.path.abspath(texture_folder)).resolve()


def unwritable_reason(texture_folder: str) -> str | None:
    """Why maps could not be saved in the texture folder (checked before anything is paid), or None.

    Creates the folder if it can, then writes and removes a probe file: permissions, a read-only
    drive, a file in the way and names the file system refuses all show up here, not after paying."""
    try:
        root = texture_root(texture_folder)
    except (OSError, ValueError) as exc:
        return f"The texture folder '{texture_folder}' is not usable: {exc}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f".leonardo-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return (
            f"Maps cannot be saved in {root} ({reason}): choose another Texture Folder in the add-on "
            "preferences, or save the .blend somewhere you can write"
        )
    return None


def maps_dir_for(job: TextureJob, texture_folder: str) -> Path:
    return texture_root(texture_folder) / f"{slug(job.params.prompt)}-{job.id[:8]}"


def blend_relative(path: str | Path, blend_path: str | None = None) -> str:
    """``//``-relative path when the .blend is saved and on the same drive, else absolute."""
    blend_path = bpy.data.filepath if blend_path is None else blend_path
    if not blend_path:
        return str(path)
    try:
        return bpy.path.relpath(str(path), start=str(Path(blend_path).parent))
    except ValueError:  # another drive on Windows
        return str(path)


def is_inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def relocate_unsaved_images(new_blend_path: str, texture_folder: str) -> dict[str, str]:
    """Move maps still in the unsaved folder beside ``new_blend_path``; returns {old: new} paths."""
    root = unsaved_root()
    target_root = texture_root(texture_folder, new_blend_path)
    moved: dict[str, str] = {}
    for image in bpy.data.images:
        if image.packed_file is not None or image.source != "FILE" or not image.filepath:
            continue
        current = Path(bpy.path.abspath(image.filepath))
        if not is_inside(current, root):
            continue
        destination = target_root / current.resolve().relative_to(root.resolve())
        old = str(current)
        if old not in moved:
            if current.exists():
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(current), str(destination))
            elif not destination.exists():
                continue  # gone from disk: leave the path so Blender reports it missing
            moved[old] = str(destination)
        image.filepath = blend_relative(destination, new_blend_path)
    _move_remaining_map_folders(root, target_root, moved)
    return moved


def _move_remaining_map_folders(root: Path, target_root: Path, moved: dict[str, str]) -> None:
    """Maps not (yet) loaded as images move too, with the folders of those that were."""
    folders = {Path(old).parent for old in moved}
    for folder in folders:
        if not folder.is_dir():
            continue
        for leftover in folder.iterdir():
            if leftover.is_file() and not leftover.name.endswith(".part"):
                destination = target_root / leftover.resolve().relative_to(root.resolve())
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(leftover), str(destination))
                moved[str(leftover)] = str(destination)
        with contextlib.suppress(OSError):  # not empty: something else lives there
            folder.rmdir()


def rewrite_job_maps(job: TextureJob, moved: dict[str, str]) -> bool:
    """Point the job's maps, views and seamless candidates at the files' new places."""
    changed = False
    for map_type, path in list(job.maps.items()):
        if path in moved:
            job.maps[map_type] = moved[path]
            changed = True
    for item in (*job.views, *job.candidates):
        field = "image_path" if hasattr(item, "image_path") else "path"
        path = getattr(item, field)
        if path in moved:
            setattr(item, field, moved[path])
            changed = True
    return changed


def pack_material_images(material: bpy.types.Material) -> None:
    for node in material.node_tree.nodes:
        if node.type == "TEX_IMAGE" and node.image is not None and node.image.packed_file is None:
            node.image.pack()


def make_image_paths_relative(material: bpy.types.Material) -> None:
    if not bpy.data.filepath:
        return
    for node in material.node_tree.nodes:
        if node.type == "TEX_IMAGE" and node.image is not None and node.image.packed_file is None:
            node.image.filepath = blend_relative(bpy.path.abspath(node.image.filepath))
