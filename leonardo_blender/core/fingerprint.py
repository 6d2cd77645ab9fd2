"""Fingerprints of exported meshes, to avoid uploading the same geometry twice.

The hash covers what the service sees of the shape (vertices, UVs, normals, faces) and ignores what
changes without changing the shape: comments (Blender version, date), ``mtllib``/``usemtl`` lines,
object and group names, smoothing groups and line endings.
"""

from __future__ import annotations

import hashlib

#: Stored instead of a hash when the user linked an object to an existing asset by hand: the next job
#: trusts the link and uploads nothing, whatever the geometry.
LINKED = "linked"

_IGNORED_PREFIXES = (b"#", b"mtllib", b"usemtl", b"o ", b"g ", b"s ")


def obj_fingerprint(data: bytes) -> str:
    digest = hashlib.sha256()
    for raw in data.splitlines():
        line = raw.strip()
        if not line or line.startswith(_IGNORED_PREFIXES):
            continue
        digest.update(b" ".join(line.split()))
        digest.update(b"\n")
    return digest.hexdigest()


def obj_stats(data: bytes) -> tuple[int, int, int]:
    """(vertices, texture coordinates, faces) in an OBJ file."""
    vertices = uvs = faces = 0
    for raw in data.splitlines():
        if raw.startswith(b"v "):
            vertices += 1
        elif raw.startswith(b"vt "):
            uvs += 1
        elif raw.startswith(b"f "):
            faces += 1
    return vertices, uvs, faces
