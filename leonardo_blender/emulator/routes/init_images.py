"""API routes of init images (§6): upload slot, get, delete.

An init image, like a model asset, exists for the API only once its presigned upload succeeded
(see ``checks.visible_init_image``); until then GET answers ``null`` and generations refuse its id.
Extensions: png, jpg, jpeg, webp (any case), else 400 "invalid file extension".
"""

from __future__ import annotations

import json
import time
from typing import Any

from ..context import AppContext
from ..http.errors import unexpected
from ..http.router import Call, Route
from ..http.schemas import STRING, UUID, Field, Schema, action_root, query_root, schema
from ..keys import INIT_IMAGE_BUCKET, init_image_key, new_id
from ..state import InitImage, UploadSlot, iso, utc_now
from .checks import visible_init_image

INIT_EXTENSIONS = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}


def upload_init_image(ctx: AppContext, call: Call) -> dict[str, Any]:
    extension = call.args["extension"].lower()
    if extension not in INIT_EXTENSIONS:
        raise unexpected("invalid file extension")
    image_id = new_id()
    key = init_image_key(ctx.user_id, image_id, extension)
    expires_at = time.time() + ctx.config.upload_expiry_seconds
    with ctx.state.lock:
        ctx.state.init_images[image_id] = InitImage(
            image_id, ctx.user_id, extension, key, utc_now(), ctx.state.next_seq()
        )
        ctx.state.upload_slots[key] = UploadSlot(key, INIT_IMAGE_BUCKET, "init-image", image_id, expires_at)
    fields = ctx.signer.post_fields(
        INIT_IMAGE_BUCKET, key, expires_at, extra={"Content-Type": INIT_EXTENSIONS[extension]}
    )
    return {
        "uploadInitImage": {
            "fields": json.dumps(fields),
            "id": image_id,
            "key": key,
            "url": f"{ctx.upload_origin}/{INIT_IMAGE_BUCKET}",
        }
    }


def get_init_image(ctx: AppContext, call: Call) -> dict[str, Any]:
    with ctx.state.lock:
        image = visible_init_image(ctx, call.args["id"])
        body = {"createdAt": iso(image.created_at), "id": image.id, "url": ctx.cdn_url(image.key)} if image else None
        return {"init_images_by_pk": body}


def delete_init_image(ctx: AppContext, call: Call) -> dict[str, Any]:
    state = ctx.state
    with state.lock:
        image = visible_init_image(ctx, call.args["id"])
        if image is None:
            return {"delete_init_images_by_pk": None}
        del state.init_images[image.id]
        state.upload_slots.pop(image.key, None)
        state.delete_blobs([image.key])
        return {"delete_init_images_by_pk": {"id": image.id}}


def _by_id(root: str) -> Schema:
    return schema(query_root(root), id=Field(UUID, required=True))


ROUTES = [
    Route(
        "POST",
        "/init-image",
        schema(action_root("uploadInitImage"), extension=Field(STRING, required=True)),
        upload_init_image,
    ),
    Route("GET", "/init-image/{id}", _by_id("init_images_by_pk"), get_init_image),
    Route("DELETE", "/init-image/{id}", _by_id("delete_init_images_by_pk"), delete_init_image),
]
