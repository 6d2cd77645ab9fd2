"""OBJ fixtures shaped like Blender's exporter output, and helpers to read rendered maps back
(shared by the emulator's parser and map tests)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

from leonardo_blender.emulator.content.palette import nearest_side

# --- fixtures: OBJ text as Blender's exporter writes it ---------------------------------------------

# Outward normal of each cube face in Blender's frame, with two in-plane axes (u x v = normal, so corners
# ordered (-,-), (+,-), (+,+), (-,+) are counter-clockwise seen from outside).
CUBE_FACES: dict[str, tuple[tuple[int, int, int], tuple[int, int, int], tuple[int, int, int]]] = {
    "-Y": ((0, -1, 0), (1, 0, 0), (0, 0, 1)),
    "+X": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "+Y": ((0, 1, 0), (-1, 0, 0), (0, 0, 1)),
    "-X": ((-1, 0, 0), (0, -1, 0), (0, 0, 1)),
    "+Z": ((0, 0, 1), (1, 0, 0), (0, 1, 0)),
    "-Z": ((0, 0, -1), (1, 0, 0), (0, -1, 0)),
}
CORNER_SIGNS = ((-1, -1), (1, -1), (1, 1), (-1, 1))
UV_MARGIN = 0.04  # 20 px between cells at 256 px, more than twice the dilation


def uv_cell(face_index: int) -> tuple[float, float, float, float]:
    """UV rectangle (u0, v0, u1, v1) of a face in a 3 x 2 grid: faces 0-2 in the bottom row."""
    col, row = face_index % 3, face_index // 3
    return (col / 3 + UV_MARGIN, row / 2 + UV_MARGIN, (col + 1) / 3 - UV_MARGIN, (row + 1) / 2 - UV_MARGIN)


def uv_cell_centre(face_index: int) -> tuple[float, float]:
    u0, v0, u1, v1 = uv_cell(face_index)
    return (u0 + u1) / 2, (v0 + v1) / 2


def blender_to_obj(point: Sequence[float]) -> tuple[float, float, float]:
    """What wm.obj_export (forward -Z, up Y) writes for a Blender-space point."""
    x, y, z = point
    return x, z, -y


def obj_text(
    vertices: Sequence[Sequence[float]],
    polygons: Sequence[Sequence[int]],
    polygon_uvs: Sequence[Sequence[tuple[float, float]]],
    *,
    flip_v: bool = False,
    negative_indices: bool = False,
    newline: str = "\n",
) -> bytes:
    """OBJ bytes in Blender's exporter layout (header, o, v, vn, vt, s, usemtl, f v/vt/vn)."""
    lines = ["# Blender 5.0.1", "# www.blender.org", "mtllib model.mtl", "o Model"]
    lines += ["v {:.6f} {:.6f} {:.6f}".format(*blender_to_obj(v)) for v in vertices]
    normals = []
    for polygon in polygons:
        p = np.array([vertices[i] for i in polygon], dtype=float)
        n = np.cross(p[1] - p[0], p[2] - p[0])
        normals.append(blender_to_obj(n / np.linalg.norm(n)))
    lines += ["vn {:.4f} {:.4f} {:.4f}".format(*n) for n in normals]
    flat_uvs = [uv for uvs in polygon_uvs for uv in uvs]
    lines += [f"vt {u:.6f} {(1 - v) if flip_v else v:.6f}" for u, v in flat_uvs]
    lines += ["s 0", "usemtl Material"]
    uv_counter = 0
    for face_number, polygon in enumerate(polygons):
        corners = []
        for vertex in polygon:
            vi, ti, ni = vertex + 1, uv_counter + 1, face_number + 1
            if negative_indices:
                vi, ti, ni = vi - len(vertices) - 1, ti - len(flat_uvs) - 1, ni - len(polygons) - 1
            corners.append(f"{vi}/{ti}/{ni}")
            uv_counter += 1
        lines.append("f " + " ".join(corners))
    return (newline.join(lines) + newline).encode()


def cube_obj(**kwargs: object) -> bytes:
    """Unit cube (Blender frame, one quad per face) with each face in its own cell of a 3 x 2 UV grid."""
    vertices: list[tuple[int, int, int]] = []
    polygons: list[list[int]] = []
    polygon_uvs: list[list[tuple[float, float]]] = []
    for face_index, (normal, u_axis, v_axis) in enumerate(CUBE_FACES.values()):
        u0, v0, u1, v1 = uv_cell(face_index)
        polygon = []
        for su, sv in CORNER_SIGNS:
            corner = tuple(normal[k] + su * u_axis[k] + sv * v_axis[k] for k in range(3))
            if corner not in vertices:
                vertices.append(corner)  # type: ignore[arg-type]
            polygon.append(vertices.index(corner))  # type: ignore[arg-type]
        polygons.append(polygon)
        polygon_uvs.append([(u0 if su < 0 else u1, v0 if sv < 0 else v1) for su, sv in CORNER_SIGNS])
    return obj_text(vertices, polygons, polygon_uvs, **kwargs)  # type: ignore[arg-type]


def cube_sphere_obj(subdivisions: int) -> bytes:
    """Cube subdivided into ``subdivisions``^2 quads per face, pushed onto a sphere; 3 x 2 UV grid.

    ``6 * subdivisions**2 * 2`` triangles. Built with numpy so large meshes are quick to make.
    """
    n = subdivisions
    grid = np.linspace(-1.0, 1.0, n + 1)
    su, sv = np.meshgrid(grid, grid, indexing="xy")  # (n+1, n+1), row = v
    lines = ["# Blender 5.0.1", "o Sphere"]
    vt_lines, f_lines = [], []
    quad = np.array([[0, 0], [1, 0], [1, 1], [0, 1]])  # (du, dv) corner offsets: counter-clockwise in (u, v)
    for face_index, (normal, u_axis, v_axis) in enumerate(CUBE_FACES.values()):
        points = np.array(normal) + su[..., None] * np.array(u_axis) + sv[..., None] * np.array(v_axis)
        points /= np.linalg.norm(points, axis=-1, keepdims=True)
        obj_points = np.stack([points[..., 0], points[..., 2], -points[..., 1]], axis=-1).reshape(-1, 3)
        lines += [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in obj_points.tolist()]
        u0, v0, u1, v1 = uv_cell(face_index)
        uvs = np.stack([u0 + (su + 1) / 2 * (u1 - u0), v0 + (sv + 1) / 2 * (v1 - v0)], axis=-1)
        vt_lines += [f"vt {u:.6f} {v:.6f}" for u, v in uvs.reshape(-1, 2).tolist()]
        base = face_index * (n + 1) ** 2 + 1
        rows, cols = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        index = base + (rows[..., None] + quad[:, 1]) * (n + 1) + cols[..., None] + quad[:, 0]
        f_lines += ["f " + " ".join(f"{i}/{i}" for i in corners) for corners in index.reshape(-1, 4).tolist()]
    return ("\n".join(lines + vt_lines + ["s 1"] + f_lines) + "\n").encode()


# Expected side of each cube face (named by its Blender-space normal) per front_rotation_offset, taken
# straight from the orientation rules: front = (sin t, -cos t, 0), right = (cos t, sin t, 0).
EXPECTED_SIDES: dict[float, dict[str, str]] = {
    0: {"-Y": "front", "+Y": "back", "+X": "right", "-X": "left", "+Z": "top", "-Z": "bottom"},
    90: {"+X": "front", "-X": "back", "+Y": "right", "-Y": "left", "+Z": "top", "-Z": "bottom"},
    -90: {"-X": "front", "+X": "back", "-Y": "right", "+Y": "left", "+Z": "top", "-Z": "bottom"},
    180: {"+Y": "front", "-Y": "back", "-X": "right", "+X": "left", "+Z": "top", "-Z": "bottom"},
}


def decode(jpeg: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG"
    return np.asarray(image.convert("RGB"), dtype=np.float64)


def off_grid(u: float, v: float) -> tuple[float, float]:
    """The centre of the 1/16 UV grid cell containing (u, v), away from the darker grid lines."""
    return (np.floor(u * 16) + 0.5) / 16, (np.floor(v * 16) + 0.5) / 16


def pixel_at_uv(image: np.ndarray, u: float, v: float) -> np.ndarray:
    """Mean colour of the 3 x 3 pixels around UV (u, v), using row = (1 - v) * size."""
    size = image.shape[0]
    row, col = int((1 - v) * size), int(u * size)
    return image[row - 1 : row + 2, col - 1 : col + 2].reshape(-1, 3).mean(axis=0)


def face_sides_in_albedo(albedo: np.ndarray) -> dict[str, str | None]:
    """Side that nearest_side() reads at each cube face's UV centre."""
    sides = {}
    for face_index, face in enumerate(CUBE_FACES):
        rgb = pixel_at_uv(albedo, *uv_cell_centre(face_index))
        sides[face] = nearest_side(tuple(rgb))
    return sides
