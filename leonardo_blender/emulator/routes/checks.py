"""Value checks and id lookups several route groups share (400 ``unexpected`` answers).

Prompts must be non-empty and at most 1500 characters; seeds 0..9999999998 (random when absent);
free-string enums one of their documented values. Init images count only once their upload
succeeded; generated images only once their generation is COMPLETE (before that the API lists none).
"""

from __future__ import annotations

from typing import Any

from ..context import AppContext
from ..http.errors import unexpected
from ..state import GeneratedImage, InitImage

MAX_SEED = 9_999_999_998
MAX_PROMPT_LENGTH = 1500


def check_prompt(prompt: str) -> None:
    if not prompt.strip():
        raise unexpected("Invalid prompt, the prompt must not be empty.")
    if len(prompt) > MAX_PROMPT_LENGTH:
        raise unexpected(f"Invalid prompt, maximum length of {MAX_PROMPT_LENGTH} characters exceeded.")


def check_seed(ctx: AppContext, seed: int | None) -> int:
    if seed is None:
        return ctx.new_seed()
    if not 0 <= seed <= MAX_SEED:
        raise unexpected(f"invalid seed {seed}: expected an integer between 0 and {MAX_SEED}")
    return seed


def choice(args: dict[str, Any], name: str, allowed: tuple[Any, ...], default: Any) -> Any:
    """``args[name]`` if it is one of ``allowed``, ``default`` if absent, else a 400."""
    value = args.get(name)
    if value is None:
        return default
    if value not in allowed:
        listed = ", ".join(str(option) for option in allowed)
        raise unexpected(f"invalid {name} {value!r}: expected one of {listed}")
    return value


def visible_init_image(ctx: AppContext, image_id: str) -> InitImage | None:
    """The init image with this id if its upload succeeded, else None. Caller holds the state lock."""
    image = ctx.state.init_images.get(image_id.lower())
    return image if image is not None and image.uploaded else None


def finished_generated_image(ctx: AppContext, image_id: str) -> GeneratedImage | None:
    """The generated image with this id if its generation is COMPLETE, else None (state lock held)."""
    image = ctx.state.generated_images.get(image_id.lower())
    generation = ctx.state.generations.get(image.generation_id) if image else None
    if image is None or generation is None or generation.status != "COMPLETE":
        return None
    return image
