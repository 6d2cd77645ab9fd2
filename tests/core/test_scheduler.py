"""The job scheduler, the slot pool and the poll schedule: many waiting jobs, few threads, no overbooking."""

from __future__ import annotations

import threading
import time

import pytest

from leonardo_blender.core import polling
from leonardo_blender.core.scheduler import JobScheduler, Suspend
from leonardo_blender.core.slots import DEFAULT_SLOTS, SlotPool


class SleepyJob:
    """Waits ``rounds`` times for ``delay`` seconds, recording which thread stepped it."""

    def __init__(self, rounds: int, delay: float) -> None:
        self.rounds, self.delay = rounds, delay
        self.threads: set[str] = set()

    def step(self) -> str:
        self.threads.add(threading.current_thread().name)
        if self.rounds:
            self.rounds -= 1
            raise Suspend(self.delay)
        return "done"


def run_all(scheduler: JobScheduler, jobs: dict[str, object], timeout: float = 20.0) -> dict[str, object]:
    results: dict[str, object] = {}
    finished = threading.Event()

    def done(key: str):
        def callback(result, error):
            results[key] = error or result
            if len(results) == len(jobs):
                finished.set()

        return callback

    for key, job in jobs.items():
        scheduler.submit(key, job, done(key))
    assert finished.wait(timeout), f"only {len(results)} of {len(jobs)} finished"
    return results


def test_fifty_waiting_jobs_run_on_two_threads_without_waves():
    scheduler = JobScheduler(workers=2)
    jobs = {f"job{i}": SleepyJob(rounds=3, delay=0.2) for i in range(50)}
    started = time.monotonic()
    try:
        results = run_all(scheduler, jobs)
    finally:
        scheduler.shutdown()
    elapsed = time.monotonic() - started
    assert set(results.values()) == {"done"}
    # all fifty wait at the same time: about 3 x 0.2 s, not 25 waves of two
    assert elapsed < 3.0, elapsed
    assert len(set().union(*(job.threads for job in jobs.values()))) <= 2


class SlotJob:
    """Takes a slot, holds it for ``hold`` seconds, releases it; records the peak of slots in use."""

    def __init__(self, key: str, pool: SlotPool, scheduler: JobScheduler, hold: float, peak: list[int]) -> None:
        self.key, self.pool, self.scheduler, self.hold, self.peak = key, pool, scheduler, hold, peak
        self.holding_since: float | None = None

    def step(self) -> str:
        if self.holding_since is None:
            if not self.pool.try_acquire(self.key, self.scheduler.waker(self.key)):
                raise Suspend(slot=self.key)
            self.holding_since = time.monotonic()
            self.peak.append(self.pool.in_flight())
        if time.monotonic() - self.holding_since < self.hold:
            raise Suspend(self.hold / 2)
        self.pool.release(self.key)
        return "done"


def test_slots_are_never_overbooked_and_go_first_come_first_served():
    scheduler = JobScheduler(workers=3)
    pool = SlotPool(capacity=3)
    peak: list[int] = []
    jobs = {f"job{i:02d}": SlotJob(f"job{i:02d}", pool, scheduler, 0.15, peak) for i in range(12)}
    try:
        results = run_all(scheduler, jobs)
    finally:
        scheduler.shutdown()
    assert set(results.values()) == {"done"}
    assert max(peak) == 3 and len(peak) == 12
    assert pool.in_flight() == 0 and pool.waiting() == 0


def test_a_queued_owner_knows_how_many_are_ahead():
    pool = SlotPool(capacity=1)
    assert pool.try_acquire("a")
    woken: list[str] = []
    assert not pool.try_acquire("b:front", lambda: woken.append("b"))
    assert not pool.try_acquire("c", lambda: woken.append("c"))
    assert pool.ahead_of("b") == 0 and pool.ahead_of("c") == 1 and pool.ahead_of("a") is None
    assert not pool.try_acquire("c"), "c may not jump the line"
    pool.release("a")
    assert woken == ["b"]
    assert pool.try_acquire("b:front") and pool.ahead_of("c") == 0
    pool.release_prefix("b")
    assert woken == ["b", "c"] and pool.try_acquire("c")


def test_capacity_from_the_account_with_a_documented_default():
    pool = SlotPool()
    assert not pool.known and pool.capacity == DEFAULT_SLOTS
    pool.set_capacity(0)
    assert pool.known and pool.capacity == DEFAULT_SLOTS
    pool.set_capacity(4)
    assert pool.capacity == 4
    pool.hold("resumed")  # a generation already in flight counts even beyond the capacity
    assert pool.in_flight() == 1


def test_waking_a_sleeping_job_runs_it_now():
    scheduler = JobScheduler(workers=1)
    job = SleepyJob(rounds=1, delay=60.0)
    finished = threading.Event()
    try:
        scheduler.submit("slow", job, lambda result, error: finished.set())
        time.sleep(0.1)
        assert scheduler.counts()["sleeping"] == 1
        scheduler.wake("slow")
        assert finished.wait(2.0)
    finally:
        scheduler.shutdown()


def test_errors_reach_on_done_and_keys_are_unique():
    scheduler = JobScheduler(workers=1)

    class Broken:
        def step(self) -> None:
            raise RuntimeError("boom")

    try:
        results = run_all(scheduler, {"broken": Broken()})
        assert isinstance(results["broken"], RuntimeError)
        scheduler.submit("twice", SleepyJob(1, 5.0), lambda r, e: None)
        with pytest.raises(ValueError):
            scheduler.submit("twice", SleepyJob(1, 5.0), lambda r, e: None)
    finally:
        scheduler.shutdown()


def test_poll_schedule_is_every_two_seconds_until_something_is_learned():
    assert polling.next_delay(0.0, None) == polling.INTERVAL
    assert polling.next_delay(100.0, None) == polling.INTERVAL
    # with a learned 30 s job: sleep until shortly before 30 s, poll every second around it, then every 2 s
    assert polling.next_delay(0.0, 30.0) == pytest.approx(30.0 - polling.EARLY)
    assert polling.next_delay(29.0, 30.0) == polling.INTERVAL / 2
    assert polling.next_delay(40.0, 30.0) == polling.INTERVAL
    assert polling.error_delay(1) == 2.0 and polling.error_delay(3) == 8.0 and polling.error_delay(50) == 30.0
    assert polling.error_delay(1, retry_after=12.0) == 12.0


def test_durations_keep_the_quickest_recent_job_and_survive_a_restart(tmp_path):
    store = polling.Durations(tmp_path / "durations.json")
    assert store.expected("texture_api:full") is None
    for seconds in (42.0, 35.0, 39.0):
        store.record("texture_api:full", seconds)
    store.record("texture_api:full", -1.0)  # nonsense is ignored
    assert store.expected("texture_api:full") == 35.0
    again = polling.Durations(tmp_path / "durations.json")
    assert again.expected("texture_api:full") == 35.0
    (tmp_path / "broken.json").write_text("{not json")
    assert polling.Durations(tmp_path / "broken.json").expected("x") is None
