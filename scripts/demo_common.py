"""What both Blender demos share (``demo_blender.py`` and ``demo_seamless_blender.py``): one-line
errors instead of tracebacks, installing the freshly built extension, rendering, and the exit.

Imported by those scripts after they import ``bpy`` (the seamless demo points Blender at its own
user folder first).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import bpy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import build_extension  # noqa: E402

MODULE = "bl_ext.user_default.leonardo_blender"


class DemoError(Exception):
    """A failed step: one line for the user, no traceback."""


@contextlib.contextmanager
def errors_held_back() -> Iterator[list[str]]:
    """Pass Blender's stdout through, except its "Error: ..." report lines, collected instead.

    Blender prints an operator's error reports on stdout *and* raises them as RuntimeError; the demo
    says each error once, on stderr. The list holds the messages without the "Error: " prefix.
    """
    held: list[str] = []
    sys.stdout.flush()
    libc = ctypes.CDLL(None)
    libc.fflush(None)
    saved = os.dup(1)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 1)
    os.close(write_end)

    def pump() -> None:
        with os.fdopen(read_end, "rb") as source:
            for line in source:
                if line.startswith(b"Error: "):
                    held.append(line[len(b"Error: ") :].decode(errors="replace").strip())
                else:
                    os.write(saved, line)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    try:
        yield held
    finally:
        sys.stdout.flush()
        libc.fflush(None)
        os.dup2(saved, 1)  # closes the pipe's last write end: the pump sees the end and stops
        thread.join(timeout=10)
        os.close(saved)


def blender_call(what: str, operator, **kwargs) -> set[str]:  # type: ignore[no-untyped-def]
    """Run a Blender operator; its failure becomes one DemoError line."""
    with errors_held_back() as held:
        try:
            result = operator(**kwargs)
        except RuntimeError as exc:
            failure = exc
        else:
            failure = None
    if failure is None:
        for message in held:  # an error report without an exception: not the demo's to swallow
            print(f"Error: {message}", flush=True)
        return result
    if "KeyboardInterrupt" in str(failure):  # Ctrl-C inside an operator comes back as its error
        raise KeyboardInterrupt from None
    messages = held or [line.removeprefix("Error: ").strip() for line in str(failure).splitlines() if line.strip()]
    raise DemoError(f"{what}: {'; '.join(messages)}")


def install_addon(work: Path) -> None:
    """Build the extension zip into ``work`` and install and enable it in this Blender."""
    zip_path = build_extension.build(work / "dist", staging_root=work / "stage")
    bpy.ops.extensions.package_install_files(filepath=str(zip_path), repo="user_default", enable_on_install=True)
    if MODULE not in bpy.context.preferences.addons:
        raise DemoError("the extension did not install")
    bpy.context.preferences.system.use_online_access = True  # running the demo is the user's consent
    bpy.context.preferences.filepaths.save_version = 0  # no .blend1 backups in the output folder
    print(f"Installed {zip_path.name} into Blender {bpy.app.version_string}")


def render(path: Path, samples: int) -> float:
    """Render the scene's camera with Cycles (CPU) into the PNG ``path``; returns the seconds taken."""
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = samples
    scene.cycles.use_denoising = False
    scene.render.image_settings.file_format = "PNG"
    scene.render.filepath = str(path)
    started = time.monotonic()
    blender_call("rendering failed", bpy.ops.render.render, write_still=True)
    return time.monotonic() - started


def run_main(prog: str, run: Callable[[argparse.Namespace], None], args: argparse.Namespace) -> int:
    """Run the demo; a DemoError or Ctrl-C ends in one line on stderr and an exit status."""
    try:
        run(args)
    except DemoError as exc:
        print(f"{prog}: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr, flush=True)
        return 130
    return 0


def exit_cleanly(code: int, work: Path | None = None) -> None:
    """Disable the add-on (a clean exit on 4.2/4.5: no leftover handlers), remove ``work``, exit."""
    import addon_utils

    if MODULE in bpy.context.preferences.addons:
        addon_utils.disable(MODULE, default_set=False)
    if work is not None:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(code)
