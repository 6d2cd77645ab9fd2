"""Where the add-on lives and what its settings are right now, as plain values for workers.

``settings()`` must be called on the main thread; it reads the add-on preferences and applies the
environment overrides (``LEONARDO_API_KEY``, ``LEONARDO_API_BASE_URL``) used by pipelines, CI and
the emulator. The result is a frozen dataclass that workers may keep: they never read preferences.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import bpy

from ..api.errors import InsecureURLError
from ..api.transport import DEFAULT_BASE_URL, Timeouts
from ..api.urls import check_api_base_url, key_recipient_warning

#: ``bl_ext.<repo>.leonardo_blender`` when installed as an extension, ``leonardo_blender`` otherwise.
PACKAGE = __package__.rsplit(".", 1)[0]

ENV_API_KEY = "LEONARDO_API_KEY"
ENV_BASE_URL = "LEONARDO_API_BASE_URL"


@dataclass(frozen=True)
class Settings:
    api_key: str
    base_url: str
    timeouts: Timeouts
    job_timeout: float
    texture_folder: str
    pack_images: bool
    mark_as_assets: bool

    def __repr__(self) -> str:
        return f"Settings(base_url={self.base_url!r}, api_key={'***' if self.api_key else ''!r})"

    @property
    def has_key(self) -> bool:
        return bool(self.api_key.strip())

    @property
    def url_problem(self) -> str | None:
        """Why the API URL must not be used (plain http to another host...), with the fix; or None."""
        try:
            check_api_base_url(self.base_url)
        except InsecureURLError as exc:
            return exc.user_message
        return None

    @property
    def key_recipient(self) -> str | None:
        """A sentence naming who receives the key when it is not Leonardo's service (None otherwise)."""
        return key_recipient_warning(self.base_url)


def preferences() -> bpy.types.AddonPreferences | None:
    addon = bpy.context.preferences.addons.get(PACKAGE)
    return addon.preferences if addon is not None else None


def settings() -> Settings:
    prefs = preferences()
    api_key = os.environ.get(ENV_API_KEY) or (prefs.api_key if prefs else "")
    base_url = os.environ.get(ENV_BASE_URL) or (prefs.base_url if prefs else "") or DEFAULT_BASE_URL
    return Settings(
        api_key=api_key.strip(),
        base_url=base_url.strip().rstrip("/"),
        timeouts=Timeouts(
            connect=float(prefs.connect_timeout) if prefs else 10.0,
            read=float(prefs.read_timeout) if prefs else 60.0,
        ),
        job_timeout=float(prefs.job_timeout_minutes) * 60.0 if prefs else 1800.0,
        texture_folder=(prefs.texture_folder if prefs else "") or "//textures/leonardo",
        pack_images=bool(prefs.pack_images) if prefs else False,
        mark_as_assets=bool(prefs.mark_as_assets) if prefs else False,
    )


def user_dir(*parts: str) -> Path:
    """A writable folder of the add-on's own (the extension user folder, or a temp one)."""
    try:
        base = Path(bpy.utils.extension_path_user(PACKAGE, create=True))
    except (ValueError, AttributeError):
        base = Path(bpy.utils.user_resource("SCRIPTS", path="leonardo_blender", create=True))
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
