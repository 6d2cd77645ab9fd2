"""Texture maps the emulator returns for a texture generation: side colours painted in UV space.

Every polygon of the uploaded OBJ is classified as front/back/left/right/top/bottom from its normal and
``front_rotation_offset`` (see :func:`side_directions`), then rasterised in UV space with that side's
colour (:mod:`.palette`). A Blender render of the textured mesh therefore shows, e.g., red exactly where
the model's front is. Any orientation, V-flip or wiring mistake between the add-on and the emulator
shows up as wrong colours.

Image convention: pixel row 0 is the *top* of the image (``v = 1``), column 0 is ``u = 0``; a UV
``(u, v)`` lands at ``(x, y) = (u * size, (1 - v) * size)``, which is what OBJ and Blender expect.
All maps are RGB JPEGs; JPEG has no alpha, so HDRP_MASK cannot carry smoothness (its alpha channel).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
from PIL import Image

from .obj_mesh import ObjMesh
from .palette import SIDE_COLORS, SIDE_ROUGHNESS, SIDES, UNTEXTURED_COLOR, UNTEXTURED_ROUGHNESS

MAP_TYPES: tuple[str, ...] = ("ALBEDO", "NORMAL", "ROUGHNESS", "DISPLACEMENT", "HDRP_MASK")
DEFAULT_MAP_TYPES: tuple[str, ...] = ("ALBEDO", "NORMAL", "ROUGHNESS", "DISPLACEMENT")

BACKGROUND_COLOR: tuple[int, int, int] = (20, 20, 20)
GRID_CELLS = 16  # grid lines every 1/16 UV
GRID_DARKENING = 0.15  # albedo is this much darker on grid lines
DILATION_PIXELS = 4
JPEG_QUALITY = 92
MIN_SIZE = 16
MAX_SIZE = 4096

EMPTY_LABEL = -1  # label image value of pixels no triangle covers
UNTEXTURED_LABEL = len(SIDES)  # label of triangles a preview did not texture

_RASTER_BATCH_PIXELS = 1 << 20  # candidate pixels evaluated per numpy batch
_NEIGHBOUR_SHIFTS = ((0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (1, -1), (-1, 1), (-1, -1))


# --- orientation -----------------------------------------------------------------------------------


def front_direction(front_rotation_offset: float) -> np.ndarray:
    """Unit vector (Blender frame, Z up) the model's front faces: ``(sin θ, -cos θ, 0)``."""
    if not np.isfinite(front_rotation_offset):
        raise ValueError(f"front_rotation_offset must be a finite number of degrees, got {front_rotation_offset}")
    theta = np.deg2rad(float(front_rotation_offset))
    return np.round(np.array([np.sin(theta), -np.cos(theta), 0.0]), 12)


def side_directions(front_rotation_offset: float) -> np.ndarray:
    """``(6, 3)`` outward directions of :data:`SIDES` in Blender's frame for a yaw offset in degrees.

    ``right`` is ``(cos θ, sin θ, 0)``: for a model facing -Y that is +X, the side Blender's "Right"
    view shows.
    """
    front = front_direction(front_rotation_offset)
    right = np.array([-front[1], front[0], 0.0])
    up = np.array([0.0, 0.0, 1.0])
    return np.stack([front, -front, -right, right, up, -up])


def obj_to_blender(vectors: np.ndarray) -> np.ndarray:
    """Map OBJ-space vectors (-Z forward, Y up export) back to Blender's frame: (a, b, c) -> (a, -c, b)."""
    return np.stack([vectors[..., 0], -vectors[..., 2], vectors[..., 1]], axis=-1)


def polygon_normals(mesh: ObjMesh) -> np.ndarray:
    """Area-weighted normal of every source polygon, in OBJ space (counter-clockwise = outward)."""
    corners = mesh.positions[mesh.tri_positions]
    tri_normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    count = mesh.polygon_count
    return np.stack(
        [np.bincount(mesh.tri_polygon, weights=tri_normals[:, axis], minlength=count) for axis in range(3)],
        axis=1,
    )


def classify_triangles(mesh: ObjMesh, front_rotation_offset: float) -> np.ndarray:
    """Index into :data:`SIDES` of every triangle; all triangles of a polygon share its side."""
    if mesh.triangle_count == 0:
        return np.zeros(0, dtype=np.int64)
    normals = obj_to_blender(polygon_normals(mesh))
    polygon_side = np.argmax(normals @ side_directions(front_rotation_offset).T, axis=1)
    return polygon_side[mesh.tri_polygon].astype(np.int64)


def triangle_labels(mesh: ObjMesh, front_rotation_offset: float, preview: bool, preview_direction: str) -> np.ndarray:
    """Side index per triangle, or :data:`UNTEXTURED_LABEL` where a preview leaves the side untextured."""
    sides = classify_triangles(mesh, front_rotation_offset)
    if not preview:
        return sides
    return np.where(sides == SIDES.index(preview_direction), sides, UNTEXTURED_LABEL)


# --- rasterisation ---------------------------------------------------------------------------------


def uv_to_pixels(uvs: np.ndarray, size: int) -> np.ndarray:
    """UV coordinates to continuous pixel coordinates ``(x, y)`` with y pointing down (row 0 = v 1)."""
    return np.stack([uvs[..., 0] * size, (1.0 - uvs[..., 1]) * size], axis=-1)


def _next_power_of_two(values: np.ndarray) -> np.ndarray:
    """Smallest power of two >= each (positive integer) value."""
    return (1 << np.ceil(np.log2(np.maximum(values, 1))).astype(np.int64)).astype(np.int64)


def _doubled_signed_areas(tri_xy: np.ndarray) -> np.ndarray:
    """Twice the signed area of each ``(3, 2)`` triangle (positive = counter-clockwise in x/y)."""
    ab, ac = tri_xy[:, 1] - tri_xy[:, 0], tri_xy[:, 2] - tri_xy[:, 0]
    return ab[:, 0] * ac[:, 1] - ab[:, 1] * ac[:, 0]


def _edge_coefficients(tri_xy: np.ndarray) -> np.ndarray:
    """``(F, 3, 3)`` coefficients (A, B, C) so that ``A*y + B*x + C >= 0`` inside each edge."""
    start = tri_xy
    end = np.roll(tri_xy, -1, axis=1)
    a = end[..., 0] - start[..., 0]
    b = -(end[..., 1] - start[..., 1])
    c = -(a * start[..., 1] + b * start[..., 0])
    sign = np.sign(_doubled_signed_areas(tri_xy))[:, None]
    coefficients = np.stack([a * sign, b * sign, c * sign], axis=-1)
    tolerance = 1e-7 * (np.abs(a) + np.abs(b))
    coefficients[..., 2] += tolerance  # pixel centres exactly on a shared edge belong to both triangles
    return coefficients


def _rasterize_batch(
    image: np.ndarray, coefficients: np.ndarray, box: np.ndarray, labels: np.ndarray, height: int, width: int
) -> None:
    """Write ``labels`` into ``image`` for a batch of triangles whose boxes fit ``height x width``."""
    cols = box[:, 0, None, None] + np.arange(width)[None, None, :]
    rows = box[:, 1, None, None] + np.arange(height)[None, :, None]
    centre_x = cols + 0.5
    centre_y = rows + 0.5
    inside = (cols <= box[:, 2, None, None]) & (rows <= box[:, 3, None, None])
    for edge in range(3):
        a, b, c = (coefficients[:, edge, k, None, None] for k in range(3))
        inside &= a * centre_y + (b * centre_x + c) >= 0.0
    tri, row_offset, col_offset = np.nonzero(inside)
    image[box[tri, 1] + row_offset, box[tri, 0] + col_offset] = labels[tri]


def rasterize_labels(tri_xy: np.ndarray, labels: np.ndarray, size: int) -> np.ndarray:
    """Label image ``(size, size)`` int8: each pixel whose centre lies in a triangle gets its label.

    ``tri_xy`` is ``(F, 3, 2)`` pixel coordinates. Triangles are grouped by power-of-two bounding-box
    size and each group is tested against all its candidate pixel centres in one numpy expression.
    Uncovered pixels are :data:`EMPTY_LABEL`.
    """
    image = np.full((size, size), EMPTY_LABEL, dtype=np.int8)
    usable = np.isfinite(tri_xy).all(axis=(1, 2))
    tri_xy, labels = tri_xy[usable], labels[usable]
    low = np.ceil(tri_xy.min(axis=1) - 0.5).clip(0, size).astype(np.int64)
    high = np.floor(tri_xy.max(axis=1) - 0.5).clip(-1, size - 1).astype(np.int64)
    box = np.concatenate([low, high], axis=1)  # x0, y0, x1, y1 (inclusive)
    coefficients = _edge_coefficients(tri_xy)
    nonempty = (box[:, 2] >= box[:, 0]) & (box[:, 3] >= box[:, 1])
    nonempty &= _doubled_signed_areas(tri_xy) != 0  # zero-area slivers would cover nothing anyway
    piece_tri, piece_box = _split_into_row_bands(np.flatnonzero(nonempty), box[nonempty])
    box_width = _next_power_of_two(piece_box[:, 2] - piece_box[:, 0] + 1)
    box_height = _next_power_of_two(piece_box[:, 3] - piece_box[:, 1] + 1)
    for width, height in sorted(set(zip(box_width.tolist(), box_height.tolist(), strict=True))):
        members = np.flatnonzero((box_width == width) & (box_height == height))
        batch = max(1, _RASTER_BATCH_PIXELS // (width * height))
        for start in range(0, len(members), batch):
            chosen = members[start : start + batch]
            tris = piece_tri[chosen]
            _rasterize_batch(image, coefficients[tris], piece_box[chosen], labels[tris], height, width)
    return image


def _split_into_row_bands(tri_index: np.ndarray, box: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cut boxes taller than the pixel budget allows into row bands; returns (triangle, box) per piece.

    Keeps memory bounded for triangles covering much of a large image; small triangles stay whole.
    """
    widths = _next_power_of_two(box[:, 2] - box[:, 0] + 1)
    max_rows = np.maximum(1, _RASTER_BATCH_PIXELS // widths)  # a power of two, like the widths
    bands = -(-(box[:, 3] - box[:, 1] + 1) // max_rows)
    first_band = np.repeat(np.cumsum(bands) - bands, bands)
    band_number = np.arange(int(bands.sum())) - first_band
    rows = np.repeat(max_rows, bands)
    top = np.repeat(box[:, 1], bands) + band_number * rows
    bottom = np.minimum(top + rows - 1, np.repeat(box[:, 3], bands))
    pieces = np.stack([np.repeat(box[:, 0], bands), top, np.repeat(box[:, 2], bands), bottom], axis=1)
    return np.repeat(tri_index, bands), pieces


def dilate_labels(image: np.ndarray, pixels: int = DILATION_PIXELS) -> np.ndarray:
    """Grow labelled islands into empty pixels by ``pixels`` (8-neighbourhood), so seams don't bleed."""
    result = image.copy()
    height, width = result.shape
    for _ in range(pixels):
        empty = result == EMPTY_LABEL
        if not empty.any():
            break
        padded = np.pad(result, 1, constant_values=EMPTY_LABEL)
        grown = result.copy()
        for dy, dx in _NEIGHBOUR_SHIFTS:
            neighbour = padded[1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width]
            fill = (grown == EMPTY_LABEL) & (neighbour != EMPTY_LABEL)
            grown[fill] = neighbour[fill]
        result = grown
    return result


# --- map synthesis ---------------------------------------------------------------------------------


def _grid_profile_1d(size: int) -> np.ndarray:
    """Smooth 0..1 ridge profile along one axis, peaking on every 1/16 UV grid line."""
    cell = size / GRID_CELLS
    half_width = max(1.0, size / 256.0)
    centres = np.arange(size) + 0.5
    distance = np.abs((centres + cell / 2.0) % cell - cell / 2.0)
    return np.where(distance < half_width, np.cos(np.pi / 2.0 * distance / half_width) ** 2, 0.0)


def grid_height(size: int) -> np.ndarray:
    """``(size, size)`` 0..1 height field of the UV grid (ridges along u and v grid lines)."""
    profile = _grid_profile_1d(size).astype(np.float32)
    along_v = profile[::-1]  # row r is v = 1 - (r + 0.5) / size; the grid is measured from v = 0
    return np.maximum(along_v[:, None], profile[None, :])


def _cell_jitter(size: int, seed: int) -> np.ndarray:
    """Cosmetic, seed-dependent brightness factor (within +-3%) per grid cell."""
    rng = np.random.default_rng(seed % (1 << 64))
    cells = 1.0 + rng.uniform(-0.03, 0.03, size=(GRID_CELLS, GRID_CELLS))
    index = (np.arange(size) * GRID_CELLS) // size
    return cells.astype(np.float32)[index[:, None], index[None, :]]


def _label_table(
    values: Mapping[str, tuple[float, ...]], untextured: tuple[float, ...], empty: tuple[float, ...]
) -> np.ndarray:
    """Lookup table indexed by ``label + 1`` (so EMPTY_LABEL -> row 0)."""
    return np.array([empty, *(values[side] for side in SIDES), untextured], dtype=np.float32)


def albedo_rgb(labels: np.ndarray, height: np.ndarray, seed: int) -> np.ndarray:
    """Side colours, darkened on grid lines and jittered per cell; ``(S, S, 3)`` float 0..255."""
    colors = {side: tuple(float(c) for c in SIDE_COLORS[side]) for side in SIDES}
    table = _label_table(colors, tuple(map(float, UNTEXTURED_COLOR)), tuple(map(float, BACKGROUND_COLOR)))
    shade = (1.0 - GRID_DARKENING * height) * _cell_jitter(labels.shape[0], seed)
    return table[labels.astype(np.int64) + 1] * shade[..., None]


def roughness_rgb(labels: np.ndarray) -> np.ndarray:
    """Per-side roughness times 255, untextured and empty areas 0.5."""
    values = {side: (SIDE_ROUGHNESS[side] * 255.0,) for side in SIDES}
    table = _label_table(values, (UNTEXTURED_ROUGHNESS * 255.0,), (UNTEXTURED_ROUGHNESS * 255.0,))
    return np.repeat(table[labels.astype(np.int64) + 1], 3, axis=-1)


def normal_rgb(height: np.ndarray) -> np.ndarray:
    """Tangent-space (OpenGL, +Y = +V) normal map of the embossed grid; flat areas are (128, 128, 255)."""
    half_width = max(1.0, height.shape[0] / 256.0)
    relief = height * (0.4 * half_width)  # in pixels; the steepest slope is about 0.6 (32 degrees)
    d_row, d_col = np.gradient(relief)
    normal = np.stack([-d_col, d_row, np.ones_like(relief)], axis=-1)  # -dh/dv = +dh/drow
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    return 128.0 + normal * 127.0


def displacement_rgb(height: np.ndarray) -> np.ndarray:
    """Mid-grey (128) height map with the grid raised slightly."""
    return np.repeat((128.0 + 24.0 * height)[..., None], 3, axis=-1)


def hdrp_mask_rgb(labels: np.ndarray) -> np.ndarray:
    """HDRP mask map: R metallic (255 on top only), G ambient occlusion 230, B detail mask 255."""
    rgb = np.empty((*labels.shape, 3), dtype=np.float32)
    rgb[..., 0] = np.where(labels == SIDES.index("top"), 255.0, 0.0)
    rgb[..., 1] = 230.0
    rgb[..., 2] = 255.0
    return rgb


def encode_jpeg(rgb: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    """Encode a float or uint8 ``(H, W, 3)`` array as a baseline RGB JPEG (4:4:4, no chroma blur)."""
    pixels = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, "JPEG", quality=quality, subsampling=0)
    return buffer.getvalue()


# --- entry point -----------------------------------------------------------------------------------


def _validate_request(size: int, preview: bool, preview_direction: str | None, map_types: Sequence[str]) -> str:
    """Check arguments; return the normalised preview direction (``front`` when absent or unused)."""
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"size must be between {MIN_SIZE} and {MAX_SIZE}, got {size}")
    unknown = [name for name in map_types if name not in MAP_TYPES]
    if unknown:
        raise ValueError(f"unknown texture map type(s) {unknown}; expected some of {MAP_TYPES}")
    direction = (preview_direction or "front").lower()
    if not preview:
        return "front"  # the plugin always sends a direction; only a preview uses it
    if direction not in SIDES:
        raise ValueError(f"preview_direction must be one of {SIDES}, got {preview_direction!r}")
    return direction


def render_label_image(
    mesh: ObjMesh, *, front_rotation_offset: float, preview: bool, preview_direction: str, size: int
) -> np.ndarray:
    """Dilated ``(size, size)`` label image (side index, UNTEXTURED_LABEL or EMPTY_LABEL per pixel)."""
    with np.errstate(over="ignore", invalid="ignore"):  # absurd coordinates just cover nothing
        labels = triangle_labels(mesh, front_rotation_offset, preview, preview_direction)
        tri_xy = uv_to_pixels(mesh.uvs[mesh.tri_uvs], size)
        return dilate_labels(rasterize_labels(tri_xy, labels, size))


def render_texture_maps(
    mesh: ObjMesh,
    *,
    front_rotation_offset: float = 0.0,
    preview: bool = False,
    preview_direction: str | None = "front",
    size: int = 1024,
    seed: int = 0,
    map_types: Sequence[str] = DEFAULT_MAP_TYPES,
) -> dict[str, bytes]:
    """JPEG bytes per requested map type (keys in the order requested, duplicates collapsed).

    ``preview_direction`` is case-insensitive and only matters when ``preview`` is true (``None``
    means ``front``). Raises ValueError for bad arguments; the mesh itself never makes it fail.
    """
    direction = _validate_request(size, preview, preview_direction, map_types)
    if not map_types:
        return {}
    labels = render_label_image(
        mesh,
        front_rotation_offset=front_rotation_offset,
        preview=preview,
        preview_direction=direction,
        size=size,
    )
    height = grid_height(size)
    builders = {
        "ALBEDO": lambda: albedo_rgb(labels, height, seed),
        "NORMAL": lambda: normal_rgb(height),
        "ROUGHNESS": lambda: roughness_rgb(labels),
        "DISPLACEMENT": lambda: displacement_rgb(height),
        "HDRP_MASK": lambda: hdrp_mask_rgb(labels),
    }
    return {name: encode_jpeg(builders[name]()) for name in dict.fromkeys(map_types)}
