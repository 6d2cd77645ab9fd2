"""What every case of the benchmark suite shares: a profile's sizes, a table row, the run itself.

Plain Python (no ``bpy``), used by ``bench.py`` and its case modules. ``Bench`` builds the extension
zip users install and runs one case at a time in a fresh headless Blender (``bench_blender.py``, an
isolated user folder each), returning the JSON the child wrote; ``emulator`` starts the local service
in its own process (``bench_emulator.py``). Also the small formatters the rows share.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_emulator import EmulatorProcess

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@dataclass(frozen=True)
class Profile:
    """How big each case is: the full run, or ``--quick`` (the test's smoke run)."""

    name: str
    stall_sizes: tuple[int, ...]
    stall_job_s: float
    export_sizes: tuple[int, ...]
    export_repeat: int
    overhead_jobs_s: tuple[float, ...]
    overhead_triangles: int
    download_size_px: int
    download_triangles: int
    batch_job_s: float
    batch_slots: tuple[int, ...]
    batch_triangles: int
    projection_triangles: int
    projection_bake_px: int
    projection_repeat: int


@dataclass
class Row:
    id: str
    case: str
    measured: str
    target: str
    result: str  # met | missed | info | error


def verdict(ok: bool) -> str:
    return "met" if ok else "missed"


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def tris(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.1f}M".replace(".0M", "M")
    if n >= 1000:
        return f"{n / 1000:.0f}k"
    return str(n)


def mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


# -- machinery ---------------------------------------------------------------------------------------------


class Bench:
    def __init__(self, profile: Profile, workdir: Path) -> None:
        self.profile = profile
        self.workdir = workdir
        self.zip_path: Path | None = None
        self.blender_version = ""
        self.notes: list[str] = []  # printed under the table: diagnostics worth reading
        self._children = 0

    def build_zip(self) -> Path:
        user = self.workdir / "build-user"
        user.mkdir()
        code = (
            "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); import build_extension; "
            "print(build_extension.build(Path(sys.argv[2]), staging_root=Path(sys.argv[3])))"
        )
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                code,
                str(ROOT / "scripts"),
                str(self.workdir / "dist"),
                str(self.workdir / "stage"),
            ],
            cwd=ROOT,
            env={**os.environ, "BLENDER_USER_RESOURCES": str(user)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        sys.stderr.write(out.stdout + out.stderr)
        if out.returncode != 0:
            raise RuntimeError(f"building the extension zip failed ({out.returncode})")
        self.zip_path = Path(out.stdout.strip().splitlines()[-1])
        return self.zip_path

    def blender(
        self, case: str, params: dict[str, Any], emulator: EmulatorProcess | None, timeout: float
    ) -> dict[str, Any]:
        """Run one case in a fresh headless Blender with its own user folder; returns its JSON."""
        assert self.zip_path is not None
        self._children += 1
        user = self.workdir / f"user-{self._children}-{case}"
        user.mkdir()
        result_path = self.workdir / f"result-{self._children}-{case}.json"
        env = {**os.environ, "BLENDER_USER_RESOURCES": str(user)}
        env.pop("LEONARDO_API_KEY", None)
        env.pop("LEONARDO_API_BASE_URL", None)
        if emulator is not None:
            env["LEONARDO_API_KEY"] = emulator.api_key
            env["LEONARDO_API_BASE_URL"] = emulator.base_url
        command = [
            sys.executable,
            str(HERE / "bench_blender.py"),
            case,
            "--zip",
            str(self.zip_path),
            "--params",
            json.dumps(params),
            "--out",
            str(result_path),
        ]
        try:
            status = subprocess.run(command, cwd=ROOT, env=env, stdout=sys.stderr, stderr=sys.stderr, timeout=timeout)
            if status.returncode != 0:
                raise RuntimeError(f"the Blender child for '{case}' failed ({status.returncode})")
            result = json.loads(result_path.read_text(encoding="utf-8"))
        finally:
            shutil.rmtree(user, ignore_errors=True)
            result_path.unlink(missing_ok=True)
        self.blender_version = self.blender_version or result.get("blender", "")
        return result


def emulator(**options: Any) -> EmulatorProcess:
    return EmulatorProcess(**options)
