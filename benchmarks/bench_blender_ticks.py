"""Blender's UI timer, headless, for the benchmark's Blender child: how long the main thread stalls.

The main thread is driven like Blender's UI timer (``dispatcher._tick``): a tick is scheduled every
``TICK_SECONDS`` after the previous one started, and each tick calls ``drain()`` with its normal
budget. Every tick's lateness against its schedule (a worker holding the GIL, or the OS) and its
duration are recorded; their sum is how long the UI would have been unresponsive at that moment.
``CallbackProfile`` times each callback workers post to the main thread, by kind.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from typing import Any


class Ticks:
    """What the UI timer saw: (scheduled, started, ended, callbacks run) per tick, in perf_counter seconds."""

    def __init__(self) -> None:
        self.rows: list[tuple[float, float, float, int]] = []
        self.labels: list[str] = []  # what the job was doing (its record's state) after each tick
        self.suspects: dict[str, float] = {}  # where other threads stood when a tick came late (>= LATE_MS)

    def stalls_ms(self) -> list[float]:
        return [(end - scheduled) * 1000 for scheduled, _, end, _ in self.rows]

    def summary(self) -> dict[str, float]:
        if not self.rows:
            return {"ticks": 0}
        stalls = sorted(self.stalls_ms())
        late = [(start - scheduled) * 1000 for scheduled, start, _, _ in self.rows]
        busy = [(end - start) * 1000 for _, start, end, _ in self.rows]
        in_order = self.stalls_ms()
        worst = in_order.index(max(in_order))
        return {
            "ticks": len(stalls),
            "longest_ms": stalls[-1],
            "p99_ms": percentile(stalls, 0.99),
            "median_ms": percentile(stalls, 0.5),
            "longest_late_ms": max(late),
            "longest_drain_ms": max(busy),
            "worst_late_ms": late[worst],
            "worst_drain_ms": busy[worst],
            "worst_state": self.labels[worst - 1] if 0 < worst <= len(self.labels) else "",
            "suspects": dict(sorted(self.suspects.items(), key=lambda kv: -kv[1])[:4]),
            "late_over_16ms": sum(1 for value in late if value >= 16.0),
            "callbacks": sum(r[3] for r in self.rows),
        }


LATE_MS = 16.0
_IDLE_FUNCTIONS = {"wait", "_wait_for_tstate_lock", "select", "poll", "get", "_worker", "_timer_loop", "sleep"}


def busy_threads() -> list[str]:
    """Where the other threads are now (innermost add-on or library frame), skipping idle ones: taken
    right after a late tick got the GIL back, it points at what was running meanwhile."""
    import threading
    import traceback

    names = {t.ident: t.name for t in threading.enumerate()}
    found = []
    for ident, frame in sys._current_frames().items():
        if ident == threading.get_ident():
            continue
        stack = traceback.extract_stack(frame)
        if not stack or stack[-1].name in _IDLE_FUNCTIONS:
            continue
        ours = [f for f in stack if "leonardo_blender" in f.filename]
        where = ours[-1] if ours else stack[-1]
        short = where.filename.split("leonardo_blender/")[-1]
        found.append(f"{names.get(ident, '?')}: {short}:{where.lineno} {where.name} (in {stack[-1].name})")
    return found


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, math.ceil(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def drive(
    addon: Any,
    done: Callable[[], bool],
    timeout: float,
    on_tick: Callable[[], str] | None = None,
) -> Ticks:
    """Tick like ``bpy.app.timers`` does for ``dispatcher._tick`` until ``done()``: each tick is due
    ``TICK_SECONDS`` after the previous one started (Blender reschedules from the time it ran it)."""
    dispatcher = addon.blender.dispatcher
    interval = dispatcher.TICK_SECONDS
    ticks = Ticks()
    deadline = time.perf_counter() + timeout
    scheduled = time.perf_counter() + interval
    while True:
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        started = time.perf_counter()
        if (started - scheduled) * 1000 >= LATE_MS:  # diagnostics first (not counted in the tick)
            for where in busy_threads():
                ticks.suspects[where] = ticks.suspects.get(where, 0.0) + (started - scheduled) * 1000
        drain_started = time.perf_counter()
        ran = dispatcher.drain()
        ended = started + (time.perf_counter() - drain_started)
        ticks.rows.append((scheduled, started, ended, ran))
        if on_tick is not None:
            ticks.labels.append(on_tick())
        if done():
            return ticks
        if ended > deadline:
            raise TimeoutError(f"not done after {timeout:.0f} s")
        scheduled = started + interval


class CallbackProfile:
    """Times every callback workers post to the main thread (``dispatcher.post``), by kind: which one
    makes a long tick. A callback is named by its function and, for job snapshots, the job's state."""

    def __init__(self, addon: Any) -> None:
        self.longest: dict[str, float] = {}
        dispatcher = addon.blender.dispatcher
        original = dispatcher.post

        def post(callback: Callable[[], None]) -> None:
            original(lambda: self._run(callback))

        dispatcher.post = post

    @staticmethod
    def name(callback: Callable[[], None]) -> str:
        func = getattr(callback, "func", callback)
        label = getattr(func, "__name__", type(func).__name__)
        for arg in getattr(callback, "args", ()):
            state = getattr(arg, "state", None)
            if state is not None:
                label += f"({getattr(state, 'value', state)})"
        return label

    def _run(self, callback: Callable[[], None]) -> None:
        t0 = time.perf_counter()
        try:
            callback()
        finally:
            name = self.name(callback)
            self.longest[name] = max(self.longest.get(name, 0.0), (time.perf_counter() - t0) * 1000)

    def top(self, count: int = 3) -> dict[str, float]:
        return dict(sorted(self.longest.items(), key=lambda kv: -kv[1])[:count])
