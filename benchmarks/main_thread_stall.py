"""Benchmark: how long does Blender's main thread stall during a full texture job?

    .venv/bpy-5.0/bin/python benchmarks/main_thread_stall.py [--faces 20000] [--texture-size 1024]

Runs a real job against the local emulator with the add-on installed from its zip. The main thread
does what Blender's timer does in the UI: every 10 ms it calls the dispatcher's ``drain()`` (with its
normal time budget) and we time every call. Reported: the operator's own time (of which the OBJ
export, excluded from the target), the longest and the 99th-percentile tick, and the longest single
callback (building the material). Target: every tick under 16 ms, export excluded. Not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ["BLENDER_USER_RESOURCES"] = tempfile.mkdtemp(prefix="leonardo-bench-")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import bpy  # noqa: E402

# isort: split
import build_extension  # noqa: E402

from leonardo_blender.emulator import Emulator, EmulatorConfig  # noqa: E402

MODULE = "bl_ext.user_default.leonardo_blender"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--faces", type=int, default=20_000)
    parser.add_argument("--texture-size", type=int, default=1024)
    parser.add_argument("--job-seconds", type=float, default=2.0)
    args = parser.parse_args()

    bpy.ops.extensions.package_install_files(
        filepath=str(build_extension.build(Path(tempfile.mkdtemp()))),
        repo="user_default",
        enable_on_install=True,
    )
    addon = sys.modules[MODULE]
    dispatcher, export = addon.blender.dispatcher, addon.blender.texturing.mesh_export
    bpy.context.preferences.system.use_online_access = True

    with Emulator(EmulatorConfig(job_seconds=args.job_seconds, texture_size=args.texture_size)) as emu:
        os.environ["LEONARDO_API_KEY"], os.environ["LEONARDO_API_BASE_URL"] = emu.api_key, emu.base_url
        bpy.ops.wm.read_homefile(use_empty=True)
        segments = max(8, int((args.faces / 2) ** 0.5))
        bpy.ops.mesh.primitive_uv_sphere_add(segments=segments * 2, ring_count=segments)
        obj = bpy.context.active_object
        faces = len(obj.data.polygons)

        original_export = export.export_obj
        export_seconds = []

        def timed_export(*a, **k):  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            try:
                return original_export(*a, **k)
            finally:
                export_seconds.append(time.perf_counter() - t0)

        export.export_obj = timed_export
        t0 = time.perf_counter()
        bpy.ops.leonardo.texture_selected(prompt="benchmark")
        operator_seconds = time.perf_counter() - t0
        export.export_obj = original_export

        job_id = bpy.context.scene.leonardo.jobs[-1].job_id
        dispatcher.reset_stats()
        ticks = []
        started = time.perf_counter()
        while addon.blender.texturing.texture_jobs.is_running(job_id) or dispatcher.busy():
            t = time.perf_counter()
            dispatcher.drain()
            ticks.append(time.perf_counter() - t)
            time.sleep(0.01)
            if time.perf_counter() - started > 120:
                print("job did not finish in 120 s")
                return 1
        state = bpy.context.scene.leonardo.jobs[-1].state
        stats = dispatcher.stats()

    ms = sorted(t * 1000 for t in ticks)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"Blender {bpy.app.version_string}, {faces} faces, maps {args.texture_size}px, job state {state}")
    print(
        f"operator execute (main thread): {operator_seconds * 1000:.1f} ms, "
        f"of which OBJ export {export_seconds[0] * 1000:.1f} ms (excluded from the target)"
    )
    print(f"ticks: {len(ms)}, median {statistics.median(ms):.2f} ms, p99 {p99:.2f} ms, longest {ms[-1]:.2f} ms")
    print(f"longest single callback (material build included): {stats['longest_callback'] * 1000:.2f} ms")
    print(f"operator execute without export: {(operator_seconds - export_seconds[0]) * 1000:.1f} ms")
    print("target: < 16 ms per tick ->", "MET" if ms[-1] < 16 else "NOT MET")
    addon_utils = sys.modules["addon_utils"]
    addon_utils.disable(MODULE, default_set=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
