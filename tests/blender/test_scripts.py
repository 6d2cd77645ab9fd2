"""The commands the README shows a user, run as subprocesses exactly as written, and the demo's defects.

Every command runs from the repository root in a clean environment: no PYTHONPATH, no LEONARDO_* or
BLENDER_* variables from the developer's shell, a fresh temporary BLENDER_USER_RESOURCES and a fresh
TMPDIR (so a test can see whether a command leaves temporary folders behind). Only what the README says
to substitute is substituted (the key, "my.obj", "scene.blend"). Each command's real output is checked:
the zip it reports validates, the files the demo prints exist and hold what it says, the picture shows a
textured model. ``scripts/test`` (it runs the suite) and ``--live`` (network, credits) are not run.
"""

from __future__ import annotations

import json
import os
import re
import select
import shlex
import signal
import subprocess
import time
import tomllib
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import bpy
import build_extension  # scripts/ is on sys.path (conftest)
import pytest
from bpy_extras.object_utils import world_to_camera_view
from mathutils import Vector

from leonardo_blender.emulator import DEMO_API_KEY, Emulator, EmulatorConfig

# The scripts run Blender 5.0 (.venv/bpy-5.0) whichever Blender runs pytest, so scripts/test leaves
# this file out of its 4.2 run: that run would repeat the very same subprocesses.

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PYTHON = ROOT / ".venv" / "bpy-5.0" / "bin" / "python"
TOOLS = Path(__file__).with_name("script_blend_tools.py")
VERSION = tomllib.loads((ROOT / "blender_manifest.toml").read_text())["version"]
DEMO_OUT = ROOT / "out" / "demo"
FALLBACK_WORDS = "not available on this service any more"
#: The demo's camera must keep every bounding-box corner at least this far (a fraction of the frame)
#: inside each edge of the picture.
MARGIN = 0.05


# --- helpers ---------------------------------------------------------------------------------------


def as_shown(command: str) -> list[str]:
    """The README's command as argv; fails when the README stops showing it (line breaks count as spaces)."""
    assert command in " ".join(README.split()), f"the README no longer shows {command!r}"
    return shlex.split(command)


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    drop = ("PYTHON", "BLENDER_", "LEONARDO_", "VIRTUAL_ENV", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    (tmp_path / "tmp").mkdir(parents=True, exist_ok=True)
    env["TMPDIR"] = str(tmp_path / "tmp")
    env["BLENDER_USER_RESOURCES"] = str(tmp_path / "blender-user")
    env.update(extra)
    return env


def leftovers(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "tmp").iterdir())


def run(argv: list[str], env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def succeeded(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"exit {result.returncode}:\n{output[-4000:]}"
    assert "Traceback" not in output, output[-4000:]
    return result.stdout


def printed_path(stdout: str, label: str) -> Path:
    match = re.search(rf"^{label}\s+(\S+)", stdout, re.MULTILINE)
    assert match, f"no '{label}' line in:\n{stdout[-3000:]}"
    return Path(match.group(1))


def inspect_blend(path: Path, tmp_path: Path) -> dict:
    result = run([str(PYTHON), str(TOOLS), "inspect", str(path)], clean_env(tmp_path / "inspect"), timeout=120)
    line = next((x for x in succeeded(result).splitlines() if x.startswith("INSPECT ")), None)
    assert line, result.stdout[-2000:]
    return json.loads(line.removeprefix("INSPECT "))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """long_box.obj, flat_plate.obj, blend/user_scene.blend (+ its own relative image), scene.blend."""
    folder = tmp_path_factory.mktemp("inputs")
    succeeded(run([str(PYTHON), str(TOOLS), "make-inputs", str(folder)], clean_env(folder / "env"), timeout=120))
    return folder


def assert_frames_all_corners(corners: list[list[float]], margin: float = MARGIN) -> None:
    assert len(corners) >= 8
    for x, y, z in corners:
        assert z > 0, "a corner is behind the camera"
        assert margin - 1e-3 <= x <= 1 - margin + 1e-3, f"corner outside the frame: x={x:.3f}"
        assert margin - 1e-3 <= y <= 1 - margin + 1e-3, f"corner outside the frame: y={y:.3f}"


def picture_stats(png: Path) -> dict:
    """Share of the picture that is the model (not the flat background), of red and green in it, hue variety."""
    import numpy as np
    from PIL import Image

    image = Image.open(png).convert("RGB")
    rgb = np.asarray(image).reshape(-1, 3).astype(int)
    hsv = np.asarray(image.convert("HSV")).reshape(-1, 3).astype(int)
    model = np.abs(rgb - rgb[0]).sum(axis=1) > 40  # rgb[0]: the top-left pixel, background
    r, g, b = rgb[model].T
    saturated = hsv[model][(hsv[model][:, 1] > 60) & (hsv[model][:, 2] > 40)]
    count = max(1, int(model.sum()))
    return {
        "size": image.size,
        "model": float(model.mean()),
        "red": float(((r > g + 50) & (r > b + 50)).sum() / count),
        "green": float(((g > r + 40) & (g > b + 40)).sum() / count),
        "hues": len(set((saturated[:, 0] * 12 // 256).tolist())),
    }


# --- scripts/build ---------------------------------------------------------------------------------


def test_build_as_shown_writes_a_zip_that_validates(tmp_path):
    """`scripts/build` on a fresh clone's environment: it used to die with "No module named 'bl_pkg'"."""
    argv = as_shown("scripts/build")
    assert f"`dist/leonardo_blender-{VERSION}.zip`" in README
    started = time.time()
    result = run(argv, clean_env(tmp_path))
    stdout = succeeded(result)
    zip_path = Path(stdout.strip().splitlines()[-1])
    assert zip_path == ROOT / "dist" / f"leonardo_blender-{VERSION}.zip"
    assert zip_path.is_file() and zip_path.stat().st_mtime >= started - 1, "not written by this run"
    names = zipfile.ZipFile(zip_path).namelist()
    assert {"blender_manifest.toml", "__init__.py"} <= set(names)
    assert not any(n.startswith("emulator/") or "__pycache__" in n for n in names)
    assert build_extension.validate(zip_path) == 0
    assert leftovers(tmp_path) == [], "scripts/build left temporary folders behind"


def test_building_leaves_ctrl_c_working(tmp_path):
    """bl_pkg's CLI takes SIGINT over for good; after a build, Ctrl-C must still interrupt the process."""
    before = signal.getsignal(signal.SIGINT)
    assert build_extension.validate(build_extension.stage(tmp_path)) == 0
    assert signal.getsignal(signal.SIGINT) is before


# --- the emulator command line ----------------------------------------------------------------------


def _start_emulator(argv: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 60)
    url = process.stdout.readline().strip() if ready else ""
    return process, url


def _request(url: str, method: str = "GET", key: str = DEMO_API_KEY, body: bytes | None = None):
    request = urllib.request.Request(url, data=body, method=method)
    request.add_header("Authorization", f"Bearer {key}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    return err


def test_emulator_command_as_shown_serves_the_api(tmp_path):
    command = ".venv/bpy-5.0/bin/python -m leonardo_blender.emulator --port 8765"
    argv = as_shown(command)
    assert f"`{DEMO_API_KEY}`" in README, "the README's demo key is not the emulator's"
    process, url = _start_emulator(argv, clean_env(tmp_path))
    if not url:  # port 8765 taken on this machine: the same command on a free port
        process.communicate(timeout=30)
        argv[argv.index("8765")] = "0"
        process, url = _start_emulator(argv, clean_env(tmp_path))
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/rest/v1", url), url
        status, _headers, me = _request(f"{url}/me")
        assert status == 200 and me["user_details"][0]["apiSubscriptionTokens"] > 0
        status, _headers, _body = _request(f"{url}/me", key="00000000-0000-4000-8000-000000000000")
        assert status == 401
    finally:
        log = _stop(process)
    assert "Leonardo emulator ready at " + url in log
    assert "GET" in log and "/me" in log and "stopped" in log


def test_emulator_fault_option_as_shown(tmp_path):
    fault = '--fault "POST /generations-texture:status:429:retry_after=1:times=2"'
    argv = [*as_shown(".venv/bpy-5.0/bin/python -m leonardo_blender.emulator --port 8765"), *as_shown(fault)]
    argv[argv.index("8765")] = "0"  # the README shows --fault as an addition; any free port will do
    process, url = _start_emulator(argv, clean_env(tmp_path))
    try:
        answers = [_request(f"{url}/generations-texture", "POST", body=b"{}") for _ in range(3)]
    finally:
        _stop(process)
    assert [a[0] for a in answers[:2]] == [429, 429]
    assert answers[0][1].get("Retry-After") == "1"
    assert answers[2][0] != 429, "the fault should stop after times=2"


def test_emulator_withdrawn_switch_answers_like_the_live_service(tmp_path):
    argv = [*as_shown(".venv/bpy-5.0/bin/python -m leonardo_blender.emulator --port 8765"), "--texture-api-withdrawn"]
    assert "--texture-api-withdrawn" in README
    argv[argv.index("8765")] = "0"
    process, url = _start_emulator(argv, clean_env(tmp_path))
    try:
        status, _headers, body = _request(f"{url}/generations-texture", "POST", body=b"{}")
    finally:
        log = _stop(process)
    assert status == 404 and body["error"] == "Endpoint not found"
    assert "withdrawn" in log


# --- the pipeline recipe, with Blender as a Python module ---------------------------------------------


def _readme_block_after(marker: str) -> str:
    start = README.index(marker)
    block = re.search(r"```bash\n(.*?)```", README[start:], re.DOTALL)
    assert block, f"no bash block after {marker!r}"
    return block.group(1)


@pytest.mark.slow
def test_pipeline_recipe_with_the_bpy_module_textures_and_saves(tmp_path, inputs):
    """The README's `blender -b` recipe, as it shows it for the bpy module (`.venv/bpy-5.0/bin/python -c`)."""
    succeeded(run(as_shown("scripts/build"), clean_env(tmp_path / "build")))  # the recipe says: after scripts/build
    block = _readme_block_after("The same with Blender as a Python module")
    words = shlex.split(block.replace("\\\n", " "), comments=True)
    assert words[0] == "LEONARDO_API_KEY=…" and words[1] == ".venv/bpy-5.0/bin/python" and words[2] == "-c"
    code = words[3]
    # The `blender -b scene.blend --online-mode --python-expr` recipe above it runs the same expression
    # once Blender has opened the file with online access: this test runs exactly that expression.
    binary = shlex.split(_readme_block_after("works headless in Blender itself").replace("\\\n", " "), comments=True)
    assert binary[1:5] == ["blender", "-b", "scene.blend", "--online-mode"] and binary[5] == "--python-expr"
    assert code.endswith("bpy.ops.wm.open_mainfile(filepath='scene.blend')\n" + binary[6].removeprefix("import bpy; "))
    scene = tmp_path / "scene.blend"
    scene.write_bytes((inputs / "scene.blend").read_bytes())
    assert "'scene.blend'" in code
    code = code.replace("'scene.blend'", repr(str(scene)))
    with Emulator(EmulatorConfig(job_seconds=0.3, texture_size=128)) as emulator:
        assert emulator.api_key == DEMO_API_KEY
        env = clean_env(tmp_path, LEONARDO_API_KEY=emulator.api_key, LEONARDO_API_BASE_URL=emulator.base_url)
        succeeded(run([words[1], "-c", code], env, timeout=300))
        made = list(emulator.state.texture_generations.values())
    assert [(g.prompt, g.seed, g.front_rotation_offset) for g in made] == [("rusty iron", 42, 90)]
    saved = inspect_blend(scene, tmp_path)
    assert "Leonardo rusty iron (42)" in saved["materials"]
    maps = [i for i in saved["images"] if i["name"].startswith("Leonardo rusty iron")]
    assert maps and all(i["exists"] and i["filepath"].startswith("//textures/leonardo/rusty-iron-") for i in maps)


def test_cli_as_shown_textures_the_matching_objects(tmp_path, inputs):
    """The README's command line, as written (the key and scene.blend substituted)."""
    block = _readme_block_after("A command line textures the meshes of a .blend")
    words = shlex.split(block.replace("\\\n", " "), comments=True)
    assert words[0] == "LEONARDO_API_KEY=…" and words[1:4] == [".venv/bpy-5.0/bin/python", "-m", "leonardo_blender.cli"]
    scene = tmp_path / "scene.blend"
    scene.write_bytes((inputs / "kit.blend").read_bytes())
    argv = [str(scene) if word == "scene.blend" else word for word in words[1:]]
    argv = [str(tmp_path / "textured.blend") if word == "textured.blend" else word for word in argv]
    with Emulator(EmulatorConfig(job_seconds=0.3, texture_size=64)) as emulator:
        env = clean_env(tmp_path, LEONARDO_API_KEY=emulator.api_key, LEONARDO_API_BASE_URL=emulator.base_url)
        result = run(argv, env, timeout=300)
        prompts = [g.prompt for g in emulator.state.texture_generations.values()]
    succeeded(result)
    assert prompts == ["rusty iron", "rusty iron"], "only the two crates"
    saved = inspect_blend(tmp_path / "textured.blend", tmp_path)
    assert sum(name.startswith("Leonardo rusty iron") for name in saved["materials"]) >= 1


# --- scripts/demo as the README shows it ---------------------------------------------------------------


def run_demo(argv: list[str], tmp_path: Path) -> tuple[str, dict]:
    """Run the demo; check it left no temporary folder and that what it printed is true."""
    stdout = succeeded(run(argv, clean_env(tmp_path)))
    assert leftovers(tmp_path) == [], "the demo left temporary folders behind"
    assert "Done in" in stdout
    blend, png = printed_path(stdout, "Saved"), printed_path(stdout, "Render")
    maps_dir = printed_path(stdout, "Maps in")
    out = blend.parent
    assert blend == out / "leonardo_demo.blend" and png == out / "leonardo_demo.png"
    assert maps_dir.parent == out / "textures" / "leonardo" and maps_dir.is_dir()
    saved = inspect_blend(blend, tmp_path)
    maps = [i for i in saved["images"] if i["name"].startswith("Leonardo ")]
    assert {Path(i["abspath"]).name for i in maps} == {p.name for p in maps_dir.iterdir() if p.is_file()}
    for image in maps:
        assert image["exists"] and image["filepath"].startswith("//textures/leonardo/"), image
        assert Path(image["abspath"]).parent == maps_dir
    assert_frames_all_corners(saved["corners_in_camera"])
    return stdout, saved


@pytest.mark.slow
def test_demo_as_shown(tmp_path):
    for output in ("out/demo/leonardo_demo.blend", "out/demo/leonardo_demo.png", "out/demo/textures/leonardo/"):
        assert f"`{output}`" in README
    stdout, _saved = run_demo(as_shown("scripts/demo"), tmp_path)
    assert printed_path(stdout, "Saved") == DEMO_OUT / "leonardo_demo.blend"
    assert "engine AUTO, facing 0, full" in stdout and "engine TEXTURE_API" in stdout and "150 credits" in stdout
    stats = picture_stats(DEMO_OUT / "leonardo_demo.png")
    assert stats["size"] == (512, 512)
    assert stats["model"] > 0.1, stats  # the model fills a fair part of the picture
    assert stats["red"] > 0.2 and stats["green"] > 0.05, stats  # the front (red) and a side (green) in view


@pytest.mark.slow
def test_demo_mesh_option_as_shown(tmp_path, inputs):
    argv = as_shown('scripts/demo --mesh my.obj --prompt "mossy rock" --facing 90')
    argv[argv.index("my.obj")] = str(inputs / "long_box.obj")
    stdout, saved = run_demo(argv, tmp_path)
    assert "Texturing 'long_box' (6 faces; engine AUTO, facing 90, full): 'mossy rock'" in stdout
    assert saved["textured"] == ["long_box"]
    assert any(m.startswith("Leonardo mossy rock (") for m in saved["materials"])


@pytest.mark.slow
def test_demo_preview_as_shown(tmp_path):
    argv = as_shown("scripts/demo --preview")
    stdout, _saved = run_demo(argv, tmp_path)
    assert "preview (front); engine TEXTURE_API" in stdout and "30 credits" in stdout


@pytest.mark.slow
def test_demo_projection_engine_as_shown(tmp_path):
    stdout, _saved = run_demo(as_shown("scripts/demo --engine projection"), tmp_path)
    assert "engine PROJECTION, facing 0, full" in stdout and "engine PROJECTION, 5 views" in stdout
    maps_dir = printed_path(stdout, "Maps in")
    assert {"albedo.png", "normal.png", "roughness.png"} <= {p.name for p in maps_dir.iterdir()}
    stats = picture_stats(DEMO_OUT / "leonardo_demo.png")
    assert stats["model"] > 0.1 and stats["hues"] >= 4, stats  # the position code's many colours


@pytest.mark.slow
def test_demo_withdrawn_shows_the_fallback_once(tmp_path):
    stdout, _saved = run_demo(as_shown("scripts/demo --withdrawn"), tmp_path)
    assert "3D texture endpoint withdrawn" in stdout
    assert "engine AUTO, facing 0, full" in stdout and "engine PROJECTION, 5 views" in stdout
    assert stdout.count(FALLBACK_WORDS) == 1, "the fallback is said once"


@pytest.mark.slow
def test_demo_seamless_renders_a_tiled_floor(tmp_path):
    stdout = succeeded(run(as_shown('scripts/demo --seamless "mossy cobblestone"'), clean_env(tmp_path)))
    assert leftovers(tmp_path) == [], "the demo left temporary folders behind"
    blend, png = printed_path(stdout, "Saved"), printed_path(stdout, "Render")
    assert blend == ROOT / "out" / "demo_seamless" / "leonardo_seamless.blend" and png.is_file()
    saved = inspect_blend(blend, tmp_path)
    tiles = [i for i in saved["images"] if i["name"].startswith("Leonardo ")]
    assert tiles and all(image["exists"] for image in tiles), saved["images"]
    stats = picture_stats(png)
    assert stats["model"] > 0.3, stats  # the floor fills the lower part of the picture


# --- scripts/demo: bad input is one line on stderr, never a traceback -------------------------------------


def _bad_inputs(tmp: Path) -> dict[str, tuple[list[str], str]]:
    (tmp / "empty.obj").write_bytes(b"")
    (tmp / "binary.obj").write_bytes(bytes(range(256)) * 40)
    (tmp / "words.obj").write_text("hello world\nthis is not a mesh\n")
    (tmp / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    (tmp / "notes.txt").write_text("v 0 0 0\n")
    (tmp / "text.blend").write_text("not a blend file")
    (tmp / "folder.obj").mkdir()
    (tmp / "a-file").write_text("")
    return {
        "missing file": (["--mesh", str(tmp / "nope.obj")], "no such file"),
        "empty obj": (["--mesh", str(tmp / "empty.obj")], "empty"),
        "binary obj": (["--mesh", str(tmp / "binary.obj")], "not a Wavefront OBJ"),
        "text without a mesh": (["--mesh", str(tmp / "words.obj")], "no mesh in it"),
        "png": (["--mesh", str(tmp / "picture.png")], "must be a .obj or .blend"),
        "txt": (["--mesh", str(tmp / "notes.txt")], "must be a .obj or .blend"),
        "text as blend": (["--mesh", str(tmp / "text.blend")], "not a Blender file"),
        "folder": (["--mesh", str(tmp / "folder.obj")], "not a file"),
        "seed over the maximum": (["--seed", "2147483648"], "2147483637"),
        "seed below -1": (["--seed", "-2"], "2147483637"),
        "seed not a number": (["--seed", "lucky"], "'lucky'"),
        "resolution 0": (["--resolution", "0"], "resolution"),
        "samples 0": (["--samples", "0"], "samples"),
        "negative job seconds": (["--job-seconds", "-1"], "seconds"),
        "nan job seconds": (["--job-seconds", "nan"], "seconds"),
        "facing 45": (["--facing", "45"], "invalid choice"),
        "unknown engine": (["--engine", "magic"], "invalid choice"),
        "live and withdrawn": (["--live", "--withdrawn"], "--withdrawn"),
        "live without a key": (["--live"], "LEONARDO_API_KEY"),
        "out is a file": (["--out", str(tmp / "a-file")], "cannot create"),
        "unknown option": (["--colour", "red"], "unrecognized arguments"),
    }


def assert_one_clean_error(result: subprocess.CompletedProcess[str], expected: str) -> str:
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output, output[-4000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    line = lines[0]
    assert line.startswith("scripts/demo: ") and expected in line, line
    message = line.removeprefix("scripts/demo: ").split(": ", 1)[-1]
    assert message not in result.stdout, "the error was printed twice"
    return line


@pytest.mark.parametrize(
    "case",
    [
        "missing file",
        "empty obj",
        "binary obj",
        "text without a mesh",
        "png",
        "txt",
        "text as blend",
        "folder",
        "seed over the maximum",
        "seed below -1",
        "seed not a number",
        "resolution 0",
        "samples 0",
        "negative job seconds",
        "nan job seconds",
        "facing 45",
        "unknown engine",
        "live and withdrawn",
        "live without a key",
        "out is a file",
        "unknown option",
    ],
)
def test_demo_bad_input_is_one_line(tmp_path, case):
    argv, expected = _bad_inputs(tmp_path)[case]
    result = run(["scripts/demo", "--out", str(tmp_path / "out"), *argv], clean_env(tmp_path), timeout=120)
    assert_one_clean_error(result, expected)
    assert leftovers(tmp_path) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("corrupt.blend", b"BLENDER-v500REND" + b"\x07" * 300, "cannot open"),
        ("dangling.obj", b"v 0 0 0\nv 1 0 0\nf 4 5 6\n", "no mesh with faces"),
    ],
)
def test_demo_bad_mesh_found_by_blender_is_one_line(tmp_path, name, content, expected):
    (tmp_path / name).write_bytes(content)
    argv = ["scripts/demo", "--mesh", str(tmp_path / name), "--out", str(tmp_path / "out")]
    assert_one_clean_error(run(argv, clean_env(tmp_path), timeout=300), expected)
    assert leftovers(tmp_path) == [], "temporary folders left behind after an error"


@pytest.mark.slow
def test_demo_refused_texturing_is_said_once(tmp_path):
    argv = ["scripts/demo", "--prompt", "x" * 1501, "--out", str(tmp_path / "out"), "--job-seconds", "0.2"]
    line = assert_one_clean_error(run(argv, clean_env(tmp_path), timeout=300), "1500")
    assert line.startswith("scripts/demo: texturing failed: The prompt has 1501 characters")
    assert leftovers(tmp_path) == []


@pytest.mark.slow
def test_demo_ctrl_c_stops_at_once_and_cleans_up(tmp_path):
    """Ctrl-C while the job runs (SIGINT to the demo's process group, as a terminal sends it)."""
    argv = ["scripts/demo", "--out", str(tmp_path / "out"), "--job-seconds", "60"]
    process = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=clean_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("Texturing "):
            break
    time.sleep(1.0)
    interrupted = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)
    _out, err = process.communicate(timeout=120)
    assert time.monotonic() - interrupted < 20, "Ctrl-C was ignored (the process ran on)"
    assert process.returncode == 130
    assert err.strip().splitlines()[-1] == "scripts/demo: interrupted"
    assert err.count("scripts/demo: interrupted") == 1
    assert leftovers(tmp_path) == [], "temporary folders left behind after Ctrl-C"


# --- scripts/demo never writes beside its input -----------------------------------------------------------


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_demo_with_a_blend_works_on_a_copy_in_the_output_folder(tmp_path, inputs):
    source = tmp_path / "in"
    source.mkdir()
    for path in (inputs / "blend").iterdir():
        (source / path.name).write_bytes(path.read_bytes())
    before = _tree(source)
    out = tmp_path / "out"
    argv = ["scripts/demo", "--mesh", str(source / "user_scene.blend"), "--out", str(out)]
    argv += ["--resolution", "64", "--samples", "1", "--job-seconds", "0.2"]
    stdout, saved = run_demo(argv, tmp_path)
    assert _tree(source) == before, "the demo wrote beside (or over) its input"
    assert printed_path(stdout, "Saved") == out / "leonardo_demo.blend"
    assert saved["textured"] == ["user_box"]
    leonardo = [i for i in saved["images"] if i["name"].startswith("Leonardo ")]
    assert leonardo and all("/.." not in i["filepath"] for i in leonardo)
    assert all(Path(i["abspath"]).is_relative_to(out / "textures" / "leonardo") for i in leonardo)
    # The user's own relative image still resolves from the copy.
    user_image = next(i for i in saved["images"] if i["name"] == "user_texture")
    assert user_image["exists"] and Path(user_image["abspath"]) == source / "user_texture.png"


# --- the demo's camera frames the whole bounding box ------------------------------------------------------


def _corners_in_view(obj: bpy.types.Object) -> list[list[float]]:
    scene = bpy.context.scene
    bpy.context.view_layer.update()
    return [list(world_to_camera_view(scene, scene.camera, obj.matrix_world @ Vector(c))) for c in obj.bound_box]


@pytest.mark.parametrize("facing", [-90, 0, 90, 180])
@pytest.mark.parametrize(
    ("shape", "scale", "resolution"),
    [
        ("long box", (6.0, 0.3, 0.3), (512, 512)),
        ("long box along Y", (0.3, 6.0, 0.3), (512, 512)),
        ("flat plate", (3.0, 2.0, 0.02), (512, 512)),
        ("tall pole", (0.2, 0.2, 5.0), (512, 512)),
        ("suzanne", None, (512, 512)),
        ("long box, wide picture", (6.0, 0.3, 0.3), (640, 360)),
        ("flat plate, tall picture", (3.0, 2.0, 0.02), (360, 640)),
    ],
)
def test_camera_frames_every_corner(shape, scale, resolution, facing):
    import demo_blender  # (a script: imported here, not at collection)

    bpy.ops.wm.read_homefile(use_empty=True)
    try:
        if scale is None:
            bpy.ops.mesh.primitive_monkey_add(size=2.0)
        else:
            bpy.ops.mesh.primitive_cube_add(size=2.0, location=(2.0, -1.0, 0.5), rotation=(0.0, 0.0, 0.3))
            bpy.context.active_object.scale = scale
        obj = bpy.context.active_object
        demo_blender.stage(obj, facing, resolution)
        corners = _corners_in_view(obj)
        assert_frames_all_corners(corners)
        # ...and tightly: the box comes within 0.1 of an edge somewhere (the model is not tiny).
        closest = min(min(x, 1 - x, y, 1 - y) for x, y, _z in corners)
        assert closest < 0.1, f"the box keeps {closest:.3f} of the frame free on every side"
    finally:
        bpy.ops.wm.read_homefile(use_empty=True)


def test_lint_as_the_readme_describes(tmp_path):
    """`scripts/lint` (a developer command the README names): ruff and mypy pass on the checkout."""
    assert "`scripts/lint` runs ruff and mypy" in README
    result = run(["scripts/lint"], clean_env(tmp_path), timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert "Success: no issues found" in result.stdout
