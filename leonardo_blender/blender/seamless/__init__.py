"""Seamless tileable PBR materials: one generated tile (``tiling: true``) becomes a repeating material.

``properties`` (panel settings and runtime lists), ``operators`` (generate), ``choosing`` (switch
candidates, re-derive, projection; free), ``variations`` (upscale, background removal; paid),
``history``, ``prompt_helpers``, ``catalog`` (models and costs), ``applying`` and ``material_builder``
(the material), ``init_images`` (a Blender image as init image), ``panels``. The worker side is
``core.pipeline.seamless``; jobs run on the shared machinery of ``texturing.texture_jobs``.
"""
