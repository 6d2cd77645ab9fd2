"""Albedo thumbnails for the History list, through ``bpy.utils.previews``.

Files are downloaded by workers (``ops_history``); this module only registers them as previews on
the main thread, where Blender then builds the icons lazily. ``unregister()`` frees the collection.
"""

from __future__ import annotations

from pathlib import Path

import bpy.utils.previews

_collection: bpy.utils.previews.ImagePreviewCollection | None = None


def icon_id(key: str, image_path: str | Path | None) -> int:
    """The icon for ``key`` (a generation id), loading ``image_path`` the first time; 0 if none."""
    global _collection
    if _collection is None:
        _collection = bpy.utils.previews.new()
    if key in _collection:
        return int(_collection[key].icon_id)
    if not image_path or not Path(image_path).is_file():
        return 0
    return int(_collection.load(key, str(image_path), "IMAGE").icon_id)


def clear() -> None:
    global _collection
    if _collection is not None:
        bpy.utils.previews.remove(_collection)
        _collection = None


def loaded(key: str) -> bool:
    """True when a thumbnail image was read for ``key`` (headless Blender gives no icon ids)."""
    return _collection is not None and key in _collection and _collection[key].image_size[0] > 0
