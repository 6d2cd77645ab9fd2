"""A crash-safe journal of texture jobs, kept outside the .blend.

The .blend holds the jobs too, but only once the user saves. The journal is written by the worker
the moment the service accepts a job (before anything else happens), one small JSON file per job,
replaced atomically, so neither a crash nor an unsaved file can lose a paid generation.

Plain files and ``os.replace``: safe to call from worker threads, no ``bpy``.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from pathlib import Path

from .jobs import TextureJob


class Journal:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()

    def _path(self, job_id: str) -> Path:
        safe = "".join(c for c in job_id if c.isalnum() or c in "-_")
        return self.directory / f"{safe}.json"

    def save(self, job: TextureJob) -> None:
        with self._lock:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".job-", suffix=".tmp", dir=self.directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(job.to_json())
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, self._path(job.id))
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise

    def load(self, job_id: str) -> TextureJob | None:
        path = self._path(job_id)
        try:
            return TextureJob.from_json(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError, TypeError, json.JSONDecodeError):
            return None

    def all(self) -> list[TextureJob]:
        jobs: list[TextureJob] = []
        if not self.directory.is_dir():
            return jobs
        for path in sorted(self.directory.glob("*.json")):
            try:
                jobs.append(TextureJob.from_json(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError):
                continue  # a foreign or damaged file must not stop the others from loading
        return jobs

    def remove(self, job_id: str) -> None:
        with self._lock, contextlib.suppress(FileNotFoundError):
            self._path(job_id).unlink()
