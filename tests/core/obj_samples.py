"""Small OBJ files shaped like Blender's exporter output, for the client and pipeline tests."""

from __future__ import annotations

# A unit cube, forward -Z / up Y (so Blender's -Y "front" is OBJ +Z), each face its own UV square
# in a 3x2 grid, faces wound counter-clockwise seen from outside.
_CUBE_VERTICES = [
    (-1, -1, 1),
    (1, -1, 1),
    (1, 1, 1),
    (-1, 1, 1),  # z = +1 (Blender front, -Y)
    (-1, -1, -1),
    (1, -1, -1),
    (1, 1, -1),
    (-1, 1, -1),  # z = -1 (back)
]
_CUBE_FACES = [
    (0, 1, 2, 3),  # +Z  front
    (5, 4, 7, 6),  # -Z  back
    (1, 5, 6, 2),  # +X  right
    (4, 0, 3, 7),  # -X  left
    (3, 2, 6, 7),  # +Y  top
    (4, 5, 1, 0),  # -Y  bottom
]


def cube_obj(name: str = "Cube") -> bytes:
    lines = ["# Blender 5.0.1", "# www.blender.org", f"o {name}"]
    lines += [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in _CUBE_VERTICES]
    uv_index = 1
    faces = []
    for n, face in enumerate(_CUBE_FACES):
        col, row = n % 3, n // 3
        u0, v0 = col / 3 + 0.01, row / 2 + 0.01
        u1, v1 = (col + 1) / 3 - 0.01, (row + 1) / 2 - 0.01
        for u, v in ((u0, v0), (u1, v0), (u1, v1), (u0, v1)):
            lines.append(f"vt {u:.6f} {v:.6f}")
        faces.append("f " + " ".join(f"{vi + 1}/{uv_index + k}" for k, vi in enumerate(face)))
        uv_index += 4
    lines.append("s 0")
    lines += faces
    return ("\n".join(lines) + "\n").encode()


def no_uv_obj() -> bytes:
    lines = ["o Bad"] + [f"v {x} {y} {z}" for x, y, z in _CUBE_VERTICES]
    lines += ["f " + " ".join(str(i + 1) for i in face) for face in _CUBE_FACES]
    return ("\n".join(lines) + "\n").encode()
