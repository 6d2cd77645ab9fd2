"""Object keys of stored files, the two upload buckets, and the CDN route template of a key.

Keys look like ``users/<user id>/<category>/<id>/<file name>``; the CDN serves ``/<key>``, and its route
key for faults and counters is ``cdn/<category>/<file name>`` (e.g. ``cdn/textures/albedo.jpg``).
"""

from __future__ import annotations

import uuid

MODEL_BUCKET = "leonardo-emulator-models"
INIT_IMAGE_BUCKET = "leonardo-emulator-init-images"
BUCKET_KINDS = {MODEL_BUCKET: "model", INIT_IMAGE_BUCKET: "init-image"}
CDN_CATEGORIES = ("models", "textures", "generations", "variations", "init-images")


def new_id() -> str:
    """A fresh lowercase UUID4, matching the spec's id pattern."""
    return str(uuid.uuid4())


def model_key(user_id: str, model_id: str) -> str:
    return f"users/{user_id}/models/{model_id}/model.obj"


def texture_key(user_id: str, generation_id: str, map_type: str) -> str:
    return f"users/{user_id}/textures/{generation_id}/{map_type.lower()}.jpg"


def generation_image_key(user_id: str, generation_id: str, index: int) -> str:
    return f"users/{user_id}/generations/{generation_id}/Leonardo_Emulator_{index}.jpg"


def init_image_key(user_id: str, image_id: str, extension: str) -> str:
    return f"users/{user_id}/init-images/{image_id}/init.{extension}"


def variation_key(user_id: str, variation_id: str, transform_type: str) -> str:
    extension = "png" if transform_type == "NOBG" else "jpg"
    return f"users/{user_id}/variations/{variation_id}/{transform_type.lower()}.{extension}"


def cdn_template(key: str) -> str:
    """Route template of a key: ``users/u/textures/g/albedo.jpg`` -> ``cdn/textures/albedo.jpg``."""
    parts = key.split("/")
    category = parts[2] if len(parts) >= 4 and parts[0] == "users" and parts[2] in CDN_CATEGORIES else "other"
    return f"cdn/{category}/{parts[-1]}"
