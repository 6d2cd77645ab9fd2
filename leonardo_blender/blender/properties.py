"""Property groups: ``Scene.leonardo`` (panel settings and the job list), ``Object.leonardo`` (the
object's uploaded model asset) and ``WindowManager.leonardo`` (runtime-only UI state, never saved).

One group per ID type, registered in ``__init__.py``; no loose properties with generic names. No key
or secret is ever stored here.
"""

from __future__ import annotations

import zlib

import bpy
from bpy.props import (
    BoolProperty,
    CollectionProperty,
    EnumProperty,
    FloatProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)

from ..core.jobs import ENGINE_AUTO, JobState
from ..core.model_families import DEFAULT_MODEL_ID, KNOWN_MODELS, depth_guidance_problem
from .seamless.properties import LEONARDO_PG_seamless, LEONARDO_PG_seamless_runtime

#: Which way the model faces (Blender axis) -> ``front_rotation_offset`` degrees sent to the service.
FACING_TO_OFFSET = {"NEG_Y": 0, "POS_X": 90, "NEG_X": -90, "POS_Y": 180}
OFFSET_TO_FACING = {v: k for k, v in FACING_TO_OFFSET.items()}

FACING_ITEMS = [
    ("NEG_Y", "-Y (Front view)", "The model faces -Y, towards Blender's Front view (offset 0)"),
    ("POS_X", "+X (Right view)", "The model faces +X (offset 90)"),
    ("NEG_X", "-X (Left view)", "The model faces -X (offset -90)"),
    ("POS_Y", "+Y (Back view)", "The model faces +Y (offset 180)"),
]
SD_VERSION_ITEMS = [
    ("v2", "v2", "Leonardo's newer texture model"),
    ("v1_5", "v1.5", "Leonardo's first texture model; a different style"),
]
DIRECTION_ITEMS = [
    ("front", "Front", "Texture the side the model faces"),
    ("back", "Back", "Texture the back"),
    ("left", "Left", "Texture the left side"),
    ("right", "Right", "Texture the right side"),
]
STATE_ITEMS = [(s.value, s.label, "") for s in JobState]
ENGINE_ITEMS = [
    (
        "AUTO",
        "Auto",
        "Leonardo's 3D texture generation when the service offers it, otherwise projection through image generation",
    ),
    ("TEXTURE_API", "Texture API", "Leonardo's 3D texture generation (POST /generations-texture)"),
    (
        "PROJECTION",
        "Projection",
        "Depth-guided image generation from several views around the model, baked into its own UVs",
    ),
]
BAKE_SIZE_ITEMS = [
    ("1024", "1K", "Bake the maps at 1024 x 1024"),
    ("2048", "2K", "Bake the maps at 2048 x 2048"),
    ("4096", "4K", "Bake the maps at 4096 x 4096 (slower, more memory)"),
]


def _model_item(model_id: str, name: str, note: str) -> tuple[str, str, str, str, int]:
    # A stable number per id: a dynamic enum is saved as its number, so choices survive list changes.
    return (model_id, name, note, "NONE", zlib.crc32(model_id.encode()) & 0x7FFFFFFF)


#: Image models offered for projection: the documented ones first, then those the account lists
#: (``set_platform_models``). Kept at module level: Blender needs the strings to stay alive.
_model_items: list[tuple[str, str, str, str, int]] = [
    _model_item(m.id, m.name, depth_guidance_problem(m.id) or f"{m.family} model with Depth to Image guidance")
    for m in KNOWN_MODELS
]


def set_platform_models(models: list[tuple[str, str]]) -> None:
    """Add the account's platform models ((id, name) pairs) to the image model list."""
    known = {item[0] for item in _model_items}
    for model_id, name in models:
        if model_id not in known:
            note = depth_guidance_problem(model_id) or "Depth to Image guidance"
            _model_items.append(_model_item(model_id, name or model_id, note))
            known.add(model_id)


def _image_model_items(self: bpy.types.PropertyGroup, context: bpy.types.Context | None) -> list:
    return _model_items


def _redraw(self: bpy.types.PropertyGroup, context: bpy.types.Context) -> None:
    for area in getattr(context.screen, "areas", ()):
        if area.type == "VIEW_3D":
            area.tag_redraw()


class LEONARDO_PG_job(bpy.types.PropertyGroup):
    """A texture job as saved in the .blend (the full record is ``payload``, JSON)."""

    job_id: StringProperty(name="Job")  # type: ignore[valid-type]
    payload: StringProperty(name="Record")  # type: ignore[valid-type]
    state: EnumProperty(name="State", items=STATE_ITEMS, default=JobState.EXPORTING.value)  # type: ignore[valid-type]
    object_name: StringProperty(name="Object")  # type: ignore[valid-type]
    prompt: StringProperty(name="Prompt")  # type: ignore[valid-type]
    kind: StringProperty(name="Kind")  # type: ignore[valid-type]
    generation_id: StringProperty(name="Generation")  # type: ignore[valid-type]
    seed_used: StringProperty(name="Seed")  # type: ignore[valid-type]
    cost: IntProperty(name="Cost", default=-1)  # type: ignore[valid-type]
    error: StringProperty(name="Error")  # type: ignore[valid-type]
    error_action: StringProperty(name="Fix")  # type: ignore[valid-type]
    accepted_at: FloatProperty(name="Accepted")  # type: ignore[valid-type]
    material_name: StringProperty(name="Material")  # type: ignore[valid-type]
    engine: StringProperty(name="Engine")  # type: ignore[valid-type]
    note: StringProperty(name="Note")  # type: ignore[valid-type]
    views_done: IntProperty(name="Views Done")  # type: ignore[valid-type]
    views_total: IntProperty(name="Views")  # type: ignore[valid-type]
    resumable: BoolProperty(name="Resumable")  # type: ignore[valid-type]
    batch_id: StringProperty(name="Batch")  # type: ignore[valid-type]


class LEONARDO_PG_scene(bpy.types.PropertyGroup):
    prompt: StringProperty(  # type: ignore[valid-type]
        name="Prompt", description="What the texture should look like", update=_redraw
    )
    negative_prompt: StringProperty(  # type: ignore[valid-type]
        name="Negative Prompt", description="What the texture should avoid"
    )
    seed: StringProperty(  # type: ignore[valid-type]
        name="Seed",
        description="Leave blank for a random seed; the seed actually used is shown in the job list",
    )
    sd_version: EnumProperty(name="Model", items=SD_VERSION_ITEMS, default="v2")  # type: ignore[valid-type]
    facing: EnumProperty(  # type: ignore[valid-type]
        name="Model Faces",
        description="Which way your model faces; the service textures its front accordingly",
        items=FACING_ITEMS,
        default="NEG_Y",
    )
    preview: BoolProperty(  # type: ignore[valid-type]
        name="Quick Preview",
        description="Texture one side only: faster and cheaper (30 credits instead of 150)",
        default=False,
    )
    preview_direction: EnumProperty(  # type: ignore[valid-type]
        name="Preview Side", items=DIRECTION_ITEMS, default="front"
    )
    auto_unwrap: BoolProperty(  # type: ignore[valid-type]
        name="Auto Unwrap",
        description="Smart UV Project meshes that have no UVs before uploading (the service needs UVs)",
        default=True,
    )
    true_displacement: BoolProperty(  # type: ignore[valid-type]
        name="True Displacement",
        description="Displace the surface (Cycles) instead of bump-mapping the displacement map",
        default=False,
    )
    engine: EnumProperty(  # type: ignore[valid-type]
        name="Engine", description="Which Leonardo service textures the mesh", items=ENGINE_ITEMS, default=ENGINE_AUTO
    )
    image_model: EnumProperty(  # type: ignore[valid-type]
        name="Image Model",
        description="Image model for the projection engine (it must offer Depth to Image guidance)",
        items=_image_model_items,
        default=_model_item(DEFAULT_MODEL_ID, "", "")[4],  # a dynamic enum's default is its number
    )
    generation_size: IntProperty(  # type: ignore[valid-type]
        name="View Size",
        description="Size of each generated view in pixels (a multiple of 8; the service may serve larger)",
        default=1024,
        min=512,
        max=1536,
        step=64,
    )
    bake_size: EnumProperty(  # type: ignore[valid-type]
        name="Bake Size", description="Size of the baked texture maps", items=BAKE_SIZE_ITEMS, default="2048"
    )
    style_reference: BoolProperty(  # type: ignore[valid-type]
        name="Consistent Style",
        description="Generate the first view, then guide the others by its style (SDXL models; "
        "more consistent sides, a little slower)",
        default=True,
    )
    jobs: CollectionProperty(type=LEONARDO_PG_job)  # type: ignore[valid-type]
    active_job_index: IntProperty(default=0)  # type: ignore[valid-type]
    seamless: PointerProperty(type=LEONARDO_PG_seamless)  # type: ignore[valid-type]

    @property
    def front_rotation_offset(self) -> int:
        return FACING_TO_OFFSET[self.facing]


class LEONARDO_PG_object(bpy.types.PropertyGroup):
    uid: StringProperty(  # type: ignore[valid-type]
        name="Identity", description="Finds this object again for its jobs even after a rename"
    )
    model_asset_id: StringProperty(  # type: ignore[valid-type]
        name="Model Asset", description="Leonardo 3D model asset this object was uploaded as"
    )
    mesh_fingerprint: StringProperty(  # type: ignore[valid-type]
        name="Mesh Fingerprint", description="Hash of the uploaded geometry and UVs"
    )


class LEONARDO_PG_asset(bpy.types.PropertyGroup):
    """One 3D model asset of the account, as listed in the Model Assets panel."""

    asset_id: StringProperty()  # type: ignore[valid-type]
    created_at: StringProperty()  # type: ignore[valid-type]
    mesh_url: StringProperty()  # type: ignore[valid-type]
    linked_objects: StringProperty()  # type: ignore[valid-type]
    checked: BoolProperty(name="Select", description="Include in Delete")  # type: ignore[valid-type]


class LEONARDO_PG_generation(bpy.types.PropertyGroup):
    """One texture generation of a model asset, as listed in the History panel."""

    generation_id: StringProperty()  # type: ignore[valid-type]
    status: StringProperty()  # type: ignore[valid-type]
    prompt: StringProperty()  # type: ignore[valid-type]
    negative_prompt: StringProperty()  # type: ignore[valid-type]
    seed: StringProperty()  # type: ignore[valid-type]
    created_at: StringProperty()  # type: ignore[valid-type]
    kind: StringProperty()  # type: ignore[valid-type]
    job_id: StringProperty()  # type: ignore[valid-type]
    material_name: StringProperty()  # type: ignore[valid-type]
    applied: BoolProperty()  # type: ignore[valid-type]
    local: BoolProperty()  # type: ignore[valid-type]
    icon_id: IntProperty()  # type: ignore[valid-type]


HISTORY_SOURCE_ITEMS = [
    ("OBJECT", "Active Object", "History of the active object's model asset"),
    ("ASSET", "Chosen Asset", "History of the asset chosen in the Model Assets list"),
]


class LEONARDO_PG_runtime(bpy.types.PropertyGroup):
    """Runtime UI state (``WindowManager.leonardo``): lists fetched from the service, never secrets."""

    assets: CollectionProperty(type=LEONARDO_PG_asset)  # type: ignore[valid-type]
    assets_index: IntProperty()  # type: ignore[valid-type]
    assets_state: StringProperty()  # type: ignore[valid-type]
    assets_error: StringProperty()  # type: ignore[valid-type]
    history: CollectionProperty(type=LEONARDO_PG_generation)  # type: ignore[valid-type]
    history_index: IntProperty()  # type: ignore[valid-type]
    history_state: StringProperty()  # type: ignore[valid-type]
    history_error: StringProperty()  # type: ignore[valid-type]
    history_model_id: StringProperty()  # type: ignore[valid-type]
    history_source: EnumProperty(name="Show", items=HISTORY_SOURCE_ITEMS, default="OBJECT")  # type: ignore[valid-type]
    recoverable_jobs: IntProperty()  # type: ignore[valid-type]

    username: StringProperty()  # type: ignore[valid-type]
    credits: IntProperty(default=-1)  # type: ignore[valid-type]
    concurrency_slots: IntProperty(default=0)  # type: ignore[valid-type]
    account_state: StringProperty()  # type: ignore[valid-type]
    account_error: StringProperty()  # type: ignore[valid-type]
    cost_preview: IntProperty(default=-1)  # type: ignore[valid-type]
    cost_full: IntProperty(default=-1)  # type: ignore[valid-type]
    cost_view: IntProperty(default=-1)  # type: ignore[valid-type]
    cost_view_size: IntProperty(default=0)  # type: ignore[valid-type]
    seamless: PointerProperty(type=LEONARDO_PG_seamless_runtime)  # type: ignore[valid-type]


def runtime() -> LEONARDO_PG_runtime:
    """The window manager's runtime state (lists fetched from the service, account, progress)."""
    return bpy.context.window_manager.leonardo


def attach() -> None:
    bpy.types.Scene.leonardo = PointerProperty(type=LEONARDO_PG_scene)
    bpy.types.Object.leonardo = PointerProperty(type=LEONARDO_PG_object)
    bpy.types.WindowManager.leonardo = PointerProperty(type=LEONARDO_PG_runtime)


def detach() -> None:
    for owner in (bpy.types.Scene, bpy.types.Object, bpy.types.WindowManager):
        if hasattr(owner, "leonardo"):
            del owner.leonardo
