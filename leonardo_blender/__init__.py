"""Leonardo texturing for Blender: texture the selected mesh with Leonardo.AI's 3D texture API.

This file only registers, in one ordered list. ``bpy`` is imported lazily so that the pure core
(``api``, ``core``, ``emulator``) can be imported and tested in plain Python.
"""

from __future__ import annotations


def _ordered_classes() -> list[type]:
    from .blender import ops_texture, preferences, properties, ui_texture

    return [
        # property groups: children before the groups that point to them
        properties.LEONARDO_PG_job,
        properties.LEONARDO_PG_scene,
        properties.LEONARDO_PG_object,
        properties.LEONARDO_PG_runtime,
        preferences.LEONARDO_AP_preferences,
        # operators
        ops_texture.LEONARDO_OT_texture_selected,
        ops_texture.LEONARDO_OT_cancel_job,
        ops_texture.LEONARDO_OT_resume_job,
        ops_texture.LEONARDO_OT_apply_job,
        ops_texture.LEONARDO_OT_remove_job,
        ops_texture.LEONARDO_OT_wait_jobs,
        ops_texture.LEONARDO_OT_front_from_view,
        ops_texture.LEONARDO_OT_open_preferences,
        # user interface
        ui_texture.LEONARDO_UL_jobs,
        ui_texture.LEONARDO_PT_texture,
        ui_texture.LEONARDO_PT_jobs,
    ]


def register() -> None:
    import bpy

    from .blender import handlers, properties

    for cls in _ordered_classes():
        bpy.utils.register_class(cls)
    properties.attach()
    handlers.register()


def unregister() -> None:
    import bpy

    from .blender import dispatcher, handlers, properties, texture_jobs

    handlers.unregister()
    texture_jobs.cancel_all()
    dispatcher.shutdown()
    texture_jobs.forget_running()
    properties.detach()
    for cls in reversed(_ordered_classes()):
        if getattr(cls, "is_registered", True):
            bpy.utils.unregister_class(cls)
