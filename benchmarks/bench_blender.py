"""The Blender half of the benchmark suite: one case per process, headless (the ``bpy`` module).

    python benchmarks/bench_blender.py CASE --zip ADDON.zip --params JSON --out RESULT.json

Started by ``benchmarks/bench.py`` with an isolated ``BLENDER_USER_RESOURCES`` (so the add-on's user
folder, and what it learned about job durations, starts empty) and, for cases that talk to the
service, ``LEONARDO_API_KEY`` / ``LEONARDO_API_BASE_URL`` pointing at an emulator that runs in its own
process. Installs the add-on from the zip users install, runs the case and writes its figures as
JSON. Progress goes to stderr; Blender's own chatter goes wherever stdout goes (the parent sends it
to stderr, so the table stays alone on stdout).

The main thread is driven like Blender's UI timer (``dispatcher._tick``): a tick is scheduled every
``TICK_SECONDS`` after the previous one started, and each tick calls ``drain()`` with its normal
budget. Every tick's lateness against its schedule (a worker holding the GIL, or the OS) and its
duration are recorded; their sum is how long the UI would have been unresponsive at that moment.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bpy
import numpy as np

MODULE = "bl_ext.user_default.leonardo_blender"
PROMPT = "weathered bronze, benchmark"


def log(message: str) -> None:
    print(f"    [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- setup ----------------------------------------------------------------------------------------------


def install(zip_path: str) -> Any:
    bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
    if MODULE not in bpy.context.preferences.addons:
        raise SystemExit("the extension did not install")
    bpy.context.preferences.system.use_online_access = True  # as `blender -b --online-mode`
    return sys.modules[MODULE]


def sphere(triangles: int, name: str = "Sphere", location: tuple[float, float, float] = (0, 0, 0)) -> bpy.types.Object:
    """A UV sphere with about ``triangles`` triangles and a UV map (so no unwrap is timed), built with
    numpy and ``foreach_set``: ``primitive_uv_sphere_add`` takes minutes at 1M triangles."""
    rings = max(4, round(math.sqrt(triangles / 4)))
    segments = 2 * rings
    polar = np.linspace(0.0, math.pi, rings + 1)[1:-1]
    azimuth = np.linspace(0.0, 2 * math.pi, segments, endpoint=False)
    ring_co = np.stack(
        [
            np.outer(np.sin(polar), np.cos(azimuth)),
            np.outer(np.sin(polar), np.sin(azimuth)),
            np.repeat(np.cos(polar)[:, None], segments, axis=1),
        ],
        axis=-1,
    ).reshape(-1, 3)
    bottom = 1 + ring_co.shape[0]
    co = np.concatenate([[[0.0, 0.0, 1.0]], ring_co, [[0.0, 0.0, -1.0]]]).astype(np.float32)

    def at(ring: np.ndarray, seg: np.ndarray) -> np.ndarray:
        return 1 + ring * segments + seg % segments

    j = np.arange(segments)
    i = np.arange(rings - 2)
    ii, jj = np.meshgrid(i, j, indexing="ij")
    top = np.stack([np.zeros(segments, int), at(np.zeros_like(j), j), at(np.zeros_like(j), j + 1)], axis=1)
    quads = np.stack([at(ii, jj), at(ii + 1, jj), at(ii + 1, jj + 1), at(ii, jj + 1)], axis=-1).reshape(-1, 4)
    last = np.full_like(j, rings - 2)
    low = np.stack([at(last, j), np.full(segments, bottom), at(last, j + 1)], axis=1)

    # UVs per corner: u follows the azimuth without wrapping (the seam gets u = 1), v the latitude
    def u_of(seg: np.ndarray) -> np.ndarray:
        return seg / segments

    def v_of(ring: np.ndarray) -> np.ndarray:
        return 1.0 - (ring + 1) / rings

    top_uv = np.stack(
        [
            np.stack([u_of(j + 0.5), np.ones(segments)], 1),
            np.stack([u_of(j), v_of(0 * j)], 1),
            np.stack([u_of(j + 1), v_of(0 * j)], 1),
        ],
        axis=1,
    )
    quad_uv = np.stack(
        [
            np.stack([u_of(jj), v_of(ii)], -1),
            np.stack([u_of(jj), v_of(ii + 1)], -1),
            np.stack([u_of(jj + 1), v_of(ii + 1)], -1),
            np.stack([u_of(jj + 1), v_of(ii)], -1),
        ],
        axis=-2,
    ).reshape(-1, 4, 2)
    low_uv = np.stack(
        [
            np.stack([u_of(j), v_of(last)], 1),
            np.stack([u_of(j + 0.5), np.zeros(segments)], 1),
            np.stack([u_of(j + 1), v_of(last)], 1),
        ],
        axis=1,
    )
    loops = np.concatenate([top.ravel(), quads.ravel(), low.ravel()]).astype(np.int32)
    uvs = np.concatenate([top_uv.reshape(-1, 2), quad_uv.reshape(-1, 2), low_uv.reshape(-1, 2)]).astype(np.float32)
    sizes = np.concatenate([np.full(len(top), 3), np.full(len(quads), 4), np.full(len(low), 3)])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int32)

    mesh = bpy.data.meshes.new(name)
    mesh.vertices.add(len(co))
    mesh.vertices.foreach_set("co", co.ravel())
    mesh.loops.add(len(loops))
    mesh.loops.foreach_set("vertex_index", loops)
    mesh.polygons.add(len(sizes))
    mesh.polygons.foreach_set("loop_start", starts)
    if bpy.app.version < (4, 0, 0):
        mesh.polygons.foreach_set("loop_total", sizes.astype(np.int32))
    mesh.uv_layers.new(name="UVMap").data.foreach_set("uv", uvs.ravel())
    mesh.update()
    obj = bpy.data.objects.new(name, mesh)
    obj.location = location
    bpy.context.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    return obj


def triangle_count(obj: bpy.types.Object) -> int:
    sizes = np.empty(len(obj.data.polygons), dtype=np.int32)
    obj.data.polygons.foreach_get("loop_total", sizes)
    return int((sizes - 2).sum())


def select_only(*objects: bpy.types.Object) -> None:
    view_layer = bpy.context.view_layer
    for other in view_layer.objects:
        other.select_set(False)
    for obj in objects:
        obj.select_set(True)
    view_layer.objects.active = objects[0]


def emulator_stats() -> dict[str, Any]:
    origin = os.environ["LEONARDO_API_BASE_URL"].split("/api/", 1)[0]
    with urllib.request.urlopen(origin + "/_emulator/stats", timeout=10) as answer:
        return json.loads(answer.read())


def memory_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux: ``echo 5 > /proc/self/clear_refs``)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return memory_kib("VmHWM") <= memory_kib("VmRSS") + 1024


# -- the UI timer, headless -------------------------------------------------------------------------------


class Ticks:
    """What the UI timer saw: (scheduled, started, ended, callbacks run) per tick, in perf_counter seconds."""

    def __init__(self) -> None:
        self.rows: list[tuple[float, float, float, int]] = []
        self.labels: list[str] = []  # what the job was doing (its record's state) after each tick
        self.suspects: dict[str, float] = {}  # where other threads stood when a tick came late (>= LATE_MS)

    def stalls_ms(self) -> list[float]:
        return [(end - scheduled) * 1000 for scheduled, _, end, _ in self.rows]

    def summary(self) -> dict[str, float]:
        if not self.rows:
            return {"ticks": 0}
        stalls = sorted(self.stalls_ms())
        late = [(start - scheduled) * 1000 for scheduled, start, _, _ in self.rows]
        busy = [(end - start) * 1000 for _, start, end, _ in self.rows]
        in_order = self.stalls_ms()
        worst = in_order.index(max(in_order))
        return {
            "ticks": len(stalls),
            "longest_ms": stalls[-1],
            "p99_ms": percentile(stalls, 0.99),
            "median_ms": percentile(stalls, 0.5),
            "longest_late_ms": max(late),
            "longest_drain_ms": max(busy),
            "worst_late_ms": late[worst],
            "worst_drain_ms": busy[worst],
            "worst_state": self.labels[worst - 1] if 0 < worst <= len(self.labels) else "",
            "suspects": dict(sorted(self.suspects.items(), key=lambda kv: -kv[1])[:4]),
            "late_over_16ms": sum(1 for value in late if value >= 16.0),
            "callbacks": sum(r[3] for r in self.rows),
        }


LATE_MS = 16.0
_IDLE_FUNCTIONS = {"wait", "_wait_for_tstate_lock", "select", "poll", "get", "_worker", "_timer_loop", "sleep"}


def busy_threads() -> list[str]:
    """Where the other threads are now (innermost add-on or library frame), skipping idle ones: taken
    right after a late tick got the GIL back, it points at what was running meanwhile."""
    import threading
    import traceback

    names = {t.ident: t.name for t in threading.enumerate()}
    found = []
    for ident, frame in sys._current_frames().items():
        if ident == threading.get_ident():
            continue
        stack = traceback.extract_stack(frame)
        if not stack or stack[-1].name in _IDLE_FUNCTIONS:
            continue
        ours = [f for f in stack if "leonardo_blender" in f.filename]
        where = ours[-1] if ours else stack[-1]
        short = where.filename.split("leonardo_blender/")[-1]
        found.append(f"{names.get(ident, '?')}: {short}:{where.lineno} {where.name} (in {stack[-1].name})")
    return found


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, math.ceil(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def drive(
    addon: Any,
    done: Callable[[], bool],
    timeout: float,
    on_tick: Callable[[], str] | None = None,
) -> Ticks:
    """Tick like ``bpy.app.timers`` does for ``dispatcher._tick`` until ``done()``: each tick is due
    ``TICK_SECONDS`` after the previous one started (Blender reschedules from the time it ran it)."""
    dispatcher = addon.blender.dispatcher
    interval = dispatcher.TICK_SECONDS
    ticks = Ticks()
    deadline = time.perf_counter() + timeout
    scheduled = time.perf_counter() + interval
    while True:
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        started = time.perf_counter()
        if (started - scheduled) * 1000 >= LATE_MS:  # diagnostics first (not counted in the tick)
            for where in busy_threads():
                ticks.suspects[where] = ticks.suspects.get(where, 0.0) + (started - scheduled) * 1000
        drain_started = time.perf_counter()
        ran = dispatcher.drain()
        ended = started + (time.perf_counter() - drain_started)
        ticks.rows.append((scheduled, started, ended, ran))
        if on_tick is not None:
            ticks.labels.append(on_tick())
        if done():
            return ticks
        if ended > deadline:
            raise TimeoutError(f"not done after {timeout:.0f} s")
        scheduled = started + interval


class CallbackProfile:
    """Times every callback workers post to the main thread (``dispatcher.post``), by kind: which one
    makes a long tick. A callback is named by its function and, for job snapshots, the job's state."""

    def __init__(self, addon: Any) -> None:
        self.longest: dict[str, float] = {}
        dispatcher = addon.blender.dispatcher
        original = dispatcher.post

        def post(callback: Callable[[], None]) -> None:
            original(lambda: self._run(callback))

        dispatcher.post = post

    @staticmethod
    def name(callback: Callable[[], None]) -> str:
        func = getattr(callback, "func", callback)
        label = getattr(func, "__name__", type(func).__name__)
        for arg in getattr(callback, "args", ()):
            state = getattr(arg, "state", None)
            if state is not None:
                label += f"({getattr(state, 'value', state)})"
        return label

    def _run(self, callback: Callable[[], None]) -> None:
        t0 = time.perf_counter()
        try:
            callback()
        finally:
            name = self.name(callback)
            self.longest[name] = max(self.longest.get(name, 0.0), (time.perf_counter() - t0) * 1000)

    def top(self, count: int = 3) -> dict[str, float]:
        return dict(sorted(self.longest.items(), key=lambda kv: -kv[1])[:count])


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


# -- cases -----------------------------------------------------------------------------------------------


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


CASES = {
    "stall": case_stall,
    "export": case_export,
    "overhead": case_overhead,
    "download": case_download,
    "batch": case_batch,
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("--zip", required=True)
    parser.add_argument("--params", default="{}")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    addon = install(args.zip)
    result = CASES[args.case](addon, json.loads(args.params))
    result["blender"] = bpy.app.version_string
    args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    code = main()
    import addon_utils

    addon_utils.disable(MODULE, default_set=False)  # clean exit (no leftover timers or handlers)
    sys.exit(code)
