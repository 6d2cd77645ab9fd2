"""The add-on under test, inside the benchmark's Blender child: install it, click its button, follow its jobs.

``install`` installs the extension from the zip users install; ``click`` runs the operator as the
button does; ``AppliedClock`` notes when each job is first seen applied; ``timed_exports`` times the
add-on's OBJ export. Runs only in headless Blender (the ``bpy`` module).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import bpy

MODULE = "bl_ext.user_default.leonardo_blender"
PROMPT = "weathered bronze, benchmark"


def log(message: str) -> None:
    print(f"    [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def install(zip_path: str) -> Any:
    bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
    if MODULE not in bpy.context.preferences.addons:
        raise SystemExit("the extension did not install")
    bpy.context.preferences.system.use_online_access = True  # as `blender -b --online-mode`
    return sys.modules[MODULE]


def job_item(job_id: str) -> Any:
    for scene in bpy.data.scenes:
        for item in scene.leonardo.jobs:
            if item.job_id == job_id:
                return item
    return None


def job_ids_since(count_before: int) -> list[str]:
    return [item.job_id for item in bpy.context.scene.leonardo.jobs[count_before:]]


def click(**kwargs: Any) -> tuple[list[str], float, float, float]:
    """Run the operator as the button does; returns (new job ids, wall-clock start, perf start, seconds)."""
    before = len(bpy.context.scene.leonardo.jobs)
    wall, t0 = time.time(), time.perf_counter()
    result = bpy.ops.leonardo.texture_selected(prompt=PROMPT, engine="TEXTURE_API", **kwargs)
    seconds = time.perf_counter() - t0
    if "FINISHED" not in result:
        raise RuntimeError(f"texture_selected returned {result}")
    return job_ids_since(before), wall, t0, seconds


class AppliedClock:
    """Notes, after every tick, the wall-clock time each job is first seen APPLIED (or ended otherwise)."""

    def __init__(self, job_ids: list[str]) -> None:
        self.job_ids = job_ids
        self.applied: dict[str, float] = {}
        self.ended: dict[str, str] = {}

    def __call__(self) -> str:
        now = time.time()
        states = []
        for job_id in self.job_ids:
            item = job_item(job_id)
            state = item.state if item is not None else "?"
            states.append(state)
            if job_id not in self.ended and state in ("APPLIED", "FAILED", "CANCELLED"):
                self.ended[job_id] = state
                if state == "APPLIED":
                    self.applied[job_id] = now
        return states[0] if len(states) == 1 else ",".join(sorted(set(states)))

    def all_ended(self, addon: Any) -> bool:
        texture_jobs = addon.blender.texturing.texture_jobs
        return len(self.ended) == len(self.job_ids) and not any(texture_jobs.is_running(i) for i in self.job_ids)


def payload(job_id: str) -> dict[str, Any]:
    item = job_item(job_id)
    return json.loads(item.payload) if item is not None and item.payload else {}


def timed_exports(addon: Any) -> list[dict[str, float]]:
    """Wrap the add-on's ``mesh_export.export_obj`` to time it (and note the file size)."""
    export = addon.blender.texturing.mesh_export
    original = export.export_obj
    records: list[dict[str, float]] = []

    def wrapper(context, obj, filepath):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        try:
            return original(context, obj, filepath)
        finally:
            seconds = time.perf_counter() - t0
            size = filepath.stat().st_size if filepath.exists() else 0
            records.append({"seconds": seconds, "bytes": size})

    export.export_obj = wrapper
    return records
