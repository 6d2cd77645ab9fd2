"""Blender for one command: an isolated user folder, ``import bpy``, the add-on built and installed.

``BlenderSession`` (a context manager):

1. creates a temporary folder and points ``BLENDER_USER_RESOURCES`` at it *before* ``import bpy``, so
   the user's own Blender configuration is never read or written;
2. sends Blender's own output to a log in that folder (``console.capture_native_output``);
3. builds the extension zip from this checkout with ``scripts/build_extension.py`` (imported by
   path) and installs and enables it with ``extensions.package_install_files``, as
   ``scripts/demo_blender.py`` does;
4. on exit disables the add-on (its ``unregister`` stops workers and removes handlers, which Blender
   4.2/4.5 need for a clean exit), restores the output and removes the folder.

Online access stays off until ``go_online()``: opening a file must not resume the jobs saved in it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

from .console import NativeOutput, capture_native_output
from .errors import SetupError

MODULE = "bl_ext.user_default.leonardo_blender"
ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = ROOT / "scripts" / "build_extension.py"
BPY_PYTHON_HINT = "run it with the Python that has Blender's bpy module, e.g. .venv/bpy-5.0/bin/python"


class BlenderSession:
    def __init__(self, *, debug: bool) -> None:
        self.debug = debug
        self.folder: Path | None = None
        self.native: NativeOutput | None = None
        self.bpy: Any = None
        self.addon: ModuleType | None = None
        self._capture: contextlib.AbstractContextManager[NativeOutput] | None = None
        self._previous_env: str | None = None
        self._enabled = False

    def __enter__(self) -> BlenderSession:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    # -- setting up ----------------------------------------------------------------------------------

    def _start(self) -> None:
        if "bpy" in sys.modules:
            raise SetupError(
                "bpy was imported before the command could isolate Blender's user folder; run it in its own process"
            )
        if not BUILD_SCRIPT.is_file():
            raise SetupError(f"{BUILD_SCRIPT} is missing: the command line runs from a checkout of the add-on")
        self.folder = Path(tempfile.mkdtemp(prefix="leonardo-cli-"))
        self._previous_env = os.environ.get("BLENDER_USER_RESOURCES")
        os.environ["BLENDER_USER_RESOURCES"] = str(self.folder / "user")  # before bpy
        self._capture = capture_native_output(self.folder / "blender.log", debug=self.debug)
        self.native = self._capture.__enter__()
        try:
            import bpy
        except ImportError as exc:
            raise SetupError(f"this Python ({sys.executable}) has no bpy module ({exc}); {BPY_PYTHON_HINT}") from None
        self.bpy = bpy
        zip_path = self._build()
        self._install(zip_path)
        # No .blend1 backups beside the output (these preferences are temporary).
        bpy.context.preferences.filepaths.save_version = 0  # type: ignore[union-attr]

    def _build(self) -> Path:
        assert self.folder is not None
        spec = importlib.util.spec_from_file_location("leonardo_cli_build_extension", BUILD_SCRIPT)
        if spec is None or spec.loader is None:
            raise SetupError(f"cannot load {BUILD_SCRIPT}")
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
            return Path(module.build(self.folder / "dist", staging_root=self.folder / "stage"))
        except Exception as exc:  # a broken checkout: say what, not where
            raise SetupError(f"could not build the add-on from {ROOT}: {exc}") from exc

    def _install(self, zip_path: Path) -> None:
        bpy = self.bpy
        try:
            bpy.ops.extensions.package_install_files(
                filepath=str(zip_path), repo="user_default", enable_on_install=True
            )
        except RuntimeError as exc:
            raise SetupError(f"the add-on did not install: {one_line(str(exc))}") from exc
        if MODULE not in bpy.context.preferences.addons or MODULE not in sys.modules:
            raise SetupError(f"the add-on did not install into Blender {bpy.app.version_string} (--debug shows why)")
        self._enabled = True
        self.addon = sys.modules[MODULE]

    def go_online(self) -> None:
        """Allow Blender's online access for this run (running the command is the user's consent)."""
        self.bpy.context.preferences.system.use_online_access = True

    # -- tearing down --------------------------------------------------------------------------------

    def close(self) -> None:
        if self._enabled:
            self._enabled = False
            with contextlib.suppress(Exception):
                import addon_utils

                addon_utils.disable(MODULE, default_set=False)
        if self._capture is not None:
            capture, self._capture = self._capture, None
            capture.__exit__(None, None, None)
        if self.folder is not None:
            if self._previous_env is None:
                os.environ.pop("BLENDER_USER_RESOURCES", None)
            else:
                os.environ["BLENDER_USER_RESOURCES"] = self._previous_env
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def one_line(text: str) -> str:
    """Blender's report text (``"Error: ...\\n"``, possibly several lines) as one clean line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    cleaned = [
        line.split(": ", 1)[1] if line.split(": ", 1)[0] in ("Error", "Warning", "Info") else line for line in lines
    ]
    return "; ".join(cleaned)
