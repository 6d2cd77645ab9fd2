"""Signatures of the emulator: expiring CDN URLs and S3-style presigned POST policies.

CDN URLs look like ``http://127.0.0.1:<cdn port>/<object key>?Expires=<unix seconds>&Signature=<hex>``,
the signature being an HMAC over key and expiry, so neither can be altered. Upload slots carry the
fields of an AWS SDK ``createPresignedPost``: ``bucket``, ``X-Amz-Algorithm``, ``X-Amz-Credential``,
``X-Amz-Date``, ``X-Amz-Security-Token``, ``key``, ``Policy`` (base64 JSON with the expiration and one
``eq`` condition per field) and ``X-Amz-Signature`` (HMAC over ``Policy``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import secrets
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

SIGNED_FIELDS_EXEMPT = ("Policy", "X-Amz-Signature", "file")
MAX_UPLOAD_BYTES = 512 * 1024 * 1024


class Signer:
    """Signs and checks CDN URLs and upload policies with one random per-emulator secret."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def _mac(self, text: str) -> str:
        return hmac.new(self._secret, text.encode(), hashlib.sha256).hexdigest()

    # -- CDN -----------------------------------------------------------------------------------------
    def cdn_url(self, origin: str, key: str, expiry_seconds: float, now: float | None = None) -> str:
        expires = math.ceil((time.time() if now is None else now) + expiry_seconds)
        signature = self._mac(f"cdn\n{key}\n{expires}")
        return f"{origin}/{quote(key)}?Expires={expires}&Signature={signature}"

    def check_cdn(self, key: str, query: dict[str, str], now: float | None = None) -> str | None:
        """None when the URL is valid, else the reason it is not (for a 403 message)."""
        expires_text, signature = query.get("Expires"), query.get("Signature")
        if not expires_text or not signature:
            return "Request is missing the Expires or Signature query parameter"
        if not hmac.compare_digest(self._mac(f"cdn\n{key}\n{expires_text}"), signature):
            return "The request signature does not match; the URL was altered"
        if (time.time() if now is None else now) >= int(expires_text):
            return "Request has expired"
        return None

    # -- upload policy -------------------------------------------------------------------------------
    def post_fields(
        self, bucket: str, key: str, expires_at: float, extra: dict[str, str] | None = None
    ) -> dict[str, str]:
        """Form fields of a presigned POST for ``key`` (the client must echo every one of them)."""
        now = datetime.now(UTC)
        credential = f"ASIAEMULATOR{secrets.token_hex(4).upper()}/{now:%Y%m%d}/us-east-1/s3/aws4_request"
        fields: dict[str, str] = dict(extra or {})
        fields.update(
            {
                "bucket": bucket,
                "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
                "X-Amz-Credential": credential,
                "X-Amz-Date": f"{now:%Y%m%dT%H%M%SZ}",
                "X-Amz-Security-Token": base64.b64encode(secrets.token_bytes(48)).decode(),
                "key": key,
            }
        )
        expiration = datetime.fromtimestamp(expires_at, UTC).isoformat(timespec="milliseconds")
        policy_doc = {
            "expiration": expiration.replace("+00:00", "Z"),
            "conditions": [
                *({name: value} for name, value in fields.items()),
                ["content-length-range", 1, MAX_UPLOAD_BYTES],
            ],
        }
        policy = base64.b64encode(json.dumps(policy_doc).encode()).decode()
        fields["Policy"] = policy
        fields["X-Amz-Signature"] = self._mac(f"policy\n{policy}")
        return fields

    def check_post(self, form: dict[str, str]) -> tuple[dict[str, Any] | None, str | None]:
        """Check signature and field conditions (not expiry). Returns (policy document, error)."""
        policy, signature = form.get("Policy"), form.get("X-Amz-Signature")
        if policy is None or signature is None:
            missing = "Policy" if policy is None else "X-Amz-Signature"
            return None, f"Bucket POST must contain a field named '{missing}'."
        if not hmac.compare_digest(self._mac(f"policy\n{policy}"), signature):
            return None, (
                "The request signature we calculated does not match the signature you provided. "
                "Check your key and signing method."
            )
        try:
            document = json.loads(base64.b64decode(policy, validate=True))
        except (ValueError, binascii.Error):
            return None, "Invalid Policy: Invalid JSON."
        allowed = set(SIGNED_FIELDS_EXEMPT)
        for condition in document.get("conditions", []):
            if not isinstance(condition, dict):
                continue
            for name, value in condition.items():
                allowed.add(name)
                if form.get(name) != value:
                    return (
                        document,
                        f'Invalid according to Policy: Policy Condition failed: ["eq", "${name}", "{value}"]',
                    )
        extra = sorted(name for name in form if name not in allowed and not name.lower().startswith("x-ignore-"))
        if extra:
            return document, f"Invalid according to Policy: Extra input fields: {', '.join(extra)}"
        return document, None
