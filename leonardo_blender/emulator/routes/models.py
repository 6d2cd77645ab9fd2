"""API routes of 3D model assets: upload slot, list by user, get, delete (tag "3D Model Assets").

Decisions where the contract is open: a model asset exists for the API (get, list, delete, texture
jobs) only once its OBJ upload succeeded; until then GET answers ``null`` and it is not listed.
Deleting a model asset also deletes its texture generations and their files (cascade).
"""

from __future__ import annotations

import json
import time
from typing import Any

from ..context import AppContext
from ..http.errors import unexpected
from ..http.router import Call, Route
from ..http.schemas import PAGING, STRING, UUID, Field, action_root, query_root, schema
from ..keys import MODEL_BUCKET, model_key, new_id
from ..state import ModelAsset, UploadSlot, iso, page, utc_now


def model_json(ctx: AppContext, asset: ModelAsset) -> dict[str, Any]:
    return {
        "createdAt": iso(asset.created_at),
        "id": asset.id,
        "meshUrl": ctx.cdn_url(asset.key),
        "name": asset.name,
        "updatedAt": iso(asset.updated_at),
        "userId": asset.user_id,
    }


def visible_model(ctx: AppContext, model_id: str) -> ModelAsset | None:
    """The model asset with this id if it exists for the API (uploaded), else None."""
    asset = ctx.state.model_assets.get(model_id.lower())
    return asset if asset is not None and asset.uploaded else None


def upload_model(ctx: AppContext, call: Call) -> dict[str, Any]:
    if call.args["modelExtension"].lower() != "obj":
        raise unexpected("invalid file extension")
    model_id = new_id()
    key = model_key(ctx.user_id, model_id)
    expires_at = time.time() + ctx.config.upload_expiry_seconds
    now = utc_now()
    with ctx.state.lock:
        ctx.state.model_assets[model_id] = ModelAsset(
            id=model_id,
            user_id=ctx.user_id,
            name=call.args.get("name"),
            key=key,
            created_at=now,
            updated_at=now,
            seq=ctx.state.next_seq(),
        )
        ctx.state.upload_slots[key] = UploadSlot(key, MODEL_BUCKET, "model", model_id, expires_at)
    fields = ctx.signer.post_fields(MODEL_BUCKET, key, expires_at)
    return {
        "uploadModelAsset": {
            "modelFields": json.dumps(fields),
            "modelId": model_id,
            "modelKey": key,
            "modelUrl": f"{ctx.upload_origin}/{MODEL_BUCKET}",
        }
    }


def list_models(ctx: AppContext, call: Call) -> dict[str, Any]:
    with ctx.state.lock:
        mine = [
            asset
            for asset in ctx.state.model_assets.values()
            if asset.uploaded and asset.user_id == call.args["userId"]
        ]
        items = page(mine, call.args.get("offset"), call.args.get("limit"))
        return {"model_assets": [model_json(ctx, asset) for asset in items]}


def get_model(ctx: AppContext, call: Call) -> dict[str, Any]:
    with ctx.state.lock:
        asset = visible_model(ctx, call.args["id"])
        return {"model_assets_by_pk": model_json(ctx, asset) if asset else None}


def delete_model(ctx: AppContext, call: Call) -> dict[str, Any]:
    state = ctx.state
    with state.lock:
        asset = visible_model(ctx, call.args["id"])
        if asset is None:
            return {"delete_model_assets_by_pk": None}
        doomed = [gen for gen in state.texture_generations.values() if gen.model_asset_id == asset.id]
        for generation in doomed:
            del state.texture_generations[generation.id]
            generation.job.retire()
            state.delete_blobs([image.key for image in generation.images])
        del state.model_assets[asset.id]
        state.upload_slots.pop(asset.key, None)
        state.delete_blobs([asset.key])
        return {"delete_model_assets_by_pk": {"id": asset.id}}


ROUTES = [
    Route(
        "POST",
        "/models-3d/upload",
        schema(action_root("uploadModelAsset"), modelExtension=Field(STRING, required=True), name=Field(STRING)),
        upload_model,
    ),
    Route(
        "GET",
        "/models-3d/user/{userId}",
        schema(query_root("model_assets"), userId=Field(UUID, required=True), **PAGING),
        list_models,
    ),
    Route(
        "GET",
        "/models-3d/{id}",
        schema(query_root("model_assets_by_pk"), id=Field(UUID, required=True), **PAGING),
        get_model,
    ),
    Route(
        "DELETE",
        "/models-3d/{id}",
        schema(query_root("delete_model_assets_by_pk"), id=Field(UUID, required=True)),
        delete_model,
    ),
]
