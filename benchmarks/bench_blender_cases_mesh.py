"""The Blender child's cases that scale with the mesh: the stall during a full job (rows 1 and 2c), the export.

Each case takes the installed add-on and the parent's parameters and returns its figures as a dict
(written as JSON for ``bench_cases_mesh.py`` to turn into rows).
"""

from __future__ import annotations

import gc
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bpy
from bench_blender_addon import MODULE, AppliedClock, click, log, payload, timed_exports
from bench_blender_probes import emulator_stats, memory_kib, reset_peak_rss
from bench_blender_scene import select_only, sphere, triangle_count
from bench_blender_ticks import CallbackProfile, drive


def case_stall(addon: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Row 1 (and 2c): the UI timer during a full job at each size; then re-texture the unchanged mesh."""
    exports = timed_exports(addon)
    dispatcher = addon.blender.dispatcher
    callbacks = CallbackProfile(addon)
    results = []
    for triangles in params["sizes"]:
        bpy.ops.wm.read_homefile(use_empty=True)
        obj = sphere(triangles)
        select_only(obj)
        actual = triangle_count(obj)
        log(f"stall: {actual:,} triangles")
        exports.clear()
        callbacks.longest.clear()
        dispatcher.reset_stats()
        gc.collect()
        reset_peak_rss()
        rss_before = memory_kib("VmRSS")
        ids, _, _, operator_seconds = click()
        clock = AppliedClock(ids)
        ticks = drive(addon, lambda c=clock: c.all_ended(addon), params["timeout"], clock)
        peak_added_kib = memory_kib("VmHWM") - rss_before
        summary = ticks.summary()
        slowest_callbacks = callbacks.top()
        first = payload(ids[0])
        stats_before = emulator_stats()["counts"]
        log(f"stall: re-texturing the unchanged {actual:,}-triangle mesh")
        ids2, _, _, _ = click()
        clock2 = AppliedClock(ids2)
        drive(addon, lambda c=clock2: c.all_ended(addon), params["timeout"], clock2)
        stats_after = emulator_stats()["counts"]

        def delta(key: str, before: dict = stats_before, after: dict = stats_after) -> int:
            return int(after.get(key, 0)) - int(before.get(key, 0))

        results.append(
            {
                "triangles": actual,
                "state": clock.ended.get(ids[0], "?"),
                "operator_s": operator_seconds,
                "export_s": exports[0]["seconds"] if exports else 0.0,
                "obj_bytes": exports[0]["bytes"] if exports else 0,
                "longest_callback_ms": dispatcher.stats()["longest_callback"] * 1000,
                "slowest_callbacks_ms": slowest_callbacks,
                "peak_added_mib": peak_added_kib / 1024,
                "job_s": (first.get("completed_at") or 0) - (first.get("created_at") or 0),
                **summary,
                "retexture_state": clock2.ended.get(ids2[0], "?"),
                "retexture_upload_slots": delta("POST /models-3d/upload"),
                "retexture_upload_posts": delta("POST upload/model"),
                "first_upload_bytes": exports[0]["bytes"] if exports else 0,
            }
        )
    return {"sizes": results}


EXPORT_OPTIONS = {
    "export_selected_objects": True,
    "export_uv": True,
    "export_normals": True,
    "export_materials": False,
    "export_colors": False,
    "export_triangulated_mesh": False,
    "apply_modifiers": True,
    "export_eval_mode": "DAG_EVAL_VIEWPORT",
    "forward_axis": "NEGATIVE_Z",
    "up_axis": "Y",
    "global_scale": 1.0,
}


def case_export(addon: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Row 2: the add-on's export path against a bare ``wm.obj_export``, side by side, and the fingerprint."""
    export = addon.blender.texturing.mesh_export
    fingerprint = sys.modules[MODULE + ".core.fingerprint"].obj_fingerprint
    folder = Path(tempfile.mkdtemp(prefix="leonardo-bench-export-"))
    results = []
    try:
        for triangles in params["sizes"]:
            bpy.ops.wm.read_homefile(use_empty=True)
            obj = sphere(triangles)
            actual = triangle_count(obj)
            log(f"export: {actual:,} triangles, {params['repeat']} rounds")
            bare_path, addon_path = folder / "bare.obj", folder / "addon.obj"
            bare, addon_times, fingerprints, reads = [], [], [], []
            parts: list[tuple[float, float, float]] = []  # prepare, export_obj, read + fingerprint
            context = bpy.context
            for round_ in range(params["repeat"]):
                for which in ("bare", "addon") if round_ % 2 == 0 else ("addon", "bare"):
                    select_only(obj)
                    if which == "bare":
                        bare_path.unlink(missing_ok=True)
                        t0 = time.perf_counter()
                        bpy.ops.wm.obj_export(filepath=str(bare_path), **EXPORT_OPTIONS)
                        bare.append(time.perf_counter() - t0)
                    else:
                        t0 = time.perf_counter()
                        export.prepare(context, obj, auto_unwrap=False)
                        t1 = time.perf_counter()
                        export.export_obj(context, obj, addon_path)
                        t2 = time.perf_counter()
                        fingerprint(addon_path.read_bytes())
                        t3 = time.perf_counter()
                        addon_times.append(t3 - t0)
                        parts.append((t1 - t0, t2 - t1, t3 - t2))
                t0 = time.perf_counter()
                data = addon_path.read_bytes()
                reads.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                fingerprint(data)
                fingerprints.append(time.perf_counter() - t0)
            results.append(
                {
                    "triangles": actual,
                    "bytes": addon_path.stat().st_size,
                    "same_size": addon_path.stat().st_size == bare_path.stat().st_size,
                    "bare_s": min(bare),
                    "addon_s": min(addon_times),
                    "addon_parts_s": min(parts, key=sum),
                    "fingerprint_s": min(fingerprints),
                    "read_s": min(reads),
                    "bare_all": bare,
                    "addon_all": addon_times,
                }
            )
            bare_path.unlink(missing_ok=True)
            addon_path.unlink(missing_ok=True)
    finally:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    return {"sizes": results}
