"""Agency API keys: random 256-bit secrets, stored only as a keyed hash found by a key id.

A key reads `kho_<key id>_<secret>`. The store keeps `keys/<key id>.json` with the agency,
scopes, limits, expiry and HMAC-SHA256(secret) under a server secret, so checking a key
costs one small read (cached for a second or two, so a revoked key stops working without
a restart) and one HMAC, not a password hash. The server secret itself is kept out of
the store (services/secrets.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kho.archive.errors import ObjectNotFound
from kho.archive.identifiers import is_agency_code
from kho.services.access import Access
from kho.services.audit import AuditService
from kho.services.base import Backends
from kho.services.errors import AccessDenied, InvalidQuery, NotAuthenticated, RecordNotFound
from kho.services.secrets import ServerSecret

__all__ = ["SCOPES", "ApiKey", "KeyService"]

SCOPES = frozenset(
    {
        "records:read",
        "records:write",
        "retention:manage",
        "audit:read",
        "subjects:access-log",
        "keys:manage",
        "settlements:write",
        "indicators:read",
    }
)

_PREFIX = "kho_"
_ID_LENGTH = 16
_CACHE_SECONDS = 2.0


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    agency: str
    scopes: frozenset[str]
    created_at: datetime
    label: str | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    allowed_procedure_codes: frozenset[str] | None = None
    allowed_result_types: frozenset[str] | None = None
    # Other agencies this key deposits, supersedes and revokes for (a province's one-door
    # system serving several agencies); its own agency always.
    on_behalf_of: frozenset[str] = frozenset()
    digest: str = ""

    @property
    def acts_for(self) -> frozenset[str]:
        return frozenset({self.agency}) | self.on_behalf_of

    def to_json(self, *, with_digest: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key_id": self.key_id,
            "agency": self.agency,
            "scopes": sorted(self.scopes),
            "label": self.label,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "allowed_procedure_codes": (
                sorted(self.allowed_procedure_codes)
                if self.allowed_procedure_codes is not None
                else None
            ),
            "allowed_result_types": (
                sorted(self.allowed_result_types) if self.allowed_result_types is not None else None
            ),
            "on_behalf_of": sorted(self.on_behalf_of),
        }
        if with_digest:
            data["digest"] = self.digest
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ApiKey:
        def when(value: Any) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        def maybe_set(value: Any) -> frozenset[str] | None:
            return frozenset(value) if value is not None else None

        return cls(
            key_id=data["key_id"],
            agency=data["agency"],
            scopes=frozenset(data["scopes"]),
            label=data.get("label"),
            created_at=datetime.fromisoformat(data["created_at"]),
            expires_at=when(data.get("expires_at")),
            revoked_at=when(data.get("revoked_at")),
            allowed_procedure_codes=maybe_set(data.get("allowed_procedure_codes")),
            allowed_result_types=maybe_set(data.get("allowed_result_types")),
            on_behalf_of=frozenset(data.get("on_behalf_of") or ()),
            digest=data.get("digest", ""),
        )

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


class KeyService:
    def __init__(self, backends: Backends, audit: AuditService) -> None:
        self.b = backends
        self.audit = audit
        self.secret = ServerSecret(backends.settings, backends.store)
        self._cache: dict[str, tuple[float, ApiKey | None]] = {}
        self._lock = threading.Lock()

    # -- the server secret -------------------------------------------------------------

    def _secret(self) -> bytes:
        return self.secret.get()

    def _digest(self, secret: str) -> str:
        return hmac.new(self._secret(), secret.encode(), hashlib.sha256).hexdigest()

    def derived_secret(self, label: str) -> bytes:
        """A key for another use of the server secret (e.g. signed download links), so no
        two uses ever share one key."""
        return hmac.new(self._secret(), f"kho:{label}".encode(), hashlib.sha256).digest()

    # -- managing keys -----------------------------------------------------------------

    def create(
        self,
        *,
        agency: str,
        scopes: set[str] | frozenset[str],
        access: Access,
        label: str | None = None,
        expires_at: datetime | None = None,
        allowed_procedure_codes: frozenset[str] | None = None,
        allowed_result_types: frozenset[str] | None = None,
        on_behalf_of: frozenset[str] = frozenset(),
    ) -> tuple[ApiKey, str]:
        """Create a key; returns it and the token, which is shown once and never stored.

        The key deposits, supersedes and revokes only for `agency` and the agencies in
        `on_behalf_of`."""
        if not is_agency_code(agency):
            raise InvalidQuery(f"{agency!r} is not an agency code", field="agency")
        bad = sorted(code for code in on_behalf_of if not is_agency_code(code))
        if bad:
            raise InvalidQuery(
                f"on_behalf_of: {', '.join(repr(c[:40]) for c in bad[:5])} is not an agency code",
                field="on_behalf_of",
            )
        if len(on_behalf_of) > 1000:
            raise InvalidQuery("on_behalf_of names more than 1000 agencies", field="on_behalf_of")
        on_behalf_of = frozenset(on_behalf_of) - {agency}
        unknown = set(scopes) - SCOPES
        if unknown or not scopes:
            raise InvalidQuery(
                f"unknown scopes {sorted(unknown)}; choose from {sorted(SCOPES)}"
                if unknown
                else f"give at least one scope of {sorted(SCOPES)}",
                field="scopes",
            )
        if label is not None and len(label) > 200:
            raise InvalidQuery("the label is longer than 200 characters", field="label")
        for name, values in (
            ("allowed_procedure_codes", allowed_procedure_codes),
            ("allowed_result_types", allowed_result_types),
        ):
            if values is not None and any(not v.strip() or len(v) > 300 for v in values):
                raise InvalidQuery(f"{name} holds an empty or over-long value", field=name)
        now = self.b.now()
        if expires_at is not None and expires_at.tzinfo is None:
            raise InvalidQuery("expires_at needs a time zone offset", field="expires_at")
        if expires_at is not None and expires_at <= now:
            raise InvalidQuery("expires_at is in the past", field="expires_at")
        key_id = secrets.token_hex(_ID_LENGTH // 2)
        secret = secrets.token_urlsafe(32)
        key = ApiKey(
            key_id=key_id,
            agency=agency,
            scopes=frozenset(scopes),
            label=label,
            created_at=now,
            expires_at=expires_at,
            allowed_procedure_codes=allowed_procedure_codes,
            allowed_result_types=allowed_result_types,
            on_behalf_of=on_behalf_of,
            digest=self._digest(secret),
        )
        self._write(key, create_only=True)
        self.audit.record(
            "key.create",
            access,
            detail={
                "key_id": key_id,
                "agency": agency,
                "scopes": sorted(scopes),
                **({"on_behalf_of": sorted(on_behalf_of)} if on_behalf_of else {}),
            },
        )
        return key, f"{_PREFIX}{key_id}_{secret}"

    def _write(self, key: ApiKey, *, create_only: bool = False) -> None:
        data = json.dumps(key.to_json(with_digest=True), ensure_ascii=False).encode()
        self.b.store.put(f"keys/{key.key_id}.json", data, create_only=create_only)
        with self._lock:
            self._cache.pop(key.key_id, None)

    def get(self, key_id: str) -> ApiKey:
        if len(key_id) != _ID_LENGTH or not all(c in "0123456789abcdef" for c in key_id):
            raise RecordNotFound(f"no API key {key_id[:40]!r}")
        key = self._load(key_id, use_cache=False)
        if key is None:
            raise RecordNotFound(f"no API key {key_id}")
        return key

    def list(self) -> list[ApiKey]:
        keys = []
        for name in self.b.store.list("keys/"):
            try:
                keys.append(ApiKey.from_json(json.loads(self.b.store.get(name))))
            except (ObjectNotFound, ValueError, KeyError):
                continue
        return sorted(keys, key=lambda k: k.created_at)

    def revoke(self, key_id: str, access: Access) -> ApiKey:
        key = self.get(key_id)
        if key.revoked_at is None:
            key = ApiKey(**{**key.__dict__, "revoked_at": self.b.now()})
            self._write(key)
        self.audit.record("key.revoke", access, detail={"key_id": key_id, "agency": key.agency})
        return key

    # -- checking a presented key ------------------------------------------------------

    def _load(self, key_id: str, *, use_cache: bool = True) -> ApiKey | None:
        now = time.monotonic()
        if use_cache:
            with self._lock:
                cached = self._cache.get(key_id)
            if cached is not None and now - cached[0] < _CACHE_SECONDS:
                return cached[1]
        try:
            key: ApiKey | None = ApiKey.from_json(
                json.loads(self.b.store.get(f"keys/{key_id}.json"))
            )
        except ObjectNotFound:
            key = None
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key_id] = (now, key)
        return key

    def authenticate(self, token: str | None) -> ApiKey:
        """The key a request presents; NotAuthenticated if absent, unknown, revoked or expired."""
        if not token or not token.startswith(_PREFIX) or len(token) > 200:
            raise NotAuthenticated("send `Authorization: Bearer <API key>`")
        rest = token[len(_PREFIX) :]
        key_id, sep, secret = rest[:_ID_LENGTH], rest[_ID_LENGTH : _ID_LENGTH + 1], rest[17:]
        if sep != "_" or not all(c in "0123456789abcdef" for c in key_id) or not secret:
            raise NotAuthenticated("malformed API key")
        key = self._load(key_id)
        if key is None or not hmac.compare_digest(key.digest, self._digest(secret)):
            raise NotAuthenticated("unknown API key")
        if not key.active(self.b.now()):
            raise NotAuthenticated("the API key is revoked or expired")
        return key

    @staticmethod
    def require(key: ApiKey, scope: str) -> None:
        if scope not in key.scopes:
            raise AccessDenied(f"the API key lacks the scope {scope}", scope=scope)
