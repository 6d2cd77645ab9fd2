"""The API host: ``/api/rest/v1`` routes behind Bearer auth, plus the ``/_emulator`` control routes.

Order of checks for an API request: path prefix, auth (401 ``access-denied`` for a missing or wrong
key, 500 ``unexpected`` for a key that is not UUID-shaped), route match (404/405), hit counter, a
withdrawn route (the routing 404, see ``EmulatorConfig.texture_api_withdrawn``; it is still counted
and recorded under its route key), rate limits (429), faults that act before processing, JSON body,
schema validation, queued jobs promoted onto freed concurrency slots, handler, hostile rewriting of
the answer (``hostile``), faults that act after processing. Every request, answered or dropped, is
appended to the request log.
"""

from __future__ import annotations

import json
from typing import Any

from ..config import UUID_SHAPE
from ..context import AppContext
from ..faults import PHASE_AFTER, PHASE_BEFORE, FaultRule, apply_latency
from ..hostile import Hostility
from .control import ControlRoutes
from .errors import ApiError, bad_request, code_for_status, default_message_for_status, hasura_error_body
from .messages import Request, Response
from .ratelimit import RateLimiter
from .records import RequestLog, RequestRecord, RouteCounter
from .router import Call, Router

API_PREFIX = "/api/rest/v1"
CONTROL_PREFIX = "/_emulator/"
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
ENDPOINT_NOT_FOUND = ApiError(404, "Endpoint not found", "not-found")
"""Hasura's answer for a path it does not route (and, since May 2026, for ``POST /generations-texture``)."""


def error_response(error: ApiError) -> Response:
    return Response(error.status, error.body(), {**JSON_HEADERS, **error.headers})


def fault_response(rule: FaultRule) -> Response:
    """The answer a ``status`` or ``drop`` fault gives on the API host."""
    if rule.kind == "drop":
        return Response.dropped()
    status = rule.status or 500
    headers = dict(JSON_HEADERS)
    if rule.retry_after is not None:
        headers["Retry-After"] = _retry_after_text(rule.retry_after)
    message = rule.message or default_message_for_status(status)
    return Response(status, hasura_error_body(message, code_for_status(status)), headers)


def _retry_after_text(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


def decode_json_object(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object (empty or ``null`` -> {}); otherwise a 400 ``bad-request``."""
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("Error in $: Failed reading: not a valid json value") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        kind = "Array" if isinstance(value, list) else "a scalar"
        raise bad_request(f"Error in $: parsing Object failed, expected Object, but encountered {kind}")
    return value


def peek_json(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body) if body.strip() else None
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


class ApiApp:
    label = "api"

    def __init__(
        self,
        ctx: AppContext,
        router: Router,
        requests: RequestLog,
        counter: RouteCounter,
        limiter: RateLimiter,
        control: ControlRoutes,
        withdrawn: frozenset[str] = frozenset(),
    ) -> None:
        self.ctx = ctx
        self.router = router
        self.requests = requests
        self.counter = counter
        self.limiter = limiter
        self.control = control
        self.withdrawn = withdrawn
        self.hostility = Hostility(ctx.config.hostile_modes, ctx.config.hostile_json_bytes)

    def handle(self, request: Request) -> Response:
        route_key: str | None = None
        if request.path.startswith(CONTROL_PREFIX):
            response = self.control.handle(request)
        else:
            route_key, response = self._api(request)
        self.requests.append(
            RequestRecord(
                host="api",
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers=dict(request.headers),
                json_body=peek_json(request.body),
                status=response.status,
                route=route_key,
            )
        )
        return response

    def _authenticate(self, request: Request) -> ApiError | None:
        header = request.header("Authorization")
        scheme, _, token = (header or "").strip().partition(" ")
        token = token.strip()
        if not header or scheme.lower() != "bearer":
            return ApiError(401, "Authentication hook unauthorized this request", "access-denied")
        if not UUID_SHAPE.match(token):
            return ApiError(500, "Invalid response from authorization hook", "unexpected")
        if token != self.ctx.api_key:
            return ApiError(401, "Authentication hook unauthorized this request", "access-denied")
        return None

    def _api(self, request: Request) -> tuple[str | None, Response]:
        if not request.path.startswith(API_PREFIX + "/"):
            return None, error_response(ENDPOINT_NOT_FOUND)
        auth_error = self._authenticate(request)
        if auth_error is not None:
            return None, error_response(auth_error)
        route, path_params, path_known = self.router.match(request.method, request.path[len(API_PREFIX) :])
        if route is None:
            if path_known:
                return None, error_response(ApiError(405, "Method not allowed", "method-not-allowed"))
            return None, error_response(ENDPOINT_NOT_FOUND)
        key = route.key
        self.counter.hit(key)
        if key in self.withdrawn:
            return key, error_response(ENDPOINT_NOT_FOUND)
        limited = self.limiter.check(key, route.rate_limited)
        if limited is not None:
            retry_after, what = limited
            error = ApiError(
                429,
                f"Rate limit exceeded: at most {what}",
                "rate-limit",
                headers={"Retry-After": str(retry_after)},
            )
            return key, error_response(error)
        terminal = apply_latency(self.ctx.faults.take(PHASE_BEFORE, key))
        if terminal is not None:
            return key, fault_response(terminal)
        try:
            variables = decode_json_object(request.body)
            args = route.schema.validate(variables, request.query, path_params)
            with self.ctx.state.lock:
                self.ctx.concurrency.promote()
            payload = route.handler(self.ctx, Call(args, request, key))
            response = Response(200, self.hostility.encode(request.method, payload), dict(JSON_HEADERS))
        except ApiError as error:
            response = error_response(error)
        after = self.ctx.faults.take_one(PHASE_AFTER, key)
        return key, fault_response(after) if after is not None else response
