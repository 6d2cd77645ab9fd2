"""The benchmark suite's report: the markdown table, how each row is measured, and the machine.

``render`` turns the rows into the text ``bench.py`` prints and writes to ``out/bench/``;
``machine`` and ``load`` describe the computer the figures came from.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import time
from pathlib import Path

from bench_harness import ROOT, Profile, Row


def machine() -> dict[str, str]:
    info: dict[str, str] = {}
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    info["CPU"] = cpu
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    info["Cores"] = f"{os.cpu_count()} ({usable} usable)"
    total = 0
    with open("/proc/meminfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                total = int(line.split()[1])
    info["RAM"] = f"{total / 1024 / 1024:.1f} GiB"
    pretty = platform.system()
    try:
        for line in Path("/etc/os-release").read_text(encoding="utf-8").splitlines():
            if line.startswith("PRETTY_NAME="):
                pretty = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    info["OS"] = f"{pretty}, kernel {platform.release()}"
    info["Python"] = platform.python_version()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except OSError:
        commit = ""
    info["Commit"] = commit or "unknown"
    return info


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


METHOD = (
    "Every case runs in a fresh headless Blender (bpy module) with the add-on installed from its zip into a "
    "throwaway user folder (nothing learned), against the emulator in its own process (`python -m "
    "leonardo_blender.emulator`), so the service's work never shares the add-on's GIL (it does share the CPU).",
    "1: the main thread is driven like Blender's UI timer: a tick is due `TICK_SECONDS` after the previous one "
    "started and calls `dispatcher.drain()`; a tick's stall = its lateness against that schedule (a worker "
    "holding the GIL, or the OS) + its duration. Longest and p99 over the ticks from the operator's return to "
    "the job's end. The operator (which exports the OBJ on the main thread) is shown beside, not in, the target.",
    "2: add-on path = `mesh_export.prepare` + `export_obj` + `core.fingerprint.obj_fingerprint` of the file, "
    "against `bpy.ops.wm.obj_export` with the same options, alternating, best of N each. 2c counts the "
    "emulator's upload-host POSTs (and `POST /models-3d/upload`) during a second job on the unchanged mesh.",
    "3: overhead = (material applied - click) - the emulator's job seconds (its PENDING time, counted from the "
    "create). Polls = `GET /generations-texture/<id>` lines of that generation in the emulator's request log; "
    "rate = polls x 2 s / (accepted to COMPLETE seen). The fixed-interval row is measured: a loop client "
    "(upload, create, poll every 10 s, download the maps one by one) runs alongside the first job on the "
    "same emulator. 30 and 120 s are multiples of the 2 s poll interval, so a first job is seen right as it "
    "ends (best case); with a 5 s job the lag is typical (about 1 s).",
    "4: COMPLETE seen = the job's `completed_at` (the worker's poll that saw it); material ready = the end of "
    "`applying.apply` on the main thread (which runs at the next UI tick). The slowest map is timed alone "
    "afterwards. The emulator serves from loopback, so downloads take milliseconds and the fixed delivery "
    "latency (up to one tick) dominates the ratio.",
    "5: 20 objects in one click; the emulator answers 429 to a create beyond its slots "
    "(`--concurrency-mode reject`), so any overrun shows. Ideal = ceil(20 / slots) x job seconds.",
    "6: VmHWM is reset (`/proc/self/clear_refs`) just before the click and read after the material is applied; "
    "RSS before is the baseline. A warm-up job runs first, so imports and connections are not counted.",
    "7: `benchmarks/projection_bake.py` (synthetic served images; no network): total local time / views.",
)


def render(
    profile: Profile, rows: list[Row], info: dict[str, str], started: float, load_before: str, notes: list[str]
) -> str:
    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    lines = [
        f"# Leonardo add-on benchmarks ({profile.name} run, {when}, {time.monotonic() - started:.0f} s)",
        "",
        "| # | Case | Measured | Target | Result |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        cells = [row.id, row.case, row.measured, row.target, row.result]
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
    met = sum(r.result == "met" for r in rows)
    missed = [r.id for r in rows if r.result == "missed"]
    errors = [r.id for r in rows if r.result == "error"]
    lines += [
        "",
        f"Targets met: {met} of {met + len(missed)}"
        + (f"; missed: {', '.join(missed)}" if missed else "")
        + (f"; errors: {', '.join(errors)}" if errors else ""),
        "",
        "Machine: " + "; ".join(f"{k} {v}" for k, v in info.items()),
        f"Load average (1/5/15 min) before: {load_before}; after: {load()} (other work on the machine skews timings)",
    ]
    lines += ["", "How it is measured:", *(f"- {line}" for line in METHOD)]
    if notes:
        lines += ["", "Diagnostics of this run:", *(f"- {note}" for note in notes)]
    if profile.name == "quick":
        lines.append("Quick run: small meshes and short jobs; these figures show that every row works, not the speed.")
    return "\n".join(lines) + "\n"
