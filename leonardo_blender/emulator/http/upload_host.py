"""The upload ("S3") host: accepts presigned multipart POSTs to ``/<bucket>`` and stores the file.

Checks, in order: POST to a known bucket; no ``Authorization`` header (403); well-formed multipart
(400 MalformedPOSTRequest); exactly one ``file`` part and it is the last part (400 InvalidArgument);
a ``key`` field; the policy signature and every policy field echoed unchanged, no extra fields (403
AccessDenied); the slot still exists and has not expired (403 "Invalid according to Policy: Policy
expired."); a non-empty file; a model upload must parse with ``parse_obj`` (400 InvalidArgument with the
parser's message), an init image must pass ``is_image``. Success is 204 with an empty body.
"""

from __future__ import annotations

import hashlib
import time

from ..content.images import is_image
from ..content.obj_mesh import ObjError, ObjMesh, parse_obj
from ..keys import BUCKET_KINDS
from ..state import Blob, utc_now
from .errors import S3Error
from .messages import Request, Response
from .multipart import MultipartError, Part, parse_multipart
from .s3_common import S3Host
from .signing import MAX_UPLOAD_BYTES


class UploadApp(S3Host):
    label = "upload"

    def handle(self, request: Request) -> Response:
        bucket = request.path.strip("/")
        kind = BUCKET_KINDS.get(bucket, "unknown")
        route_key = f"{request.method} upload/{kind}"
        return self.run(request, route_key, lambda has_auth: self._upload(request, bucket, kind, has_auth))

    def _upload(self, request: Request, bucket: str, kind: str, has_authorization: bool) -> Response:
        if request.method != "POST":
            raise S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
        if kind == "unknown":
            raise S3Error(404, "NoSuchBucket", "The specified bucket does not exist")
        if has_authorization:
            raise S3Error(
                403,
                "AccessDenied",
                "Presigned POST uploads must not carry an Authorization header: "
                "the form fields are the only credentials",
            )
        form, file_part = _read_form(request)
        if "key" not in form:
            raise S3Error(400, "InvalidArgument", "Bucket POST must contain a field named 'key'.")
        _policy, problem = self.ctx.signer.check_post(form)
        if problem is not None:
            raise S3Error(403, "AccessDenied", problem)
        with self.ctx.state.lock:
            slot = self.ctx.state.upload_slots.get(form["key"])
        if slot is None or slot.bucket != bucket:
            raise S3Error(403, "AccessDenied", "Invalid according to Policy: no upload slot for this key and bucket")
        if time.time() >= slot.expires_at:
            raise S3Error(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
        data = file_part.data
        if not data:
            raise S3Error(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size")
        if len(data) > MAX_UPLOAD_BYTES:
            raise S3Error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
        if slot.kind == "model":
            mesh = _parse_model(data)
            self._store_model(slot.target_id, slot.key, data, mesh)
        else:
            if not is_image(data):
                raise S3Error(400, "InvalidArgument", "The uploaded file is not a PNG, JPEG or WebP image")
            self._store_init_image(slot.target_id, slot.key, data, form.get("Content-Type") or "image/png")
        etag = f'"{hashlib.md5(data).hexdigest()}"'
        return Response(204, b"", {"ETag": etag, "Location": f"{self.ctx.upload_origin}/{bucket}/{slot.key}"})

    def _store_model(self, model_id: str, key: str, data: bytes, mesh: ObjMesh) -> None:
        state = self.ctx.state
        with state.lock:
            asset = state.model_assets.get(model_id)
            if asset is None:
                raise S3Error(403, "AccessDenied", "Invalid according to Policy: the model asset was deleted")
            state.blobs[key] = Blob(data, "text/plain")
            asset.mesh = mesh
            asset.uploaded = True
            asset.updated_at = utc_now()
            state.uploads_received += 1

    def _store_init_image(self, image_id: str, key: str, data: bytes, content_type: str) -> None:
        state = self.ctx.state
        with state.lock:
            image = state.init_images.get(image_id)
            if image is None:
                raise S3Error(403, "AccessDenied", "Invalid according to Policy: the init image was deleted")
            state.blobs[key] = Blob(data, content_type)
            image.uploaded = True
            state.uploads_received += 1


def _read_form(request: Request) -> tuple[dict[str, str], Part]:
    """The text fields (in order) and the file part; enforces "exactly one file, and it comes last"."""
    try:
        parts = parse_multipart(request.body, request.header("Content-Type"))
    except MultipartError:
        raise S3Error(
            400,
            "MalformedPOSTRequest",
            "The body of your POST request is not well-formed multipart/form-data.",
        ) from None
    file_indexes = [index for index, part in enumerate(parts) if part.name == "file"]
    if len(file_indexes) != 1:
        raise S3Error(400, "InvalidArgument", "POST requires exactly one file upload per request.")
    if file_indexes[0] != len(parts) - 1:
        raise S3Error(
            400,
            "InvalidArgument",
            "The file must be the last part of the form; S3 ignores every field after it.",
        )
    form: dict[str, str] = {}
    for part in parts[:-1]:
        if part.name in form:
            raise S3Error(400, "InvalidArgument", f"The form field '{part.name}' was given more than once.")
        try:
            form[part.name] = part.data.decode("utf-8")
        except UnicodeDecodeError:
            raise S3Error(400, "InvalidArgument", f"The form field '{part.name}' is not UTF-8 text.") from None
    return form, parts[-1]


def _parse_model(data: bytes) -> ObjMesh:
    try:
        return parse_obj(data)
    except ObjError as error:
        raise S3Error(400, "InvalidArgument", str(error)) from None
