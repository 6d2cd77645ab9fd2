"""The Blender child's cases about a job's life: completion overhead, download and apply, batch (rows 3 to 6).

Each case takes the installed add-on and the parent's parameters and returns its figures as a dict
(written as JSON for ``bench_cases_jobs.py`` to turn into rows).
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path
from typing import Any

import bpy
from bench_blender_addon import MODULE, AppliedClock, click, log, payload
from bench_blender_probes import memory_kib, reset_peak_rss
from bench_blender_scene import select_only, sphere
from bench_blender_ticks import CallbackProfile, drive


def case_overhead(addon: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Row 3: click to applied material, a first job (nothing learned) then a second one of the same kind."""
    machinery = addon.blender.texturing.machinery
    kind = sys.modules[MODULE + ".core.polling"].kind_of("TEXTURE_API", False)
    bpy.ops.wm.read_homefile(use_empty=True)
    objects = [sphere(params["triangles"], f"Job{i}", (3.0 * i, 0, 0)) for i in range(2)]
    jobs = []
    for label, obj in zip(("first", "second"), objects, strict=True):
        learned = machinery.durations().expected(kind)
        log(f"overhead: {params['job_seconds']:g} s job, {label} (learned duration: {learned})")
        select_only(obj)
        ids, wall, _, operator_seconds = click()
        clock = AppliedClock(ids)
        ticks = drive(addon, lambda c=clock: c.all_ended(addon), params["timeout"], clock)
        record = payload(ids[0])
        jobs.append(
            {
                "label": label,
                "learned_s": learned,
                "state": clock.ended.get(ids[0], "?"),
                "generation_id": record.get("generation_id"),
                "click": wall,
                "applied": clock.applied.get(ids[0]),
                "operator_s": operator_seconds,
                "created_at": record.get("created_at"),
                "submitted_at": record.get("submitted_at"),
                "accepted_at": record.get("accepted_at"),
                "completed_at": record.get("completed_at"),
                "longest_stall_ms": ticks.summary().get("longest_ms", 0.0),
            }
        )
    return {"jobs": jobs, "learned_after_s": machinery.durations().expected(kind)}


def case_download(addon: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Rows 4 and 6: COMPLETE seen to material ready with 2048 px maps, and the peak RSS the job adds."""
    files = sys.modules[MODULE + ".api.files"]
    applying = addon.blender.texturing.applying
    downloads: list[dict[str, Any]] = []
    applied: list[tuple[float, float]] = []
    original_download, original_apply = files.FileTransfer.download_image, applying.apply

    def download_image(self, url, folder, stem, **kwargs):  # type: ignore[no-untyped-def]
        t0, w0 = time.perf_counter(), time.time()
        try:
            return original_download(self, url, folder, stem, **kwargs)
        finally:
            downloads.append({"map": stem, "seconds": time.perf_counter() - t0, "start": w0, "end": time.time()})

    def apply(job, *args, **kwargs):  # type: ignore[no-untyped-def]
        w0 = time.time()
        try:
            return original_apply(job, *args, **kwargs)
        finally:
            applied.append((w0, time.time()))

    files.FileTransfer.download_image = download_image
    applying.apply = apply
    bpy.ops.wm.read_homefile(use_empty=True)
    obj = sphere(params["triangles"])
    select_only(obj)
    # A first, small job warms up imports and connections, so the measured one is a steady-state job.
    log("download: warm-up job")
    ids, _, _, _ = click()
    clock = AppliedClock(ids)
    drive(addon, lambda: clock.all_ended(addon), params["timeout"], clock)
    downloads.clear()
    applied.clear()
    obj2 = sphere(params["triangles"], "Measured", (3, 0, 0))
    select_only(obj2)
    gc.collect()
    reset_ok = reset_peak_rss()
    rss_before, hwm_before = memory_kib("VmRSS"), memory_kib("VmHWM")
    log(f"download: measured job with {params['texture_size']} px maps (RSS {rss_before / 1024:.0f} MiB)")
    ids, _, _, _ = click()
    clock = AppliedClock(ids)
    ticks = drive(addon, lambda: clock.all_ended(addon), params["timeout"], clock)
    hwm_after, rss_after = memory_kib("VmHWM"), memory_kib("VmRSS")
    record = payload(ids[0])
    map_bytes = {k: Path(v).stat().st_size for k, v in record.get("maps", {}).items() if Path(v).is_file()}
    images = [img for img in bpy.data.images if img.name.startswith("Leonardo")]
    return {
        "state": clock.ended.get(ids[0], "?"),
        "generation_id": record.get("generation_id"),
        "completed_at": record.get("completed_at"),
        "downloads": downloads,
        "apply": applied[-1] if applied else None,
        "applied_seen": clock.applied.get(ids[0]),
        "map_bytes": map_bytes,
        "images_loaded": sum(1 for img in images if img.has_data),
        "rss_before_kib": rss_before,
        "hwm_before_kib": hwm_before,
        "hwm_after_kib": hwm_after,
        "rss_after_kib": rss_after,
        "hwm_reset": reset_ok,
        "longest_stall_ms": ticks.summary().get("longest_ms", 0.0),
    }


def case_batch(addon: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Row 5: texture 20 objects in one click; the wall time until the last material is applied."""
    bpy.ops.wm.read_homefile(use_empty=True)
    count = params["objects"]
    objects = [sphere(params["triangles"], f"Batch{i:02d}", (3.0 * (i % 5), 3.0 * (i // 5), 0)) for i in range(count)]
    select_only(*objects)
    callbacks = CallbackProfile(addon)
    log(f"batch: {count} objects, {params['job_seconds']:g} s jobs, {params['slots']} slots")
    ids, wall, _, operator_seconds = click()
    clock = AppliedClock(ids)
    ticks = drive(addon, lambda: clock.all_ended(addon), params["timeout"], clock)
    states = [clock.ended.get(i, "?") for i in ids]
    records = [payload(i) for i in ids]
    return {
        "jobs": len(ids),
        "applied": states.count("APPLIED"),
        "states": states,
        "wall_s": max(clock.applied.values()) - wall if clock.applied else None,
        "operator_s": operator_seconds,
        "errors": sorted({r.get("error", "") for r in records if r.get("error")}),
        "ticks": ticks.summary(),
        "slowest_callbacks_ms": callbacks.top(),
    }
