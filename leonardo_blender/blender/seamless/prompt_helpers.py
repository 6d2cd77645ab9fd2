"""Prompt helpers beside every prompt field: "improve" (``POST /prompt/improve``) and "random"
(``POST /prompt/random``), off the main thread. Each costs a few credits (the service says how many).

The improver only takes prompts under 200 characters; a longer one is refused here, before anything is
sent, with a sentence saying so. The new prompt replaces the field's text (Ctrl+Z brings the old back).
"""

from __future__ import annotations

import contextlib
from typing import Any

import bpy
from bpy.props import BoolProperty, EnumProperty

from ...api.image_models import PromptResult
from .. import dispatcher, online, tasks

#: Documented limit of ``POST /prompt/improve`` ("Prompt is too long, please keep it under 200 characters").
IMPROVE_LIMIT = 200
FIELD_ITEMS = [
    ("SEAMLESS", "Seamless", "The Seamless Material panel's prompt"),
    ("TEXTURE", "Texture", "The Texture panel's prompt"),
]
WAIT_SECONDS = 120.0


def prompt_owner(scene: bpy.types.Scene, field: str) -> Any:
    """The property group holding the ``prompt`` of ``field``."""
    return scene.leonardo.seamless if field == "SEAMLESS" else scene.leonardo


def too_long_message(length: int) -> str:
    return (
        f"Leonardo's prompt improver takes prompts under {IMPROVE_LIMIT} characters; this one has {length}. "
        "Shorten it first (generating takes prompts up to 1500 characters, improving does not)"
    )


def draw_buttons(layout: bpy.types.UILayout, field: str) -> None:
    """The two buttons, for the row that holds a prompt field."""
    layout.operator("leonardo.improve_prompt", text="", icon="SHADERFX").field = field
    layout.operator("leonardo.random_prompt", text="", icon="RNDCURVE").field = field


def _state() -> Any:
    """The runtime state, looked up again each time (a callback may run after a file load)."""
    return bpy.context.window_manager.leonardo.seamless


def _popup(message: str) -> None:
    window_manager = bpy.context.window_manager
    if bpy.app.background or window_manager is None or not window_manager.windows:
        print(f"Leonardo: {message}")
        return

    def draw(menu: Any, _context: Any) -> None:
        menu.layout.label(text=message)

    window_manager.popup_menu(draw, title="Leonardo prompt", icon="ERROR")


class _PromptOperator(bpy.types.Operator):
    field: EnumProperty(name="Prompt", items=FIELD_ITEMS, options={"SKIP_SAVE"})  # type: ignore[valid-type]
    wait: BoolProperty(options={"HIDDEN", "SKIP_SAVE"})  # type: ignore[valid-type]

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return online.poll_online(cls, context)

    def _start(self, context: bpy.types.Context, what: str, work: Any) -> set[str]:
        scene_name, field, key, waiting = context.scene.name, self.field, f"prompt-{self.field}", self.wait
        outcome: list[str] = []

        def done(result: PromptResult) -> None:  # main thread
            scene = bpy.data.scenes.get(scene_name)
            if scene is not None:
                prompt_owner(scene, field).prompt = result.prompt
            cost = f" ({result.api_credit_cost} credits)" if result.api_credit_cost is not None else ""
            state = _state()
            state.prompt_message, state.prompt_error = f"Prompt {what}{cost}", ""
            outcome.append("")
            if not bpy.app.background:
                with contextlib.suppress(RuntimeError):
                    bpy.ops.ed.undo_push(message=f"Leonardo prompt {what}")

        def failed(message: str, action: str) -> None:  # main thread
            state = _state()
            state.prompt_message, state.prompt_error = "", message
            outcome.append(message)
            if not waiting:
                _popup(message)

        reason = tasks.run(key, work, done, failed)
        if reason:
            self.report({"ERROR"}, reason)
            return {"CANCELLED"}
        _state().prompt_message, _state().prompt_error = "Asking Leonardo…", ""
        if not waiting:
            return {"FINISHED"}
        dispatcher.run_until(lambda: not tasks.is_running(key), timeout=WAIT_SECONDS)
        if not outcome or outcome[0]:
            self.report({"ERROR"}, outcome[0] if outcome else "No answer from Leonardo in time")
            return {"CANCELLED"}
        self.report({"INFO"}, _state().prompt_message)
        return {"FINISHED"}


class LEONARDO_OT_improve_prompt(_PromptOperator):
    """Let Leonardo rewrite this prompt in more detail (a few credits; under 200 characters)"""

    bl_idname = "leonardo.improve_prompt"
    bl_label = "Improve Prompt"

    def execute(self, context: bpy.types.Context) -> set[str]:
        text = prompt_owner(context.scene, self.field).prompt.strip()
        if not text:
            self.report({"ERROR"}, "Write a prompt first; the improver rewrites it in more detail")
            return {"CANCELLED"}
        if len(text) >= IMPROVE_LIMIT:
            message = too_long_message(len(text))
            _state().prompt_error = message
            self.report({"ERROR"}, message)
            return {"CANCELLED"}
        return self._start(context, "improved", lambda client: client.improve_prompt(text))


class LEONARDO_OT_random_prompt(_PromptOperator):
    """Let Leonardo write a random prompt into this field (a few credits)"""

    bl_idname = "leonardo.random_prompt"
    bl_label = "Random Prompt"

    def execute(self, context: bpy.types.Context) -> set[str]:
        return self._start(context, "written at random", lambda client: client.random_prompt())
