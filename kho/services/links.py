"""Short-lived signed download links: a URL an agency system can hand to a browser or a
downloader that holds no API key, for one record's signed bytes, for a few minutes.

The token carries the record, the key that asked, its agency and the purpose (dossier
code) of the request that made it, and an expiry, under an HMAC derived from the server
secret. Kho serves the bytes itself on every backend (never a store-presigned URL), so each
download through a link is audited with the purpose of the request that made the link, and
a revoked key's links stop working at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kho.archive.manifest import Actor
from kho.services.audit import AuditService
from kho.services.base import Access, Backends
from kho.services.errors import InvalidQuery, NotAuthenticated, RecordNotFound
from kho.services.keys import KeyService
from kho.services.records import RecordService

__all__ = ["ContentLink", "ContentLinkService"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class ContentLink:
    record_id: str
    token: str
    expires_at: datetime


class ContentLinkService:
    def __init__(
        self, backends: Backends, audit: AuditService, keys: KeyService, records: RecordService
    ) -> None:
        self.b = backends
        self.audit = audit
        self.keys = keys
        self.records = records

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self.keys.derived_secret("content-links"), payload, hashlib.sha256).digest()

    def create(self, record_id: str, access: Access, *, minutes: int = 10) -> ContentLink:
        """A link to the record's bytes valid for `minutes`; the caller must be allowed to
        read the record now (purpose stated, key limits). Audited."""
        limit = self.b.settings.content_link_max_minutes
        if not 1 <= minutes <= limit:
            raise InvalidQuery(f"minutes must be between 1 and {limit}", field="minutes")
        manifest = self.records.readable(record_id, access)
        if access.actor.key_id is None:
            raise InvalidQuery("download links are made for API keys only")
        expires_at = (self.b.now() + timedelta(minutes=minutes)).replace(microsecond=0)
        payload = json.dumps(
            {
                "r": record_id,
                "k": access.actor.key_id,
                "a": access.actor.agency,
                "p": access.purpose,
                "e": int(expires_at.timestamp()),
            },
            separators=(",", ":"),
        ).encode()
        token = f"{_b64(payload)}.{_b64(self._mac(payload))}"
        self.audit.record(
            "content-link.create",
            access,
            record_ids=[record_id],
            subject_ids=[s.id for s in manifest.subjects],
            detail={"expires_at": expires_at.isoformat()},
        )
        return ContentLink(record_id=record_id, token=token, expires_at=expires_at)

    def resolve(self, token: str, request_id: str | None = None) -> tuple[str, Access]:
        """The record a link names and the access it stands for; NotAuthenticated if the
        link is malformed, forged, expired, or its key was revoked."""
        body, _, mac = token.partition(".")
        try:
            payload = _unb64(body)
            given = _unb64(mac)
        except (ValueError, UnicodeError):
            raise NotAuthenticated("malformed download link") from None
        if not hmac.compare_digest(given, self._mac(payload)):
            raise NotAuthenticated("invalid download link")
        data = json.loads(payload)
        if datetime.fromtimestamp(int(data["e"]), UTC) <= self.b.now():
            raise NotAuthenticated("the download link has expired; ask for a new one")
        try:
            key = self.keys.get(str(data["k"]))
        except RecordNotFound:
            raise NotAuthenticated("the API key that made this link is gone") from None
        if not key.active(self.b.now()):
            raise NotAuthenticated("the API key that made this link is revoked or expired")
        access = Access(
            actor=Actor(agency=data.get("a"), key_id=str(data["k"])),
            purpose=data.get("p"),
            request_id=request_id,
            allowed_procedure_codes=key.allowed_procedure_codes,
            allowed_result_types=key.allowed_result_types,
        )
        return str(data["r"]), access
