"""The command line for pipelines: ``python -m leonardo_blender.cli texture scene.blend ...``.

Every run is a child process started exactly as a user would start it (from the repository root,
with the Python that has the ``bpy`` module), talking real HTTP to a local emulator started here.
The scene has four cubes Crate.001..Crate.004, a cylinder Barrel, a hidden cube Crate.005 and a light
CrateLamp (not a mesh). No run may show a traceback (``run_cli`` checks).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pty
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from leonardo_blender.cli import manifest, progress, shard
from leonardo_blender.cli.job_settings import JobSettings
from leonardo_blender.emulator import Emulator, EmulatorConfig, FaultRule
from tests.blender.cli_helpers import (
    HIDDEN,
    MESHES,
    ROOT,
    blend_bytes,
    cli_command,
    cli_env,
    inspect_blend,
    job_records,
    json_lines,
    make_scene,
    run_cli,
)

TEXTURE_ROUTE = "/generations-texture"


@pytest.fixture(scope="module")
def scene_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_scene(tmp_path_factory.mktemp("template") / "scene.blend")


@pytest.fixture
def scene(scene_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the scene in this test's own folder (outputs land beside it)."""
    path = tmp_path / "scene.blend"
    shutil.copy2(scene_template, path)
    return path


@pytest.fixture
def service():
    emulator = Emulator(EmulatorConfig(job_seconds=0.3, texture_size=128, credits=1_000_000))
    emulator.start()
    yield emulator
    emulator.stop()


def texture_bodies(emulator: Emulator) -> list[dict]:
    return [r.json_body or {} for r in emulator.requests_for("POST", TEXTURE_ROUTE)]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- help ---------------------------------------------------------------------------------------------


def test_help_explains_commands_options_and_exit_codes():
    top = run_cli("--help", env=cli_env(None))
    texture = run_cli("texture", "--help", env=cli_env(None))
    assert top.returncode == texture.returncode == 0
    assert "texture" in top.stdout and "exit codes" in top.stdout and "LEONARDO_API_KEY" in top.stdout
    for needle in (
        "--objects",
        "--manifest",
        "--shard",
        "--json",
        "--timeout",
        "--facing",
        "--engine",
        "--preview-side",
        "--out",
        "fnmatch",
        "line number",
        "sha256",
        "consent",
        "LEONARDO_API_BASE_URL",
        "textures/leonardo",
        "130",
    ):
        assert needle in texture.stdout, needle


# -- selecting and saving -------------------------------------------------------------------------------


def test_patterns_select_meshes_and_the_output_has_materials_and_maps(service, scene, tmp_path):
    before = digest(scene)
    out = tmp_path / "renders" / "out.blend"
    run = run_cli(
        "texture",
        scene,
        "--objects",
        "Crate.00[12]",
        "--objects",
        "Barrel,Nope*",
        "--prompt",
        "rusty iron",
        "--seed",
        "7",
        "--facing",
        "90",
        "--json",
        "--out",
        out,
        env=cli_env(service),
    )
    assert run.returncode == 0, run.stderr
    results = json_lines(run.stdout)  # stdout holds the JSON lines and nothing else
    assert sorted(results) == ["Barrel", "Crate.001", "Crate.002"]
    for result in results.values():
        assert result["state"] == "APPLIED", result
        assert result["material"].startswith("Leonardo rusty iron (7)")
        assert (result["seed"], result["cost"], result["engine"], result["error"]) == (7, 150, "texture", None)
        assert result["output"] == str(out.resolve()) and result["file"] == str(scene.resolve())
        assert result["job_id"] and result["prompt"] == "rusty iron"
    assert "'Nope*' matches no mesh" in run.stderr  # a warning, not an error
    bodies = texture_bodies(service)
    assert len(bodies) == 3
    assert {(b["prompt"], b.get("seed"), b.get("front_rotation_offset")) for b in bodies} == {("rusty iron", 7, 90)}

    saved = inspect_blend(out)
    for name in MESHES:
        expected = [results[name]["material"]] if name in results else []
        assert saved["objects"][name] == expected, name
    maps = out.parent / "textures" / "leonardo"
    assert len(saved["images"]) >= 3 * 4
    for image in saved["images"]:
        assert image["filepath"].startswith("//textures/leonardo/"), image
        assert image["exists"] and Path(image["path"]).resolve().is_relative_to(maps.resolve()), image
    assert digest(scene) == before  # the input is never written
    assert not list(out.parent.glob("*.blend1"))


def test_every_mesh_by_default_preview_and_plain_progress(service, scene):
    run = run_cli("texture", scene, "--prompt", "oak", "--preview", "--preview-side", "back", env=cli_env(service))
    assert run.returncode == 0, run.stderr
    out = scene.with_name("scene.textured.blend")  # the default output, beside the input
    assert out.is_file()
    lines = run.stdout.splitlines()
    assert sorted(line.split(":")[0] for line in lines if "applied" in line) == MESHES  # not the light
    assert f"warning: skipping 1 hidden mesh(es) of scene.blend ({HIDDEN})" in run.stderr
    assert all("30 credits" in line for line in lines if "applied" in line)
    assert lines[-1].startswith(f"Saved {out.resolve()}")
    # not a terminal: one plain line per change of state, then the summary
    assert "] Crate.003: generating" in run.stderr and "\r" not in run.stderr
    assert "5 of 5 objects textured; 150 credits" in run.stderr
    bodies = texture_bodies(service)
    assert len(bodies) == 5 and all(b["preview"] is True and b["preview_direction"] == "back" for b in bodies)
    saved = inspect_blend(out)["objects"]
    assert all(len(saved[name]) == 1 for name in MESHES) and saved[HIDDEN] == []


# -- manifests -----------------------------------------------------------------------------------------


def test_a_csv_manifest_gives_each_object_its_own_prompt(service, scene, tmp_path):
    jobs = tmp_path / "jobs.csv"
    jobs.write_text(
        "object,prompt,seed,facing,file\n"
        "Crate.001,oak planks,11,,\n"
        "Crate.00[23],rusty iron,22,180,\n"
        "Barrel,carved stone,,,other.blend\n"
        "Barrel,painted steel,33,-90,scene.blend\n"
        "*,mossy rock,,,\n",
        encoding="utf-8",
    )
    run = run_cli("texture", scene, "--manifest", jobs, "--json", env=cli_env(service))
    assert run.returncode == 0, run.stderr
    results = json_lines(run.stdout)
    expected = {
        "Crate.001": ("oak planks", 11, 0),
        "Crate.002": ("rusty iron", 22, 180),
        "Crate.003": ("rusty iron", 22, 180),
        "Barrel": ("painted steel", 33, -90),  # the row for other.blend is skipped
        "Crate.004": ("mossy rock", None, 0),  # the catch-all row, random seed
    }
    assert sorted(results) == sorted(expected)
    for name, (prompt, seed, _facing) in expected.items():
        assert results[name]["prompt"] == prompt and results[name]["state"] == "APPLIED"
        assert results[name]["material"].startswith(f"Leonardo {prompt}")
        if seed is not None:
            assert results[name]["seed"] == seed
    sent = sorted((b["prompt"], b.get("seed"), b.get("front_rotation_offset", 0)) for b in texture_bodies(service))
    assert sent == sorted(expected.values())
    saved = inspect_blend(scene.with_name("scene.textured.blend"))
    for name in expected:
        assert saved["objects"][name] == [results[name]["material"]]


def test_a_bad_manifest_reports_every_bad_row_and_sends_nothing(service, scene, tmp_path):
    csv_jobs = tmp_path / "jobs.csv"
    csv_jobs.write_text(
        "object,prompt,seed,facing,engine\n"
        "Crate.001,oak,abc,0,auto\n"  # line 2: bad seed
        "Crate.002,fine,1,90,texture\n"  # line 3: good
        "Crate.003,,1,45,texture\n"  # line 4: no prompt, bad facing
        "Barrel,iron,,,warp\n"  # line 5: bad engine
        "Crate.002,again,,,\n",  # line 6: repeats line 3
        encoding="utf-8",
    )
    run = run_cli("texture", scene, "--manifest", csv_jobs, env=cli_env(service))
    assert run.returncode == 2
    assert "jobs.csv has 4 bad rows; nothing was sent" in run.stderr
    for needle in (":2: seed 'abc'", ":4: no prompt", "facing '45'", ":5: engine 'warp'", ":6: repeats"):
        assert needle in run.stderr, needle
    assert ":3:" not in run.stderr

    json_jobs = tmp_path / "jobs.json"
    json_jobs.write_text(
        '[\n  {"object": "Crate.001", "prompt": "oak"},\n'
        '  {"object": "Crate.002", "prompt": "iron",\n   "colour": "red"},\n'
        '  {"object": "Barrel", "prompt": "x", "preview_side": "left"}\n]\n',
        encoding="utf-8",
    )
    run = run_cli("texture", scene, "--manifest", json_jobs, env=cli_env(service))
    assert run.returncode == 2
    assert "jobs.json:3: unknown key 'colour'" in run.stderr
    assert "jobs.json:5: preview_side is set but preview is off" in run.stderr
    assert run.stdout == ""
    assert len(service.requests) == 0  # nothing reached the service


def test_manifest_line_numbers_and_defaults_in_process(tmp_path):
    jobs = tmp_path / "jobs.json"
    jobs.write_text(
        '[{"object": "A", "prompt": "p1"},\n\n {"object": "B", "seed": "5", "preview": "yes"}]', encoding="utf-8"
    )
    rows = manifest.load(jobs, JobSettings(prompt="default", facing=90))
    assert [(r.line, r.pattern, r.settings.prompt) for r in rows] == [(1, "A", "p1"), (3, "B", "default")]
    assert (rows[1].settings.seed, rows[1].settings.preview, rows[1].settings.facing) == (5, True, 90)
    assert rows[1].settings.source == "jobs.json:3"


# -- shards --------------------------------------------------------------------------------------------


def test_shards_cover_every_object_exactly_once(service, scene, tmp_path):
    env = cli_env(service)
    processes = [
        subprocess.Popen(
            cli_command(
                "texture", scene, "--prompt", "oak", "--shard", f"{i}/3", "--json", "--out", tmp_path / f"s{i}.blend"
            ),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in (1, 2, 3)
    ]
    taken: dict[int, list[str]] = {}
    for i, process in zip((1, 2, 3), processes, strict=True):
        stdout, stderr = process.communicate(timeout=180)
        assert process.returncode == 0, stderr
        assert "Traceback" not in stderr
        taken[i] = sorted(json_lines(stdout))
        # the documented rule, so that other tools can predict the split
        expected = [n for n in MESHES if int(hashlib.sha256(f"scene.blend\0{n}".encode()).hexdigest(), 16) % 3 == i - 1]
        assert taken[i] == expected
        assert (tmp_path / f"s{i}.blend").is_file() == bool(expected)
        if not expected:
            assert "nothing to do" in stderr
    everything = [name for names in taken.values() for name in names]
    assert sorted(everything) == MESHES  # no gap, no overlap
    assert len(texture_bodies(service)) == len(MESHES)


def test_shard_split_is_stable_and_complete_in_process():
    names = [f"Rock.{i:03d}" for i in range(200)]
    for count in (1, 2, 3, 8):
        slices = [shard.select(shard.Shard(i, count), "a.blend", reversed(names)) for i in range(1, count + 1)]
        assert sorted(n for part in slices for n in part) == sorted(names)
        assert sum(map(len, slices)) == len(names)
        assert slices == [shard.select(shard.Shard(i, count), "a.blend", names) for i in range(1, count + 1)]
    assert shard.parse_shard("1/1") == shard.ALL
    for bad in ("0/3", "4/3", "3", "1/0", "a/b", ""):
        with pytest.raises(ValueError):
            shard.parse_shard(bad)


# -- failures and usage errors --------------------------------------------------------------------------


def test_a_failed_job_exits_1_and_the_rest_is_saved(service, scene, tmp_path):
    service.faults.add(FaultRule(f"POST {TEXTURE_ROUTE}", "failed_job"))
    out = tmp_path / "out.blend"
    args = ["--objects", "Crate.001,Crate.002", "--prompt", "oak", "--parallel", "1", "--json", "--out", out]
    run = run_cli("texture", scene, *args, env=cli_env(service))
    assert run.returncode == 1, run.stderr
    results = json_lines(run.stdout)
    assert results["Crate.001"]["state"] == "FAILED" and results["Crate.001"]["error"]
    assert results["Crate.002"]["state"] == "APPLIED"
    failure_lines = [line for line in run.stderr.splitlines() if "error: Crate.001" in line]
    assert len(failure_lines) == 1 and "failed:" in failure_lines[0]
    assert "1 of 2 objects textured" in run.stderr
    saved = inspect_blend(out)
    assert saved["objects"]["Crate.001"] == [] and saved["objects"]["Crate.002"] == [results["Crate.002"]["material"]]


def test_timeout_cancels_what_runs_and_saves(service, scene, tmp_path):
    out = tmp_path / "out.blend"
    run = run_cli(
        "texture",
        scene,
        "--objects",
        "Barrel",
        "--prompt",
        "oak",
        "--timeout",
        "0.5",
        "--json",
        "--out",
        out,
        env=cli_env(service),
    )
    assert run.returncode == 1
    result = json_lines(run.stdout)["Barrel"]
    assert result["state"] == "CANCELLED" and "gave up after 0.5 s (--timeout)" in result["error"]
    assert out.is_file()


def test_a_killed_run_keeps_its_paid_jobs_and_sigterm_cancels_and_saves(scene, tmp_path, extension_zip):
    """The output is saved as soon as the service accepts a job, so even SIGKILL loses nothing paid
    for; SIGTERM (like Ctrl+C) cancels the running job, saves and exits 130."""
    slow = Emulator(EmulatorConfig(job_seconds=60, texture_size=128, credits=1_000_000)).start()
    try:
        env = cli_env(slow, TMPDIR=str(tmp_path))  # a killed run's temporary folder stays in tmp_path
        outs = {name: tmp_path / f"{name}.blend" for name in ("killed", "stopped")}
        processes = {
            name: subprocess.Popen(
                cli_command("texture", scene, "--objects", "Barrel", "--prompt", name, "--json", "--out", out),
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for name, out in outs.items()
        }
        deadline = time.monotonic() + 60

        def wait_for(condition) -> None:
            while not condition():
                assert time.monotonic() < deadline and all(p.poll() is None for p in processes.values())
                time.sleep(0.05)

        def polled_ids() -> set[str]:  # jobs the service accepted (and charged) are being polled
            return {r.path.rsplit("/", 1)[-1] for r in slow.requests_for("GET", f"{TEXTURE_ROUTE}/*")}

        def saved_with_generation(out: Path) -> bool:  # the checkpoint wrote the job's record
            data = blend_bytes(out)
            return any(generation.encode() in data for generation in polled_ids())

        wait_for(lambda: len(polled_ids()) == 2)
        wait_for(lambda: all(saved_with_generation(out) for out in outs.values()))
        processes["killed"].kill()
        processes["stopped"].send_signal(signal.SIGTERM)
        stdout, stderr = processes["stopped"].communicate(timeout=60)
        processes["killed"].communicate(timeout=60)
    finally:
        slow.stop()
    assert processes["stopped"].returncode == 130, stderr
    assert "Traceback" not in stderr
    result = json_lines(stdout)["Barrel"]
    assert result["state"] == "CANCELLED" and "interrupted (SIGTERM)" in result["error"]
    for name, out in outs.items():
        (record,) = job_records(out, extension_zip)
        assert record["object_name"] == "Barrel" and record["generation_id"] and record["cost"] == 150, name
        assert record["state"] == ("GENERATING" if name == "killed" else "CANCELLED"), record


USAGE_ERRORS = [
    (["texture", "missing.blend", "--prompt", "oak"], {}, "missing.blend does not exist"),
    (["texture", "{scene}"], {}, "give --prompt"),
    (["texture", "{scene}", "--prompt", "oak", "--shard", "0/3"], {}, "i must be from 1 to 3"),
    (["texture", "{scene}", "--prompt", "oak", "--shard", "4/3"], {}, "i must be from 1 to 3"),
    (["texture", "{scene}", "--prompt", "oak", "--shard", "half"], {}, "is not of the form i/n"),
    (["texture", "{scene}", "--prompt", "oak", "--facing", "45"], {}, "must be one of -90, 0, 90, 180"),
    (["texture", "{scene}", "--prompt", "oak", "--engine", "magic"], {}, "must be one of auto, texture, projection"),
    (["texture", "{scene}", "--prompt", "oak", "--preview-side", "back"], {}, "--preview-side needs --preview"),
    (["texture", "{scene}", "--prompt", "oak", "--out", "x.png"], {}, "must end in .blend"),
    (["texture", "{scene}", "--prompt", "oak", "--frobnicate"], {}, "unrecognized arguments: --frobnicate"),
    (["texture", "{scene}", "--prompt", "oak"], {"LEONARDO_API_KEY": None}, "no API key: set LEONARDO_API_KEY"),
    (
        ["texture", "{scene}", "--prompt", "oak"],
        {"LEONARDO_API_BASE_URL": "http://example.com/api/rest/v1"},
        "LEONARDO_API_BASE_URL: The API URL uses plain http://",
    ),
    (["texture", "{scene}", "--prompt", "oak", "--objects", "Lamp*,Nope"], {}, "no mesh in scene.blend matches"),
    (
        ["texture", "{scene}", "--prompt", "oak", "--objects", "Crate.005"],
        {},
        "every selected mesh of scene.blend is hidden",
    ),
    (["texture", "{not_blend}", "--prompt", "oak"], {}, "cannot open"),
]


@pytest.mark.parametrize(("args", "env_changes", "message"), USAGE_ERRORS, ids=[e[2][:32] for e in USAGE_ERRORS])
def test_usage_errors_exit_2_with_one_clear_line(service, scene, tmp_path, args, env_changes, message):
    not_blend = tmp_path / "notes.blend"
    not_blend.write_text("not a blend file")
    argv = [a.format(scene=scene, not_blend=not_blend) for a in args]
    run = run_cli(*argv, env=cli_env(service, **env_changes))
    assert run.returncode == 2, run.stderr
    errors = [line for line in run.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], run.stderr
    assert run.stdout == ""
    assert len(service.requests) == 0
    assert not scene.with_name("scene.textured.blend").exists()


# -- engines and the terminal ---------------------------------------------------------------------------


def test_projection_engine_from_a_json_manifest(service, scene, tmp_path):
    jobs = tmp_path / "jobs.json"
    jobs.write_text(
        json.dumps([{"object": "Barrel", "prompt": "weathered bronze", "negative_prompt": "blurry", "seed": 5}]),
        encoding="utf-8",
    )
    sizes = ["--view-size", "256", "--bake-size", "256"]  # small: the bake runs on the CPU
    run = run_cli(
        "texture", scene, "--manifest", jobs, "--engine", "projection", *sizes, "--json", env=cli_env(service)
    )
    assert run.returncode == 0, run.stderr
    result = json_lines(run.stdout)["Barrel"]
    assert (result["state"], result["engine"], result["seed"]) == ("APPLIED", "projection", 5)
    assert result["cost"] > 0
    assert texture_bodies(service) == []  # no texture-endpoint job: depth-guided images instead
    generations = [r.json_body or {} for r in service.requests_for("POST", "/generations")]
    assert generations and all("weathered bronze" in g["prompt"] for g in generations)
    assert all(g.get("negative_prompt") == "blurry" for g in generations)
    saved = inspect_blend(scene.with_name("scene.textured.blend"))
    assert saved["objects"]["Barrel"] == [result["material"]]
    assert saved["images"] and all(image["exists"] for image in saved["images"])


def test_a_terminal_gets_a_progress_bar_updated_in_place(service, scene):
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        cli_command("texture", scene, "--objects", "Crate.001,Crate.002", "--prompt", "oak", "--parallel", "1"),
        cwd=ROOT,
        env=cli_env(service),
        stdout=subprocess.PIPE,
        stderr=terminal,
        text=True,
    )
    os.close(terminal)
    chunks: list[bytes] = []

    def read() -> None:
        while True:
            try:
                data = os.read(controller, 4096)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    stdout, _ = process.communicate(timeout=180)
    reader.join(timeout=10)
    os.close(controller)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert process.returncode == 0, screen
    assert "Traceback" not in screen
    assert "\r\x1b[K[" in screen  # redrawn in place
    assert "running 1  queued 1" in screen and "done 2  running 0  queued 0  failed 0  |  300 credits" in screen
    assert stdout.count("applied") == 2


def test_progress_bar_and_lines_in_process():
    statuses = [
        progress.Status("A", "APPLIED", finished=True, cost=150, summary="applied 'M'"),
        progress.Status("B", "GENERATING", cost=150),
        progress.Status("C", progress.NOT_STARTED),
        progress.Status("D", "FAILED", finished=True, summary="failed: no"),
    ]
    line = progress.bar_line(statuses, 75, 8)
    assert line == "[####----] 2/4  done 1  running 1  queued 1  failed 1  |  300 credits  |  1:15"
    stream = io.StringIO()
    lines = progress.LineProgress(stream)
    lines.update(statuses)
    lines.update(statuses)  # no change, no new line
    text = stream.getvalue()
    assert text.count("\n") == 3 and "B: generating" in text and "D: failed: no" in text and "C:" not in text
