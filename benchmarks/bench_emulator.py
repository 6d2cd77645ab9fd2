"""The benchmark suite's side of the local emulator: run it in its own process, read what it saw.

Plain Python (no ``bpy``). ``EmulatorProcess`` starts ``python -m leonardo_blender.emulator`` with the
options a case needs, reads the base URL from its first stdout line and sends its request log (one
line per request: ``[hh:mm:ss] <host> <METHOD> <path> <status>``) to a file, so a case can count
polls per generation id and 429 answers afterwards. ``fixed_interval_client`` is the comparison for
the completion-overhead row: a tiny client that polls every 10 s, as Leonardo's own plugin does.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from leonardo_blender.emulator import DEMO_API_KEY  # noqa: E402

_LOG_LINE = re.compile(r"^\[[\d:]+\] (?P<host>api|upload|cdn) (?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3})$")


@dataclass(frozen=True)
class LoggedRequest:
    host: str
    method: str
    path: str
    status: int


class EmulatorProcess:
    """``python -m leonardo_blender.emulator`` in a child process (it must not share our GIL)."""

    def __init__(
        self,
        *,
        job_seconds: float,
        texture_size: int = 1024,
        concurrency_mode: str = "off",
        concurrency_slots: int = 10,
        texture_api_withdrawn: bool = False,
        credits: int = 1_000_000,
    ) -> None:
        self.job_seconds = job_seconds
        self.texture_size = texture_size
        handle, name = tempfile.mkstemp(prefix="leonardo-bench-emulator-", suffix=".log")
        self._log_file = os.fdopen(handle, "w")
        self.log_path = Path(name)
        command = [
            sys.executable,
            "-m",
            "leonardo_blender.emulator",
            "--port",
            "0",
            "--job-seconds",
            str(job_seconds),
            "--texture-size",
            str(texture_size),
            "--credits",
            str(credits),
            "--concurrency-mode",
            concurrency_mode,
            "--concurrency-slots",
            str(concurrency_slots),
        ]
        if texture_api_withdrawn:
            command.append("--texture-api-withdrawn")
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=self._log_file, text=True, bufsize=1
        )
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()
        if not self.base_url.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"the emulator did not start (first line {self.base_url!r}); log: {self.log_path}")
        self.origin = self.base_url.split("/api/", 1)[0]
        self.api_key = DEMO_API_KEY

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log_file.close()

    def remove_log(self) -> None:
        self.log_path.unlink(missing_ok=True)

    # -- what it saw ---------------------------------------------------------------------------------

    def stats(self) -> dict:
        with urllib.request.urlopen(self.origin + "/_emulator/stats", timeout=10) as answer:
            return json.loads(answer.read())

    def requests(self) -> list[LoggedRequest]:
        found = []
        for line in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            match = _LOG_LINE.match(line.strip())
            if match:
                found.append(LoggedRequest(match["host"], match["method"], match["path"], int(match["status"])))
        return found

    def polls_of(self, generation_id: str) -> int:
        """``GET /generations-texture/<id>`` requests for one generation (the add-on's polls)."""
        suffix = f"/generations-texture/{generation_id}"
        return sum(1 for r in self.requests() if r.method == "GET" and r.path.endswith(suffix))

    def count(self, method: str, path_part: str, status: int | None = None) -> int:
        return sum(
            1
            for r in self.requests()
            if r.method == method and path_part in r.path and (status is None or r.status == status)
        )


# -- the comparison client: poll every 10 s ------------------------------------------------------------


@dataclass
class FixedIntervalResult:
    interval: float
    overhead: float = 0.0
    polls: int = 0
    seen_after: float = 0.0  # seconds from the accepted create to the poll that saw COMPLETE
    wall: float = 0.0
    error: str = ""


def fixed_interval_client(
    base_url: str, api_key: str, obj_data: bytes, job_seconds: float, interval: float = 10.0
) -> FixedIntervalResult:
    """Upload, create, poll every ``interval`` s, download the maps one after another: the wall time
    from the start to the last map on disk minus the service's own time (``job_seconds``)."""
    from leonardo_blender.api.client import LeonardoClient
    from leonardo_blender.api.files import FileTransfer
    from leonardo_blender.api.models import TextureRequest

    result = FixedIntervalResult(interval=interval)
    folder = Path(tempfile.mkdtemp(prefix="leonardo-bench-fixed-"))
    started = time.perf_counter()
    try:
        with LeonardoClient(api_key, base_url) as client:
            model_id = client.upload_model(obj_data, name="fixed-interval", filename="fixed.obj")
            created = client.create_texture(TextureRequest(prompt="fixed interval", model_asset_id=model_id))
            accepted = time.perf_counter()
            while True:
                time.sleep(interval)
                generation = client.texture_generation(created.id)
                result.polls += 1
                if generation.status.finished:
                    break
            result.seen_after = time.perf_counter() - accepted
            transfer = FileTransfer()
            try:
                for image in generation.images:
                    transfer.download_image(image.url, folder, image.type.lower())
            finally:
                transfer.close()
    except Exception as exc:  # a benchmark reports, it does not crash
        result.error = repr(exc)
    finally:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    result.wall = time.perf_counter() - started
    result.overhead = result.wall - job_seconds
    return result


class Background(threading.Thread):
    """Run a function on a thread and keep its result."""

    def __init__(self, target, *args) -> None:  # type: ignore[no-untyped-def]
        super().__init__(daemon=True)
        self._target_fn, self._args = target, args
        self.result = None

    def run(self) -> None:
        self.result = self._target_fn(*self._args)


def download_alone(base_url: str, api_key: str, generation_id: str) -> dict[str, float]:
    """Each map of a finished generation downloaded alone, one after another: seconds per map type."""
    from leonardo_blender.api.client import LeonardoClient
    from leonardo_blender.api.files import FileTransfer

    folder = Path(tempfile.mkdtemp(prefix="leonardo-bench-dl-"))
    seconds: dict[str, float] = {}
    try:
        with LeonardoClient(api_key, base_url) as client:
            generation = client.texture_generation(generation_id)
        transfer = FileTransfer()
        try:
            for image in generation.images:
                t0 = time.perf_counter()
                transfer.download_image(image.url, folder, image.type.lower())
                seconds[image.type] = time.perf_counter() - t0
        finally:
            transfer.close()
    finally:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    return seconds


def band_obj(triangles: int) -> bytes:
    """A UV-mapped sphere band (latitudes -80..80 degrees) as Blender's exporter would write it, with
    about ``triangles`` triangles: the mesh the comparison client uploads (no ``bpy`` in this process)."""
    import math

    rings = max(2, round(math.sqrt(triangles / 4)))
    segments = 2 * rings
    lines = ["# band", "o Band"]
    for i in range(rings + 1):
        lat = math.radians(-80 + 160 * i / rings)
        for j in range(segments + 1):
            lon = 2 * math.pi * j / segments
            x, y, z = math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)
            lines.append(f"v {x:.6f} {z:.6f} {-y:.6f}")
    for i in range(rings + 1):
        for j in range(segments + 1):
            lines.append(f"vt {j / segments:.6f} {i / rings:.6f}")
    for i in range(rings + 1):
        lat = math.radians(-80 + 160 * i / rings)
        for j in range(segments + 1):
            lon = 2 * math.pi * j / segments
            x, y, z = math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)
            lines.append(f"vn {x:.4f} {z:.4f} {-y:.4f}")
    lines.append("s 0")
    width = segments + 1
    for i in range(rings):
        for j in range(segments):
            a, b = i * width + j + 1, i * width + j + 2
            c, d = b + width, a + width
            lines.append(f"f {a}/{a}/{a} {b}/{b}/{b} {c}/{c}/{c} {d}/{d}/{d}")
    return ("\n".join(lines) + "\n").encode()
