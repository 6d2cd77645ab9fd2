"""The Blender layer: operators, panels, properties, preferences, material building, mesh export and
the main-thread dispatcher. It holds no HTTP code; network work runs in ``core`` and ``api`` on
worker threads started through ``dispatcher``.

Shared modules live here (``addon``, ``dispatcher``, ``online``, ``tasks``, ``handlers``,
``preferences``, ``properties``, ``material``, ``storage``); features live in subfolders:
``texturing/`` (texture the selection, both engines) and ``library/`` (account, assets, history)."""
