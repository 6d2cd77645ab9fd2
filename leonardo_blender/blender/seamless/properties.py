"""Property groups of seamless materials: the panel's settings and the shown job's candidates
(``Scene.leonardo.seamless``, saved with the file) and runtime state (``WindowManager.leonardo.seamless``:
the history list, prices, messages; never saved). Nested in the add-on's groups (``properties.py``)."""

from __future__ import annotations

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

from ...core.pipeline.seamless_variations import UPSCALER_STYLES
from . import catalog

#: ``scheduler`` of ``POST /generations`` (spec enum); DEFAULT sends nothing.
SCHEDULERS = ("KLMS", "EULER_ANCESTRAL_DISCRETE", "EULER_DISCRETE", "DDIM", "DPM_SOLVER", "PNDM", "LEONARDO")
#: ``presetStyle`` of ``POST /generations`` (spec enum); DEFAULT sends nothing.
PRESET_STYLES = (
    "ANIME", "BOKEH", "CINEMATIC", "CINEMATIC_CLOSEUP", "CREATIVE", "DYNAMIC", "ENVIRONMENT", "FASHION", "FILM",
    "FOOD", "GENERAL", "HDR", "ILLUSTRATION", "LEONARDO", "LONG_EXPOSURE", "MACRO", "MINIMALISTIC", "MONOCHROME",
    "MOODY", "NONE", "NEUTRAL", "PHOTOGRAPHY", "PORTRAIT", "RAYTRACED", "RENDER_3D", "RETRO", "SKETCH_BW",
    "SKETCH_COLOR", "STOCK_PHOTO", "VIBRANT", "UNPROCESSED",
)  # fmt: skip
DEFAULT = "DEFAULT"


def _title(identifier: str) -> str:
    return identifier.replace("_", " ").title().replace("3D", "3D").replace("Bw", "B&W")


SCHEDULER_ITEMS = [(DEFAULT, "Model Default", "Let the model choose its scheduler")] + [
    (name, _title(name), f"Sample with {name}") for name in SCHEDULERS
]
PRESET_ITEMS = [(DEFAULT, "Model Default", "Send no preset style")] + [
    (name, _title(name), f"presetStyle {name}") for name in PRESET_STYLES
]
PROJECTION_ITEMS = [
    ("UV", "UV", "Repeat the texture over the mesh's UV map"),
    ("BOX", "Box", "Project the texture from the object's six sides: for meshes without good UVs"),
]
#: Enum identifiers of the universal upscaler's styles (the wire values have spaces and '&').
UPSCALER_STYLE_IDS = {
    "GENERAL": "GENERAL",
    "CINEMATIC": "CINEMATIC",
    "ART": UPSCALER_STYLES[2],
    "GAME": UPSCALER_STYLES[3],
}
UPSCALER_STYLE_ITEMS = [
    ("GENERAL", "General", "The universal upscaler's general style"),
    ("CINEMATIC", "Cinematic", "Cinematic style"),
    ("ART", "2D Art & Illustration", "2D art and illustration style"),
    ("GAME", "CG Art & Game Assets", "CG art and game assets style (textures)"),
]


class LEONARDO_PG_seamless_candidate(bpy.types.PropertyGroup):
    """One candidate of the shown seamless job (mirrored from its record for the panel)."""

    index: IntProperty()  # type: ignore[valid-type]
    path: StringProperty(subtype="FILE_PATH")  # type: ignore[valid-type]
    transform: StringProperty()  # type: ignore[valid-type]
    status: StringProperty()  # type: ignore[valid-type]
    width: IntProperty()  # type: ignore[valid-type]
    height: IntProperty()  # type: ignore[valid-type]


class LEONARDO_PG_seamless(bpy.types.PropertyGroup):
    """The Seamless Material panel's settings (``Scene.leonardo.seamless``)."""

    prompt: StringProperty(name="Prompt", description="What the tileable texture should look like")  # type: ignore[valid-type]
    negative_prompt: StringProperty(name="Negative Prompt", description="What it should avoid")  # type: ignore[valid-type]
    model: EnumProperty(  # type: ignore[valid-type]
        name="Model",
        description="Image model (refresh to list your account's platform models)",
        items=catalog.model_items,
        default=catalog.DEFAULT_MODEL_NUMBER,
        update=catalog.on_settings_changed,
    )
    width: IntProperty(  # type: ignore[valid-type]
        name="Width", description="Multiple of 8, 32 to 1536 (the service may serve larger)", default=1024,
        min=32, max=1536, step=8, update=catalog.on_settings_changed,
    )  # fmt: skip
    height: IntProperty(  # type: ignore[valid-type]
        name="Height", description="Multiple of 8, 32 to 1536 (the service may serve larger)", default=1024,
        min=32, max=1536, step=8, update=catalog.on_settings_changed,
    )  # fmt: skip
    num_images: IntProperty(  # type: ignore[valid-type]
        name="Candidates", description="Images to choose from (at most 4 when a side is over 768)", default=4,
        min=1, max=8, update=catalog.on_settings_changed,
    )  # fmt: skip
    guidance_scale: IntProperty(  # type: ignore[valid-type]
        name="Guidance", description="How closely to follow the prompt, 1 to 20 (0: the model's default)",
        default=0, min=0, max=20,
    )  # fmt: skip
    num_inference_steps: IntProperty(  # type: ignore[valid-type]
        name="Steps", description="Denoising steps, 10 to 60 (0: the model's default)", default=0, min=0, max=60,
        update=catalog.on_settings_changed,
    )  # fmt: skip
    scheduler: EnumProperty(name="Scheduler", items=SCHEDULER_ITEMS, default=DEFAULT)  # type: ignore[valid-type]
    preset_style: EnumProperty(name="Style", items=PRESET_ITEMS, default=DEFAULT)  # type: ignore[valid-type]
    seed: StringProperty(name="Seed", description="Blank for a random seed")  # type: ignore[valid-type]
    init_image: PointerProperty(  # type: ignore[valid-type]
        name="Init Image",
        description="Make a tileable variant of this image (a texture, or the Render Result)",
        type=bpy.types.Image,
    )
    init_strength: FloatProperty(  # type: ignore[valid-type]
        name="Init Strength", description="How much the init image guides the result", default=0.5, min=0.1, max=0.9
    )
    normal_strength: FloatProperty(  # type: ignore[valid-type]
        name="Normal Strength", description="Relief of the derived normal map (no request to change)",
        default=1.0, min=0.0, soft_max=4.0, max=20.0,
    )  # fmt: skip
    scale: FloatProperty(  # type: ignore[valid-type]
        name="Tiles", description="Repeats per UV unit (UV) or per metre (Box) of new materials",
        default=1.0, min=0.001, soft_max=64.0,
    )  # fmt: skip
    projection: EnumProperty(name="Projection", items=PROJECTION_ITEMS, default="UV")  # type: ignore[valid-type]
    show_advanced: BoolProperty(name="More Settings", default=False)  # type: ignore[valid-type]
    upscaler_style: EnumProperty(name="Style", items=UPSCALER_STYLE_ITEMS, default="GAME")  # type: ignore[valid-type]
    creativity: IntProperty(  # type: ignore[valid-type]
        name="Creativity", description="How freely the universal upscaler invents detail", default=3, min=1, max=10
    )
    multiplier: FloatProperty(  # type: ignore[valid-type]
        name="Multiplier", description="Universal upscaler size factor", default=1.5, min=1.0, max=2.0,
        update=catalog.on_settings_changed,
    )  # fmt: skip
    #: The job whose candidates the panel shows, and its candidates.
    job_id: StringProperty()  # type: ignore[valid-type]
    chosen: IntProperty(default=-1)  # type: ignore[valid-type]
    candidates: CollectionProperty(type=LEONARDO_PG_seamless_candidate)  # type: ignore[valid-type]


class LEONARDO_PG_seamless_generation(bpy.types.PropertyGroup):
    """One image generation of the account, as the Seamless History lists it."""

    generation_id: StringProperty()  # type: ignore[valid-type]
    status: StringProperty()  # type: ignore[valid-type]
    prompt: StringProperty()  # type: ignore[valid-type]
    negative_prompt: StringProperty()  # type: ignore[valid-type]
    seed: StringProperty()  # type: ignore[valid-type]
    model_id: StringProperty()  # type: ignore[valid-type]
    created_at: StringProperty()  # type: ignore[valid-type]
    width: IntProperty()  # type: ignore[valid-type]
    height: IntProperty()  # type: ignore[valid-type]
    images: IntProperty()  # type: ignore[valid-type]
    thumbnail: StringProperty()  # type: ignore[valid-type]
    job_id: StringProperty()  # type: ignore[valid-type]
    seamless: BoolProperty()  # type: ignore[valid-type]
    projection_view: BoolProperty()  # type: ignore[valid-type]


class LEONARDO_PG_seamless_runtime(bpy.types.PropertyGroup):
    """Runtime state of seamless materials (``WindowManager.leonardo.seamless``, never saved)."""

    history: CollectionProperty(type=LEONARDO_PG_seamless_generation)  # type: ignore[valid-type]
    history_index: IntProperty()  # type: ignore[valid-type]
    history_state: StringProperty()  # type: ignore[valid-type]
    history_error: StringProperty()  # type: ignore[valid-type]
    show_views: BoolProperty(  # type: ignore[valid-type]
        name="Projection Views", description="Also list the views the projection engine generated", default=False
    )
    models_state: StringProperty()  # type: ignore[valid-type]
    models_error: StringProperty()  # type: ignore[valid-type]
    cost: IntProperty(default=-1)  # type: ignore[valid-type]
    cost_key: StringProperty()  # type: ignore[valid-type]
    universal_cost: IntProperty(default=-1)  # type: ignore[valid-type]
    universal_cost_key: StringProperty()  # type: ignore[valid-type]
    upscale_cost: IntProperty(default=-1)  # type: ignore[valid-type]
    nobg_cost: IntProperty(default=-1)  # type: ignore[valid-type]
    prompt_message: StringProperty()  # type: ignore[valid-type]
    prompt_error: StringProperty()  # type: ignore[valid-type]


CLASSES = (
    LEONARDO_PG_seamless_candidate,
    LEONARDO_PG_seamless,
    LEONARDO_PG_seamless_generation,
    LEONARDO_PG_seamless_runtime,
)
