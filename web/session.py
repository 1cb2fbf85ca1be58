"""Who is signed in to the web UI, for which dossier, and the CSRF token of their forms.

Sessions are Starlette's SessionMiddleware: the session is a JSON dict in a cookie
(`kho_session`) signed with itsdangerous under a key derived from Kho's server secret
(services/keys.py `derived_secret`), HttpOnly, SameSite=Lax, Secure when KHO_PUBLIC_URL is
https. Nothing but the username, the account's session epoch, two times, the CSRF token and
the dossier code is kept in it. A session idle for KHO_SESSION_IDLE_MINUTES (by the
services' clock), older than KHO_SESSION_MAX_HOURS, or of an account disabled or given a
new password since, counts as none.

CSRF: a synchronizer token. A random token lives in the (signed) session; every form
carries it in the hidden field `csrf_token` (or htmx in the `X-CSRF-Token` header), and
every POST without the session's own token gets 403. Bound to the session, a token from
one browser is useless in another, and no second cookie is needed.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Annotated, Any, cast
from urllib.parse import quote

import itsdangerous
from fastapi import Depends, Request
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp

from kho.logs import request_id
from kho.services import Access, Services
from kho.services.errors import MissingPurpose, RecordNotFound
from kho.services.purpose import check_dossier_code
from kho.services.users import User
from kho.web.i18n import N_

__all__ = [
    "SESSION_COOKIE",
    "CsrfRefused",
    "LoginRequired",
    "WebForbidden",
    "WebSessionMiddleware",
    "WebUser",
    "client_address",
    "csrf_token",
    "current_user",
    "dossier_code",
    "end_session",
    "require_roles",
    "safe_next",
    "start_session",
    "verify_csrf",
    "web_access",
]

SESSION_COOKIE = "kho_session"
WebUser = User
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """No live session: the app answers 303 to /login?next=<where the user was going>."""

    def __init__(self, next_url: str = "/", *, expired: bool = False) -> None:
        super().__init__(next_url)
        self.next_url = next_url
        self.expired = expired


class WebForbidden(Exception):
    """Signed in, but the page is not for this role: a 403 page."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CsrfRefused(WebForbidden):
    """A POST without the session's CSRF token: 403."""


# -- the middleware ------------------------------------------------------------------------


class _LazySigner:
    """itsdangerous' signer, made on first use: the server secret is read when the first
    request comes, not when the app is built (the store may not be up yet)."""

    def __init__(self, secret: Callable[[], bytes]) -> None:
        self._secret = secret
        self._signer: itsdangerous.TimestampSigner | None = None

    def _get(self) -> itsdangerous.TimestampSigner:
        if self._signer is None:
            self._signer = itsdangerous.TimestampSigner(self._secret(), salt="kho.web.session")
        return self._signer

    def sign(self, value: bytes) -> bytes:
        return self._get().sign(value)

    def unsign(self, value: bytes, max_age: int | None = None) -> bytes:
        return self._get().unsign(value, max_age=max_age)


class WebSessionMiddleware(SessionMiddleware):
    def __init__(self, app: ASGIApp, services: Services) -> None:
        settings = services.settings
        super().__init__(
            app,
            secret_key="unused",  # replaced by the lazy signer below  # noqa: S106
            session_cookie=SESSION_COOKIE,
            max_age=settings.session_max_hours * 3600,
            same_site="lax",
            https_only=settings.public_url.startswith("https://"),
        )
        self.signer = cast(Any, _LazySigner(lambda: services.keys.derived_secret("web-session")))


# -- sessions ------------------------------------------------------------------------------


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _now(request: Request) -> float:
    return _services(request).backends.now().timestamp()


def start_session(request: Request, user: User) -> None:
    """A fresh session for `user` (a new CSRF token too: nothing carries over)."""
    now = _now(request)
    request.session.clear()
    request.session.update(
        {
            "user": user.username,
            "epoch": user.session_epoch,
            "since": now,
            "seen": now,
            "csrf": secrets.token_urlsafe(32),
        }
    )


def end_session(request: Request) -> None:
    request.session.clear()


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def safe_next(value: str | None) -> str:
    """A local path to go to after signing in (never another site)."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith(("//", "/\\"))
        or any(c in value for c in "\r\n\t\\")
        or len(value) > 2000
    ):
        return "/"
    return value


def _here(request: Request) -> str:
    if request.method not in _SAFE_METHODS:
        return "/"
    path = request.url.path
    query = request.url.query
    return quote(path + (f"?{query}" if query else ""), safe="/?=&;.-_~%+:,")


def current_user(request: Request) -> User:
    """The signed-in user; LoginRequired (→ 303 /login?next=…) without a live session."""
    cached: User | None = getattr(request.state, "kho_user", None)
    if cached is not None:
        return cached
    session = request.session
    username = session.get("user")
    if not isinstance(username, str):
        raise LoginRequired(_here(request))
    services = _services(request)
    settings = services.settings
    now = _now(request)
    seen = float(session.get("seen") or 0)
    since = float(session.get("since") or 0)
    if (
        now - seen > settings.session_idle_minutes * 60
        or now - since > settings.session_max_hours * 3600
    ):
        end_session(request)
        raise LoginRequired(_here(request), expired=True)
    try:
        user = services.users.get(username)
    except RecordNotFound:
        user = None
    if user is None or user.disabled or user.session_epoch != session.get("epoch"):
        end_session(request)
        raise LoginRequired(_here(request), expired=True)
    if now - seen >= 1:
        session["seen"] = now
    request.state.kho_user = user
    return user


def require_roles(*roles: str) -> Callable[..., User]:
    """A dependency: the signed-in user if their role is one of `roles`, else a 403 page."""

    def dependency(user: Annotated[User, Depends(current_user)]) -> User:
        if user.role not in roles:
            raise WebForbidden(N_("Trang này không dành cho vai trò của bạn."))
        return user

    return dependency


# -- CSRF ----------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made if the session has none yet, e.g. on /login)."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def verify_csrf(request: Request) -> None:
    """For every state-changing request: 403 unless the form field `csrf_token` (or the
    header X-CSRF-Token) is the session's token. GET and HEAD pass."""
    if request.method in _SAFE_METHODS:
        return
    expected = request.session.get("csrf")
    given: Any = request.headers.get("x-csrf-token")
    if given is None:
        try:
            form = await request.form()
        except Exception:  # unparseable body: no token in it
            form = None
        given = form.get("csrf_token") if form is not None else None
    if (
        not isinstance(expected, str)
        or not expected
        or not isinstance(given, str)
        or not hmac.compare_digest(expected.encode(), given.encode())
    ):
        raise CsrfRefused(
            N_("Biểu mẫu đã hết hạn hoặc không hợp lệ. Hãy tải lại trang rồi gửi lại.")
        )


# -- the dossier being processed -----------------------------------------------------------


def dossier_code(request: Request) -> str | None:
    """`?dossier_code=` if given (it must be well formed, else None and the layout says
    why), else the one set for the session with POST /dossier."""
    given = request.query_params.get("dossier_code")
    if given is not None and given.strip():
        try:
            return check_dossier_code(
                given.strip(), _services(request).settings, name="dossier_code"
            )
        except MissingPurpose as exc:
            request.state.kho_dossier_error = exc.detail
            return None
    if "session" not in request.scope:
        return None
    stored = request.session.get("dossier")
    return stored if isinstance(stored, str) and stored else None


def web_access(request: Request, user: User) -> Access:
    """Who is asking (the user, with their agency) and why (the dossier), for the services."""
    return Access(actor=user.actor(), purpose=dossier_code(request), request_id=request_id.get())
