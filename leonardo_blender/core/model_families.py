"""Which image model belongs to which base family, and which ControlNet preprocessors each family offers.

``GET /platformModels`` lists models without saying what they are built on, yet the preprocessor id of
"Depth to Image" depends on the family (reference section 15: 3 for SD1.5, 13 for SD2.1, 20 for SDXL,
none for Phoenix). Sending an id the family does not offer fails, so the add-on only uses models whose
family it knows from Leonardo's documentation, and says so for the others.
"""

from __future__ import annotations

from dataclasses import dataclass

SD1_5 = "SD1_5"
SD2_1 = "SD2_1"
SDXL = "SDXL"
PHOENIX = "PHOENIX"

#: Preprocessor ids per family, from the docs' table (section 15). Missing = not offered.
PREPROCESSORS: dict[str, dict[str, int]] = {
    "style_reference": {SDXL: 67, PHOENIX: 166},
    "character_reference": {SDXL: 133},
    "content_reference": {SDXL: 100},
    "edge_to_image": {SD1_5: 1, SD2_1: 12, SDXL: 19},
    "depth_to_image": {SD1_5: 3, SD2_1: 13, SDXL: 20},
    "pose_to_image": {SD1_5: 7, SD2_1: 16, SDXL: 21},
    "text_image_input": {SD1_5: 11, SD2_1: 18, SDXL: 22},
    "sketch_to_image": {SD1_5: 10, SD2_1: 17},
    "normal_map": {SD1_5: 6, SD2_1: 15},
}


@dataclass(frozen=True)
class KnownModel:
    id: str
    name: str
    family: str


#: Platform models whose family Leonardo's docs state (section 15). The first is the default.
KNOWN_MODELS: tuple[KnownModel, ...] = (
    KnownModel("b24e16ff-06e3-43eb-8d33-4416c2d75876", "Leonardo Lightning XL", SDXL),
    KnownModel("aa77f04e-3eec-4034-9c07-d0f619684628", "Leonardo Kino XL", SDXL),
    KnownModel("1e60896f-3c26-4296-8ecc-53e2afecc132", "Leonardo Diffusion XL", SDXL),
    KnownModel("5c232a9e-9061-4777-980a-ddc8e65647c6", "Leonardo Vision XL", SDXL),
    KnownModel("6b645e3a-d64f-4341-a6d8-7a3690fbf042", "Leonardo Phoenix", PHOENIX),
)
DEFAULT_MODEL_ID = KNOWN_MODELS[0].id
_BY_ID = {model.id: model for model in KNOWN_MODELS}


def family_of(model_id: str) -> str | None:
    """The model's base family, or None when the docs do not say."""
    model = _BY_ID.get((model_id or DEFAULT_MODEL_ID).lower())
    return model.family if model else None


def preprocessor(kind: str, model_id: str) -> int | None:
    """The preprocessor id of ``kind`` (e.g. ``"depth_to_image"``) for the model, or None if not offered."""
    family = family_of(model_id)
    return PREPROCESSORS[kind].get(family) if family else None


def depth_guidance_problem(model_id: str) -> str | None:
    """Why the model cannot texture through depth guidance (a sentence for the user), or None."""
    model_id = model_id or DEFAULT_MODEL_ID
    family = family_of(model_id)
    if family is None:
        return (
            f"The image model {model_id} is not one whose family Leonardo documents, so its Depth to Image "
            "preprocessor is unknown; pick an SDXL model such as Leonardo Lightning XL"
        )
    if preprocessor("depth_to_image", model_id) is None:
        name = _BY_ID[model_id.lower()].name
        return f"{name} ({family}) offers no Depth to Image guidance; pick an SDXL model such as Leonardo Lightning XL"
    return None


def model_name(model_id: str) -> str:
    model = _BY_ID.get((model_id or DEFAULT_MODEL_ID).lower())
    return model.name if model else model_id
