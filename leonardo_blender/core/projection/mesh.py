"""The mesh the projection engine works on, as plain numpy arrays that can cross threads and disk.

The Blender layer copies the evaluated mesh (modifiers and object transform applied) into a
:class:`MeshArrays` on the main thread with ``foreach_get``; everything after that runs on a worker.
``save``/``load`` keep a copy next to a job so a resumed job can bake without Blender's help.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FORMAT_VERSION = 1
_ARRAY_NAMES = ("positions", "triangles", "uvs")


class MeshFileError(ValueError):
    """A mesh file that is missing, truncated, of another kind or holds an invalid mesh."""


@dataclass(frozen=True)
class MeshArrays:
    """A triangulated mesh in world space with one UV map.

    ``positions`` ``(V, 3)`` float32 world-space vertex positions; ``triangles`` ``(T, 3)`` int32 vertex
    indices; ``uvs`` ``(T, 3, 2)`` float32 per-corner UVs of the map to bake into (corner ``k`` of
    triangle ``t`` is vertex ``triangles[t, k]``).
    """

    positions: np.ndarray
    triangles: np.ndarray
    uvs: np.ndarray

    @classmethod
    def from_arrays(cls, positions: np.ndarray, triangles: np.ndarray, uvs: np.ndarray) -> MeshArrays:
        """Build from array-likes of any numeric dtype (converted to the canonical dtypes), validated."""
        mesh = cls(
            positions=np.ascontiguousarray(positions, dtype=np.float32),
            triangles=np.ascontiguousarray(triangles, dtype=np.int32),
            uvs=np.ascontiguousarray(uvs, dtype=np.float32),
        )
        mesh.validate()
        return mesh

    @property
    def triangle_count(self) -> int:
        return int(self.triangles.shape[0])

    def validate(self) -> None:
        """Raise ``ValueError`` saying what is wrong when shapes, dtypes, values or indices are invalid."""
        _check_array("positions", self.positions, np.float32, (None, 3))
        _check_array("triangles", self.triangles, np.int32, (None, 3))
        _check_array("uvs", self.uvs, np.float32, (None, 3, 2))
        if self.triangles.shape[0] == 0:
            raise ValueError("mesh has no triangles: there is nothing to texture")
        if self.uvs.shape[0] != self.triangles.shape[0]:
            raise ValueError(
                f"uvs has {self.uvs.shape[0]} triangles but triangles has {self.triangles.shape[0]}; "
                "there must be one (3, 2) UV triple per triangle"
            )
        if not np.isfinite(self.positions).all():
            raise ValueError("positions contain NaN or infinite values")
        if not np.isfinite(self.uvs).all():
            raise ValueError("uvs contain NaN or infinite values")
        low, high = int(self.triangles.min()), int(self.triangles.max())
        vertex_count = self.positions.shape[0]
        if low < 0 or high >= vertex_count:
            raise ValueError(f"triangle vertex indices must be in 0..{vertex_count - 1}, found {low}..{high}")

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """``(min (3,), max (3,))`` float64 corners of the box around the vertices the triangles use."""
        used = self.positions[used_vertex_mask(self)]
        return used.min(axis=0).astype(np.float64), used.max(axis=0).astype(np.float64)

    def save(self, path: Path) -> None:
        """Write an ``.npz`` atomically: a temporary file in the same folder, then ``os.replace``."""
        self.validate()
        path = Path(path)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                np.savez(
                    stream,
                    format_version=np.array(FORMAT_VERSION, dtype=np.int32),
                    positions=self.positions,
                    triangles=self.triangles,
                    uvs=self.uvs,
                )
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> MeshArrays:
        """Read a file written by :meth:`save`; :class:`MeshFileError` (a ValueError) saying why when it is bad."""
        path = Path(path)
        try:
            arrays = _read_archive(path)
        except MeshFileError:
            raise
        except Exception as error:  # zip, zlib, npy header and OS errors all mean "not a mesh file"
            raise MeshFileError(f"mesh file {path} is not a readable mesh archive: {error}") from error
        mesh = cls(**arrays)
        try:
            mesh.validate()
        except ValueError as error:
            raise MeshFileError(f"mesh file {path} holds an invalid mesh: {error}") from error
        return mesh


def _read_archive(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a mesh ``.npz``; ``MeshFileError`` when it is another kind of file or misses arrays."""
    with open(path, "rb") as stream:  # our own handle: closed even when numpy fails half-way
        loaded = np.load(stream, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise MeshFileError(f"mesh file {path} is a single array, not a mesh archive")
        with loaded as archive:
            missing = [name for name in ("format_version", *_ARRAY_NAMES) if name not in archive.files]
            if missing:
                raise MeshFileError(f"mesh file {path} lacks {', '.join(missing)}")
            version = int(archive["format_version"])
            if version != FORMAT_VERSION:
                raise MeshFileError(f"mesh file {path} has format version {version}, expected {FORMAT_VERSION}")
            return {name: archive[name] for name in _ARRAY_NAMES}


def used_vertex_mask(mesh: MeshArrays) -> np.ndarray:
    """``(V,)`` bool: True for vertices some triangle uses (loose vertices are ignored for framing)."""
    used = np.zeros(mesh.positions.shape[0], dtype=bool)
    used[mesh.triangles.ravel()] = True
    return used


def _check_array(name: str, array: object, dtype: type, shape: tuple[int | None, ...]) -> None:
    """Raise ``ValueError`` unless ``array`` is an ndarray of ``dtype`` whose shape matches ``shape``."""
    if not isinstance(array, np.ndarray):
        raise ValueError(f"{name} must be a numpy array, got {type(array).__name__}")
    if array.dtype != dtype:
        raise ValueError(f"{name} must have dtype {np.dtype(dtype).name}, got {array.dtype.name}")
    expected = "(" + ", ".join("N" if size is None else str(size) for size in shape) + ")"
    if array.ndim != len(shape) or any(
        want is not None and got != want for got, want in zip(array.shape, shape, strict=True)
    ):
        raise ValueError(f"{name} must have shape {expected}, got {array.shape}")
