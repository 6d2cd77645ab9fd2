"""Benchmark: how long does Blender's main thread stall during a full texture job? (row 1 of the suite)

    .venv/bpy-5.0/bin/python benchmarks/main_thread_stall.py [--quick]

The suite's stall case on its own (``scripts/bench --only stall`` does the same): a real job at 20k
and 1M triangles (``--quick``: 5k and 50k) in headless Blender with the add-on installed from its zip,
against the emulator in its own process (in-process it would share the add-on's GIL and its map
rendering would count as our stall).

The main thread is driven like Blender's UI timer: a tick is due ``dispatcher.TICK_SECONDS`` after the
previous one started, and calls ``dispatcher.drain()`` with its normal budget. Each tick's lateness
against its schedule (a worker holding the GIL, or the OS) plus its duration is how long the UI would
have been frozen then. Reported: the longest and the 99th-percentile tick over the ticks while the
job works, the operator's own time and the OBJ export inside it (beside the target, not in it), and
where other threads stood when a tick came late. Also row 2c: bytes uploaded when re-texturing the
unchanged mesh. Target: every tick under 16 ms. Not a test. Writes ``out/bench/main_thread_stall.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5k and 50k triangles, 2 s jobs")
    args = parser.parse_args()
    output = bench.ROOT / "out" / "bench" / "main_thread_stall.md"
    return bench.main(["--only", "stall", "--output", str(output), *(["--quick"] if args.quick else [])])


if __name__ == "__main__":
    sys.exit(main())
