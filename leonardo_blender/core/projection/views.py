"""The cameras of a projection job: which sides of the model are shown, and how each view is framed.

Every view is an orthographic camera. Orthographic projection makes back-projection exact: every
pixel is a parallel ray, so a texel maps to an image pixel by one dot product per axis, with no
perspective divide and no dependence on a focal length or camera distance. Texel density is uniform
across the frame, and the depth map is a plain linear distance, not distorted by perspective, so the
ControlNet depth signal means the same thing in every corner. Framing is a square fitted to the
mesh's silhouette, independent of any lens. The downside: image generators are trained on
perspective photos, so an orthographic depth map is a little unusual for them; for single objects
framed tightly this is acceptable.

Conventions (Blender's world, Z up, right-handed): ``front_rotation_offset`` ``θ`` in degrees gives
the model's front ``(sin θ, -cos θ, 0)`` and right ``(cos θ, sin θ, 0)``. The view named after a side
looks *at* that side: its camera sits at ``centre + direction * distance`` and looks along
``forward = -direction``. Side views have world +Z as image-up; the top view's image-up is ``-front``
(the model's back at the top of the image, as in Blender's Top view), the bottom view's is ``+front``.
``image_right = normalize(cross(forward, image_up))``. Pixel rows grow downwards (row 0 is the top).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .mesh import MeshArrays, used_vertex_mask

SIDE_VIEWS: tuple[str, ...] = ("front", "right", "back", "left")
FULL_VIEWS: tuple[str, ...] = ("front", "right", "back", "left", "top")
VIEW_NAMES: tuple[str, ...] = (*FULL_VIEWS, "bottom")
PREVIEW_DIRECTIONS: tuple[str, ...] = ("front", "back", "left", "right")

MIN_VIEW_SIZE = 64
MAX_VIEW_SIZE = 1536
VIEW_SIZE_STEP = 8

Vector = tuple[float, float, float]


@dataclass(frozen=True)
class ViewSpec:
    """One orthographic view: orientation, square framing and depth range, JSON-serialisable."""

    name: str
    direction: Vector  # unit vector from the object towards the camera
    right: Vector  # image right in world space
    up: Vector  # image up in world space
    center: Vector  # world point at the centre of the frame (and of the depth range)
    half_extent: float  # half of the frame's side, world units
    near: float  # smallest depth of the mesh in this view (depth is measured from ``center``)
    far: float  # largest depth
    size: int  # image width == height, pixels

    def __post_init__(self) -> None:
        for field in ("direction", "right", "up", "center"):
            value = getattr(self, field)
            if len(value) != 3 or not all(math.isfinite(component) for component in value):
                raise ValueError(f"view {field} must be three finite numbers, got {value!r}")
        if not (math.isfinite(self.half_extent) and self.half_extent > 0):
            raise ValueError(f"view half_extent must be a positive number, got {self.half_extent!r}")
        if not (math.isfinite(self.near) and math.isfinite(self.far) and self.near <= self.far):
            raise ValueError(f"view near/far must be finite with near <= far, got {self.near!r}, {self.far!r}")
        if self.size < 1:
            raise ValueError(f"view size must be a positive number of pixels, got {self.size!r}")

    @property
    def forward(self) -> np.ndarray:
        """``(3,)`` viewing direction (from the camera into the scene): ``-direction``."""
        return -np.asarray(self.direction, dtype=np.float64)

    @property
    def pixel_world_size(self) -> float:
        """Side of one pixel in world units."""
        return 2.0 * self.half_extent / self.size

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Continuous ``(col, row, depth)`` of ``(..., 3)`` world points, float32 each.

        ``col = (dot(p - c, right) / half + 1) / 2 * size``, ``row = (1 - dot(p - c, up) / half) / 2 * size``
        (pixel centres are at ``+0.5``; row 0 is the top), ``depth = dot(p - c, forward)``.
        """
        scale = 0.5 * self.size / self.half_extent
        axes = np.stack([np.asarray(self.right) * scale, -np.asarray(self.up) * scale, self.forward], axis=1)
        relative = np.asarray(points, dtype=np.float32) - np.asarray(self.center, dtype=np.float32)  # precise far out
        projected = relative @ axes.astype(np.float32)
        projected += np.array([0.5 * self.size, 0.5 * self.size, 0.0], dtype=np.float32)
        return projected[..., 0], projected[..., 1], projected[..., 2]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly dict (lists and floats); :meth:`from_dict` reverses it."""
        return {
            "name": self.name,
            "direction": list(self.direction),
            "right": list(self.right),
            "up": list(self.up),
            "center": list(self.center),
            "half_extent": self.half_extent,
            "near": self.near,
            "far": self.far,
            "size": self.size,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ViewSpec:
        """Rebuild from :meth:`to_dict` output; ``ValueError`` naming the bad or missing field."""
        try:
            return cls(
                name=str(data["name"]),
                direction=_vector(data["direction"], "direction"),
                right=_vector(data["right"], "right"),
                up=_vector(data["up"], "up"),
                center=_vector(data["center"], "center"),
                half_extent=float(data["half_extent"]),
                near=float(data["near"]),
                far=float(data["far"]),
                size=_integer(data["size"], "size"),
            )
        except KeyError as error:
            raise ValueError(f"view description lacks {error.args[0]!r}") from error
        except TypeError as error:
            raise ValueError(f"view description is malformed: {error}") from error


def side_directions(front_rotation_offset: float) -> dict[str, np.ndarray]:
    """Outward ``(3,)`` float64 unit vectors of the six sides for a yaw offset in degrees.

    Keys ``front, right, back, left, top, bottom``. Components are rounded to 12 decimals so that the
    usual offsets (-90, 0, 90, 180) give exact zeros and ones.
    """
    if not math.isfinite(front_rotation_offset):
        raise ValueError(f"front_rotation_offset must be a finite number of degrees, got {front_rotation_offset}")
    theta = math.radians(float(front_rotation_offset))
    front = np.round(np.array([math.sin(theta), -math.cos(theta), 0.0]), 12) + 0.0  # + 0.0 turns -0.0 into 0.0
    right = np.round(np.array([math.cos(theta), math.sin(theta), 0.0]), 12) + 0.0
    up = np.array([0.0, 0.0, 1.0])
    return {"front": front, "right": right, "back": -front + 0.0, "left": -right + 0.0, "top": up, "bottom": -up}


def view_axes(name: str, front_rotation_offset: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(direction, right, up)`` of the view that looks at side ``name``."""
    sides = side_directions(front_rotation_offset)
    if name not in sides:
        raise ValueError(f"view name must be one of {VIEW_NAMES}, got {name!r}")
    direction = sides[name]
    if name == "top":
        up = -sides["front"]
    elif name == "bottom":
        up = sides["front"].copy()
    else:
        up = sides["top"].copy()
    right = np.cross(-direction, up)
    right /= np.linalg.norm(right)
    return direction, np.round(right, 12) + 0.0, up + 0.0


def check_view_size(size: int) -> None:
    """``ValueError`` unless ``size`` is a multiple of 8 in 64..1536 (what the image service accepts)."""
    if isinstance(size, bool) or not isinstance(size, int | np.integer):
        raise ValueError(f"view size must be an integer number of pixels, got {size!r}")
    if not (MIN_VIEW_SIZE <= size <= MAX_VIEW_SIZE and size % VIEW_SIZE_STEP == 0):
        raise ValueError(
            f"view size must be a multiple of {VIEW_SIZE_STEP} between {MIN_VIEW_SIZE} and {MAX_VIEW_SIZE}, got {size}"
        )


def frame_view(name: str, points: np.ndarray, front_rotation_offset: float, size: int, margin: float) -> ViewSpec:
    """The view looking at side ``name``, framed tightly (plus ``margin``) around ``points`` ``(V, 3)``."""
    direction, right, up = view_axes(name, front_rotation_offset)
    forward = -direction
    axes = np.stack([right, up, forward], axis=1)  # world -> (right, up, forward) coordinates
    coordinates = np.asarray(points, dtype=np.float64) @ axes
    low, high = coordinates.min(axis=0), coordinates.max(axis=0)
    middle = (low + high) / 2.0
    extent = float(max(high[0] - low[0], high[1] - low[1]))
    diagonal = float(np.linalg.norm(high - low))
    smallest = 1e-4 * diagonal if diagonal > 0 else 1.0  # a flat or point-like mesh still gets a frame
    half_extent = max(extent / 2.0, smallest) * (1.0 + margin)
    center = axes @ middle  # axes is orthonormal: its transpose maps coordinates back to world
    return ViewSpec(
        name=name,
        direction=_as_tuple(direction),
        right=_as_tuple(right),
        up=_as_tuple(up),
        center=_as_tuple(center),
        half_extent=half_extent,
        near=float(low[2] - middle[2]),
        far=float(high[2] - middle[2]),
        size=int(size),
    )


def plan_views(
    mesh: MeshArrays,
    front_rotation_offset: int,
    *,
    preview: bool,
    preview_direction: str = "front",
    size: int = 1024,
    margin: float = 0.05,
    include_bottom: bool = False,
) -> list[ViewSpec]:
    """The views of a job, each framed tightly around the mesh.

    A preview is one view, named by ``preview_direction`` (front, back, left or right of the model).
    A full texture is front, right, back, left, top (+ bottom with ``include_bottom``), in that order.
    """
    check_view_size(size)
    if not (math.isfinite(margin) and 0.0 <= margin <= 1.0):
        raise ValueError(f"margin must be between 0 and 1, got {margin}")
    if preview:
        if preview_direction not in PREVIEW_DIRECTIONS:
            raise ValueError(f"preview_direction must be one of {PREVIEW_DIRECTIONS}, got {preview_direction!r}")
        names: tuple[str, ...] = (preview_direction,)
    else:
        names = (*FULL_VIEWS, "bottom") if include_bottom else FULL_VIEWS
    points = mesh.positions[used_vertex_mask(mesh)]
    return [frame_view(name, points, front_rotation_offset, size, margin) for name in names]


def _as_tuple(vector: np.ndarray) -> Vector:
    return (float(vector[0]), float(vector[1]), float(vector[2]))


def _vector(value: Any, field: str) -> Vector:
    try:
        components = [float(component) for component in value]
    except (TypeError, ValueError) as error:
        raise ValueError(f"view {field} must be a list of three numbers, got {value!r}") from error
    if len(components) != 3:
        raise ValueError(f"view {field} must be a list of three numbers, got {value!r}")
    return (components[0], components[1], components[2])


def _integer(value: Any, field: str) -> int:
    if isinstance(value, bool) or not float(value).is_integer():
        raise ValueError(f"view {field} must be an integer, got {value!r}")
    return int(value)
