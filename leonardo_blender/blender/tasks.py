"""One-off network tasks (refresh the account, list assets, delete...) run off the main thread.

``run()`` is called on the main thread: it checks online access and the key, captures the settings
as plain values, and hands ``work(client)`` to a worker. ``on_success(result)`` or
``on_error(message, action)`` later run on the main thread through the dispatcher. While a task with
the same ``key`` runs, a second one is not started, so a double click never sends two requests.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from ..api.client import LeonardoClient
from ..api.errors import LeonardoError
from . import addon, dispatcher, online

T = TypeVar("T")

NO_KEY = f"No Leonardo API key: set it in the add-on preferences or ${addon.ENV_API_KEY}"

_running: set[str] = set()


def is_running(key: str) -> bool:
    return key in _running


def busy() -> bool:
    """True while any account, asset, history or delete task is on its way."""
    return bool(_running)


def why_not() -> str | None:
    """Why no request may be made right now (offline, no key), or None."""
    reason = online.why_offline()
    if reason:
        return reason
    settings = addon.settings()
    if not settings.has_key:
        return NO_KEY
    return settings.url_problem


def run(
    key: str,
    work: Callable[[LeonardoClient], T],
    on_success: Callable[[T], None],
    on_error: Callable[[str, str], None],
) -> str | None:
    """Start ``work`` on a worker. Returns None when started, else why it was not."""
    reason = why_not()
    if reason:
        return reason
    if key in _running:
        return None  # the same request is already on its way; its result will show

    settings = addon.settings()
    _running.add(key)

    def _work() -> T:  # worker thread: plain values only
        with LeonardoClient(settings.api_key, settings.base_url, timeouts=settings.timeouts) as client:
            return work(client)

    def _done(future: Future[Any]) -> None:  # main thread
        _running.discard(key)
        error = future.exception()
        if error is None:
            on_success(future.result())
        elif isinstance(error, LeonardoError):
            on_error(error.user_message, error.action or "")
        else:
            traceback.print_exception(type(error), error, error.__traceback__)
            on_error(f"Unexpected error: {error}", "")

    dispatcher.submit(_work, on_done=_done)
    return None


def forget() -> None:
    _running.clear()
