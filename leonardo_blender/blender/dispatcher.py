"""Run work off Blender's main thread and bring the results back to it.

THREADING RULE
    Workers do HTTP, file I/O and numpy on plain values (strings, numbers, paths, dataclasses).
    They never touch ``bpy``: not ``bpy.data``, not ``bpy.context``, not preferences, not
    properties, not even to read. Whatever a worker needs is captured on the main thread before it
    is submitted; datablocks are referred to by *name* and found again on the main thread.

    A worker hands results back with ``post(callback)``. Callbacks are queued and run on the main
    thread by ``drain()``, which one ``bpy.app.timers`` callback calls with a time budget (a few
    milliseconds per tick) so the UI never stalls. Headless (``bpy.app.background``), timers never
    fire: code that must wait drives the very same loop with ``run_until()`` (operators with
    ``wait=True``), so there is one code path for the UI, scripts and tests.

``shutdown()`` (called from ``unregister()``) removes the timer and stops accepting work; Blender
4.2/4.5 crash or hang at exit when a timer is left registered.
"""

from __future__ import annotations

import queue
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import bpy

#: While work is under way the timer runs every 20 ms (an idle tick costs about 30 µs), so a result is
#: picked up within a frame or so of the worker posting it; with no work the timer stops.
TICK_SECONDS = 0.02
DRAIN_BUDGET_SECONDS = 0.008
REDRAW_EVERY_SECONDS = 1.0

_main_queue: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()
_active = 0
_last_redraw = 0.0
_stats = {"ticks": 0, "callbacks": 0, "longest_tick": 0.0, "longest_callback": 0.0}


def _get_executor() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=6, thread_name_prefix="leonardo")
        return _executor


def submit(work: Callable[[], Any], on_done: Callable[[Future[Any]], None] | None = None) -> Future[Any]:
    """Main thread: run ``work()`` on a worker; ``on_done(future)`` later runs on the main thread."""
    global _active
    with _lock:
        _active += 1

    def finished(future: Future[Any]) -> None:  # worker thread: only enqueue
        def callback() -> None:
            global _active
            with _lock:
                _active -= 1
            if on_done is not None:
                on_done(future)
            elif future.exception() is not None:
                exc = future.exception()
                traceback.print_exception(type(exc), exc, exc.__traceback__)

        _main_queue.put(callback)

    future = _get_executor().submit(work)
    future.add_done_callback(finished)
    _ensure_timer()
    return future


def hold() -> None:
    """Main thread: work runs elsewhere (the job scheduler) and will post results: keep draining."""
    global _active
    with _lock:
        _active += 1
    _ensure_timer()


def release() -> None:
    """Main thread: the work announced with ``hold`` has ended."""
    global _active
    with _lock:
        _active = max(0, _active - 1)


def post(callback: Callable[[], None]) -> None:
    """Any thread: run ``callback()`` on the main thread at the next drain."""
    _main_queue.put(callback)


def busy() -> bool:
    with _lock:
        return _active > 0 or not _main_queue.empty()


def drain(budget: float = DRAIN_BUDGET_SECONDS) -> int:
    """Main thread: run queued callbacks until the queue is empty or ``budget`` seconds are spent."""
    started = time.perf_counter()
    ran = 0
    while True:
        try:
            callback = _main_queue.get_nowait()
        except queue.Empty:
            break
        t0 = time.perf_counter()
        try:
            callback()
        except Exception:  # one bad callback must not stop the others or kill the timer
            traceback.print_exc()
        elapsed = time.perf_counter() - t0
        _stats["longest_callback"] = max(_stats["longest_callback"], elapsed)
        _stats["callbacks"] += 1
        ran += 1
        if time.perf_counter() - started >= budget:
            break
    total = time.perf_counter() - started
    _stats["ticks"] += 1
    _stats["longest_tick"] = max(_stats["longest_tick"], total)
    if ran:
        tag_redraw()
    return ran


def run_until(predicate: Callable[[], bool], timeout: float | None = None, interval: float = 0.02) -> bool:
    """Main thread, blocking: drain until ``predicate()`` holds. Used headless and by ``wait=True``."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        drain(budget=0.05)
        if predicate():
            return True
        if deadline is not None and time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def stats() -> dict[str, float]:
    return dict(_stats)


def reset_stats() -> None:
    _stats.update(ticks=0, callbacks=0, longest_tick=0.0, longest_callback=0.0)


def tag_redraw(area_types: tuple[str, ...] = ("VIEW_3D", "PROPERTIES")) -> None:
    window_manager = getattr(bpy.context, "window_manager", None)
    if window_manager is None:
        return
    for window in window_manager.windows:
        screen = window.screen
        if screen is None:
            continue
        for area in screen.areas:
            if area.type in area_types:
                area.tag_redraw()


# -- the timer ---------------------------------------------------------------------------------------


def _tick() -> float | None:
    global _last_redraw
    drain()
    now = time.monotonic()
    alive = busy()
    if alive and now - _last_redraw >= REDRAW_EVERY_SECONDS:
        _last_redraw = now
        tag_redraw()  # elapsed times in the panel
    return TICK_SECONDS if alive else None


def _ensure_timer() -> None:
    if bpy.app.background:
        return  # timers never fire headless; run_until() drains instead
    if not bpy.app.timers.is_registered(_tick):
        bpy.app.timers.register(_tick, first_interval=TICK_SECONDS, persistent=True)


def wake() -> None:
    """Main thread: make sure the timer runs (after a file load)."""
    _ensure_timer()


def shutdown() -> None:
    """Main thread: remove the timer, stop the workers' queue. Called from ``unregister()``."""
    global _executor, _active
    if bpy.app.timers.is_registered(_tick):
        bpy.app.timers.unregister(_tick)
    with _lock:
        executor, _executor = _executor, None
        _active = 0
    if executor is not None:
        executor.shutdown(wait=False, cancel_futures=True)
    while True:
        try:
            _main_queue.get_nowait()
        except queue.Empty:
            break
