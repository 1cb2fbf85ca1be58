"""What the officer and auditor pages share: the error page (a refusal said in words, never
a 500 with a traceback), paging links and forgiving query parameters."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse

from kho.errors import STATUS, KhoError
from kho.services.errors import RecordNotFound
from kho.web.i18n import gettext
from kho.web.render import render
from kho.web.words import N_

__all__ = [
    "check_record_id",
    "error_page",
    "int_param",
    "page_links",
    "render_page",
    "show_day",
    "show_time",
]

_RECORD_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")

# A problem type in words; the service's own detail (English) follows in small print.
_TITLES = {
    "bad-request": N_("Yêu cầu không hợp lệ"),
    "missing-purpose": N_("Cần mã hồ sơ đang xử lý"),
    "forbidden": N_("Không có quyền xem nội dung này"),
    "not-found": N_("Không tìm thấy"),
    "file-not-found": N_("Không tìm thấy tệp"),
    "invalid-query": N_("Điều kiện tìm kiếm không hợp lệ"),
    "unreadable-file": N_("Không đọc được tệp"),
    "too-large": N_("Tệp quá lớn"),
    "rate-limited": N_("Quá nhiều yêu cầu, vui lòng thử lại sau"),
    "backend-unavailable": N_("Hệ thống tạm thời không sẵn sàng, vui lòng thử lại sau"),
    "disposed": N_("Kết quả đã bị tiêu hủy"),
}
_DEFAULT_TITLE = N_("Không thực hiện được yêu cầu")


def show_day(value: object) -> str:
    """A day as dd/mm/yyyy (a date, a datetime or ISO text; anything else as it is)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            parsed: date = (
                datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
            )
        except ValueError:
            return value
        return f"{parsed:%d/%m/%Y}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def show_time(value: object) -> str:
    """A moment as HH:MM dd/mm/yyyy, in the zone it carries (the services give KHO_TIMEZONE)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        return f"{value:%H:%M:%S %d/%m/%Y}"
    return show_day(value)


def render_page(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """render() with the officer and auditor pages' own helpers."""
    given = request.query_params.get("dossier_code")

    def keep(path: str) -> str:
        """A link that keeps a dossier code given in the query (not the session's)."""
        if not given:
            return path
        return f"{path}{'&' if '?' in path else '?'}{urlencode({'dossier_code': given})}"

    return render(
        request,
        template,
        {**context, "show_day": show_day, "show_time": show_time, "keep": keep},
        status_code=status_code,
    )


def error_message(request: Request, exc: KhoError) -> dict[str, str]:
    title = _TITLES.get(exc.problem_type, _DEFAULT_TITLE)
    return {"title": gettext(request, title), "detail": exc.detail}


def error_page(
    request: Request,
    exc: KhoError,
    *,
    template: str = "problem.html",
    context: dict[str, Any] | None = None,
) -> HTMLResponse:
    """The page again (or the error page) saying what went wrong, with the problem's status."""
    status = STATUS.get(exc.problem_type, 500)
    if status >= 500 and not exc.failure:
        status = 400
    return render_page(
        request, template, {**(context or {}), "error": error_message(request, exc)}, status
    )


def int_param(value: str | None, default: int, *, low: int = 1, high: int = 100_000) -> int:
    """A page number from the query, whatever was typed (a bad one is the default)."""
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    return min(max(number, low), high)


def page_links(request: Request, total: int, page: int, size: int) -> list[dict[str, Any]]:
    """Links to the pages around this one (first, last, and two either side)."""
    last = max(1, -(-total // size))
    if last == 1:
        return []
    shown = sorted({1, last, *range(max(1, page - 2), min(last, page + 2) + 1)})
    items = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    links: list[dict[str, Any]] = []
    previous = 0
    for number in shown:
        if number - previous > 1:
            links.append({"gap": True})
        links.append(
            {
                "number": number,
                "current": number == page,
                "url": f"{request.url.path}?{urlencode([*items, ('page', str(number))])}",
            }
        )
        previous = number
    return links


def check_record_id(record_id: str) -> str:
    if not _RECORD_ID.fullmatch(record_id):
        raise RecordNotFound(f"no record {record_id[:40]!r}")
    return record_id
