"""Fingerprints of exported meshes, to avoid uploading the same geometry twice.

The hash covers what the service sees of the shape (vertices, UVs, normals, faces, in order) and
ignores what changes without changing the shape: comment lines (Blender's version), ``mtllib`` /
``usemtl`` lines, object and group names (``o``/``g``), smoothing groups (``s``) and line endings.

No Python loop over lines: numpy finds the line starts, the few ignored lines are cut out as byte
ranges, and hashlib (which releases the GIL) hashes what is between them. A 1M-triangle OBJ (about
60 MB) takes about a tenth of a second.
"""

from __future__ import annotations

import hashlib
import mmap
from pathlib import Path

import numpy as np

#: Stored instead of a hash when the user linked an object to an existing asset by hand: the next job
#: trusts the link and uploads nothing, whatever the geometry.
LINKED = "linked"

_IGNORED_PREFIXES = (b"#", b"mtllib", b"usemtl", b"o ", b"g ", b"s ", b"o\t", b"g\t", b"s\t")
_FIRST_BYTES = np.frombuffer(b"#mugos", dtype=np.uint8)


def _ignored_line_spans(data: bytes | mmap.mmap) -> list[tuple[int, int]]:
    """(start, end) byte ranges of the lines to leave out, newline included."""
    buffer = np.frombuffer(data, dtype=np.uint8)
    if buffer.size == 0:
        return []
    newlines = np.flatnonzero(buffer == 0x0A)
    starts = np.concatenate(([0], newlines + 1))
    starts = starts[starts < buffer.size]
    candidates = starts[np.isin(buffer[starts], _FIRST_BYTES)]  # cheap pre-filter on the first byte
    # the newline that ends each candidate line (a sentinel past the end for the last line)
    line_ends = np.concatenate((newlines + 1, [buffer.size]))
    ends = line_ends[np.searchsorted(newlines, candidates)]
    return [
        (start, end)
        for start, end in zip(candidates.tolist(), ends.tolist(), strict=True)
        if data[start : start + 8].startswith(_IGNORED_PREFIXES)
    ]


def obj_file_fingerprint(path: Path) -> str:
    """The fingerprint of an OBJ file, read through a memory map (the file is not copied into memory)."""
    with open(path, "rb") as handle:
        if handle.seek(0, 2) == 0:
            return obj_fingerprint(b"")
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            if mapped.find(b"\r") != -1:  # not Blender's own output: normalise a copy
                return obj_fingerprint(mapped[:])
            return _digest(mapped)


def obj_fingerprint(data: bytes) -> str:
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return _digest(data)


def _digest(data: bytes | mmap.mmap) -> str:
    digest = hashlib.sha256()
    view = memoryview(data)
    position = 0
    for start, end in _ignored_line_spans(data):
        digest.update(view[position:start])
        position = end
    digest.update(view[position:])
    return digest.hexdigest()


def obj_stats(data: bytes) -> tuple[int, int, int]:
    """(vertices, texture coordinates, faces) in an OBJ file."""
    vertices = data.count(b"\nv ") + data.startswith(b"v ")
    uvs = data.count(b"\nvt ") + data.startswith(b"vt ")
    faces = data.count(b"\nf ") + data.startswith(b"f ")
    return vertices, uvs, faces
