"""People who sign in to the web UI: officers, records managers, auditors, administrators.

Each account is `users/<username>.json` in the object store (like API keys, services/keys.py)
with its role, name, agency and an argon2id hash of its password (argon2-cffi). Five wrong
passwords in a row lock the account for 15 minutes; every sign-in, failure and lockout is an
audit event, as is every change to an account. `session_epoch` changes whenever the
password is reset or the account disabled, so sessions opened before no longer count.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from kho.archive.errors import ObjectExists, ObjectNotFound
from kho.archive.identifiers import is_agency_code
from kho.archive.manifest import Actor
from kho.services.access import Access
from kho.services.audit import AuditService
from kho.services.base import Backends
from kho.services.errors import Conflict, InvalidQuery, NotAuthenticated, RecordNotFound

__all__ = [
    "LOCKOUT",
    "MAX_FAILURES",
    "ROLES",
    "AccountDisabled",
    "AccountLocked",
    "User",
    "UserService",
    "WrongPassword",
]

ROLES = ("officer", "records_manager", "auditor", "admin")
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}", re.ASCII)
_PREFIX = "users/"


class WrongPassword(NotAuthenticated):
    """An unknown username or a wrong password (the two are not told apart)."""

    title = "Wrong username or password"


class AccountDisabled(NotAuthenticated):
    title = "The account is disabled"


class AccountLocked(NotAuthenticated):
    """Too many wrong passwords; `until` says when the account opens again."""

    title = "The account is locked for a while"

    def __init__(self, detail: str, *, until: datetime) -> None:
        super().__init__(detail, until=until.isoformat())
        self.until = until


@dataclass(frozen=True)
class User:
    username: str
    role: str
    name: str | None = None
    agency: str | None = None
    disabled: bool = False
    created_at: datetime | None = None
    failures: int = 0
    locked_until: datetime | None = None
    session_epoch: str = ""
    password_hash: str = field(default="", repr=False)

    def actor(self) -> Actor:
        return Actor(user=self.username, agency=self.agency)

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def to_json(self, *, with_secret: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "username": self.username,
            "role": self.role,
            "name": self.name,
            "agency": self.agency,
            "disabled": self.disabled,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "failures": self.failures,
            "locked_until": self.locked_until.isoformat() if self.locked_until else None,
        }
        if with_secret:
            data["session_epoch"] = self.session_epoch
            data["password_hash"] = self.password_hash
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> User:
        def when(value: Any) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return cls(
            username=data["username"],
            role=data["role"],
            name=data.get("name"),
            agency=data.get("agency"),
            disabled=bool(data.get("disabled")),
            created_at=when(data.get("created_at")),
            failures=int(data.get("failures") or 0),
            locked_until=when(data.get("locked_until")),
            session_epoch=data.get("session_epoch", ""),
            password_hash=data.get("password_hash", ""),
        )


def check_username(username: str) -> str:
    if not _USERNAME.fullmatch(username):
        raise InvalidQuery(
            "a username is 2-64 lower-case letters, digits, '.', '_' or '-', starting with a "
            "letter or digit",
            field="username",
        )
    return username


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidQuery(
            f"the password is shorter than {MIN_PASSWORD} characters", field="password"
        )
    if len(password) > MAX_PASSWORD:
        raise InvalidQuery(
            f"the password is longer than {MAX_PASSWORD} characters", field="password"
        )
    return password


class UserService:
    def __init__(self, backends: Backends, audit: AuditService) -> None:
        self.b = backends
        self.audit = audit
        self.hasher = PasswordHasher()
        # Verified against when the username is unknown, so both cost the same time.
        self._dummy: str | None = None
        # Attempts on one account are counted one at a time (striped: not one lock for all).
        self._locks = [threading.Lock() for _ in range(64)]

    # -- storage -----------------------------------------------------------------------

    def _write(self, user: User, *, create_only: bool = False) -> None:
        data = json.dumps(user.to_json(with_secret=True), ensure_ascii=False).encode()
        try:
            self.b.store.put(f"{_PREFIX}{user.username}.json", data, create_only=create_only)
        except ObjectExists:
            raise Conflict(f"the user {user.username} already exists") from None

    def _load(self, username: str) -> User | None:
        if not _USERNAME.fullmatch(username):
            return None
        try:
            return User.from_json(json.loads(self.b.store.get(f"{_PREFIX}{username}.json")))
        except ObjectNotFound:
            return None

    def get(self, username: str) -> User:
        user = self._load(username)
        if user is None:
            raise RecordNotFound(f"no user {username[:64]!r}")
        return user

    def list(self) -> list[User]:
        users = []
        for name in self.b.store.list(_PREFIX):
            try:
                users.append(User.from_json(json.loads(self.b.store.get(name))))
            except (ObjectNotFound, ValueError, KeyError):
                continue
        return sorted(users, key=lambda u: u.username)

    # -- managing accounts -------------------------------------------------------------

    def create(
        self,
        username: str,
        password: str,
        role: str,
        name: str | None = None,
        agency: str | None = None,
        *,
        access: Access,
    ) -> User:
        check_username(username)
        check_password(password)
        if role not in ROLES:
            raise InvalidQuery(
                f"unknown role {role[:40]!r}; choose from {', '.join(ROLES)}", field="role"
            )
        name = name.strip() if name else None
        if name is not None and len(name) > 200:
            raise InvalidQuery("the name is longer than 200 characters", field="name")
        agency = agency.strip() if agency else None
        if agency is not None and not is_agency_code(agency):
            raise InvalidQuery(f"{agency[:40]!r} is not an agency code", field="agency")
        user = User(
            username=username,
            role=role,
            name=name or None,
            agency=agency,
            created_at=self.b.now(),
            session_epoch=secrets.token_hex(8),
            password_hash=self.hasher.hash(password),
        )
        self._write(user, create_only=True)
        self.audit.record(
            "user.create",
            access,
            detail={"username": username, "role": role, **({"agency": agency} if agency else {})},
        )
        return user

    def disable(self, username: str, access: Access) -> User:
        user = self.get(username)
        if not user.disabled:
            user = replace(user, disabled=True, session_epoch=secrets.token_hex(8))
            self._write(user)
        self.audit.record("user.disable", access, detail={"username": username})
        return user

    def enable(self, username: str, access: Access) -> User:
        """Open a disabled account again (with the password it had)."""
        user = self.get(username)
        if user.disabled:
            user = replace(user, disabled=False, failures=0, locked_until=None)
            self._write(user)
        self.audit.record("user.enable", access, detail={"username": username})
        return user

    def reset_password(self, username: str, password: str, access: Access) -> User:
        check_password(password)
        user = self.get(username)
        user = replace(
            user,
            password_hash=self.hasher.hash(password),
            session_epoch=secrets.token_hex(8),
            failures=0,
            locked_until=None,
        )
        self._write(user)
        self.audit.record("user.reset-password", access, detail={"username": username})
        return user

    # -- signing in --------------------------------------------------------------------

    def authenticate(self, username: str, password: str, client: str | None = None) -> User:
        """The user, if the password is right and the account is open; else WrongPassword,
        AccountDisabled or AccountLocked. Every attempt is audited."""
        username = username.strip().lower()
        detail: dict[str, Any] = {"username": username[:64]}
        if client:
            detail["client"] = client
        access = Access(actor=Actor(user=username[:64] or "?"))
        with self._locks[hash(username) % len(self._locks)]:
            user = self._load(username)
            now = self.b.now()
            if user is None:
                if self._dummy is None:
                    self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
                self._verify(self._dummy, password)
                self.audit.record(
                    "user.login", access, outcome="refused", detail={**detail, "reason": "unknown"}
                )
                raise WrongPassword("wrong username or password")
            access = Access(actor=user.actor())
            if user.locked(now):
                assert user.locked_until is not None
                self.audit.record(
                    "user.login", access, outcome="refused", detail={**detail, "reason": "locked"}
                )
                raise AccountLocked("the account is locked", until=user.locked_until)
            if not self._verify(user.password_hash, password):
                failures = user.failures + 1
                locked_until = now + LOCKOUT if failures >= MAX_FAILURES else None
                self._write(
                    replace(
                        user, failures=0 if locked_until else failures, locked_until=locked_until
                    )
                )
                self.audit.record(
                    "user.login",
                    access,
                    outcome="refused",
                    detail={**detail, "reason": "wrong-password", "failures": failures},
                )
                if locked_until is not None:
                    self.audit.record(
                        "user.lockout",
                        access,
                        detail={**detail, "until": locked_until.isoformat()},
                    )
                    raise AccountLocked("the account is locked", until=locked_until)
                raise WrongPassword("wrong username or password")
            if user.disabled:
                self.audit.record(
                    "user.login", access, outcome="refused", detail={**detail, "reason": "disabled"}
                )
                raise AccountDisabled("the account is disabled")
            changed = replace(user, failures=0, locked_until=None)
            if self.hasher.check_needs_rehash(user.password_hash):
                changed = replace(changed, password_hash=self.hasher.hash(password))
            if changed != user:
                self._write(changed)
            self.audit.record("user.login", access, detail=detail)
            return changed

    def logout(self, user: User, client: str | None = None) -> None:
        detail: dict[str, Any] = {"username": user.username}
        if client:
            detail["client"] = client
        self.audit.record("user.logout", Access(actor=user.actor()), detail=detail)

    def _verify(self, hashed: str, password: str) -> bool:
        try:
            return self.hasher.verify(hashed, password[:MAX_PASSWORD])
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
