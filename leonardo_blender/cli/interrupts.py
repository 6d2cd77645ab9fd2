"""Ctrl+C and SIGTERM while jobs run: ask the run to stop cleanly instead of dying mid-callback.

Inside ``Interrupts()`` the first SIGINT or SIGTERM only sets ``requested`` (the run loop then
cancels the running jobs and saves); a second one raises ``KeyboardInterrupt`` to quit at once.
The previous handlers come back when the block ends.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupts:
    def __init__(self) -> None:
        self.requested: str | None = None  # "Ctrl+C" or "SIGTERM" once asked to stop
        self._previous: dict[int, Any] = {}

    def _handle(self, number: int, frame: FrameType | None) -> None:
        if self.requested is not None:
            raise KeyboardInterrupt
        self.requested = "Ctrl+C" if number == signal.SIGINT else "SIGTERM"

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            for number in SIGNALS:
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous.clear()
