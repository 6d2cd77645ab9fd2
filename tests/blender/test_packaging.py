"""The extension builds with Blender's tools, validates, installs from its zip and registers cleanly."""

from __future__ import annotations

import tomllib
import zipfile
from pathlib import Path

import bpy
import build_extension
import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_manifest_passes_blenders_validator(tmp_path):
    staged = build_extension.stage(tmp_path)
    assert build_extension.validate(staged) == 0


@pytest.mark.parametrize(
    ("field", "broken"),
    [('"4.2.0"', '"4.2"'), ('PBR materials"', 'PBR materials."'), ('"Material"', '"Web API"')],
)
def test_broken_manifest_is_rejected(tmp_path, field, broken):
    staged = build_extension.stage(tmp_path)
    manifest = staged / "blender_manifest.toml"
    text = manifest.read_text()
    assert field in text
    manifest.write_text(text.replace(field, broken, 1))
    assert build_extension.validate(staged) != 0


def test_versions_agree():
    manifest = tomllib.loads((ROOT / "blender_manifest.toml").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert manifest["version"] == project["project"]["version"]


def test_zip_layout(extension_zip):
    names = zipfile.ZipFile(extension_zip).namelist()
    assert "blender_manifest.toml" in names and "__init__.py" in names
    assert not any(n.startswith("emulator/") for n in names), "the dev-only emulator must not ship"
    assert not any("__pycache__" in n for n in names)


def test_zip_installs_and_enables(addon):
    assert addon.__name__ == "bl_ext.user_default.leonardo_blender"
    assert hasattr(bpy.types.Scene, "leonardo") and hasattr(bpy.types.Object, "leonardo")
    assert hasattr(bpy.types, "LEONARDO_OT_texture_selected") and hasattr(bpy.types, "LEONARDO_PT_texture")
    prefs = bpy.context.preferences.addons[addon.__name__].preferences
    assert prefs.bl_rna.properties["api_key"].subtype == "PASSWORD"


def test_unregister_removes_everything_and_registers_again(addon):
    from addon_utils import disable, enable

    name = addon.__name__
    disable(name, default_set=False)
    try:
        assert not hasattr(bpy.types.Scene, "leonardo")
        assert not hasattr(bpy.types, "LEONARDO_OT_texture_selected")
        assert not hasattr(bpy.types, "LEONARDO_PT_texture")
        for handlers in (bpy.app.handlers.load_post, bpy.app.handlers.save_pre, bpy.app.handlers.undo_post):
            assert not any(getattr(h, "__module__", "").startswith(name) for h in handlers)
        assert not bpy.app.timers.is_registered(addon.blender.dispatcher._tick)
    finally:
        enable(name, default_set=False)
    assert hasattr(bpy.types.Scene, "leonardo")
