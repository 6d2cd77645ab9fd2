"""The benchmark suite: one command, one table. Run it with ``scripts/bench [--quick]``.

    .venv/bpy-5.0/bin/python benchmarks/bench.py [--quick] [--only stall,export,overhead,download,batch,projection]

Builds the extension zip users install, then runs each case in its own headless Blender process
(``bench_blender.py``, an isolated user folder each) against the local emulator in another process
(``bench_emulator.py``), so neither shares the add-on's GIL. Prints progress to stderr, then one
markdown table (each figure beside its target, met or missed) and the machine it ran on to stdout,
and writes the same to ``out/bench/latest.md`` (``out/bench/latest-quick.md`` with ``--quick``, so a
quick run, as the test makes, never overwrites the full figures).

``--quick`` shrinks every case (small meshes, short jobs) to run in a few minutes: its figures show
that every row works, not how fast the add-on is. A full run takes about 10 minutes.

Rows:
 1. Main-thread stall during a full job (20k and 1M triangles): the UI timer's ticks, late + busy.
 2. Export and fingerprint (add-on path vs bare ``wm.obj_export``), fingerprint alone, bytes uploaded
    when re-texturing an unchanged mesh, scaling from 10k to 1M triangles.
 3. Completion overhead (jobs of 5, 30, 120 s): click to material minus the service's time, polls;
    first job and a second one of the same kind; a client polling every 10 s for comparison.
 4. Download and apply (2048 px maps): COMPLETE seen to material ready vs the slowest map download.
 5. Batch: 20 objects with 10 and with 3 concurrency slots vs ``ceil(20 / slots) * job time``; 429s.
 6. Peak RSS a job adds with four 2048 px maps.
 7. Projection engine: local time per view, 100k triangles baked at 2048 px (``projection_bake.py``).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

from bench_cases_jobs import case_batch, case_download, case_overhead  # noqa: E402
from bench_cases_mesh import case_export, case_projection, case_stall  # noqa: E402
from bench_harness import Bench, Profile, Row, progress  # noqa: E402
from bench_report import load, machine, render  # noqa: E402

FULL = Profile(
    name="full",
    stall_sizes=(20_000, 1_000_000),
    stall_job_s=5.0,
    export_sizes=(10_000, 100_000, 1_000_000),
    export_repeat=3,
    overhead_jobs_s=(5.0, 30.0, 120.0),
    overhead_triangles=5_000,
    download_size_px=2048,
    download_triangles=5_000,
    batch_job_s=10.0,
    batch_slots=(10, 3),
    batch_triangles=2_000,
    projection_triangles=100_000,
    projection_bake_px=2048,
    projection_repeat=3,
)
QUICK = Profile(
    name="quick",
    stall_sizes=(5_000, 50_000),
    stall_job_s=2.0,
    export_sizes=(10_000, 50_000),
    export_repeat=1,
    overhead_jobs_s=(2.0, 5.0),
    overhead_triangles=2_000,
    download_size_px=2048,
    download_triangles=2_000,
    batch_job_s=2.0,
    batch_slots=(10, 3),
    batch_triangles=500,
    projection_triangles=20_000,
    projection_bake_px=1024,
    projection_repeat=1,
)


CASES: dict[str, Callable[[Bench], list[Row]]] = {
    "stall": case_stall,
    "export": case_export,
    "overhead": case_overhead,
    "download": case_download,
    "batch": case_batch,
    "projection": case_projection,
}
#: The rows each case contributes (a case that fails still shows its rows, as errors).
CASE_ROWS = {
    "stall": ("1a", "1b", "2c"),
    "export": ("2a", "2b", "2d"),
    "overhead": (),  # depends on the profile: 3 rows per job length
    "download": ("4", "6"),
    "batch": ("5a", "5b"),
    "projection": ("7",),
}


def expected_rows(profile: Profile, cases: list[str]) -> list[str]:
    ids = []
    for case in cases:
        if case == "overhead":
            ids += [f"3{chr(ord('a') + i)}" for i in range(3 * len(profile.overhead_jobs_s))]
        else:
            ids += CASE_ROWS[case]
    return ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small meshes and short jobs (a few minutes)")
    parser.add_argument("--only", default="", help=f"comma-separated cases among {', '.join(CASES)}")
    parser.add_argument("--output", type=Path, help="markdown file (default out/bench/latest[-quick].md)")
    args = parser.parse_args(argv)
    profile = QUICK if args.quick else FULL
    cases = [c.strip() for c in args.only.split(",") if c.strip()] or list(CASES)
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; choose among {', '.join(CASES)}")
    output = args.output or ROOT / "out" / "bench" / ("latest-quick.md" if args.quick else "latest.md")

    started, load_before = time.monotonic(), load()
    info = machine()
    rows: list[Row] = []
    notes: list[str] = []
    failed = False
    workdir = Path(tempfile.mkdtemp(prefix="leonardo-bench-"))
    try:
        bench = Bench(profile, workdir)
        progress(f"{profile.name} run: building the extension zip")
        bench.build_zip()
        for case in cases:
            try:
                rows += CASES[case](bench)
            except Exception as exc:  # the table still shows the case, as an error
                failed = True
                traceback.print_exc()
                ids = expected_rows(profile, [case])
                rows += [Row(i, f"({case})", f"error: {exc}", "", "error") for i in ids]
        info["Blender"] = bench.blender_version or "unknown"
        notes = bench.notes
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    rows.sort(key=lambda r: (int(r.id[0]), r.id))
    missing = [i for i in expected_rows(profile, cases) if i not in {r.id for r in rows}]
    if missing:
        failed = True
        rows += [Row(i, "(missing)", "the case produced no such row", "", "error") for i in missing]
    report = render(profile, rows, info, started, load_before, notes)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report, encoding="utf-8")
    sys.stdout.write(report)
    sys.stdout.flush()
    progress(f"written to {output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
