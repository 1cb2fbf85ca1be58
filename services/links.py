"""Short-lived signed download links: a URL an agency system can hand to a browser or a
downloader that holds no API key, for one record's signed bytes, for a few minutes.

The token carries the record, the key that asked, its agency and the purpose (dossier
code) of the request that made it, and an expiry, under an HMAC derived from the server
secret. Kho serves the bytes itself on every backend (never a store-presigned URL), so each
download through a link is audited with the purpose of the request that made the link, and
a revoked key's links stop working at once.

A link is bounded three ways, each checked when it is followed, not only when it is made:
its lifetime (issued-at to expiry) is at most `KHO_CONTENT_LINK_MAX_MINUTES`, so even a
token minted with a stolen secret cannot claim a far expiry; it serves downloads only for
`KHO_CONTENT_LINK_USE_WINDOW_S` seconds after its first use (recorded create-only in the
store under `links/used/`); and every download through it counts against its key's rate
limit. A short window rather than a single use: a PDF viewer fetches a document in several
range requests and a download may be retried, which one use would break, while a link found
later in a browser history, a proxy log or a Referer header is already dead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kho.archive.errors import ObjectExists, ObjectNotFound
from kho.archive.manifest import Actor
from kho.services.access import Access
from kho.services.audit import AuditService
from kho.services.base import Backends
from kho.services.errors import InvalidQuery, NotAuthenticated, RecordNotFound
from kho.services.keys import KeyService
from kho.services.ratelimit import RateLimiter
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
        self,
        backends: Backends,
        audit: AuditService,
        keys: KeyService,
        records: RecordService,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.b = backends
        self.audit = audit
        self.keys = keys
        self.records = records
        self.limiter = limiter

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
        issued_at = self.b.now().replace(microsecond=0)
        expires_at = issued_at + timedelta(minutes=minutes)
        payload = json.dumps(
            {
                "r": record_id,
                "k": access.actor.key_id,
                "a": access.actor.agency,
                "p": access.purpose,
                "i": int(issued_at.timestamp()),
                "e": int(expires_at.timestamp()),
                "n": secrets.token_hex(12),
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
        try:
            data = json.loads(payload)
            record_id, key_id, nonce = str(data["r"]), str(data["k"]), str(data["n"])
            issued, expires = int(data["i"]), int(data["e"])
        except (ValueError, KeyError, TypeError):
            # Links made before lifetimes were bounded carry no issue time: ask anew.
            raise NotAuthenticated("this download link is malformed or outdated") from None
        now = self.b.now()
        longest = self.b.settings.content_link_max_minutes * 60
        if expires - issued > longest or issued > now.timestamp() + 60:
            raise NotAuthenticated(
                f"the download link claims a validity beyond the limit of "
                f"{self.b.settings.content_link_max_minutes} minutes"
            )
        if datetime.fromtimestamp(expires, UTC) <= now:
            raise NotAuthenticated("the download link has expired; ask for a new one")
        try:
            key = self.keys.get(key_id)
        except RecordNotFound:
            raise NotAuthenticated("the API key that made this link is gone") from None
        if not key.active(now):
            raise NotAuthenticated("the API key that made this link is revoked or expired")
        if self.limiter is not None:
            self.limiter.hit(key_id)
        self._within_use_window(nonce, now)
        access = Access(
            actor=Actor(agency=data.get("a"), key_id=key_id),
            purpose=data.get("p"),
            request_id=request_id,
            allowed_procedure_codes=key.allowed_procedure_codes,
            allowed_result_types=key.allowed_result_types,
        )
        return record_id, access

    def _within_use_window(self, nonce: str, now: datetime) -> None:
        """Record the link's first use (create-only, so every server agrees on it) and
        refuse it once the window after that has passed."""
        if not nonce.isalnum() or len(nonce) > 64:
            raise NotAuthenticated("malformed download link")
        key = f"links/used/{nonce}.json"
        try:
            self.b.store.put(
                key, json.dumps({"first_use": now.isoformat()}).encode(), create_only=True
            )
            return
        except ObjectExists:
            pass
        try:
            first = datetime.fromisoformat(json.loads(self.b.store.get(key))["first_use"])
        except (ObjectNotFound, ValueError, KeyError, TypeError):
            raise NotAuthenticated("this download link can no longer be used") from None
        window = self.b.settings.content_link_use_window_s
        if (now - first).total_seconds() > window:
            raise NotAuthenticated(
                f"this download link was first used more than {window} s ago; ask for a new one"
            )
