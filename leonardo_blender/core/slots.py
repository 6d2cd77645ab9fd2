"""The account's concurrency slots, kept client-side: at most ``apiConcurrencySlots`` paid jobs in flight.

Leonardo runs a limited number of generations per account at once (``GET /me`` reports it as
``apiConcurrencySlots``; 10 by default). What the live service does with a create beyond that is not
documented (a 429, or a job queued as PENDING), so the add-on never asks: a paid create first takes a
slot here, and a job that finds none waits in line (holding no thread) until a generation finishes.

A slot is held from just before the paid create until the generation is seen finished, or the job
stops following it. Thread-safe; no ``bpy``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

#: The documented default when the account does not say (section 11.3 of the reference).
DEFAULT_SLOTS = 10

Waiter = Callable[[], None]


class SlotPool:
    def __init__(self, capacity: int | None = None) -> None:
        self._lock = threading.Lock()
        self._capacity = capacity
        self._held: set[str] = set()
        self._waiting: list[tuple[str, Waiter]] = []  # FIFO: (owner, wake)

    # -- capacity ------------------------------------------------------------------------------------

    @property
    def known(self) -> bool:
        with self._lock:
            return self._capacity is not None

    @property
    def capacity(self) -> int:
        with self._lock:
            return self._capacity if self._capacity is not None else DEFAULT_SLOTS

    def set_capacity(self, slots: int | None) -> None:
        """From ``/me``: 0 or nothing means the documented default."""
        with self._lock:
            self._capacity = slots if slots and slots > 0 else DEFAULT_SLOTS
        self._wake_waiters()

    # -- holding ---------------------------------------------------------------------------------------

    def try_acquire(self, owner: str, wake: Waiter | None = None) -> bool:
        """Take a slot for ``owner`` (idempotent). When none is free, queue ``wake`` (called, from any
        thread, once a slot may be free) and return False. Owners queued earlier go first."""
        with self._lock:
            if owner in self._held:
                return True
            capacity = self._capacity if self._capacity is not None else DEFAULT_SLOTS
            first_in_line = not self._waiting or self._waiting[0][0] == owner
            if len(self._held) < capacity and first_in_line:
                self._held.add(owner)
                self._waiting = [(o, w) for o, w in self._waiting if o != owner]
                return True
            if wake is not None and all(o != owner for o, _ in self._waiting):
                self._waiting.append((owner, wake))
            return False

    def hold(self, owner: str) -> None:
        """Count a generation that is already in flight (a resumed job), even beyond the capacity."""
        with self._lock:
            self._held.add(owner)

    def release(self, owner: str) -> None:
        with self._lock:
            if owner not in self._held:
                self._waiting = [(o, w) for o, w in self._waiting if o != owner]
                return
            self._held.discard(owner)
        self._wake_waiters()

    def release_prefix(self, prefix: str) -> None:
        """Release every slot (and place in line) of one job: owners are ``<job id>`` or ``<job id>:<view>``."""
        with self._lock:
            mine = {o for o in self._held if o == prefix or o.startswith(prefix + ":")}
            self._held -= mine
            self._waiting = [(o, w) for o, w in self._waiting if not (o == prefix or o.startswith(prefix + ":"))]
        self._wake_waiters()

    def _wake_waiters(self) -> None:
        with self._lock:
            free = (self._capacity if self._capacity is not None else DEFAULT_SLOTS) - len(self._held)
            wake = [w for _, w in self._waiting[: max(0, free)]]
        for callback in wake:
            callback()

    # -- what the panel shows ------------------------------------------------------------------------

    def in_flight(self) -> int:
        with self._lock:
            return len(self._held)

    def ahead_of(self, prefix: str) -> int | None:
        """How many owners wait in line before the job ``prefix`` (None when it is not waiting)."""
        with self._lock:
            for index, (owner, _) in enumerate(self._waiting):
                if owner == prefix or owner.startswith(prefix + ":"):
                    return index
        return None

    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)
