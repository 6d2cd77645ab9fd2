"""Pieces shared by the two S3-like hosts (upload and CDN): fault answers and request records."""

from __future__ import annotations

from .errors import S3Error, default_message_for_status, s3_code_for_status, s3_error_body
from .faults import FaultRule
from .messages import Request, Response
from .records import RequestRecord


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
