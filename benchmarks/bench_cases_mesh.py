"""The suite's cases that scale with the mesh: rows 1, 2 and 7, each figure beside its target.

Row 1 (and 2c): the main thread during a full job at two sizes, and bytes uploaded when re-texturing
the unchanged mesh; row 2: the add-on's export and fingerprint against a bare ``wm.obj_export``;
row 7: the projection engine's local time per view (``projection_bake.py``, no Blender, no network).
Each case turns what its child process measured into table rows.
"""

from __future__ import annotations

import json
import subprocess
import sys

from bench_harness import HERE, ROOT, Bench, Row, emulator, mb, progress, tris, verdict

STALL_TARGET_MS = 16.0
EXPORT_RATIO_TARGET = 1.1
FINGERPRINT_TARGET_S = 0.3
PROJECTION_TARGET_S = 1.0


def case_stall(bench: Bench) -> list[Row]:
    p = bench.profile
    sizes = " and ".join(tris(n) for n in p.stall_sizes)
    progress(f"1. main-thread stall during a full job at {sizes} triangles ({p.stall_job_s:g} s emulator jobs)")
    with emulator(job_seconds=p.stall_job_s) as emu:
        try:
            result = bench.blender("stall", {"sizes": list(p.stall_sizes), "timeout": 600}, emu, timeout=1500)
        finally:
            emu.remove_log()
    rows = []
    for letter, size in zip("ab", result["sizes"], strict=False):
        ok = size["longest_ms"] < STALL_TARGET_MS and size["p99_ms"] < STALL_TARGET_MS and size["state"] == "APPLIED"
        rows.append(
            Row(
                f"1{letter}",
                f"Main-thread stall during a full job, {tris(size['triangles'])} triangles",
                f"longest tick {size['longest_ms']:.1f} ms (of which late {size['worst_late_ms']:.1f}, "
                f"drain {size['worst_drain_ms']:.1f}), p99 {size['p99_ms']:.1f} ms over {size['ticks']} ticks "
                f"of a {size['job_s']:.1f} s job ({size['state']}), worst while {size['worst_state'] or '?'}; "
                f"longest callback {size['longest_callback_ms']:.1f} ms; beside it: operator "
                f"{size['operator_s'] * 1000:.0f} ms, of which OBJ export {size['export_s'] * 1000:.0f} ms; "
                f"the job's peak RSS +{size['peak_added_mib']:.0f} MiB",
                f"longest and p99 < {STALL_TARGET_MS:g} ms",
                verdict(ok),
            )
        )
        slowest = ", ".join(f"{name} {ms:.1f} ms" for name, ms in size["slowest_callbacks_ms"].items())
        bench.notes.append(f"1{letter}: slowest main-thread callbacks: {slowest}")
        if size["suspects"]:
            where = "; ".join(f"{place} ({ms:.0f} ms late in all)" for place, ms in size["suspects"].items())
            bench.notes.append(f"1{letter}: where other threads stood when ticks came >= 16 ms late: {where}")
    uploads = [
        f"{tris(s['triangles'])}: {s['retexture_upload_posts']} upload(s) "
        f"({mb(s['retexture_upload_posts'] * s['first_upload_bytes'])}; first job {mb(s['first_upload_bytes'])})"
        for s in result["sizes"]
    ]
    re_ok = all(
        s["retexture_upload_posts"] == 0 and s["retexture_upload_slots"] == 0 and s["retexture_state"] == "APPLIED"
        for s in result["sizes"]
    )
    rows.append(
        Row(
            "2c",
            "Bytes uploaded re-texturing an unchanged mesh (upload-host POSTs, second job)",
            "; ".join(uploads),
            "0 bytes",
            verdict(re_ok),
        )
    )
    return rows


def case_export(bench: Bench) -> list[Row]:
    p = bench.profile
    progress(f"2. export + fingerprint at {', '.join(tris(n) for n in p.export_sizes)} triangles")
    result = bench.blender("export", {"sizes": list(p.export_sizes), "repeat": p.export_repeat}, None, timeout=900)
    sizes = result["sizes"]
    big = sizes[-1]
    ratio = big["addon_s"] / big["bare_s"]
    prepare, export_obj, hashing = big["addon_parts_s"]
    best = f"best of {p.export_repeat}, alternating"
    rows = [
        Row(
            "2a",
            f"Export + fingerprint, add-on path vs bare wm.obj_export, {tris(big['triangles'])} triangles",
            f"{big['addon_s']:.2f} s vs {big['bare_s']:.2f} s: ratio {ratio:.2f} ({best}; "
            f"{mb(big['bytes'])} OBJ{'' if big['same_size'] else ', files differ in size!'}); add-on path = "
            f"prepare {prepare:.3f} + export_obj {export_obj:.3f} + read and fingerprint {hashing:.3f} s",
            f"ratio <= {EXPORT_RATIO_TARGET}",
            verdict(ratio <= EXPORT_RATIO_TARGET),
        ),
        Row(
            "2b",
            f"Fingerprint alone, {tris(big['triangles'])} triangles",
            f"{big['fingerprint_s']:.3f} s for {mb(big['bytes'])} in memory (reading the file: +{big['read_s']:.3f} s)",
            f"< {FINGERPRINT_TARGET_S} s",
            verdict(big["fingerprint_s"] < FINGERPRINT_TARGET_S),
        ),
    ]
    scaling = "; ".join(
        f"{tris(s['triangles'])}: {s['addon_s'] * 1000:.0f} vs {s['bare_s'] * 1000:.0f} ms "
        f"(x{s['addon_s'] / s['bare_s']:.2f}), fingerprint {s['fingerprint_s'] * 1000:.0f} ms"
        for s in sizes
    )
    rows.append(Row("2d", "Scaling: add-on path vs bare export, and fingerprint", scaling, "(how it scales)", "info"))
    return rows


def case_projection(bench: Bench) -> list[Row]:
    p = bench.profile
    progress(f"7. projection bake, {tris(p.projection_triangles)} triangles at {p.projection_bake_px} px")
    out = bench.workdir / "projection.json"
    command = [
        sys.executable,
        str(HERE / "projection_bake.py"),
        "--triangles",
        str(p.projection_triangles),
        "--bake-size",
        str(p.projection_bake_px),
        "--repeat",
        str(p.projection_repeat),
        "--no-scaling",
        "--json",
        str(out),
    ]
    status = subprocess.run(command, cwd=ROOT, stdout=sys.stderr, stderr=sys.stderr, timeout=1200)
    if status.returncode != 0:
        raise RuntimeError(f"projection_bake.py failed ({status.returncode})")
    result = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    best, cold = result["best"], result["cold"]
    per_view = best["local time per view"]
    views = sum(name.endswith(" add_view") for name in best)
    slowest = max((k for k in best if k not in ("total", "local time per view")), key=lambda k: best[k])
    return [
        Row(
            "7",
            f"Projection engine, local time per view, {tris(result['triangles'])} triangles baked at "
            f"{result['bake_size']} px",
            f"{per_view:.2f} s per view (best of {result['repeat']}; first run {cold['local time per view']:.2f} s; "
            f"{views} views, total {best['total']:.2f} s; slowest step '{slowest}' {best[slowest]:.2f} s)",
            f"<= {PROJECTION_TARGET_S:g} s",
            verdict(per_view <= PROJECTION_TARGET_S),
        )
    ]
