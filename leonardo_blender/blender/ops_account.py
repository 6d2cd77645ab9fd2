"""The account box: who is logged in, the API credit balance, concurrency, and what a job costs.

Fetched on demand (the refresh button) and after every job, never in ``draw()`` or ``register()``.
Results land in ``WindowManager.leonardo`` (runtime state, nothing secret).
"""

from __future__ import annotations

from dataclasses import dataclass

import bpy

from ..api.client import LeonardoClient
from . import online, tasks
from .properties import runtime


@dataclass(frozen=True)
class AccountSnapshot:
    username: str
    credits: int
    concurrency_slots: int
    cost_preview: int
    cost_full: int


def _fetch(client: LeonardoClient) -> AccountSnapshot:  # worker thread
    me = client.me()
    return AccountSnapshot(
        username=me.username or me.user_id,
        credits=me.api_credits,
        concurrency_slots=me.api_concurrency_slots,
        cost_preview=client.texture_cost(preview=True),
        cost_full=client.texture_cost(preview=False),
    )


def _show(snapshot: AccountSnapshot) -> None:
    state = runtime()
    state.username = snapshot.username
    state.credits = snapshot.credits
    state.concurrency_slots = snapshot.concurrency_slots
    state.cost_preview = snapshot.cost_preview
    state.cost_full = snapshot.cost_full
    state.account_state = "Up to date"
    state.account_error = ""


def _fail(message: str, action: str) -> None:
    state = runtime()
    state.account_state = ""
    state.account_error = message


def refresh() -> str | None:
    """Start a refresh; None when started, else why not."""
    reason = tasks.run("account", _fetch, _show, _fail)
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
