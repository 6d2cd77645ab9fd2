"""Every panel and list draws against real Blender data without error, and every property and
operator it names exists (``draw()`` cannot run headless without a UI, so a recording layout stands in
for Blender's UI engine; the data, properties and operators are the real ones)."""

from __future__ import annotations

import bpy
import pytest

from tests.blender.scene_helpers import add_cube


class RecordingLayout:
    """Checks every prop/operator name against real RNA, records labels."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.active = self.enabled = True
        self.scale_y = 1.0

    def _child(self, *args, **kwargs) -> RecordingLayout:
        return RecordingLayout(self.log)

    row = column = box = split = grid_flow = _child

    def label(self, text: str = "", **kwargs) -> None:
        self.log.append(text)

    def separator(self, **kwargs) -> None:
        pass

    def prop(self, data, name: str, **kwargs) -> None:
        assert name in data.bl_rna.properties, f"{type(data).__name__} has no property {name!r}"
        self.log.append(f"prop:{name}")

    def operator(self, idname: str, text: str = "", **kwargs):
        category, name = idname.split(".")
        operator = getattr(getattr(bpy.ops, category), name)
        rna = operator.get_rna_type()
        self.log.append(f"op:{idname}")
        if text:
            self.log.append(text)

        class Properties:
            def __setattr__(self, key, value):
                assert key in rna.properties, f"{idname} has no property {key!r}"

        return Properties()

    def template_list(self, list_type: str, list_id, data, propname: str, active_data, active_propname, **kwargs):
        assert hasattr(bpy.types, list_type), f"no UIList {list_type}"
        assert propname in data.bl_rna.properties and active_propname in active_data.bl_rna.properties
        ui_list = getattr(bpy.types, list_type)
        for index, item in enumerate(getattr(data, propname)):
            ui_list.draw_item(
                self, bpy.context, RecordingLayout(self.log), data, item, 0, active_data, active_propname, index
            )

    def template_icon(self, **kwargs) -> None:
        pass


PANELS = [
    "LEONARDO_PT_texture",
    "LEONARDO_PT_jobs",
    "LEONARDO_PT_seamless",
    "LEONARDO_PT_seamless_candidates",
    "LEONARDO_PT_seamless_history",
    "LEONARDO_PT_account",
    "LEONARDO_PT_assets",
    "LEONARDO_PT_history",
]


def draw(panel_name: str) -> list[str]:
    log: list[str] = []
    panel = getattr(bpy.types, panel_name)
    stand_in = type("PanelStandIn", (), {"layout": RecordingLayout(log), "__getattr__": lambda _, n: getattr(panel, n)})
    holder = stand_in()
    if hasattr(panel, "poll") and not panel.poll(bpy.context):
        return log
    panel.draw(holder, bpy.context)
    return log


@pytest.mark.parametrize("panel_name", PANELS)
def test_panels_draw_in_an_empty_file(addon, clean_scene, panel_name):
    draw(panel_name)


def test_panels_draw_with_jobs_assets_and_history(service, addon):
    from leonardo_blender.emulator import FaultRule

    add_cube()
    assert bpy.ops.leonardo.texture_selected(prompt="drawn", wait=True, timeout=60) == {"FINISHED"}
    service.faults.add(FaultRule("POST /generations-texture", "failed_job"))
    with pytest.raises(RuntimeError):
        bpy.ops.leonardo.texture_selected(prompt="fails", wait=True, timeout=60)
    bpy.ops.leonardo.refresh_account()
    bpy.ops.leonardo.refresh_assets()
    bpy.ops.leonardo.refresh_history()
    blender = addon.blender
    blender.dispatcher.run_until(lambda: not blender.tasks._running, timeout=30)
    texture_log = draw("LEONARDO_PT_texture")
    assert "op:leonardo.texture_selected" in texture_log
    jobs_log = draw("LEONARDO_PT_jobs")
    assert any("Failed" in line for line in jobs_log)
    # the service itself failed it: Resume would only find the failure again, so it is not offered
    assert "op:leonardo.resume_job" not in jobs_log
    assert "op:leonardo.remove_job" in jobs_log
    account_log = draw("LEONARDO_PT_account")
    assert any("API credits" in line for line in account_log)
    assert "op:leonardo.delete_assets" in draw("LEONARDO_PT_assets")
    history_log = draw("LEONARDO_PT_history")
    assert "op:leonardo.apply_generation" in history_log and any("Seed" in line for line in history_log)


def test_panel_tells_what_is_missing(addon, offline, clean_scene, monkeypatch):
    monkeypatch.delenv("LEONARDO_API_KEY", raising=False)
    log = draw("LEONARDO_PT_texture")
    assert "Online access is off" in log and "No API key yet" in log
    assert "Select a mesh to texture" in log


def test_preferences_draw_and_explain_overrides(addon, offline, monkeypatch):
    prefs = bpy.context.preferences.addons[addon.__name__].preferences
    log: list[str] = []
    holder = type("PrefsStandIn", (), {"layout": RecordingLayout(log), "__getattr__": lambda _, n: getattr(prefs, n)})()
    monkeypatch.delenv("LEONARDO_API_KEY", raising=False)
    type(prefs).draw(holder, bpy.context)
    assert "prop:api_key" in log and "prop:base_url" in log
    assert any("Online access is off" in line for line in log)
    monkeypatch.setenv("LEONARDO_API_KEY", "from-the-environment")
    log.clear()
    type(prefs).draw(holder, bpy.context)
    assert "prop:api_key" not in log and any("LEONARDO_API_KEY" in line for line in log)


def test_texture_button_shows_the_calculated_cost_and_warns_when_credits_are_short(service, addon):
    add_cube()
    assert any("150 credits (est.)" in line for line in draw("LEONARDO_PT_texture")), "before any refresh"
    service.set_credits(100)
    try:
        bpy.ops.leonardo.refresh_account()
        blender = addon.blender
        blender.dispatcher.run_until(lambda: not blender.tasks._running, timeout=30)
        log = draw("LEONARDO_PT_texture")
        assert "Texture Selected · 150 credits" in log, "the cost from the pricing calculator"
        assert "Only 100 credits left" in log
        bpy.context.scene.leonardo.preview = True
        log = draw("LEONARDO_PT_texture")
        assert "Texture Selected · 30 credits" in log and "Only 100 credits left" not in log
    finally:
        service.set_credits(1_000_000)
