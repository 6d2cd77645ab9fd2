"""Fast, strict-enough Wavefront OBJ parser for the emulator's texture generator.

It reads what Blender's ``wm.obj_export`` writes (``o``/``g``/``s``/``usemtl``/``mtllib``/``vn`` lines,
comments, ``f v/vt/vn`` and ``f v/vt`` corners, negative indices, n-gons, CRLF line ends) and keeps only
what texturing needs: positions, texture coordinates and fan-triangulated faces. Anything the texture
API could not work with raises :class:`ObjError`, whose message is meant for the user.

Only the line split runs per line in Python; numbers are converted in bulk and the face corner
structure is analysed with numpy, so a 200k-triangle OBJ parses in a fraction of a second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

_ASCII_WHITESPACE = np.frombuffer(b" \t\n\r\x0b\x0c", dtype=np.uint8)  # what bytes.split() splits on
_BLANKS = (b" ", b"\x0b", b"\x0c")  # blanks that may remain at a line start once tabs are spaces
_LEADING_BLANKS = re.compile(rb"^[ \x0b\x0c]+", re.MULTILINE)


class ObjError(ValueError):
    """The OBJ cannot be textured; ``str(error)`` is a user-facing explanation."""


@dataclass(frozen=True, eq=False)
class ObjMesh:
    """Triangulated mesh with one UV per triangle corner.

    ``tri_positions``/``tri_uvs`` hold 0-based indices into ``positions``/``uvs``; ``tri_polygon``
    gives, for every triangle, the 0-based index of the OBJ face (polygon) it was cut from.
    """

    positions: np.ndarray
    uvs: np.ndarray
    tri_positions: np.ndarray
    tri_uvs: np.ndarray
    tri_polygon: np.ndarray

    @property
    def polygon_count(self) -> int:
        """Number of OBJ faces (before triangulation)."""
        return int(self.tri_polygon[-1]) + 1 if len(self.tri_polygon) else 0

    @property
    def triangle_count(self) -> int:
        """Number of triangles after fan triangulation."""
        return len(self.tri_polygon)


@dataclass
class _RawLines:
    """Bodies of the ``v``, ``vt`` and ``f`` lines (keyword stripped); all other lines are dropped."""

    lines: list[bytes]
    vertices: list[bytes]
    texcoords: list[bytes]
    faces: list[bytes]


def _normalise_blanks(data: bytes) -> bytes:
    """Line ends become ``\\n``, tabs spaces, and lines lose leading blanks, so keywords match by prefix."""
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    data = data.replace(b"\t", b" ")
    if data[:1] in _BLANKS or any(b"\n" + blank in data for blank in _BLANKS):
        data = _LEADING_BLANKS.sub(b"", data)
    return data


def _split_lines(data: bytes) -> _RawLines:
    """Sort the data lines by keyword with C-speed list filters."""
    lines = _normalise_blanks(data).split(b"\n")
    return _RawLines(
        lines=lines,
        vertices=[line[2:] for line in lines if line[:2] == b"v "],
        texcoords=[line[3:] for line in lines if line[:3] == b"vt "],
        faces=[line[2:] for line in lines if line[:2] == b"f "],
    )


def _definitions_before_faces(lines: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """How many ``v`` and ``vt`` lines precede each ``f`` line (needed for negative indices only)."""
    kinds = np.array([line[:3] for line in lines], dtype="S3")
    is_vertex = np.char.startswith(kinds, b"v ")
    is_texcoord = kinds == b"vt "
    is_face = np.char.startswith(kinds, b"f ")
    return np.cumsum(is_vertex)[is_face], np.cumsum(is_texcoord)[is_face]


def _index_dtype(length: int) -> type[np.signedinteger]:
    """int32 for running counts over buffers that fit it (twice as fast to cumsum), else int64."""
    return np.int32 if length < np.iinfo(np.int32).max else np.int64


def _tokens_per_line(lines: list[bytes]) -> tuple[bytes, np.ndarray]:
    """The lines joined by newlines, and how many whitespace-separated tokens each line holds."""
    joined = b"\n".join(lines)
    buffer = np.frombuffer(joined, dtype=np.uint8)
    is_blank = np.isin(buffer, _ASCII_WHITESPACE)
    token_start = ~is_blank
    token_start[1:] &= is_blank[:-1]
    line_of_byte = np.cumsum(buffer == ord("\n"), dtype=_index_dtype(len(buffer)))
    return joined, np.bincount(line_of_byte[token_start], minlength=len(lines))


def _parse_float_rows(rows: list[bytes], width: int, what: str) -> np.ndarray:
    """Convert the first ``width`` numbers of every row into a finite ``(len(rows), width)`` array."""
    joined, counts = _tokens_per_line(rows)
    if (counts < width).any():
        raise ObjError(f"{what} {int(np.flatnonzero(counts < width)[0]) + 1} has fewer than {width} numbers")
    if (counts == width).all():
        tokens = joined.split()
    else:  # extra components (vertex colours, w): keep the first `width`
        tokens = [token for row in rows for token in row.split()[:width]]
    try:
        values = np.array(tokens, dtype=np.float64).reshape(len(rows), width)
    except (ValueError, OverflowError) as exc:
        raise ObjError(f"OBJ has a {what} line that is not a list of numbers") from exc
    if not np.isfinite(values).all():
        raise ObjError(f"OBJ has a {what} with a non-finite number (nan or inf)")
    return values


@dataclass
class _FaceCorners:
    """Flat per-corner 1-based (or negative) indices and the corner count of every face."""

    vertex: np.ndarray
    texcoord: np.ndarray
    corners_per_face: np.ndarray


def _first_face_where(mask_per_corner: np.ndarray, corner_face: np.ndarray) -> int:
    """1-based number of the first face containing a corner for which the mask is true."""
    return int(corner_face[np.flatnonzero(mask_per_corner)[0]]) + 1


def _parse_face_corners(faces: list[bytes]) -> _FaceCorners:
    """Split ``f`` lines into corners and pull the vertex and texture-coordinate index out of each."""
    joined_faces, counts = _tokens_per_line(faces)
    corners = joined_faces.split()
    if (counts < 3).any():
        raise ObjError(f"face {int(np.flatnonzero(counts < 3)[0]) + 1} has fewer than 3 vertices")
    corner_face = np.repeat(np.arange(len(faces), dtype=np.int64), counts)

    joined = b" ".join(corners)
    buffer = np.frombuffer(joined, dtype=np.uint8)
    is_space = buffer == ord(" ")
    is_slash = buffer == ord("/")
    corner_of_byte = np.cumsum(is_space, dtype=_index_dtype(len(buffer)))
    slashes = np.bincount(corner_of_byte[is_slash], minlength=len(corners))
    # ``v`` and ``v//vn`` corners carry no UV index; any other empty field (``/1``, ``1/``) is malformed.
    no_texcoord = slashes == 0
    no_texcoord[corner_of_byte[:-1][is_slash[:-1] & is_slash[1:]]] = True
    if no_texcoord.any():
        raise ObjError(f"face {_first_face_where(no_texcoord, corner_face)} has no UV indices")
    boundary = np.concatenate(([True], is_space | is_slash, [True]))
    empty_field = np.zeros(len(corners), dtype=bool)
    empty_field[corner_of_byte[is_slash & (boundary[:-2] | boundary[2:])]] = True
    malformed = empty_field | (slashes > 2)
    if malformed.any():
        raise ObjError(f"face {_first_face_where(malformed, corner_face)} has a malformed corner")

    fields = joined.replace(b"/", b" ").split()
    try:
        numbers = np.array(fields, dtype=np.int64)
    except (ValueError, OverflowError) as exc:
        raise ObjError("OBJ has a face index that is not an integer") from exc
    starts = np.concatenate(([0], np.cumsum(slashes + 1)[:-1]))
    return _FaceCorners(numbers[starts], numbers[starts + 1], counts)


def _resolve_indices(
    indices: np.ndarray, defined_before: np.ndarray, available: int, what: str, corner_face: np.ndarray
) -> np.ndarray:
    """Turn 1-based / negative (relative to the face's line) OBJ indices into checked 0-based indices."""
    resolved = np.where(indices < 0, defined_before + indices, indices - 1)
    bad = (indices == 0) | (resolved < 0) | (resolved >= available)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ObjError(
            f"face {int(corner_face[first]) + 1} refers to {what} {int(indices[first])}, "
            f"which does not exist (the OBJ has {available} {what} lines)"
        )
    return resolved


def _fan_triangulate(corners_per_face: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Corner indices ``(F, 3)`` of a fan triangulation and the source face of each triangle."""
    triangles_per_face = corners_per_face - 2
    first_corner = np.concatenate(([0], np.cumsum(corners_per_face)[:-1]))
    tri_face = np.repeat(np.arange(len(corners_per_face), dtype=np.int64), triangles_per_face)
    tri_start = np.concatenate(([0], np.cumsum(triangles_per_face)[:-1]))
    step = np.arange(len(tri_face), dtype=np.int64) - np.repeat(tri_start, triangles_per_face) + 1
    base = first_corner[tri_face]
    return np.stack([base, base + step, base + step + 1], axis=1), tri_face


def parse_obj(data: bytes) -> ObjMesh:
    """Parse OBJ bytes into an :class:`ObjMesh`; raise :class:`ObjError` if it cannot be textured."""
    raw = _split_lines(bytes(data))
    if not raw.faces:
        raise ObjError("OBJ has no faces")
    if not raw.texcoords:
        raise ObjError("OBJ has no texture coordinates (vt lines)")
    positions = _parse_float_rows(raw.vertices, 3, "vertex")
    uvs = _parse_float_rows(raw.texcoords, 2, "texture coordinate")
    corners = _parse_face_corners(raw.faces)
    corner_face = np.repeat(np.arange(len(raw.faces), dtype=np.int64), corners.corners_per_face)
    if (corners.vertex < 0).any() or (corners.texcoord < 0).any():
        vertices_before, texcoords_before = _definitions_before_faces(raw.lines)
    else:
        vertices_before = texcoords_before = np.zeros(len(raw.faces), dtype=np.int64)
    vertex_index = _resolve_indices(corners.vertex, vertices_before[corner_face], len(positions), "v", corner_face)
    texcoord_index = _resolve_indices(corners.texcoord, texcoords_before[corner_face], len(uvs), "vt", corner_face)
    tri_corners, tri_polygon = _fan_triangulate(corners.corners_per_face)
    return ObjMesh(
        positions=positions,
        uvs=uvs,
        tri_positions=vertex_index[tri_corners],
        tri_uvs=texcoord_index[tri_corners],
        tri_polygon=tri_polygon,
    )
