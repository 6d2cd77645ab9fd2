"""Fixtures for tests that run inside real Blender (the ``bpy`` module), 4.2 LTS to 5.0.

The add-on under test is the very zip users install: built once per session with Blender's own
``bl_pkg`` and installed with ``bpy.ops.extensions.package_install_files``. Blender's user folders
are redirected to a temporary directory before ``bpy`` is imported, so nothing touches the
developer's own Blender configuration. The network side is the local emulator on 127.0.0.1.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ["BLENDER_USER_RESOURCES"] = tempfile.mkdtemp(prefix="leonardo-bl-user-")  # before bpy

import bpy  # first: importing bpy puts Blender's own modules (addon_utils, bl_pkg) on sys.path

# isort: split
import addon_utils
import pytest

ROOT = Path(__file__).resolve().parents[2]
# no leftover user folder per test session
atexit.register(shutil.rmtree, os.environ["BLENDER_USER_RESOURCES"], ignore_errors=True)
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

import build_extension  # noqa: E402

from leonardo_blender.emulator import Emulator, EmulatorConfig  # noqa: E402

MODULE = "bl_ext.user_default.leonardo_blender"


@pytest.fixture(scope="session")
def extension_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    return build_extension.build(out, staging_root=tmp_path_factory.mktemp("stage"))


@pytest.fixture(scope="session")
def addon(extension_zip: Path):
    """The add-on installed from the built zip and enabled, as Blender users get it."""
    bpy.ops.extensions.package_install_files(filepath=str(extension_zip), repo="user_default", enable_on_install=True)
    assert MODULE in bpy.context.preferences.addons, "the extension zip did not install and enable"
    module = sys.modules[MODULE]
    yield module
    # Disable (runs unregister) but do not uninstall: the user folder is a temporary one anyway, and
    # extensions.package_uninstall makes the 4.2 bpy module segfault at exit (measured, not our code).
    addon_utils.disable(MODULE, default_set=True)


@pytest.fixture(scope="session")
def emulator():
    emu = Emulator(EmulatorConfig(job_seconds=0.3, texture_size=128, credits=1_000_000))
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture
def online():
    system = bpy.context.preferences.system
    before = system.use_online_access
    system.use_online_access = True
    yield
    system.use_online_access = before


@pytest.fixture
def offline():
    system = bpy.context.preferences.system
    before = system.use_online_access
    system.use_online_access = False
    yield
    system.use_online_access = before


@pytest.fixture
def clean_scene(addon):
    """An empty file; keeps preferences and the enabled add-on."""
    bpy.ops.wm.read_homefile(use_empty=True)
    yield bpy.context.scene


@pytest.fixture
def service(addon, emulator, online, clean_scene, monkeypatch):
    """The add-on pointed at the emulator through the environment, as a pipeline would."""
    monkeypatch.setenv("LEONARDO_API_KEY", emulator.api_key)
    monkeypatch.setenv("LEONARDO_API_BASE_URL", emulator.base_url)
    emulator.faults.clear()
    yield emulator
    addon.blender.dispatcher.run_until(lambda: not addon.blender.texturing.texture_jobs.running_ids(), timeout=10)
