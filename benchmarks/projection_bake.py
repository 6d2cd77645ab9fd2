"""Benchmark: local (non-network) time of the projection engine per view.

    .venv/bpy-5.0/bin/python benchmarks/projection_bake.py [--triangles 100000] [--bake-size 2048]
        [--view-size 1024] [--repeat 3] [--no-scaling] [--huge] [--json RESULT.json]

Builds a synthetic UV sphere (one rectangular island covering about 92% of the UV square: a
pessimistic layout, most real unwraps cover 60-70%), plans the five views of a full texture, renders
their depth maps, bakes synthetic "served" images (1.5x the view size, as the service returns them)
and fills the result. Prints the time of each step, the total and the local time per view
(total / views); then how that scales with the triangle count and the bake size. The 1M triangles x
4096 px case needs several GB of memory and runs only with ``--huge``. Each figure is the best of
``--repeat`` runs (the machine may be shared). Target: at most 1 s of local time per view for 100k
triangles at 2048 px. Not a test: it asserts nothing. ``--json`` also writes the main case's figures
to a file (``scripts/bench`` reads them for its table).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from leonardo_blender.core.projection import (
    MeshArrays,
    ProjectionBaker,
    plan_views,
    rasterize_uv,
    render_depth,
)
from leonardo_blender.core.projection.samples import uv_sphere

SERVED_SCALE = 1.5


def sphere_with(triangles: int) -> MeshArrays:
    """A UV sphere with about ``triangles`` triangles (twice as many segments as rings)."""
    rings = max(3, round(math.sqrt(triangles / 4)))
    return uv_sphere(rings, 2 * rings)


def served_image(size: int, seed: int) -> np.ndarray:
    """A smooth synthetic image the size the service serves: gradients plus a few colour blobs."""
    served = int(size * SERVED_SCALE)
    axis = np.linspace(0.0, 1.0, served, dtype=np.float32)
    rng = np.random.default_rng(seed)
    phases = rng.uniform(0, 2 * np.pi, size=(3, 2))
    channels = [
        127 + 100 * np.sin(7 * axis[None, :] + phase[0]) * np.cos(5 * axis[:, None] + phase[1]) for phase in phases
    ]
    return np.clip(np.stack(channels, axis=-1), 0, 255).astype(np.uint8)


def time_job(mesh: MeshArrays, bake_size: int, view_size: int) -> tuple[dict[str, float], ProjectionBaker]:
    """Seconds of every local step of one full texture job (the served images are made beforehand)."""
    views = plan_views(mesh, 0, preview=False, size=view_size)
    images = [served_image(view_size, seed) for seed in range(len(views))]
    steps: dict[str, float] = {}
    start = time.perf_counter()
    surface = rasterize_uv(mesh, bake_size)
    steps["UV raster (once)"] = time.perf_counter() - start
    baker = ProjectionBaker(surface)
    for view, image in zip(views, images, strict=True):
        start = time.perf_counter()
        _, buffer = render_depth(view, mesh)
        steps[f"{view.name} depth render"] = time.perf_counter() - start
        start = time.perf_counter()
        baker.add_view(view, buffer, image)
        steps[f"{view.name} add_view"] = time.perf_counter() - start
    start = time.perf_counter()
    baker.albedo()
    steps["fill + albedo"] = time.perf_counter() - start
    steps["total"] = sum(steps.values())
    steps["local time per view"] = steps["total"] / len(views)
    return steps, baker


def run_job(mesh: MeshArrays, bake_size: int, view_size: int, repeat: int) -> dict[str, object]:
    """Run the job ``repeat`` times: the first run's figures (cold) and each step's best (warm)."""
    runs = []
    baker = None
    for _ in range(max(1, repeat)):
        steps, baker = time_job(mesh, bake_size, view_size)
        runs.append(steps)
    assert baker is not None
    best = {name: min(run[name] for run in runs) for name in runs[0]}
    best["total"] = sum(value for name, value in best.items() if name not in ("total", "local time per view"))
    view_count = sum(name.endswith(" add_view") for name in best)
    best["local time per view"] = best["total"] / view_count
    return {"cold": runs[0], "best": best, "texels": baker.surface.texel_count, "seen": baker.seen_fraction()}


def print_job(mesh: MeshArrays, result: dict[str, object], bake_size: int, view_size: int, repeat: int) -> None:
    texels = int(result["texels"])  # type: ignore[call-overload]
    print(
        f"\n{mesh.triangle_count:,} triangles, 5 views of {view_size} px (served {int(view_size * SERVED_SCALE)} px), "
        f"bake {bake_size} px: {texels:,} covered texels ({texels / bake_size**2:.0%}), seen {result['seen']:.1%}"
    )
    cold, best = result["cold"], result["best"]
    print(f"  {'step':<28}{'first run':>10}{f'best of {repeat}':>12}")
    for name in cold:  # type: ignore[attr-defined]
        print(f"  {name:<28}{cold[name]:>10.3f}{best[name]:>12.3f}")  # type: ignore[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--triangles", type=int, default=100_000)
    parser.add_argument("--bake-size", type=int, default=2048)
    parser.add_argument("--view-size", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best is shown")
    parser.add_argument("--no-scaling", action="store_true", help="only the main case")
    parser.add_argument("--huge", action="store_true", help="include 1M triangles x 4096 px (several GB)")
    parser.add_argument("--json", type=Path, help="also write the main case's figures to this file")
    args = parser.parse_args()

    mesh = sphere_with(args.triangles)
    result = run_job(mesh, args.bake_size, args.view_size, args.repeat)
    print_job(mesh, result, args.bake_size, args.view_size, args.repeat)
    per_view = result["best"]["local time per view"]  # type: ignore[index]
    print(f"  target <= 1 s of local time per view (best): {'met' if per_view <= 1.0 else 'MISSED'}")
    if args.json:
        figures = {
            "triangles": mesh.triangle_count,
            "bake_size": args.bake_size,
            "view_size": args.view_size,
            "repeat": args.repeat,
            "texels": result["texels"],
            "seen": result["seen"],
            "cold": result["cold"],
            "best": result["best"],
        }
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    if args.no_scaling:
        return 0

    print("\nScaling: local time per view in seconds (total / 5 views), best of", max(1, args.repeat - 1), "runs")
    bake_sizes = (1024, 2048, 4096)
    print(f"  {'triangles':>10}" + "".join(f"{size:>10}" for size in bake_sizes))
    for triangles in (10_000, 100_000, 1_000_000):
        scaled = sphere_with(triangles)
        cells = []
        for size in bake_sizes:
            if triangles >= 1_000_000 and size >= 4096 and not args.huge:
                cells.append(f"{'(--huge)':>10}")
                continue
            timing = run_job(scaled, size, args.view_size, max(1, args.repeat - 1))
            cells.append(f"{timing['best']['local time per view']:>10.3f}")  # type: ignore[index]
        print(f"  {scaled.triangle_count:>10,}" + "".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
