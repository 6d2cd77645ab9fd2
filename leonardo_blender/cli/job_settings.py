"""``JobSettings``: what one object is textured with, and how that becomes operator arguments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JobSettings:
    """The settings of one texture job. ``prompt`` is "" only for flag defaults without ``--prompt``.

    ``source`` says where they came from, for messages: ``"flags"`` or ``"jobs.csv:4"``."""

    prompt: str = ""
    negative_prompt: str = ""
    seed: int | None = None  # None: random
    facing: int = 0  # front_rotation_offset
    preview: bool = False
    preview_side: str = "front"
    engine: str = "AUTO"
    view_size: int = 1024
    bake_size: int = 2048
    source: str = "flags"

    def operator_kwargs(self) -> dict[str, Any]:
        """Arguments for ``bpy.ops.leonardo.texture_selected``; every setting is given explicitly, so
        the panel settings saved in the .blend never leak into a pipeline run."""
        kwargs: dict[str, Any] = {
            "prompt": self.prompt,
            "negative_prompt": self.negative_prompt,
            "seed": -1 if self.seed is None else self.seed,
            "front_rotation_offset": self.facing,
            "preview": self.preview,
            "engine": self.engine,
            "generation_size": self.view_size,
            "bake_size": self.bake_size,
            "wait": False,
        }
        if self.preview:
            kwargs["preview_direction"] = self.preview_side
        return kwargs
