"""Emulator CLI in a subprocess: URL on the first line, request log, --fault, clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from leonardo_blender.emulator import DEMO_API_KEY

ROOT = Path(__file__).resolve().parents[2]


def test_cli_serves_and_stops_on_sigterm():
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "leonardo_blender.emulator",
            "--port",
            "0",
            "--job-seconds",
            "0.1",
            "--texture-size",
            "32",
            "--credits",
            "500",
            "--fault",
            "GET /me:status:503:retry_after=1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/api/rest/v1")
        headers = {"Authorization": f"Bearer {DEMO_API_KEY}"}
        first = requests.get(base_url + "/me", headers=headers, timeout=5)
        assert first.status_code == 503 and first.headers["Retry-After"] == "1"
        me = requests.get(base_url + "/me", headers=headers, timeout=5)
        assert me.status_code == 200
        assert me.json()["user_details"][0]["apiSubscriptionTokens"] == 500
        origin = base_url.rsplit("/api/rest/v1", 1)[0]
        stats = requests.get(origin + "/_emulator/stats", timeout=5).json()
        assert stats["counts"]["GET /me"] == 2
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert out.strip() == "", "only the URL goes to stdout"
    assert "GET /api/rest/v1/me 503" in err and "GET /api/rest/v1/me 200" in err
    assert DEMO_API_KEY not in err.replace(f"the demo API key {DEMO_API_KEY}", "")
    assert "Authorization" not in err and "Bearer" not in err


def test_cli_rejects_a_bad_fault_spec():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "leonardo_blender.emulator", "--fault", "GET /me:explode"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "explode" in result.stderr
