"""Signing in and out, and setting the dossier being processed (CONTRACT.md "Web UI")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kho.services import Services
from kho.services.errors import MissingPurpose
from kho.services.purpose import check_dossier_code
from kho.services.users import AccountDisabled, AccountLocked, User, WrongPassword
from kho.web.i18n import format_datetime, gettext
from kho.web.render import render
from kho.web.session import (
    client_address,
    current_user,
    end_session,
    safe_next,
    start_session,
    verify_csrf,
)

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _login_page(
    request: Request, next_url: str, *, message: str | None = None, username: str = ""
) -> HTMLResponse:
    return render(
        request,
        "login.html",
        {"next": next_url, "message": message, "username": username},
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None, expired: str | None = None) -> Response:
    target = safe_next(next)
    if isinstance(request.session.get("user"), str):
        try:
            current_user(request)
            return RedirectResponse(target, status_code=303)
        except Exception:  # an expired session: show the form
            request.state.kho_user = None
    message = (
        gettext(request, "Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại.") if expired else None
    )
    return _login_page(request, target, message=message)


@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(verify_csrf)])
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=2000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    services = _services(request)
    target = safe_next(next)
    try:
        user = services.users.authenticate(username, password, client=client_address(request))
    except AccountLocked as exc:
        until = format_datetime(exc.until, services.settings.zone)
        message = gettext(
            request, "Tài khoản tạm khóa do nhập sai mật khẩu nhiều lần. Thử lại sau {until}."
        ).format(until=until)
        return _login_page(request, target, message=message, username=username)
    except AccountDisabled:
        message = gettext(request, "Tài khoản đã bị vô hiệu hóa. Hãy liên hệ quản trị viên.")
        return _login_page(request, target, message=message, username=username)
    except WrongPassword:
        message = gettext(request, "Tên đăng nhập hoặc mật khẩu không đúng.")
        return _login_page(request, target, message=message, username=username)
    start_session(request, user)
    return RedirectResponse(target, status_code=303)


@router.post("/logout", dependencies=[Depends(verify_csrf)])
def logout(request: Request) -> Response:
    user: User | None
    try:
        user = current_user(request)
    except Exception:  # already signed out or expired
        user = None
    if user is not None:
        _services(request).users.logout(user, client=client_address(request))
    end_session(request)
    return RedirectResponse("/login", status_code=303)


@router.post(
    "/dossier",
    response_class=HTMLResponse,
    dependencies=[Depends(current_user), Depends(verify_csrf)],
)
def set_dossier(
    request: Request,
    dossier_code: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Set (or, with an empty code, clear) the dossier being processed for this session."""
    target = safe_next(next)
    code = dossier_code.strip()
    if not code:
        request.session.pop("dossier", None)
        return RedirectResponse(target, status_code=303)
    try:
        code = check_dossier_code(code, _services(request).settings, name="dossier_code")
    except MissingPurpose:
        return render(
            request,
            "dossier.html",
            {
                "next": target,
                "given": code,
                "message": gettext(
                    request,
                    "Mã hồ sơ không hợp lệ. Mã hồ sơ có dạng "
                    "V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX, ví dụ 000.00.15.H62-261123-0001.",
                ),
            },
            status_code=400,
        )
    request.session["dossier"] = code
    return RedirectResponse(target, status_code=303)
