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

The work is spread over sibling modules: ``bench_blender_addon`` (install, click, follow jobs),
``bench_blender_scene`` (meshes), ``bench_blender_ticks`` (the UI timer), ``bench_blender_probes``
(memory, emulator counts) and the cases in ``bench_blender_cases_mesh`` and ``bench_blender_cases_jobs``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import bpy  # noqa: E402
from bench_blender_addon import MODULE, install  # noqa: E402
from bench_blender_cases_jobs import case_batch, case_download, case_overhead  # noqa: E402
from bench_blender_cases_mesh import case_export, case_stall  # noqa: E402

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
