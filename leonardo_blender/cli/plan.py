"""Decide the work for one .blend: which meshes are textured, each with which settings.

Without a manifest, the meshes matching ``--objects`` (default: all) get the flags' settings. With a
manifest, each mesh gets the settings of the first row (for this file) whose ``object`` pattern
matches it, and meshes no row matches are left alone; ``--objects`` narrows that further. Then
``--shard`` keeps its stable slice. Pure Python: the caller passes the file's mesh names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from .errors import UsageError
from .job_settings import JobSettings
from .manifest import ManifestRow
from .shard import Shard


@dataclass(frozen=True)
class Meshes:
    """The mesh objects of the file's scene, by name."""

    visible: list[str]
    hidden: list[str]  # the add-on refuses hidden objects


@dataclass(frozen=True)
class WorkItem:
    object_name: str
    settings: JobSettings


@dataclass
class Plan:
    items: list[WorkItem]  # this shard's work, sorted by object name
    matched: int  # objects selected before sharding
    warnings: list[str] = field(default_factory=list)


def matches(name: str, pattern: str) -> bool:
    """fnmatch, case-sensitive like Blender's names; an exact name always matches itself."""
    return name == pattern or fnmatchcase(name, pattern)


def row_is_for(row: ManifestRow, blend: Path, manifest_dir: Path) -> bool:
    """A row is for ``blend`` when it names no file, or names this one: by path (relative to the
    manifest's folder or the current folder) or, when it is a bare file name, by name."""
    if not row.file:
        return True
    wanted = Path(row.file).expanduser()
    if wanted.name == row.file and wanted.name == blend.name:
        return True
    target = blend.resolve()
    candidates = [wanted] if wanted.is_absolute() else [manifest_dir / wanted, Path.cwd() / wanted]
    return any(candidate.resolve() == target for candidate in candidates)


def _names(names: list[str], limit: int = 12) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def make_plan(
    blend: Path,
    meshes: Meshes,
    *,
    patterns: list[str] | None,
    defaults: JobSettings,
    rows: list[ManifestRow] | None,
    manifest_path: Path | None,
    shard: Shard,
) -> Plan:
    everything = sorted(meshes.visible + meshes.hidden)
    if not everything:
        raise UsageError(f"{blend.name} has no mesh objects in its scene; nothing to texture")
    warnings: list[str] = []
    chosen = everything
    if patterns:
        for pattern in patterns:
            if not any(matches(name, pattern) for name in everything):
                warnings.append(f"--objects {pattern!r} matches no mesh in {blend.name}")
        chosen = [name for name in everything if any(matches(name, p) for p in patterns)]
        if not chosen:
            raise UsageError(
                f"no mesh in {blend.name} matches --objects {', '.join(map(repr, patterns))} "
                f"(its meshes: {_names(everything)})"
            )
    if rows is None:
        items = [WorkItem(name, defaults) for name in chosen]
    else:
        assert manifest_path is not None
        here = [row for row in rows if row_is_for(row, blend, manifest_path.parent)]
        for row in here:
            if not any(matches(name, row.pattern) for name in everything):
                warnings.append(f"{manifest_path.name}:{row.line}: {row.pattern!r} matches no mesh in {blend.name}")
        items = []
        for name in chosen:
            first = next((r for r in here if matches(name, r.pattern)), None)
            if first is not None:
                items.append(WorkItem(name, first.settings))
        if not items:
            which = "the selected meshes" if patterns else "its meshes"
            raise UsageError(
                f"no row of {manifest_path.name} is for {blend.name} and {which} ({_names(chosen)}); nothing to texture"
            )
    hidden = [item.object_name for item in items if item.object_name in set(meshes.hidden)]
    if hidden:
        warnings.append(
            f"skipping {len(hidden)} hidden mesh(es) of {blend.name} ({_names(hidden)}): "
            "the add-on textures visible objects only; unhide them and save the file to texture them"
        )
        items = [item for item in items if item.object_name not in set(hidden)]
        if not items:
            raise UsageError(f"every selected mesh of {blend.name} is hidden ({_names(hidden)}); nothing to texture")
    kept = [item for item in items if shard.holds(blend.name, item.object_name)]
    return Plan(items=kept, matched=len(items), warnings=warnings)
