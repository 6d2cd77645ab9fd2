"""Parse and check single settings (prompt, seed, facing, engine, ...), the same way for flags and manifests.

Each parser takes what a user typed (a string from the shell or a CSV cell, or a JSON value) and
returns the value the add-on's operator takes, or raises ``ValueError`` with a sentence that says
what is allowed. Nothing here knows about rows, files or Blender.
"""

from __future__ import annotations

from typing import Any

from ..api.models import FRONT_ROTATION_OFFSETS, SEED_MAX

#: The operator refuses longer prompts (``texturing.operators.MAX_PROMPT_LENGTH``).
MAX_PROMPT_LENGTH = 1500
#: ``--engine`` / manifest ``engine`` -> the operator's ``engine`` enum identifier.
ENGINES = {"auto": "AUTO", "texture": "TEXTURE_API", "projection": "PROJECTION"}
_ENGINE_ALIASES = {"texture_api": "texture", "texture-api": "texture"}
PREVIEW_SIDES = ("front", "back", "left", "right")
#: As the operator checks them: view size a multiple of 8 in this range; bake size in this range.
VIEW_SIZES = (256, 1536)
BAKE_SIZES = (256, 8192)
_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"0", "false", "no", "n", "off", ""}


def _text(value: Any, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"{what} must be text, not {type(value).__name__}")
    return str(value).strip()


def is_blank(value: Any) -> bool:
    """None, or a string of only spaces: the cell or key was left empty."""
    return value is None or (isinstance(value, str) and not value.strip())


def parse_name(value: Any, what: str) -> str:
    """A non-blank name or pattern (an object, a file)."""
    text = _text(value, what)
    if not text:
        raise ValueError(f"the {what} is empty")
    return text


def parse_prompt(value: Any, what: str = "prompt") -> str:
    text = _text(value, what)
    if not text:
        raise ValueError(f"the {what} is empty: describe the texture you want")
    if len(text) > MAX_PROMPT_LENGTH:
        raise ValueError(f"the {what} has {len(text)} characters; Leonardo accepts at most {MAX_PROMPT_LENGTH}")
    return text


def parse_negative_prompt(value: Any) -> str:
    text = "" if value is None else _text(value, "negative prompt")
    if len(text) > MAX_PROMPT_LENGTH:
        raise ValueError(f"the negative prompt has {len(text)} characters; at most {MAX_PROMPT_LENGTH} are accepted")
    return text


def parse_seed(value: Any) -> int | None:
    """A whole number from 0 to the service's maximum; blank or -1 means random (None)."""
    problem = f"seed {value!r} is not a whole number from 0 to {SEED_MAX} (or -1 / blank for random)"
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(problem)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(problem)
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        if not text.lstrip("-").isdigit():
            raise ValueError(problem)
        value = int(text)
    if not isinstance(value, int):
        raise ValueError(problem)
    if value == -1:
        return None
    if not 0 <= value <= SEED_MAX:
        raise ValueError(problem)
    return value


def parse_facing(value: Any) -> int:
    """Which way the model faces, as the service's ``front_rotation_offset`` in degrees."""
    allowed = ", ".join(str(v) for v in FRONT_ROTATION_OFFSETS)
    problem = f"facing {value!r} must be one of {allowed} (0 = -Y, 90 = +X, -90 = -X, 180 = +Y)"
    if isinstance(value, bool) or is_blank(value):
        raise ValueError(problem)
    try:
        number = int(str(value).strip()) if not isinstance(value, (int, float)) else value
    except ValueError:
        raise ValueError(problem) from None
    if isinstance(number, float):
        if not number.is_integer():
            raise ValueError(problem)
        number = int(number)
    if number not in FRONT_ROTATION_OFFSETS:
        raise ValueError(problem)
    return int(number)


def parse_engine(value: Any) -> str:
    """``auto``, ``texture`` or ``projection`` -> the operator's enum identifier."""
    text = _text(value, "engine").lower()
    text = _ENGINE_ALIASES.get(text, text)
    if text not in ENGINES:
        raise ValueError(f"engine {value!r} must be one of {', '.join(ENGINES)}")
    return ENGINES[text]


def engine_name(identifier: str) -> str:
    """The operator's enum identifier -> the word used on the command line."""
    return next((name for name, ident in ENGINES.items() if ident == identifier), identifier.lower())


def parse_bool(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = "" if value is None else str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{what} {value!r} must be true or false (yes/no, 1/0)")


def parse_preview_side(value: Any) -> str:
    text = _text(value, "preview side").lower()
    if text not in PREVIEW_SIDES:
        raise ValueError(f"preview side {value!r} must be one of {', '.join(PREVIEW_SIDES)}")
    return text


def parse_view_size(value: Any) -> int:
    low, high = VIEW_SIZES
    problem = f"view size {value!r} must be a multiple of 8 from {low} to {high} pixels"
    try:
        size = int(str(value).strip())
    except ValueError:
        raise ValueError(problem) from None
    if size % 8 or not low <= size <= high:
        raise ValueError(problem)
    return size


def parse_bake_size(value: Any) -> int:
    low, high = BAKE_SIZES
    problem = f"bake size {value!r} must be a whole number from {low} to {high} pixels"
    try:
        size = int(str(value).strip())
    except ValueError:
        raise ValueError(problem) from None
    if not low <= size <= high:
        raise ValueError(problem)
    return size
