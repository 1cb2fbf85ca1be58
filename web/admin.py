"""Administrators' pages: people's accounts (create, disable, reset the password) and
agencies' API keys (create with scopes and on-behalf-of agencies, list, revoke; the secret
shown once). The work is UserService's and KeyService's; this only reads the forms."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kho.services import SCOPES, Services
from kho.services.errors import Conflict, InvalidQuery, RecordNotFound
from kho.services.users import ROLES, User
from kho.web.i18n import N_, gettext
from kho.web.render import ROLE_LABELS, render
from kho.web.session import require_roles, verify_csrf, web_access

__all__ = ["router"]

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
Admin = Annotated[User, Depends(require_roles("admin"))]

SCOPE_LABELS = {
    "records:read": N_("Tra cứu và tải kết quả"),
    "records:write": N_("Nộp, thay thế, thu hồi kết quả"),
    "retention:manage": N_("Quản lý thời hạn bảo quản"),
    "audit:read": N_("Đọc nhật ký kiểm tra"),
    "subjects:access-log": N_("Đọc nhật ký truy cập của công dân"),
    "keys:manage": N_("Quản lý khóa API"),
    "settlements:write": N_("Gửi thông báo giải quyết hồ sơ"),
    "indicators:read": N_("Xem chỉ tiêu 468"),
}


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _csv(value: str) -> frozenset[str]:
    return frozenset(v.strip() for v in value.replace("\n", ",").split(",") if v.strip())


@router.get("/admin", response_class=HTMLResponse)
def admin_home(user: Admin) -> Response:
    return RedirectResponse("/admin/users", status_code=303)


# -- people --------------------------------------------------------------------------------


def _users_page(
    request: Request,
    *,
    message: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "admin/users.html",
        {
            "users": _services(request).users.list(),
            "roles": [(role, ROLE_LABELS[role]) for role in ROLES],
            "message": message,
            "error": error,
            "form": form or {},
        },
        status_code=status_code,
    )


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, user: Admin, done: str | None = None) -> Response:
    messages = {
        "created": N_("Đã tạo tài khoản."),
        "disabled": N_("Đã vô hiệu hóa tài khoản."),
        "enabled": N_("Đã mở lại tài khoản."),
        "password": N_("Đã đặt mật khẩu mới; các phiên đăng nhập cũ của tài khoản đã kết thúc."),
    }
    message = gettext(request, messages[done]) if done in messages else None
    return _users_page(request, message=message)


@router.post("/admin/users", response_class=HTMLResponse)
def create_user(
    request: Request,
    user: Admin,
    username: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=40)] = "",
    name: Annotated[str, Form(max_length=400)] = "",
    agency: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    form = {"username": username, "role": role, "name": name, "agency": agency}
    try:
        _services(request).users.create(
            username.strip().lower(),
            password,
            role,
            name=name or None,
            agency=agency or None,
            access=web_access(request, user),
        )
    except (InvalidQuery, Conflict) as exc:
        return _users_page(request, error=exc.detail, form=form, status_code=422)
    return RedirectResponse("/admin/users?done=created", status_code=303)


@router.post("/admin/users/{username}/disable")
def disable_user(request: Request, user: Admin, username: str) -> Response:
    if username == user.username:
        return _users_page(
            request,
            error=gettext(request, "Không thể tự vô hiệu hóa tài khoản của mình."),
            status_code=422,
        )
    _services(request).users.disable(username, web_access(request, user))
    return RedirectResponse("/admin/users?done=disabled", status_code=303)


@router.post("/admin/users/{username}/enable")
def enable_user(request: Request, user: Admin, username: str) -> Response:
    _services(request).users.enable(username, web_access(request, user))
    return RedirectResponse("/admin/users?done=enabled", status_code=303)


@router.post("/admin/users/{username}/password", response_class=HTMLResponse)
def reset_password(
    request: Request,
    user: Admin,
    username: str,
    password: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        _services(request).users.reset_password(username, password, web_access(request, user))
    except InvalidQuery as exc:
        return _users_page(request, error=exc.detail, status_code=422)
    return RedirectResponse("/admin/users?done=password", status_code=303)


# -- API keys ------------------------------------------------------------------------------


def _keys_page(
    request: Request,
    *,
    token: str | None = None,
    message: str | None = None,
    error: str | None = None,
    form: dict[str, object] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "admin/keys.html",
        {
            "keys": list(reversed(_services(request).keys.list())),
            "scopes": [(scope, SCOPE_LABELS.get(scope, scope)) for scope in sorted(SCOPES)],
            "token": token,
            "message": message,
            "error": error,
            "form": form or {},
        },
        status_code=status_code,
    )


@router.get("/admin/keys", response_class=HTMLResponse)
def keys_page(request: Request, user: Admin, done: str | None = None) -> Response:
    message = gettext(request, "Đã thu hồi khóa API.") if done == "revoked" else None
    return _keys_page(request, message=message)


@router.post("/admin/keys", response_class=HTMLResponse)
async def create_key(request: Request, user: Admin) -> Response:
    form = await request.form()
    agency = str(form.get("agency") or "").strip()
    label = str(form.get("label") or "").strip() or None
    scopes = frozenset(str(s) for s in form.getlist("scopes"))
    on_behalf_of = _csv(str(form.get("on_behalf_of") or ""))
    procedures = _csv(str(form.get("procedures") or "")) or None
    result_types = _csv(str(form.get("result_types") or "")) or None
    kept: dict[str, object] = {
        "agency": agency,
        "label": label or "",
        "scopes": scopes,
        "on_behalf_of": str(form.get("on_behalf_of") or ""),
        "procedures": str(form.get("procedures") or ""),
        "result_types": str(form.get("result_types") or ""),
    }
    try:
        key, token = _services(request).keys.create(
            agency=agency,
            scopes=scopes,
            access=web_access(request, user),
            label=label,
            allowed_procedure_codes=procedures,
            allowed_result_types=result_types,
            on_behalf_of=on_behalf_of,
        )
    except InvalidQuery as exc:
        return _keys_page(request, error=exc.detail, form=kept, status_code=422)
    message = gettext(
        request,
        "Đã cấp khóa API {key_id}. Hãy sao chép khóa dưới đây ngay: Kho không lưu và sẽ "
        "không hiển thị lại.",
    ).format(key_id=key.key_id)
    return _keys_page(request, token=token, message=message)


@router.post("/admin/keys/{key_id}/revoke")
def revoke_key(request: Request, user: Admin, key_id: str) -> Response:
    try:
        _services(request).keys.revoke(key_id, web_access(request, user))
    except RecordNotFound as exc:
        return _keys_page(request, error=exc.detail, status_code=404)
    return RedirectResponse("/admin/keys?done=revoked", status_code=303)
