"""The CDN host: serves stored files at ``/<key>?Expires=<unix>&Signature=<hex>`` (GET and HEAD).

An Authorization header is refused (400, and recorded as a leak); a missing, altered or expired
signature is 403 AccessDenied; a deleted object is 404 NoSuchKey. A ``corrupt_image`` fault makes a
matching download return undecodable bytes, an ``oversized_image`` fault a file padded to
:data:`OVERSIZED_BYTES`.
"""

from __future__ import annotations

import hashlib
from email.utils import format_datetime

from ..content.images import corrupt
from ..faults import PHASE_CONTENT
from ..keys import cdn_template
from .errors import S3Error
from .messages import Request, Response
from .s3_common import S3Host

#: What an ``oversized_image`` fault serves: just over the 256 MiB the add-on accepts for one map.
OVERSIZED_BYTES = 257 * 1024 * 1024


class CdnApp(S3Host):
    label = "cdn"

    def handle(self, request: Request) -> Response:
        key = request.path.lstrip("/")
        route_key = f"{request.method} {cdn_template(key)}"
        return self.run(request, route_key, lambda has_auth: self._serve(request, key, route_key, has_auth))

    def _serve(self, request: Request, key: str, route_key: str, has_authorization: bool) -> Response:
        if request.method not in ("GET", "HEAD"):
            raise S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
        if has_authorization:
            raise S3Error(
                400,
                "InvalidArgument",
                "Only one auth mechanism allowed; only the signed URL or the Authorization header should be specified",
            )
        problem = self.ctx.signer.check_cdn(key, request.query)
        if problem is not None:
            raise S3Error(403, "AccessDenied", problem)
        with self.ctx.state.lock:
            blob = self.ctx.state.blobs.get(key)
        if blob is None:
            raise S3Error(404, "NoSuchKey", "The specified key does not exist.")
        data = blob.data
        content_fault = self.ctx.faults.take_one(PHASE_CONTENT, route_key)
        if content_fault is not None and content_fault.kind == "oversized_image":
            data = data + bytes(max(0, OVERSIZED_BYTES - len(data)))
        elif content_fault is not None:
            data = corrupt(data)
        headers = {
            "Content-Type": blob.content_type,
            "ETag": f'"{hashlib.md5(blob.data).hexdigest()}"',
            "Last-Modified": format_datetime(blob.last_modified, usegmt=True),
            "Cache-Control": "max-age=31536000",
            "Accept-Ranges": "none",
        }
        return Response(200, data, headers)
