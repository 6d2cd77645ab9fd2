"""Blender's "Allow Online Access" rule, checked before anything reaches the network.

Read on the main thread only. ``poll()`` uses ``why_offline`` with ``poll_message_set``; ``execute()``
checks again, because scripts and timers can bypass ``poll``.
"""

from __future__ import annotations

import bpy

OFFLINE_HINT = "Enable Preferences > System > Network > Allow Online Access"


def why_offline() -> str | None:
    """None when the network may be used, else a sentence saying why not and what to do."""
    if bpy.app.online_access:
        return None
    if getattr(bpy.app, "online_access_override", False):
        return "Blender was started with --offline-mode; restart it without that option"
    return f"Online access is off. {OFFLINE_HINT}"


def poll_online(cls: type, context: bpy.types.Context) -> bool:
    reason = why_offline()
    if reason is not None:
        cls.poll_message_set(reason)  # type: ignore[attr-defined]
        return False
    return True
