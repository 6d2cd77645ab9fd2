"""The account box: who is logged in, the API credit balance, concurrency, and what a job costs.

Fetched on demand (the refresh button) and after every job, never in ``draw()`` or ``register()``.
Results land in ``WindowManager.leonardo`` (runtime state, nothing secret).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import bpy

from ...api.client import LeonardoClient
from ...api.errors import LeonardoError
from ...core.model_families import SDXL, family_of
from .. import online, properties, tasks
from ..properties import runtime
from ..texturing import machinery


@dataclass(frozen=True)
class AccountSnapshot:
    username: str
    credits: int
    concurrency_slots: int
    cost_preview: int
    cost_full: int
    cost_view: int
    view_size: int
    models: tuple[tuple[str, str], ...]


def view_cost_params(size: int, model_id: str) -> dict[str, object]:
    """Pricing-calculator parameters of one projection view (one image of ``size`` pixels)."""
    return {
        "imageWidth": size,
        "imageHeight": size,
        "numImages": 1,
        "alchemyMode": True,
        "isSDXL": family_of(model_id) == SDXL,
    }


def _fetch(client: LeonardoClient, view_size: int, model_id: str) -> AccountSnapshot:  # worker thread
    me = client.me()
    try:
        models = tuple((m.id, m.name or m.id) for m in client.platform_models())
    except LeonardoError:
        models = ()  # the list is a convenience; the documented models are always offered
    return AccountSnapshot(
        username=me.username or me.user_id,
        credits=me.api_credits,
        concurrency_slots=me.api_concurrency_slots,
        cost_preview=client.texture_cost(preview=True),
        cost_full=client.texture_cost(preview=False),
        cost_view=client.pricing("IMAGE_GENERATION", view_cost_params(view_size, model_id)),
        view_size=view_size,
        models=models,
    )


def _show(snapshot: AccountSnapshot) -> None:
    state = runtime()
    state.username = snapshot.username
    state.credits = snapshot.credits
    state.concurrency_slots = snapshot.concurrency_slots
    machinery.slots().set_capacity(snapshot.concurrency_slots)
    state.cost_preview = snapshot.cost_preview
    state.cost_full = snapshot.cost_full
    state.cost_view = snapshot.cost_view
    state.cost_view_size = snapshot.view_size
    properties.set_platform_models(list(snapshot.models))
    state.account_state = "Up to date"
    state.account_error = ""


def _fail(message: str, action: str) -> None:
    state = runtime()
    state.account_state = ""
    state.account_error = message


def refresh() -> str | None:
    """Start a refresh; None when started, else why not."""
    settings = bpy.context.scene.leonardo
    work = partial(_fetch, view_size=int(settings.generation_size), model_id=settings.image_model)
    reason = tasks.run("account", work, _show, _fail)
    if reason is None:
        runtime().account_state = "Refreshing…"
    return reason


def refresh_after_job(job_id: str) -> None:
    if tasks.why_not() is None:
        refresh()


class LEONARDO_OT_refresh_account(bpy.types.Operator):
    """Fetch the account's name, API credit balance and the cost of a texture job"""

    bl_idname = "leonardo.refresh_account"
    bl_label = "Refresh Account"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return online.poll_online(cls, context)

    def execute(self, context: bpy.types.Context) -> set[str]:
        reason = refresh()
        if reason:
            self.report({"ERROR"}, reason)
            return {"CANCELLED"}
        return {"FINISHED"}
