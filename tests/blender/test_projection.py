"""The projection engine in real Blender against the emulator: AUTO fallback, previews and full textures,
a geometric proof of the bake, and a killed Blender that pays each view exactly once.

The emulator paints every depth-guided image with a position code (R grows left to right, G bottom to
top, B identifies the view's prompt), so reading the baked albedo back at a face's UVs proves which view
landed there, and that it is neither mirrored nor flipped.
"""

from __future__ import annotations

import bpy
import numpy as np
import pytest
from mathutils import Vector

from leonardo_blender.core.jobs import TextureJob
from leonardo_blender.emulator import Emulator, EmulatorConfig, controlnet_code_blue
from tests.blender import blender_process
from tests.blender.scene_helpers import add_cube, linked_from, material_of, select_only
from tests.blender.test_library import settle

MODULE = "bl_ext.user_default.leonardo_blender"
SMALL = {"generation_size": 256, "bake_size": 256}


def texture(**kwargs) -> set[str]:
    kwargs.setdefault("prompt", "painted metal")
    return bpy.ops.leonardo.texture_selected(wait=True, timeout=90, **kwargs)


def last_job() -> TextureJob:
    return TextureJob.from_json(bpy.context.scene.leonardo.jobs[-1].payload)


def contract_breaches(emulator: Emulator, allowed: tuple[tuple[str, int], ...] = (), since: int = 0) -> list[str]:
    """Requests the emulator refused (a refused request means the add-on broke the contract)."""
    return [
        f"{r.method} {r.path} -> {r.status}"
        for r in list(emulator.requests)[since:]
        if r.status >= 400 and (r.route, r.status) not in allowed and (f"{r.method} {r.path}", r.status) not in allowed
    ]


@pytest.fixture
def engines(addon):
    engines = addon.blender.texturing.engines
    engines.forget()
    yield engines
    engines.forget()


@pytest.fixture
def withdrawn(addon, online, clean_scene, monkeypatch, engines):
    """The service as it answers in 2026: the 3D texture endpoint is gone (routing 404)."""
    with Emulator(EmulatorConfig(texture_api_withdrawn=True, job_seconds=0.2, credits=1_000_000)) as emu:
        monkeypatch.setenv("LEONARDO_API_KEY", emu.api_key)
        monkeypatch.setenv("LEONARDO_API_BASE_URL", emu.base_url)
        yield emu
        settle(addon)


def read_pixels(path: str) -> np.ndarray:
    """An image file through Blender's own loader: (H, W, 3) in 0..255, row 0 = the BOTTOM (v = 0)."""
    image = bpy.data.images.load(path)
    width, height = image.size
    pixels = np.empty(width * height * image.channels, dtype=np.float32)
    image.pixels.foreach_get(pixels)
    channels = image.channels
    bpy.data.images.remove(image)
    return pixels.reshape(height, width, channels)[..., :3] * 255.0


def sample(pixels: np.ndarray, uv: Vector) -> np.ndarray:
    height, width = pixels.shape[:2]
    col = min(width - 1, int(uv.x * width))
    row = min(height - 1, int(uv.y * height))
    return pixels[row, col]


def expected_code(view, point: Vector) -> tuple[float, float, int]:
    """(R, G, B) the emulator painted where ``point`` lies in ``view``'s image."""
    spec = view.spec
    offset = point - Vector(spec["center"])
    half = spec["half_extent"]
    across = (offset.dot(Vector(spec["right"])) / half + 1.0) / 2.0
    upward = (offset.dot(Vector(spec["up"])) / half + 1.0) / 2.0
    return 255.0 * across, 255.0 * upward, controlnet_code_blue(view.prompt)


def check_faces(obj: bpy.types.Object, job: TextureJob, names: set[str] | None = None) -> int:
    """Every face of ``obj`` looked at squarely by a view shows that view, in place; returns faces checked."""
    albedo = read_pixels(job.maps["ALBEDO"])
    mesh, uv_layer = obj.data, obj.data.uv_layers.active.data
    checked = 0
    for polygon in mesh.polygons:
        normal = (obj.matrix_world.to_3x3() @ polygon.normal).normalized()
        view = next((v for v in job.views if normal.dot(Vector(v.spec["direction"])) > 0.99), None)
        if view is None or (names is not None and view.name not in names):
            continue
        corners = [obj.matrix_world @ mesh.vertices[mesh.loops[i].vertex_index].co for i in polygon.loop_indices]
        uvs = [uv_layer[i].uv.copy() for i in polygon.loop_indices]
        for weights in ((0.25, 0.25, 0.25, 0.25), (0.55, 0.15, 0.15, 0.15), (0.15, 0.15, 0.55, 0.15)):
            point = sum((c * w for c, w in zip(corners, weights, strict=True)), Vector())
            uv = sum((u * w for u, w in zip(uvs, weights, strict=True)), Vector((0.0, 0.0)))
            red, green, blue = sample(albedo, uv)
            want_red, want_green, want_blue = expected_code(view, point)
            where = f"{view.name} view on the face facing {tuple(round(c, 2) for c in normal)} at {weights}"
            assert abs(blue - want_blue) < 10, f"{where}: B {blue:.0f}, expected {want_blue} (another view?)"
            assert abs(red - want_red) < 20, f"{where}: R {red:.0f}, expected {want_red:.0f} (mirrored?)"
            assert abs(green - want_green) < 20, f"{where}: G {green:.0f}, expected {want_green:.0f} (flipped?)"
        checked += 1
    return checked


def test_auto_falls_back_on_the_routing_404_says_so_once_and_remembers(withdrawn, engines):
    cube = add_cube()
    assert texture(**SMALL) == {"FINISHED"}
    job = last_job()
    assert job.state.value == "APPLIED" and job.engine_used == "PROJECTION", job.error
    assert "deleted" not in (job.error + job.note).lower()
    assert engines.texture_api_unavailable()
    assert engines.note() and "image generation" in engines.note()
    assert engines.take_unreported_note() == "", "the operator should have reported the fallback already"
    assert withdrawn.count("POST", "/generations-texture") == 1
    assert withdrawn.count("POST", "/generations") == 5
    assert material_of(cube).get("leonardo_engine") == "PROJECTION"

    uploads = withdrawn.count("POST", "/models-3d/upload")
    assert texture(prompt="second", **SMALL) == {"FINISHED"}
    assert last_job().engine_used == "PROJECTION"
    assert withdrawn.count("POST", "/generations-texture") == 1, "AUTO asked the gone endpoint again"
    assert withdrawn.count("POST", "/models-3d/upload") == uploads, "no OBJ upload once the endpoint is known gone"
    assert contract_breaches(withdrawn, allowed=(("POST /api/rest/v1/generations-texture", 404),)) == []


def test_texture_api_engine_fails_with_a_way_out(withdrawn):
    add_cube()
    with pytest.raises(RuntimeError, match="Choose the Projection engine"):
        texture(engine="TEXTURE_API")
    record = bpy.context.scene.leonardo.jobs[-1]
    assert record.state == "FAILED"
    assert "Projection" in record.error and "deleted" not in record.error.lower()
    assert withdrawn.count("POST", "/generations") == 0


def test_projection_full_texture_builds_albedo_normal_and_roughness(service, engines):
    cube = add_cube()
    requests_before = len(service.requests)
    texture_creates = service.count("POST", "/generations-texture")
    assert texture(engine="PROJECTION", **SMALL) == {"FINISHED"}
    job = last_job()
    assert job.state.value == "APPLIED", job.error
    assert service.count("POST", "/generations-texture") == texture_creates
    tree = material_of(cube).node_tree
    bsdf = next(n for n in tree.nodes if n.type == "BSDF_PRINCIPLED")
    albedo = linked_from(bsdf.inputs["Base Color"])
    assert albedo.type == "TEX_IMAGE" and albedo.image.colorspace_settings.name == "sRGB"
    roughness = linked_from(bsdf.inputs["Roughness"])
    assert roughness.image.colorspace_settings.name == "Non-Color"
    normal_map = linked_from(bsdf.inputs["Normal"])
    assert normal_map.type == "NORMAL_MAP" and normal_map.space == "TANGENT"
    assert linked_from(normal_map.inputs["Color"]).image.colorspace_settings.name == "Non-Color"
    assert albedo.image.size[0] == 256
    record = bpy.context.scene.leonardo.jobs[-1]
    assert record.engine == "PROJECTION" and record.views_total == 5 and record.cost == job.cost > 0
    assert contract_breaches(service, since=requests_before) == []


@pytest.mark.parametrize("offset", [0, 90, -90, 180])
def test_each_side_of_a_cube_shows_its_own_view_in_place(service, engines, offset):
    cube = add_cube()
    cube.rotation_euler.z = 0.0
    assert texture(engine="PROJECTION", front_rotation_offset=offset, style_reference=False, **SMALL) == {"FINISHED"}
    job = last_job()
    assert job.state.value == "APPLIED", job.error
    front = next(v for v in job.views if v.name == "front")
    theta = np.radians(offset)
    assert np.allclose(front.spec["direction"], (np.sin(theta), -np.cos(theta), 0.0), atol=1e-6)
    assert check_faces(cube, job) == 5  # four sides and the top; the bottom is seen by no view


@pytest.mark.parametrize("offset", [90, 180])
def test_the_preview_lands_on_the_chosen_front(service, engines, offset):
    cube = add_cube()
    assert texture(engine="PROJECTION", preview=True, front_rotation_offset=offset, **SMALL) == {"FINISHED"}
    job = last_job()
    assert [v.name for v in job.views] == ["front"]
    assert service.count("POST", "/generations") >= 1
    assert check_faces(cube, job, names={"front"}) == 1
    assert material_of(cube).name.endswith("preview front")


def test_suzanne_full_and_preview(service, engines):
    bpy.ops.mesh.primitive_monkey_add(size=2.0)
    monkey = bpy.context.active_object
    monkey.modifiers.new("Subdivision", "SUBSURF").levels = 1
    select_only(monkey)
    assert texture(engine="PROJECTION", **SMALL) == {"FINISHED"}
    full = last_job()
    assert full.state.value == "APPLIED", full.error
    pixels = read_pixels(full.maps["ALBEDO"])
    assert pixels.std() > 10, "the baked albedo is flat: nothing was projected"
    assert texture(engine="PROJECTION", preview=True, preview_direction="back", **SMALL) == {"FINISHED"}
    preview = last_job()
    assert preview.state.value == "APPLIED" and [v.name for v in preview.views] == ["back"]
    assert material_of(monkey).name != full.material_name


def test_a_killed_blender_pays_each_view_exactly_once(addon, online, clean_scene, monkeypatch, tmp_path):
    with Emulator(EmulatorConfig(job_seconds=3.0)) as slow:
        blend = tmp_path / "crash.blend"
        env = blender_process.child_env(slow)
        blender_process.run_until_printed_then_kill(
            f"""
            import sys, time
            blender = sys.modules[{MODULE!r}].blender
            bpy.ops.wm.read_homefile(use_empty=True)
            bpy.ops.mesh.primitive_cube_add()
            bpy.context.active_object.name = "Survivor"
            bpy.ops.wm.save_as_mainfile(filepath={str(blend)!r})
            bpy.ops.leonardo.texture_selected(prompt="survives", engine="PROJECTION", generation_size=256,
                                              bake_size=256)
            jobs = bpy.context.scene.leonardo.jobs
            assert blender.dispatcher.run_until(lambda: jobs[-1].state == "GENERATING", timeout=60)
            bpy.ops.wm.save_mainfile()
            print("SAVED", flush=True)
            time.sleep(600)
            """,
            env,
            "SAVED",
        )
        paid_before = slow.count("POST", "/generations")
        assert 1 <= paid_before < 5, "kill the job mid-way: some views accepted, not all"
        uploads = slow.count("POST", "/init-image")

        output = blender_process.run(
            f"""
            import sys
            blender = sys.modules[{MODULE!r}].blender
            bpy.ops.wm.open_mainfile(filepath={str(blend)!r})   # load_post resumes the job
            jobs = bpy.context.scene.leonardo.jobs
            blender.dispatcher.run_until(lambda: jobs[-1].state in ("APPLIED", "FAILED"), timeout=120)
            print("STATE", jobs[-1].state, jobs[-1].error)
            bpy.ops.wm.save_mainfile()
            """,
            env,
            timeout=240,
        )
        assert "STATE APPLIED" in output, output[-3000:]
        assert slow.count("POST", "/generations") == 5, "a view was paid twice (or never)"
        assert slow.count("POST", "/init-image") == uploads, "depth maps were uploaded again"
        bpy.ops.wm.open_mainfile(filepath=str(blend))
        assert material_of(bpy.data.objects["Survivor"]).get("leonardo_engine") == "PROJECTION"


def test_the_button_shows_what_a_projection_costs_before_submitting(service, engines, addon):
    from tests.blender.test_panels import draw

    settings = bpy.context.scene.leonardo
    settings.engine = "PROJECTION"
    assert "Texture Selected · 20 credits (est.)" in draw("LEONARDO_PT_texture")  # before the calculator
    assert bpy.ops.leonardo.refresh_account() == {"FINISHED"}
    assert bpy.ops.leonardo.wait_jobs(timeout=30) == {"FINISHED"}
    view = bpy.context.window_manager.leonardo.cost_view
    assert view > 0
    requests = service.requests_for("POST", "/pricing-calculator")
    assert any(r.json_body["service"] == "IMAGE_GENERATION" for r in requests)
    assert f"Texture Selected · {5 * view} credits" in draw("LEONARDO_PT_texture")
    settings.preview = True
    assert f"Texture Selected · {view} credits" in draw("LEONARDO_PT_texture")
    settings.preview = False
