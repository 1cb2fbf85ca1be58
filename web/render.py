"""Rendering a page: the templates of web/templates with what every page needs (the user,
the dossier being processed, the language and its gettext, the CSRF token, dates as
dd/mm/yyyy, the menu for the user's role)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from kho import __version__
from kho.services.users import ROLES
from kho.web.i18n import N_, format_date, format_datetime, lang_of, ngettext, translate
from kho.web.session import csrf_token, dossier_code

__all__ = ["NAV", "ROLE_LABELS", "TEMPLATES_DIR", "NavItem", "render", "templates"]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
)


class NavItem(NamedTuple):
    href: str
    label: str  # Vietnamese (the msgid)
    roles: frozenset[str]


_ALL = frozenset(ROLES)
NAV: tuple[NavItem, ...] = (
    NavItem("/search", N_("Tra cứu"), _ALL),
    NavItem("/verify", N_("Kiểm tra chữ ký"), _ALL),
    NavItem("/audit", N_("Nhật ký truy cập"), frozenset({"auditor", "admin"})),
    NavItem("/indicators", N_("Chỉ tiêu 468"), frozenset({"records_manager", "auditor", "admin"})),
    NavItem("/digitization", N_("Số hóa"), frozenset({"officer", "records_manager", "admin"})),
    NavItem("/retention", N_("Lưu trữ"), frozenset({"records_manager", "admin"})),
    NavItem("/admin", N_("Quản trị"), frozenset({"admin"})),
)

ROLE_LABELS = {
    "officer": N_("Cán bộ một cửa"),
    "records_manager": N_("Cán bộ lưu trữ"),
    "auditor": N_("Kiểm tra viên"),
    "admin": N_("Quản trị viên"),
}


def _lang_links(request: Request) -> dict[str, str]:
    links = {}
    for code in ("vi", "en"):
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
        query.append(("lang", code))
        links[code] = f"{request.url.path}?{urlencode(query)}"
    return links


def _here(request: Request) -> str:
    """This page, to come back to after a form: without `dossier_code=` (which would
    override the one just set) and `lang=` (the cookie keeps it)."""
    query = [
        (k, v) for k, v in request.query_params.multi_items() if k not in ("dossier_code", "lang")
    ]
    return request.url.path + (f"?{urlencode(query)}" if query else "")


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    lang = lang_of(request)
    user = getattr(request.state, "kho_user", None)

    def _(message: str) -> str:
        return translate(lang, message)

    def _n(singular: str, plural: str, n: int) -> str:
        return ngettext(request, singular, plural, n)

    path = request.url.path
    nav = [
        {
            "href": item.href,
            "label": _(item.label),
            "current": path == item.href or path.startswith(item.href + "/"),
        }
        for item in NAV
        if user is not None and user.role in item.roles
    ]
    code = dossier_code(request)
    full: dict[str, Any] = {
        "user": user,
        "role_label": _(ROLE_LABELS.get(user.role, user.role)) if user is not None else None,
        "nav": nav,
        "dossier_code": code,
        "dossier_error": getattr(request.state, "kho_dossier_error", None),
        "lang": lang,
        "lang_links": _lang_links(request),
        "csrf_token": csrf_token(request),
        "_": _,
        "gettext": _,
        "ngettext": _n,
        "format_date": format_date,
        "format_datetime": lambda value: format_datetime(
            value, request.app.state.services.settings.zone
        ),
        "version": __version__,
        "here": _here(request),
    }
    full.update(context or {})
    return templates.TemplateResponse(request, template, full, status_code=status_code)
