"""Pieces shared by the two S3-like hosts (upload and CDN): the request pipeline (count, leak check,
faults, S3 errors, record), fault answers and request records."""

from __future__ import annotations

from collections.abc import Callable

from ..context import AppContext
from ..faults import PHASE_AFTER, PHASE_BEFORE, FaultRule, apply_latency
from .errors import S3Error, default_message_for_status, s3_code_for_status, s3_error_body
from .messages import Request, Response
from .records import LeakLog, RequestLog, RequestRecord, RouteCounter


class S3Host:
    """Base of the upload and CDN hosts. ``serve(has_authorization)`` answers one request."""

    label = "s3"

    def __init__(self, ctx: AppContext, requests: RequestLog, counter: RouteCounter, leaks: LeakLog) -> None:
        self.ctx = ctx
        self.requests = requests
        self.counter = counter
        self.leaks = leaks

    def run(self, request: Request, route_key: str, serve: Callable[[bool], Response]) -> Response:
        response = self._run(request, route_key, serve)
        self.requests.append(record_of(self.label, request, response, route_key))
        return response

    def _run(self, request: Request, route_key: str, serve: Callable[[bool], Response]) -> Response:
        self.counter.hit(route_key)
        authorization = request.header("Authorization")
        if authorization is not None:
            self.leaks.add(self.label, request.method, request.path, authorization)
        terminal = apply_latency(self.ctx.faults.take(PHASE_BEFORE, route_key))
        if terminal is not None:
            return s3_fault_response(terminal)
        try:
            response = serve(authorization is not None)
        except S3Error as error:
            response = s3_error_response(error)
        after = self.ctx.faults.take_one(PHASE_AFTER, route_key)
        return s3_fault_response(after) if after is not None else response


def s3_error_response(error: S3Error) -> Response:
    return Response.xml(error.status, error.body())


def s3_fault_response(rule: FaultRule) -> Response:
    """The answer a ``status`` or ``drop`` fault gives on the upload or CDN host."""
    if rule.kind == "drop":
        return Response.dropped()
    status = rule.status or 500
    headers = {}
    if rule.retry_after is not None:
        seconds = rule.retry_after
        headers["Retry-After"] = str(int(seconds)) if float(seconds).is_integer() else str(seconds)
    message = rule.message or default_message_for_status(status)
    return Response.xml(status, s3_error_body(s3_code_for_status(status), message), headers)


def record_of(host: str, request: Request, response: Response, route_key: str) -> RequestRecord:
    return RequestRecord(
        host=host,
        method=request.method,
        path=request.path,
        query=dict(request.query),
        headers=dict(request.headers),
        json_body=None,
        status=response.status,
        route=route_key,
    )
