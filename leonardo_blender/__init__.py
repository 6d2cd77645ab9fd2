"""Leonardo texturing for Blender: texture the selected mesh with Leonardo.AI, in its own UVs.

This file only registers, in one ordered list. ``bpy`` is imported lazily so that the pure core
(``api``, ``core``, ``emulator``) can be imported and tested in plain Python.
"""

from __future__ import annotations


def _ordered_classes() -> list[type]:
    from .blender import preferences, properties
    from .blender.library import account, assets, history_ops, panels
    from .blender.seamless import choosing, history, prompt_helpers, variations
    from .blender.seamless import operators as seamless_operators
    from .blender.seamless import panels as seamless_panels
    from .blender.seamless import properties as seamless_properties
    from .blender.texturing import operators, panel, recovery

    return [
        # property groups: item types before the groups that hold them
        properties.LEONARDO_PG_job,
        seamless_properties.LEONARDO_PG_seamless_candidate,
        seamless_properties.LEONARDO_PG_seamless,
        properties.LEONARDO_PG_scene,
        properties.LEONARDO_PG_object,
        properties.LEONARDO_PG_asset,
        properties.LEONARDO_PG_generation,
        seamless_properties.LEONARDO_PG_seamless_generation,
        seamless_properties.LEONARDO_PG_seamless_runtime,
        properties.LEONARDO_PG_runtime,
        preferences.LEONARDO_AP_preferences,
        # texturing
        operators.LEONARDO_OT_texture_selected,
        operators.LEONARDO_OT_cancel_job,
        operators.LEONARDO_OT_cancel_batch,
        operators.LEONARDO_OT_resume_job,
        operators.LEONARDO_OT_apply_job,
        operators.LEONARDO_OT_remove_job,
        operators.LEONARDO_OT_wait_jobs,
        operators.LEONARDO_OT_front_from_view,
        operators.LEONARDO_OT_open_preferences,
        recovery.LEONARDO_OT_recover_jobs,
        # account, model assets, history
        account.LEONARDO_OT_refresh_account,
        assets.LEONARDO_OT_refresh_assets,
        assets.LEONARDO_OT_delete_assets,
        assets.LEONARDO_OT_link_asset,
        assets.LEONARDO_OT_unlink_asset,
        assets.LEONARDO_OT_import_asset,
        history_ops.LEONARDO_OT_refresh_history,
        history_ops.LEONARDO_OT_apply_generation,
        history_ops.LEONARDO_OT_rerun_generation,
        history_ops.LEONARDO_OT_copy_generation_settings,
        history_ops.LEONARDO_OT_delete_generation,
        history_ops.LEONARDO_OT_restore_materials,
        # seamless materials, prompt helpers
        seamless_operators.LEONARDO_OT_generate_seamless,
        seamless_operators.LEONARDO_OT_seamless_refresh,
        choosing.LEONARDO_OT_seamless_choose,
        choosing.LEONARDO_OT_seamless_rederive,
        choosing.LEONARDO_OT_seamless_projection,
        variations.LEONARDO_OT_seamless_variation,
        history.LEONARDO_OT_seamless_history_refresh,
        history.LEONARDO_OT_seamless_history_apply,
        history.LEONARDO_OT_seamless_history_delete,
        prompt_helpers.LEONARDO_OT_improve_prompt,
        prompt_helpers.LEONARDO_OT_random_prompt,
        # user interface
        panel.LEONARDO_UL_jobs,
        panel.LEONARDO_PT_texture,
        panel.LEONARDO_PT_jobs,
        seamless_panels.LEONARDO_PT_seamless,
        seamless_panels.LEONARDO_PT_seamless_candidates,
        seamless_panels.LEONARDO_UL_seamless_history,
        seamless_panels.LEONARDO_PT_seamless_history,
        panels.LEONARDO_PT_account,
        panels.LEONARDO_UL_assets,
        panels.LEONARDO_PT_assets,
        panels.LEONARDO_UL_history,
        panels.LEONARDO_PT_history,
    ]


def register() -> None:
    import bpy

    from .blender import handlers, properties
    from .blender.library import account
    from .blender.texturing import records

    for cls in _ordered_classes():
        bpy.utils.register_class(cls)
    properties.attach()
    handlers.register()
    records.finished_listeners.append(account.refresh_after_job)


def unregister() -> None:
    import bpy

    from .blender import dispatcher, handlers, properties, tasks
    from .blender.library import thumbnails
    from .blender.seamless import catalog
    from .blender.texturing import engines, machinery, records, texture_jobs

    handlers.unregister()
    texture_jobs.interrupt_all()
    machinery.shutdown()
    records.flush_writes()
    dispatcher.shutdown()
    texture_jobs.forget_running()
    records.finished_listeners.clear()
    engines.forget()
    tasks.forget()
    thumbnails.clear()
    catalog.forget()
    properties.detach()
    for cls in reversed(_ordered_classes()):
        if getattr(cls, "is_registered", True):
            bpy.utils.unregister_class(cls)
