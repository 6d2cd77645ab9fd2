"""Benchmark for the emulator's OBJ parsing and texture-map rendering (not a test; run with python).

    .venv/bpy-5.0/bin/python tests/core/bench_emulator_maps.py

Targets: 200k-triangle OBJ parses in well under 2 s; 20k triangles at 1024 px render the four default
maps in < 3 s; a 12-triangle cube at 256 px in < 0.2 s.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from test_emulator_maps import cube_obj, cube_sphere_obj

from leonardo_blender.emulator.content.obj_mesh import parse_obj
from leonardo_blender.emulator.content.texture_maps import (
    MAP_TYPES,
    dilate_labels,
    encode_jpeg,
    grid_height,
    rasterize_labels,
    render_texture_maps,
    triangle_labels,
    uv_to_pixels,
)

T = TypeVar("T")


def best_of(repeats: int, action: Callable[[], T]) -> tuple[float, T]:
    """Fastest wall time of ``repeats`` runs, and the last result."""
    best = float("inf")
    result: T
    for _ in range(repeats):
        start = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - start)
    return best, result


def report(label: str, seconds: float, target: float | None = None) -> None:
    verdict = "" if target is None else ("  ok" if seconds < target else f"  SLOWER THAN TARGET {target} s")
    print(f"{label:<58} {seconds * 1000:9.1f} ms{verdict}")


def main() -> None:
    big = cube_sphere_obj(130)
    seconds, mesh = best_of(3, lambda: parse_obj(big))
    report(f"parse_obj {mesh.triangle_count} triangles ({len(big) / 1e6:.1f} MB)", seconds, 2.0)

    data = cube_sphere_obj(41)
    seconds, mesh = best_of(3, lambda: parse_obj(data))
    report(f"parse_obj {mesh.triangle_count} triangles", seconds)
    seconds, _ = best_of(3, lambda: render_texture_maps(mesh, size=1024))
    report(f"render 4 maps, {mesh.triangle_count} triangles, 1024 px", seconds, 3.0)
    seconds, _ = best_of(3, lambda: render_texture_maps(mesh, size=1024, map_types=MAP_TYPES))
    report(f"render all 5 maps, {mesh.triangle_count} triangles, 1024 px", seconds)
    seconds, _ = best_of(3, lambda: render_texture_maps(mesh, size=2048))
    report(f"render 4 maps, {mesh.triangle_count} triangles, 2048 px", seconds)

    labels = triangle_labels(mesh, 0.0, False, "front")
    tri_xy = uv_to_pixels(mesh.uvs[mesh.tri_uvs], 1024)
    seconds, image = best_of(3, lambda: rasterize_labels(tri_xy, labels, 1024))
    report("  of which rasterize_labels", seconds)
    seconds, _ = best_of(3, lambda: dilate_labels(image))
    report("  of which dilate_labels", seconds)
    height = grid_height(1024)
    seconds, _ = best_of(3, lambda: encode_jpeg(height[..., None].repeat(3, axis=-1) * 255))
    report("  of which one encode_jpeg (1024 px)", seconds)

    cube = parse_obj(cube_obj())
    seconds, _ = best_of(5, lambda: render_texture_maps(cube, size=256))
    report("render 4 maps, 12-triangle cube, 256 px", seconds, 0.2)


if __name__ == "__main__":
    main()
