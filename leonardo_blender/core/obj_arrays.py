"""Turn the OBJ the add-on exported into the projection engine's mesh arrays, on a worker, fast.

``AUTO`` exports an OBJ for the texture endpoint. When the service answers that endpoint with the
routing 404, the same job goes on through projection, which needs world-space triangles and UVs: they
are read back from that OBJ here instead of asking Blender's main thread again. Blender's exporter
writes blocks (all ``v``, all ``vt``, then ``s``/``f`` lines), with ``forward_axis -Z, up_axis Y``:
an OBJ point ``(x, y, z)`` is Blender's ``(x, -z, y)``. Numbers are parsed by numpy in C (no Python
loop over lines); polygons are fan-triangulated.
"""

from __future__ import annotations

import warnings

import numpy as np

from .projection import MeshArrays


class ObjReadError(ValueError):
    """The OBJ cannot be turned into a textured mesh (no faces, no UVs, broken indices)."""


def _line_spans(buffer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    newlines = np.flatnonzero(buffer == 0x0A)
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [buffer.size]))
    keep = starts < buffer.size
    return starts[keep], ends[keep]


def _block(data: bytes, starts: np.ndarray, ends: np.ndarray, mask: np.ndarray) -> bytes:
    """The text of the lines in ``mask``, newline-separated: the span from the first to the last, with
    the (few) other lines inside it cut out (Blender's exporter writes each kind as one block)."""
    chosen = np.flatnonzero(mask)
    if chosen.size == 0:
        return b""
    first, last = int(chosen[0]), int(chosen[-1])
    others = np.flatnonzero(~mask[first : last + 1]) + first
    pieces, position = [], int(starts[first])
    for line in others.tolist():
        pieces.append(data[position : int(starts[line])])
        position = int(ends[line]) + 1 if int(ends[line]) < len(data) else int(ends[line])
    pieces.append(data[position : int(ends[last])])
    return b"".join(pieces)


def _numbers(text: bytes, dtype: type, what: str) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy warns (instead of failing) on text it cannot read
        try:
            return np.fromstring(text.decode("ascii"), dtype=dtype, sep=" ")  # text mode: parsed in C
        except (DeprecationWarning, ValueError, UnicodeDecodeError) as exc:
            raise ObjReadError(f"the OBJ's {what} are not numbers") from exc


def mesh_arrays_from_obj(data: bytes) -> MeshArrays:
    """World-space triangles with per-corner UVs from an OBJ written by ``wm.obj_export``."""
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
    buffer = np.frombuffer(data, dtype=np.uint8)
    if buffer.size == 0:
        raise ObjReadError("the OBJ is empty")
    starts, ends = _line_spans(buffer)
    first = buffer[starts]
    second = buffer[np.minimum(starts + 1, buffer.size - 1)]
    is_vertex = (first == ord("v")) & (second == ord(" "))
    is_uv = (first == ord("v")) & (second == ord("t"))
    is_face = (first == ord("f")) & (second == ord(" "))

    positions = _numbers(_block(data, starts, ends, is_vertex).replace(b"v ", b" "), np.float64, "vertices")
    uvs = _numbers(_block(data, starts, ends, is_uv).replace(b"vt ", b" "), np.float64, "texture coordinates")
    if positions.size % 3 or uvs.size % 2:
        raise ObjReadError("the OBJ's vertices or texture coordinates have the wrong number of values")
    if uvs.size == 0:
        raise ObjReadError("the OBJ has no texture coordinates (UVs)")
    faces_text = _block(data, starts, ends, is_face)
    if not faces_text:
        raise ObjReadError("the OBJ has no faces")
    first_face = faces_text.split(b"\n", 1)[0].split()
    corner = first_face[1] if len(first_face) > 1 else b""
    parts = corner.count(b"/") + 1
    if parts < 2 or b"//" in corner:
        raise ObjReadError("the OBJ's faces carry no texture coordinates")
    # "f a/b/c d/e/f" -> "0 a b c d e f": 0 marks a face (OBJ indices start at 1)
    values = _numbers(faces_text.replace(b"f ", b"0 ").replace(b"/", b" "), np.int64, "face indices")
    markers = np.flatnonzero(values == 0)
    corners_per_face, remainder = np.divmod(np.diff(np.concatenate((markers, [values.size]))) - 1, parts)
    if markers.size == 0 or markers[0] != 0 or remainder.any() or (corners_per_face < 3).any():
        raise ObjReadError("the OBJ's faces are malformed")
    corners = np.delete(values, markers).reshape(-1, parts)
    vertex_index, uv_index = corners[:, 0] - 1, corners[:, 1] - 1
    if vertex_index.min() < 0 or uv_index.min() < 0:
        raise ObjReadError("the OBJ uses relative (negative) indices, which the add-on's exporter never writes")
    if vertex_index.max() >= positions.size // 3 or uv_index.max() >= uvs.size // 2:
        raise ObjReadError("the OBJ's faces point at vertices or texture coordinates that do not exist")

    triangles_per_face = corners_per_face - 2
    face_offset = np.concatenate(([0], np.cumsum(corners_per_face)[:-1]))
    face_of_triangle = np.repeat(np.arange(corners_per_face.size), triangles_per_face)
    first_triangle = np.concatenate(([0], np.cumsum(triangles_per_face)[:-1]))
    step = np.arange(face_of_triangle.size) - first_triangle[face_of_triangle] + 1
    anchor = face_offset[face_of_triangle]
    triangle_corners = np.stack((anchor, anchor + step, anchor + step + 1), axis=1)

    obj_points = positions.reshape(-1, 3)
    world = np.stack((obj_points[:, 0], -obj_points[:, 2], obj_points[:, 1]), axis=1)  # -Z forward, Y up
    return MeshArrays.from_arrays(
        positions=world,
        triangles=vertex_index[triangle_corners],
        uvs=uvs.reshape(-1, 2)[uv_index[triangle_corners]],
    )
