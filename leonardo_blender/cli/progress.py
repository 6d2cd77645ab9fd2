"""Show how the jobs are doing: a progress bar on a terminal, one plain line per change otherwise.

Both take a list of ``Status`` (one per object) as often as the caller likes. ``BarProgress`` redraws
one line in place (done, running, queued, failed, credits, elapsed time), at most a few times a
second, and prints messages above it. ``LineProgress`` prints a line only when an object's state
changes, which reads well in CI logs. Pure Python; everything goes to the given stream (stderr).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from typing import TextIO

NOT_STARTED = "NOT_STARTED"  # not handed to the add-on yet (--parallel)
ADDON_QUEUED = "QUEUED"  # the add-on waits for one of the account's concurrency slots
FINAL_OK = "APPLIED"
FINAL_BAD = ("FAILED", "CANCELLED")

LABELS = {
    NOT_STARTED: "queued",
    ADDON_QUEUED: "queued for a concurrency slot",
    "EXPORTING": "exporting the mesh",
    "UPLOADING": "uploading",
    "SUBMITTING": "submitting",
    "RECONCILING": "confirming with the service",
    "GENERATING": "generating",
    "DOWNLOADING": "downloading",
    "BAKING": "baking the views into the UVs",
    "DOWNLOADED": "applying",
    "APPLIED": "applied",
    "FAILED": "failed",
    "CANCELLED": "cancelled",
}


@dataclass(frozen=True)
class Status:
    name: str
    state: str  # a job state (``JobState`` value) or NOT_STARTED
    finished: bool = False
    views_done: int = 0
    views_total: int = 0
    cost: int | None = None
    summary: str = ""  # for finished objects: what happened, in words

    @property
    def phase(self) -> str:
        if self.state in (NOT_STARTED, ADDON_QUEUED):
            return "queued"
        if not self.finished:
            return "running"
        return "done" if self.state == FINAL_OK else "failed"

    def describe(self) -> str:
        if self.finished and self.summary:
            return self.summary
        text = LABELS.get(self.state, self.state.lower())
        if self.views_total and self.state == "GENERATING":
            text += f" (view {min(self.views_done + 1, self.views_total)}/{self.views_total})"
        elif self.views_total and self.state == "DOWNLOADING":
            text += " the views"
        return text


def credits_spent(statuses: list[Status]) -> int:
    return sum(s.cost for s in statuses if s.cost is not None and s.cost > 0)


def format_elapsed(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    """Interface: ``update`` with the current statuses, ``message`` for a line, ``close`` at the end."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.monotonic()

    def update(self, statuses: list[Status], *, force: bool = False) -> None:
        raise NotImplementedError

    def message(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        pass


class LineProgress(Progress):
    """One line per change of an object's state (for logs and pipes)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._shown: dict[str, str] = {}

    def update(self, statuses: list[Status], *, force: bool = False) -> None:
        for status in statuses:
            text = status.describe()
            if status.state == NOT_STARTED or self._shown.get(status.name) == text:
                continue
            self._shown[status.name] = text
            elapsed = time.monotonic() - self.started
            self.message(f"[{elapsed:6.1f}s] {status.name}: {text}")


class BarProgress(Progress):
    """A bar redrawn in place on a terminal; finished objects are reported on lines above it."""

    REDRAW_SECONDS = 0.2
    WIDTH = 24

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._last_draw = 0.0
        self._line = ""
        self._reported: set[str] = set()
        self._statuses: list[Status] = []

    def update(self, statuses: list[Status], *, force: bool = False) -> None:
        self._statuses = statuses
        for status in statuses:
            if status.finished and status.name not in self._reported:
                self._reported.add(status.name)
                self._line = ""  # redrawn below, with the new counts
                self.message(f"{status.name}: {status.describe()}")
                force = True
        now = time.monotonic()
        if force or now - self._last_draw >= self.REDRAW_SECONDS:
            self._last_draw = now
            self._draw(bar_line(statuses, now - self.started, self.WIDTH))

    def _draw(self, line: str) -> None:
        columns = shutil.get_terminal_size((100, 20)).columns
        self._line = line[: max(10, columns - 1)]
        self.stream.write("\r\x1b[K" + self._line)
        self.stream.flush()

    def message(self, text: str) -> None:
        self.stream.write("\r\x1b[K" + text + "\n" + self._line)
        self.stream.flush()

    def close(self) -> None:
        if self._statuses:
            self._draw(bar_line(self._statuses, time.monotonic() - self.started, self.WIDTH))
        if self._line:
            self.stream.write("\n")
            self.stream.flush()
        self._line = ""


def bar_line(statuses: list[Status], elapsed: float, width: int) -> str:
    counts = {"done": 0, "running": 0, "queued": 0, "failed": 0}
    for status in statuses:
        counts[status.phase] += 1
    total = len(statuses) or 1
    filled = round(width * (counts["done"] + counts["failed"]) / total)
    bar = "#" * filled + "-" * (width - filled)
    return (
        f"[{bar}] {counts['done'] + counts['failed']}/{len(statuses)}  "
        f"done {counts['done']}  running {counts['running']}  queued {counts['queued']}  "
        f"failed {counts['failed']}  |  {credits_spent(statuses)} credits  |  {format_elapsed(elapsed)}"
    )


def make_progress(stream: TextIO, *, terminal: bool) -> Progress:
    return BarProgress(stream) if terminal else LineProgress(stream)
