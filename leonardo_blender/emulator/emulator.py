"""The :class:`Emulator`: one local stand-in for cloud.leonardo.ai with its API, upload and CDN hosts.

It owns everything one instance needs (state, faults, logs, signer, job pool, three servers), so two
emulators can run side by side in one process. All three hosts listen on 127.0.0.1 only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import Any

from .concurrency import Concurrency
from .config import EmulatorConfig
from .context import AppContext
from .faults import FaultRule, FaultSet
from .http.api_host import API_PREFIX, ApiApp
from .http.cdn_host import CdnApp
from .http.control import ControlRoutes
from .http.ratelimit import RateLimiter
from .http.records import LeakLog, RequestLog, RequestRecord, RouteCounter
from .http.router import Router
from .http.routing import route_matches
from .http.server import LocalServer
from .http.signing import Signer
from .http.upload_host import UploadApp
from .jobs import JobRunner
from .routes import ROUTES
from .routes.textures import WITHDRAWABLE
from .state import State

LogFn = Callable[[str], None]


def user_id_for(api_key: str) -> str:
    """A stable UUID4-shaped user id derived from the API key."""
    return str(uuid.UUID(bytes=hashlib.sha256(api_key.encode()).digest()[:16], version=4))


class Emulator:
    """A local Leonardo REST API. Use ``start()``/``stop()`` or ``with Emulator(cfg) as emu:``.

    ``log`` receives one line per request (host, method, path, status) and job failures; it never
    receives headers.
    """

    def __init__(self, config: EmulatorConfig | None = None, log: LogFn | None = None) -> None:
        self.config = config or EmulatorConfig()
        self._log = log
        self.state = State(self.config.credits)
        self.faults = FaultSet()
        self.requests = RequestLog()
        self._counter = RouteCounter()
        self._leaks = LeakLog()
        self._jobs = JobRunner(workers=2, log=log)
        self._ctx = AppContext(
            config=self.config,
            state=self.state,
            faults=self.faults,
            signer=Signer(),
            jobs=self._jobs,
            concurrency=Concurrency(
                self.config.concurrency_mode, self.config.concurrency_slots, self.config.job_seconds
            ),
            api_key=self.config.effective_api_key,
            user_id=user_id_for(self.config.effective_api_key),
        )
        self._servers: list[LocalServer] = []
        self._api: ApiApp | None = None
        self._started = False
        self._stopped = False

    # -- lifecycle ------------------------------------------------------------------------------------
    def start(self) -> Emulator:
        if self._started:
            raise RuntimeError("this emulator was already started; create a new one")
        self._started = True
        router = Router(ROUTES)
        control = ControlRoutes(self.faults, self.stats, self._set_credits)
        limiter = RateLimiter(self.config.rate_limit_per_route, self.config.rate_limit_total)
        withdrawn = WITHDRAWABLE if self.config.texture_api_withdrawn else frozenset()
        api = ApiApp(self._ctx, router, self.requests, self._counter, limiter, control, withdrawn)
        self._api = api
        upload = UploadApp(self._ctx, self.requests, self._counter, self._leaks)
        cdn = CdnApp(self._ctx, self.requests, self._counter, self._leaks)
        try:
            self._servers = [
                LocalServer(self.config.port, api, self._log),
                LocalServer(0, upload, self._log),
                LocalServer(0, cdn, self._log),
            ]
        except OSError:
            for server in self._servers:
                server.server_close()
            self._jobs.shutdown()
            raise
        self._ctx.upload_origin = self._servers[1].origin
        self._ctx.cdn_origin = self._servers[2].origin
        for server in self._servers:
            server.start()
        return self

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        stoppers = [threading.Thread(target=server.stop) for server in self._servers]  # in parallel
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        self._jobs.shutdown()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- addresses ------------------------------------------------------------------------------------
    def _server(self, index: int) -> LocalServer:
        if not self._servers:
            raise RuntimeError("the emulator is not started")
        return self._servers[index]

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/api/rest/v1``"""
        return self._server(0).origin + API_PREFIX

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:<port>`` of the API host (control routes live under ``/_emulator``)."""
        return self._server(0).origin

    @property
    def upload_origin(self) -> str:
        return self._server(1).origin

    @property
    def cdn_origin(self) -> str:
        return self._server(2).origin

    @property
    def ports(self) -> dict[str, int]:
        return {"api": self._server(0).port, "upload": self._server(1).port, "cdn": self._server(2).port}

    # -- identity, money, observations ----------------------------------------------------------------
    @property
    def api_key(self) -> str:
        return self._ctx.api_key

    @property
    def user_id(self) -> str:
        return self._ctx.user_id

    @property
    def credits(self) -> int:
        with self.state.lock:
            return self.state.credits

    @credits.setter
    def credits(self, value: int) -> None:
        self._set_credits(value)

    def set_credits(self, value: int) -> None:
        """Set the credit balance (``/me`` reports it as ``apiSubscriptionTokens``)."""
        self._set_credits(value)

    def _set_credits(self, value: int) -> None:
        with self.state.lock:
            self.state.credits = int(value)

    def set_hostile(self, modes: str) -> None:
        """Switch the hostile modes of a running emulator (``""``: honest answers again)."""
        chosen = dataclasses.replace(self.config, hostile=modes)  # validates the names
        if self._api is None:
            raise RuntimeError("start the emulator first")
        self._api.hostility.modes = chosen.hostile_modes

    @staticmethod
    def fault(route: str, kind: str, **options: Any) -> FaultRule:
        """Shorthand for ``FaultRule(route, kind, **options)``; add it with ``emu.faults.add(...)``."""
        return FaultRule(route=route, kind=kind, **options)

    def requests_for(self, method: str, template: str) -> list[RequestRecord]:
        """Recorded requests whose route matches ``METHOD template`` (as faults match), oldest first."""
        pattern = f"{method} {template}"
        return [record for record in self.requests if record.route and route_matches(pattern, record.route)]

    def count(self, method: str, template: str) -> int:
        """Requests (after auth) that hit routes matching ``METHOD template`` (see ``http.routing``)."""
        return self._counter.count(method, template)

    @property
    def foreign_authorization_headers(self) -> list[dict[str, str]]:
        """Redacted Authorization headers seen on the upload or CDN host (must stay empty)."""
        return self._leaks.snapshot()

    @property
    def texture_jobs_created(self) -> int:
        """Paid texture generations created (accepted and charged) so far."""
        with self.state.lock:
            return self.state.texture_jobs_created

    @property
    def image_generations_created(self) -> int:
        """Paid image generations (``POST /generations``) created (accepted and charged) so far."""
        with self.state.lock:
            return self.state.image_generations_created

    def jobs_in_flight(self) -> dict[str, int]:
        """Paid jobs (texture and image generations) now ``PENDING``: ``{"pending", "running", "queued"}``.

        ``running`` holds a concurrency slot and ``queued`` waits for one (both 0 with
        ``concurrency_mode="off"``); ``pending`` counts every paid job still PENDING.
        """
        with self.state.lock:
            concurrency = self._ctx.concurrency
            concurrency.promote()
            jobs = [g.job for g in self.state.texture_generations.values()]
            jobs += [g.job for g in self.state.generations.values()]
            return {
                "pending": sum(1 for job in jobs if job.status == "PENDING"),
                "running": concurrency.in_flight(self.user_id),
                "queued": concurrency.waiting(self.user_id),
            }

    def stats(self) -> dict[str, Any]:
        with self.state.lock:
            textures, images, uploads, credits = (
                self.state.texture_jobs_created,
                self.state.image_generations_created,
                self.state.uploads_received,
                self.state.credits,
            )
            in_flight = self.jobs_in_flight()
        return {
            "counts": self._counter.as_dict(),
            "texture_jobs_created": textures,
            "image_generations_created": images,
            "jobs_in_flight": in_flight,
            "uploads_received": uploads,
            "credits": credits,
            "foreign_authorization_headers": self._leaks.snapshot(),
        }
