"""The web UI put into the server's app: its routers, sessions, language cookie, error
pages and static files. `install_web` is the one place (kho/server.py calls it).

Every web router but the sign-in pages is included behind `current_user` (no session: 303 to
/login?next=…) and `verify_csrf` (a POST without the session's token: 403), so a page
cannot forget either.
"""

from __future__ import annotations

import logging

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kho.errors import STATUS, KhoError
from kho.services import Services
from kho.web import (
    admin,
    auditor,
    auth,
    digitization,
    indicator_pages,
    officer,
    retention,
    routes,
)
from kho.web.i18n import LanguageMiddleware, gettext
from kho.web.render import render
from kho.web.reports import render_report
from kho.web.session import (
    CsrfRefused,
    LoginRequired,
    WebForbidden,
    WebSessionMiddleware,
    current_user,
    verify_csrf,
)

__all__ = ["PROTECTED_ROUTERS", "PUBLIC_ROUTERS", "STATIC_DIR", "install_web", "is_web_path"]

log = logging.getLogger("kho.web")

STATIC_DIR = routes.STATIC_DIR

# The sign-in pages: no session needed (they check CSRF themselves).
PUBLIC_ROUTERS = [auth.router]
# Every other page: one line each.
PROTECTED_ROUTERS = [
    routes.router,
    admin.router,
    officer.router,
    auditor.router,
    indicator_pages.router,
    digitization.router,
    retention.router,
]

_NOT_WEB = ("/api/", "/static/")
_NOT_WEB_EXACT = frozenset({"/healthz", "/readyz", "/metrics"})


def is_web_path(path: str) -> bool:
    return not path.startswith(_NOT_WEB) and path not in _NOT_WEB_EXACT


class _PageHeaders:
    """`Cache-Control: no-store` on the web pages: they show citizens' data to one user."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_web_path(str(scope.get("path", ""))):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _error_page(request: Request, status: int, message: str) -> Response:
    return render(
        request,
        "error.html",
        {"status": status, "message": message},
        status_code=status,
    )


def install_web(app: FastAPI, services: Services) -> None:
    for router in PUBLIC_ROUTERS:
        app.include_router(router)
    for router in PROTECTED_ROUTERS:
        app.include_router(router, dependencies=[Depends(current_user), Depends(verify_csrf)])
    app.state.report_html = render_report  # the API's `Accept: text/html` reports
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    async def login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        target = f"/login?next={exc.next_url}" if exc.next_url != "/" else "/login"
        if exc.expired:
            target += ("&" if "?" in target else "?") + "expired=1"
        return RedirectResponse(target, status_code=303)

    async def forbidden(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WebForbidden)
        return _error_page(request, 403, gettext(request, exc.message))

    api_kho_error = app.exception_handlers.get(KhoError)
    api_validation_error = app.exception_handlers.get(RequestValidationError)

    async def kho_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, KhoError)
        if not is_web_path(request.url.path) and api_kho_error is not None:
            return await _call(api_kho_error, request, exc)
        status = STATUS.get(exc.problem_type, 500)
        if status >= 500:
            log.error("%s %s: %s", request.method, request.url.path, exc.detail)
            message = gettext(request, "Hệ thống đang gặp sự cố. Vui lòng thử lại sau ít phút.")
        else:
            message = exc.detail
        return _error_page(request, status, message)

    async def validation_error(request: Request, exc: Exception) -> Response:
        if not is_web_path(request.url.path) and api_validation_error is not None:
            return await _call(api_validation_error, request, exc)
        return _error_page(
            request,
            422,
            gettext(request, "Dữ liệu gửi lên không hợp lệ. Hãy kiểm tra lại biểu mẫu."),
        )

    api_http_error = app.exception_handlers.get(StarletteHTTPException)

    async def http_error(request: Request, exc: Exception) -> Response:
        # A browser that follows a wrong link sees a page in its language; clients of the
        # API and scripts (no text/html in Accept) keep problem+json.
        assert isinstance(exc, StarletteHTTPException)
        wants_page = "text/html" in request.headers.get("accept", "")
        if (not is_web_path(request.url.path) or not wants_page) and api_http_error:
            return await _call(api_http_error, request, exc)
        if exc.status_code == 404:
            message = gettext(request, "Không có trang này. Hãy kiểm tra lại đường dẫn.")
        elif exc.status_code == 405:
            message = gettext(request, "Trang này không nhận yêu cầu kiểu này.")
        else:
            message = gettext(request, "Yêu cầu không hợp lệ.")
        return _error_page(request, exc.status_code, message)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(CsrfRefused, forbidden)
    app.add_exception_handler(WebForbidden, forbidden)
    app.add_exception_handler(KhoError, kho_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    # Outermost last: the session is read before the pages and written after them.
    app.add_middleware(_PageHeaders)
    app.add_middleware(LanguageMiddleware)
    app.add_middleware(WebSessionMiddleware, services=services)


async def _call(handler: object, request: Request, exc: Exception) -> Response:
    result = handler(request, exc)  # type: ignore[operator]
    if hasattr(result, "__await__"):
        result = await result
    assert isinstance(result, Response)
    return result
