"""Command-line interface for pipelines: texture the meshes of .blend files from a shell or a farm.

    python -m leonardo_blender.cli texture scene.blend --objects "Crate*" --prompt "rusty iron"

Run it with the Python that has Blender's ``bpy`` module (``.venv/bpy-5.0/bin/python``). It builds the
extension from this checkout, installs it into a temporary, isolated Blender user folder and drives
the add-on's own operators, exactly as a click in the panel would. ``--help`` explains everything.

Layout (one job per module; ``bpy`` is used only by ``blender_session``, ``blend_file`` and ``batch``):

* ``options``: the argument parser, its help text and the validated ``Options``.
* ``values``: parsing and checking single values (facing, engine, seed, ...), shared by flags and manifests.
* ``manifest``: reading and validating a CSV/JSON manifest, with line numbers.
* ``plan``: which objects get which settings (patterns, manifest rows, flags as defaults).
* ``shard``: the stable ``--shard i/n`` split.
* ``console``: where text goes (results on stdout, messages on stderr), Blender's own output captured.
* ``progress``: the progress bar on a terminal, plain lines otherwise.
* ``report``: per-object results, JSON lines and the summary.
* ``blender_session``: the isolated user folder, ``import bpy``, building and installing the add-on.
* ``blend_file``: opening the .blend, listing its meshes, saving the output and checkpoints.
* ``batch``: one job per object through the add-on's operator, at most N at a time; waiting; stopping.
* ``interrupts``: Ctrl+C and SIGTERM ask the run to stop cleanly (cancel, save) instead of dying.
* ``app``: ``main()``: runs the above and maps every outcome to an exit code.
"""
