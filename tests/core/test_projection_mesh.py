"""MeshArrays: validation, bounds and the atomic .npz round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from leonardo_blender.core.projection import MeshArrays, MeshFileError
from leonardo_blender.core.projection.samples import box, uv_sphere


def test_save_load_round_trip(tmp_path: Path) -> None:
    mesh = uv_sphere(6, 12)
    path = tmp_path / "mesh.npz"
    mesh.save(path)
    loaded = MeshArrays.load(path)
    for name in ("positions", "triangles", "uvs"):
        assert np.array_equal(getattr(loaded, name), getattr(mesh, name))
        assert getattr(loaded, name).dtype == getattr(mesh, name).dtype
    assert [p.name for p in tmp_path.iterdir()] == ["mesh.npz"]  # no temporary left behind


def test_save_replaces_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "mesh.npz"
    box().save(path)
    uv_sphere(4, 8).save(path)
    assert MeshArrays.load(path).triangle_count == uv_sphere(4, 8).triangle_count


@pytest.mark.parametrize(
    "content", [b"", b"not a mesh at all", b"PK\x03\x04truncated zip", b"\x93NUMPY garbage header"]
)
def test_load_of_a_garbage_file_raises_value_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "mesh.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="mesh file"):
        MeshArrays.load(path)


def test_load_rejects_other_archives_and_invalid_meshes(tmp_path: Path) -> None:
    other = tmp_path / "other.npz"
    np.savez(other, something=np.zeros(3))
    with pytest.raises(MeshFileError, match="lacks"):
        MeshArrays.load(other)
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(MeshFileError, match="single array"):
        MeshArrays.load(single)
    bad_index = tmp_path / "bad.npz"
    mesh = box()
    np.savez(
        bad_index, format_version=np.int32(1), positions=mesh.positions, triangles=mesh.triangles + 10, uvs=mesh.uvs
    )
    with pytest.raises(MeshFileError, match="vertex indices"):
        MeshArrays.load(bad_index)
    truncated = tmp_path / "truncated.npz"
    mesh.save(truncated)
    truncated.write_bytes(truncated.read_bytes()[:300])
    with pytest.raises(ValueError):
        MeshArrays.load(truncated)
    with pytest.raises(ValueError, match="mesh file"):
        MeshArrays.load(tmp_path / "missing.npz")


def test_validate_says_what_is_wrong() -> None:
    mesh = box()
    cases = {
        "dtype float32": MeshArrays(mesh.positions.astype(np.float64), mesh.triangles, mesh.uvs),
        "shape": MeshArrays(mesh.positions[:, :2].copy(), mesh.triangles, mesh.uvs),
        "one \\(3, 2\\) UV triple per triangle": MeshArrays(mesh.positions, mesh.triangles, mesh.uvs[:-1]),
        "NaN": MeshArrays(np.full_like(mesh.positions, np.nan), mesh.triangles, mesh.uvs),
        "uvs contain": MeshArrays(mesh.positions, mesh.triangles, np.full_like(mesh.uvs, np.inf)),
        "0..7": MeshArrays(mesh.positions, mesh.triangles - 1, mesh.uvs),
        "no triangles": MeshArrays(mesh.positions, mesh.triangles[:0], mesh.uvs[:0]),
        "numpy array": MeshArrays(mesh.positions.tolist(), mesh.triangles, mesh.uvs),  # type: ignore[arg-type]
    }
    for message, broken in cases.items():
        with pytest.raises(ValueError, match=message):
            broken.validate()
    mesh.validate()


def test_from_arrays_converts_and_bounds_ignore_loose_vertices() -> None:
    mesh = MeshArrays.from_arrays(
        [[0, 0, 0], [2, 0, 0], [0, 3, 1], [100, 100, 100]], [[0, 1, 2]], [[[0, 0], [1, 0], [0, 1]]]
    )
    assert mesh.positions.dtype == np.float32 and mesh.triangles.dtype == np.int32 and mesh.uvs.dtype == np.float32
    low, high = mesh.bounds
    assert np.allclose(low, (0, 0, 0)) and np.allclose(high, (2, 3, 1))  # the loose vertex is not framed
