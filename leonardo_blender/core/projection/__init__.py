"""Projection engine: texture a mesh from generated views, in pure numpy (no ``bpy``, no Pillow).

The pipeline of a job: :func:`plan_views` chooses orthographic views around the mesh;
:func:`render_depth` draws each view's depth map (the ControlNet input) and depth buffer;
:func:`rasterize_uv` finds the texels of the mesh's UV map once; a :class:`ProjectionBaker` takes each
generated image back onto those texels with visibility and blending; :meth:`ProjectionBaker.albedo`
returns the finished, filled texture. Conventions (axes, pixel rows, UVs) are in :mod:`.views` and
:mod:`.surface`.
"""

from .bake import ProjectionBaker
from .depth import DEPTH_FAR_VALUE, render_depth
from .fill import push_pull_fill
from .mesh import MeshArrays, MeshFileError
from .raster import Fragments, keep_last, keep_nearest, nearest_depth, rasterize
from .surface import UvSurface, rasterize_uv
from .views import FULL_VIEWS, SIDE_VIEWS, ViewSpec, plan_views, side_directions

__all__ = [
    "DEPTH_FAR_VALUE",
    "FULL_VIEWS",
    "SIDE_VIEWS",
    "Fragments",
    "MeshArrays",
    "MeshFileError",
    "ProjectionBaker",
    "UvSurface",
    "ViewSpec",
    "keep_last",
    "keep_nearest",
    "nearest_depth",
    "plan_views",
    "push_pull_fill",
    "rasterize",
    "rasterize_uv",
    "render_depth",
    "side_directions",
]
