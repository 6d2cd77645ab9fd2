"""Add-on preferences: the API key and everything that belongs to the user, not to a .blend.

The key lives only here (``subtype='PASSWORD'``), in Blender's user preferences, never on a scene or
an object, so it is never written into a .blend that gets shared. ``LEONARDO_API_KEY`` and
``LEONARDO_API_BASE_URL`` override these fields (see ``addon.settings``).
"""

from __future__ import annotations

import os

import bpy
from bpy.props import BoolProperty, FloatProperty, IntProperty, StringProperty

from ..api.transport import DEFAULT_BASE_URL
from . import addon, online


class LEONARDO_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = addon.PACKAGE

    api_key: StringProperty(  # type: ignore[valid-type]
        name="API Key",
        description="Your Leonardo.AI production API key (app.leonardo.ai > API Access). "
        "Stored in Blender's preferences, never in .blend files",
        subtype="PASSWORD",
    )
    base_url: StringProperty(  # type: ignore[valid-type]
        name="API URL",
        description="Leonardo REST API base URL; change it only to use a local emulator",
        default=DEFAULT_BASE_URL,
    )
    texture_folder: StringProperty(  # type: ignore[valid-type]
        name="Texture Folder",
        description="Where maps are saved, relative to the .blend ('//' = the .blend's folder). "
        "Maps of unsaved files wait in the add-on's user folder and move here on first save",
        default="//textures/leonardo",  # plain text: "//" means the .blend's folder, per file
    )
    pack_images: BoolProperty(  # type: ignore[valid-type]
        name="Pack Textures into .blend",
        description="Pack downloaded maps into the .blend instead of keeping them as files beside it",
        default=False,
    )
    mark_as_assets: BoolProperty(  # type: ignore[valid-type]
        name="Mark Materials as Assets",
        description="Mark generated materials as assets so they appear in the Asset Browser",
        default=False,
    )
    connect_timeout: FloatProperty(  # type: ignore[valid-type]
        name="Connect Timeout",
        description="Seconds to wait for a connection",
        default=10.0,
        min=1.0,
        max=120.0,
    )
    read_timeout: FloatProperty(  # type: ignore[valid-type]
        name="Read Timeout", description="Seconds to wait for an answer", default=60.0, min=5.0, max=600.0
    )
    job_timeout_minutes: IntProperty(  # type: ignore[valid-type]
        name="Job Timeout (min)",
        description="Give up waiting for a generation after this many minutes (it can be resumed later)",
        default=30,
        min=1,
        max=24 * 60,
    )

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        reason = online.why_offline()
        if reason:
            box = layout.box()
            box.label(text=reason, icon="ERROR")
        col = layout.column()
        if os.environ.get(addon.ENV_API_KEY):
            col.label(text=f"API key taken from ${addon.ENV_API_KEY}", icon="INFO")
        else:
            col.prop(self, "api_key")
            if not self.api_key:
                col.label(text="Get a key at app.leonardo.ai > API Access", icon="URL")
        if os.environ.get(addon.ENV_BASE_URL):
            col.label(text=f"API URL taken from ${addon.ENV_BASE_URL}", icon="INFO")
        else:
            col.prop(self, "base_url")
        recipient = addon.settings().key_recipient
        if recipient:
            col.label(text=recipient, icon="ERROR")
        col.separator()
        col.prop(self, "texture_folder")
        col.prop(self, "pack_images")
        col.prop(self, "mark_as_assets")
        row = col.row(align=True)
        row.prop(self, "connect_timeout")
        row.prop(self, "read_timeout")
        col.prop(self, "job_timeout_minutes")
