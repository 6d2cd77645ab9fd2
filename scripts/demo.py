"""Run the demo: the emulator (or the live service), then headless Blender texturing a mesh.

Plain Python: the Blender side runs in a child process (``demo_blender.py``) so that this process
can own the emulator and report on both.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from leonardo_blender.api.transport import DEFAULT_BASE_URL  # noqa: E402
from leonardo_blender.emulator import DEMO_API_KEY  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Texture a mesh headless in Blender with the Leonardo add-on")
    parser.add_argument("--live", action="store_true", help="use the real Leonardo service (LEONARDO_API_KEY)")
    parser.add_argument("--mesh", type=Path, help=".obj or .blend to texture (default: Suzanne)")
    parser.add_argument("--prompt", default="weathered bronze statue, green patina")
    parser.add_argument(
        "--facing",
        type=int,
        default=0,
        choices=(-90, 0, 90, 180),
        help="front_rotation_offset: which way the model faces (0 = -Y)",
    )
    parser.add_argument("--preview", action="store_true", help="texture one side only (cheaper)")
    parser.add_argument("--seed", type=int, default=-1)
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "demo")
    parser.add_argument("--resolution", type=int, default=512)
    parser.add_argument("--samples", type=int, default=32)
    parser.add_argument("--job-seconds", type=float, default=3.0, help="emulator: how long a job takes")
    return parser.parse_args(argv)


def start_emulator(job_seconds: float) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "leonardo_blender.emulator",
            "--port",
            "0",
            "--job-seconds",
            str(job_seconds),
            "--texture-size",
            "1024",
            "--api-key",
            DEMO_API_KEY,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http://127.0.0.1:"):
        process.terminate()
        raise SystemExit(f"the emulator did not start (got {url!r})")
    return process, url


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    emulator = None
    if args.live:
        if not env.get("LEONARDO_API_KEY"):
            print("--live needs your key in LEONARDO_API_KEY", file=sys.stderr)
            return 2
        env.setdefault("LEONARDO_API_BASE_URL", DEFAULT_BASE_URL)
        print(f"Using the live Leonardo service at {env['LEONARDO_API_BASE_URL']} (this costs credits)")
    else:
        emulator, url = start_emulator(args.job_seconds)
        env["LEONARDO_API_KEY"] = DEMO_API_KEY
        env["LEONARDO_API_BASE_URL"] = url
        print(f"Emulator running at {url}")
    command = [
        sys.executable,
        str(ROOT / "scripts" / "demo_blender.py"),
        "--out",
        str(out),
        "--prompt",
        args.prompt,
        "--facing",
        str(args.facing),
        "--seed",
        str(args.seed),
        "--resolution",
        str(args.resolution),
        "--samples",
        str(args.samples),
    ]
    if args.mesh:
        command += ["--mesh", str(args.mesh.resolve())]
    if args.preview:
        command.append("--preview")
    started = time.monotonic()
    try:
        status = subprocess.call(command, env=env, cwd=ROOT)
    finally:
        if emulator is not None:
            emulator.terminate()
            emulator.wait(timeout=10)
    print(f"Done in {time.monotonic() - started:.1f} s (status {status})")
    return status


if __name__ == "__main__":
    sys.exit(main())
