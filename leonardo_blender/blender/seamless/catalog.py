"""Image models for seamless materials and what the next request costs, both fetched off the main thread.

Models: the documented platform models first, then those ``GET /platformModels`` lists for the account,
cached in the add-on's user folder (a worker writes it) so a new session offers them at once. Costs:
``POST /pricing-calculator`` for an image generation of the panel's size and count, and for the
universal upscaler of the chosen candidate; the plain upscaler and background removal have no
calculator entry, so the panel shows what the service charged the last time (``learn_costs``).
"""

from __future__ import annotations

import contextlib
import json
import math
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bpy

from ...api.client import LeonardoClient
from ...api.errors import LeonardoError
from ...core.model_families import DEFAULT_MODEL_ID, KNOWN_MODELS, PHOENIX, SDXL, family_of
from ...core.pipeline.seamless_variations import NOBG, UPSCALE
from .. import addon, tasks

CACHE_NAME = "platform_models.json"

ModelItem = tuple[str, str, str, str, int]


def _item(model_id: str, name: str, note: str) -> ModelItem:
    # A stable number per id: a dynamic enum is saved as its number, so choices survive list changes.
    return (model_id, name, note, "NONE", zlib.crc32(model_id.encode()) & 0x7FFFFFFF)


DEFAULT_MODEL_NUMBER = _item(DEFAULT_MODEL_ID, "", "")[4]
#: Kept at module level: Blender needs the strings of a dynamic enum to stay alive.
_items: list[ModelItem] = [_item(m.id, m.name, f"{m.family} model documented by Leonardo") for m in KNOWN_MODELS]
_cache_read = False


def _cache_path() -> Path:
    return addon.user_dir("cache") / CACHE_NAME


def add_models(models: list[tuple[str, str]]) -> None:
    known = {item[0] for item in _items}
    for model_id, name in models:
        if model_id and model_id not in known:
            _items.append(_item(model_id, name or model_id, "A platform model of your account"))
            known.add(model_id)


def model_items(self: Any, context: bpy.types.Context | None) -> list[ModelItem]:
    """The model enum's items; the cached list of the account's models is read once per session."""
    global _cache_read
    if not _cache_read:
        _cache_read = True
        try:
            cached = json.loads(_cache_path().read_text(encoding="utf-8"))
            add_models([(str(m["id"]), str(m.get("name") or "")) for m in cached if isinstance(m, dict) and "id" in m])
        except (OSError, ValueError, TypeError, KeyError):
            pass  # no cache yet: the documented models are always offered
    return _items


def forget() -> None:
    """On unregister: read the cache again on the next enable."""
    global _cache_read
    _cache_read = False


def runtime() -> Any:
    return bpy.context.window_manager.leonardo.seamless


# -- models ---------------------------------------------------------------------------------------------


def refresh_models() -> str | None:
    """Fetch the account's platform models (and cache them); None when started, else why not."""
    cache = _cache_path()

    def work(client: LeonardoClient) -> list[tuple[str, str]]:  # worker: HTTP and the cache file
        models = [(m.id, m.name or m.id) for m in client.platform_models()]
        with contextlib.suppress(OSError):  # a cache: losing it costs one request next session
            cache.write_text(json.dumps([{"id": i, "name": n} for i, n in models]), encoding="utf-8")
        return models

    def done(models: list[tuple[str, str]]) -> None:
        add_models(models)
        runtime().models_state = f"{len(models)} models from your account"
        runtime().models_error = ""

    def failed(message: str, action: str) -> None:
        runtime().models_state = ""
        runtime().models_error = message

    reason = tasks.run("seamless-models", work, done, failed)
    if reason is None:
        runtime().models_state = "Loading models…"
    return reason


# -- costs ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostQuestion:
    """What to price: one generation of the panel's settings and, when known, the universal upscaler."""

    width: int
    height: int
    num_images: int
    steps: int
    model_id: str
    upscale_megapixels: float

    @property
    def key(self) -> str:
        return f"{self.width}x{self.height}x{self.num_images}:{self.steps}:{self.model_id}"

    @property
    def upscale_key(self) -> str:
        return f"{self.upscale_megapixels:.2f}"


def question(scene: bpy.types.Scene) -> CostQuestion:
    settings = scene.leonardo.seamless
    megapixels = 0.0
    chosen = next((c for c in settings.candidates if c.index == settings.chosen), None)
    if chosen is not None and chosen.width:
        megapixels = chosen.width * chosen.height * settings.multiplier**2 / 1_000_000
    return CostQuestion(
        width=int(settings.width),
        height=int(settings.height),
        num_images=int(settings.num_images),
        steps=int(settings.num_inference_steps),
        model_id=settings.model or DEFAULT_MODEL_ID,
        upscale_megapixels=round(megapixels, 2),
    )


def generation_cost_params(ask: CostQuestion) -> dict[str, object]:
    family = family_of(ask.model_id)
    params: dict[str, object] = {
        "imageWidth": ask.width,
        "imageHeight": ask.height,
        "numImages": ask.num_images,
        "alchemyMode": True,
        "isSDXL": family == SDXL,
        "isPhoenix": family == PHOENIX,
    }
    if ask.steps:
        params["inferenceSteps"] = ask.steps
    return params


def request_costs(scene: bpy.types.Scene | None = None) -> str | None:
    """Ask the pricing calculator about the current settings (off the main thread); None when started."""
    scene = scene or bpy.context.scene
    ask = question(scene)
    scene_name = scene.name

    def work(client: LeonardoClient) -> tuple[int, int]:  # worker
        cost = client.pricing("IMAGE_GENERATION", generation_cost_params(ask))
        upscale = -1
        if ask.upscale_megapixels > 0:
            try:
                upscale = client.pricing("UNIVERSAL_UPSCALER", {"megapixel": ask.upscale_megapixels})
            except LeonardoError:
                upscale = -1
        return cost, upscale

    def done(result: tuple[int, int]) -> None:
        state = runtime()
        state.cost, state.cost_key = result[0], ask.key
        state.universal_cost, state.universal_cost_key = result[1], ask.upscale_key
        current = bpy.data.scenes.get(scene_name)
        if current is not None and question(current) != ask:
            request_costs(current)  # the settings changed while the answer was on its way

    def failed(message: str, action: str) -> None:
        runtime().cost_key = ""

    return tasks.run("seamless-cost", work, done, failed)


def on_settings_changed(self: Any, context: bpy.types.Context) -> None:
    """Property update: price the new settings (nothing is sent while offline or without a key)."""
    if tasks.why_not() is None and context.scene is not None:
        request_costs(context.scene)


def generation_cost(scene: bpy.types.Scene) -> tuple[int, bool]:
    """(credits, confirmed by the calculator) of generating with the panel's settings."""
    ask, state = question(scene), runtime()
    if state.cost >= 0 and state.cost_key == ask.key:
        return state.cost, True
    # until the calculator answers: one credit per started 512 x 512 area and image (the usual SDXL price)
    return ask.num_images * max(1, math.ceil(ask.width * ask.height / (512 * 512))), False


def learn_costs(candidates: list[Any]) -> None:
    """Remember what the service charged for a plain upscale and a background removal (main thread)."""
    state = runtime()
    for candidate in candidates:
        if candidate.cost is None:
            continue
        if candidate.transform == UPSCALE:
            state.upscale_cost = int(candidate.cost)
        elif candidate.transform == NOBG:
            state.nobg_cost = int(candidate.cost)
