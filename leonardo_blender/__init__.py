"""Leonardo texturing for Blender: texture the selected mesh with Leonardo.AI's 3D texture API.

This file only registers, in one ordered list. ``bpy`` is imported lazily so that the pure core
(``api``, ``core``, ``emulator``) can be imported and tested in plain Python.
"""

from __future__ import annotations


def _ordered_classes() -> list[type]:
    from .blender import (
        ops_account,
        ops_assets,
        ops_history,
        ops_texture,
        preferences,
        properties,
        recovery,
        ui_library,
        ui_texture,
    )

    return [
        # property groups: item types before the groups that hold them
        properties.LEONARDO_PG_job,
        properties.LEONARDO_PG_scene,
        properties.LEONARDO_PG_object,
        properties.LEONARDO_PG_asset,
        properties.LEONARDO_PG_generation,
        properties.LEONARDO_PG_runtime,
        preferences.LEONARDO_AP_preferences,
        # texturing
        ops_texture.LEONARDO_OT_texture_selected,
        ops_texture.LEONARDO_OT_cancel_job,
        ops_texture.LEONARDO_OT_resume_job,
        ops_texture.LEONARDO_OT_apply_job,
        ops_texture.LEONARDO_OT_remove_job,
        ops_texture.LEONARDO_OT_wait_jobs,
        ops_texture.LEONARDO_OT_front_from_view,
        ops_texture.LEONARDO_OT_open_preferences,
        recovery.LEONARDO_OT_recover_jobs,
        # account, model assets, history
        ops_account.LEONARDO_OT_refresh_account,
        ops_assets.LEONARDO_OT_refresh_assets,
        ops_assets.LEONARDO_OT_delete_assets,
        ops_assets.LEONARDO_OT_link_asset,
        ops_assets.LEONARDO_OT_unlink_asset,
        ops_assets.LEONARDO_OT_import_asset,
        ops_history.LEONARDO_OT_refresh_history,
        ops_history.LEONARDO_OT_apply_generation,
        ops_history.LEONARDO_OT_rerun_generation,
        ops_history.LEONARDO_OT_copy_generation_settings,
        ops_history.LEONARDO_OT_delete_generation,
        ops_history.LEONARDO_OT_restore_materials,
        # user interface
        ui_texture.LEONARDO_UL_jobs,
        ui_texture.LEONARDO_PT_texture,
        ui_texture.LEONARDO_PT_jobs,
        ui_library.LEONARDO_PT_account,
        ui_library.LEONARDO_UL_assets,
        ui_library.LEONARDO_PT_assets,
        ui_library.LEONARDO_UL_history,
        ui_library.LEONARDO_PT_history,
    ]


def register() -> None:
    import bpy

    from .blender import handlers, ops_account, properties, texture_jobs

    for cls in _ordered_classes():
        bpy.utils.register_class(cls)
    properties.attach()
    handlers.register()
    texture_jobs.finished_listeners.append(ops_account.refresh_after_job)


def unregister() -> None:
    import bpy

    from .blender import dispatcher, handlers, properties, tasks, texture_jobs, thumbnails

    handlers.unregister()
    texture_jobs.cancel_all()
    dispatcher.shutdown()
    texture_jobs.forget_running()
    texture_jobs.finished_listeners.clear()
    tasks.forget()
    thumbnails.clear()
    properties.detach()
    for cls in reversed(_ordered_classes()):
        if getattr(cls, "is_registered", True):
            bpy.utils.unregister_class(cls)
