"""Run many jobs on a few threads: a job that waits (for the service, or for a slot) holds no thread.

A job is stepped: ``task.step()`` does whatever can be done now (an upload, a create, one poll, a
download, the bake) and either finishes (returns) or raises ``Suspend``: "call me again in ``delay``
seconds", or "when a concurrency slot frees" (``slot``). Between steps the job only sits in a heap
(sleeping) or in the slot pool's line (parked); one timer thread wakes the due ones and hands them to
a small fixed pool of workers. So twenty jobs waiting on the service use no thread at all, and every
slot the account has is kept busy.

Plain threads, no ``bpy``: the Blender layer posts ``on_done`` results back to the main thread itself.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

WORKERS = 4


class Suspend(Exception):  # noqa: N818 (a signal, not an error)
    """Raised by a step: nothing more to do until ``delay`` seconds pass, or until ``slot`` can be had."""

    def __init__(self, delay: float = 0.0, *, slot: str | None = None) -> None:
        super().__init__(f"suspend {delay:.2f} s" + (f" for a slot ({slot})" if slot else ""))
        self.delay = max(0.0, delay)
        self.slot = slot


class Steppable(Protocol):
    def step(self) -> Any: ...


@dataclass
class _Entry:
    task: Steppable
    on_done: Callable[[Any, BaseException | None], None]
    state: str = "queued"  # queued | running | sleeping | parked
    wake_requested: bool = False
    ticket: int = 0
    slices: int = 0
    started: float = field(default_factory=time.monotonic)


class JobScheduler:
    def __init__(self, workers: int = WORKERS) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="leonardo-job")
        self._cond = threading.Condition()
        self._entries: dict[str, _Entry] = {}
        self._heap: list[tuple[float, int, str]] = []
        self._tickets = itertools.count()
        self._closed = False
        self._timer = threading.Thread(target=self._timer_loop, name="leonardo-scheduler", daemon=True)
        self._timer.start()

    # -- public --------------------------------------------------------------------------------------

    def submit(self, key: str, task: Steppable, on_done: Callable[[Any, BaseException | None], None]) -> None:
        """Start stepping ``task`` (any thread). ``on_done(result, error)`` runs on a worker when it ends."""
        with self._cond:
            if self._closed:
                raise RuntimeError("the scheduler is shut down")
            if key in self._entries:
                raise ValueError(f"a job {key!r} is already scheduled")
            self._entries[key] = _Entry(task, on_done, state="running")
        self._pool.submit(self._slice, key)

    def wake(self, key: str) -> None:
        """Step the job now (after a cancel, or when its slot frees). Any thread; unknown keys are ignored."""
        with self._cond:
            entry = self._entries.get(key)
            if entry is None:
                return
            if entry.state in ("running", "queued"):
                entry.wake_requested = True
                return
            entry.state = "running"
            entry.ticket = next(self._tickets)
        self._pool.submit(self._slice, key)

    def waker(self, key: str) -> Callable[[], None]:
        return lambda: self.wake(key)

    def scheduled(self) -> list[str]:
        with self._cond:
            return list(self._entries)

    def counts(self) -> dict[str, int]:
        """How many jobs are running, sleeping (waiting on the service) and parked (waiting for a slot)."""
        with self._cond:
            result = {"running": 0, "sleeping": 0, "parked": 0, "queued": 0}
            for entry in self._entries.values():
                result[entry.state] += 1
            return result

    def shutdown(self) -> None:
        """Stop: sleeping and parked jobs are dropped (their state is journaled), workers finish their slice."""
        with self._cond:
            self._closed = True
            self._entries.clear()
            self._heap.clear()
            self._cond.notify_all()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- internals -----------------------------------------------------------------------------------

    def _slice(self, key: str) -> None:
        with self._cond:
            entry = self._entries.get(key)
            if entry is None or self._closed:
                return
            entry.state = "running"
            entry.wake_requested = False
            entry.slices += 1
        try:
            result = entry.task.step()
        except Suspend as pause:
            self._suspend(key, entry, pause)
            return
        except BaseException as error:  # handed to on_done: the caller decides what an error means
            self._finish(key, entry, None, error)
            return
        self._finish(key, entry, result, None)

    def _suspend(self, key: str, entry: _Entry, pause: Suspend) -> None:
        run_now = False
        with self._cond:
            if self._entries.get(key) is not entry:
                return
            if entry.wake_requested:
                run_now = True
                entry.wake_requested = False
            elif pause.slot is not None and pause.delay <= 0:
                entry.state = "parked"
            else:  # sleeping; one waiting for a slot with polls to make is woken by whichever comes first
                entry.state = "sleeping"
                entry.ticket = next(self._tickets)
                heapq.heappush(self._heap, (time.monotonic() + pause.delay, entry.ticket, key))
                self._cond.notify_all()
        if run_now:
            self._pool.submit(self._slice, key)

    def _finish(self, key: str, entry: _Entry, result: Any, error: BaseException | None) -> None:
        with self._cond:
            if self._entries.get(key) is entry:
                del self._entries[key]
        entry.on_done(result, error)

    def _timer_loop(self) -> None:
        while True:
            with self._cond:
                while not self._closed:
                    now = time.monotonic()
                    if self._heap and self._heap[0][0] <= now:
                        break
                    timeout = self._heap[0][0] - now if self._heap else None
                    self._cond.wait(timeout)
                if self._closed:
                    return
                due: list[str] = []
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    _, ticket, key = heapq.heappop(self._heap)
                    entry = self._entries.get(key)
                    if entry is not None and entry.state == "sleeping" and entry.ticket == ticket:
                        entry.state = "running"
                        due.append(key)
            for key in due:
                try:
                    self._pool.submit(self._slice, key)
                except RuntimeError:  # shut down meanwhile
                    return
