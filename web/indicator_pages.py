"""The Decision 468 indicators behind the sign-in (any role; "Chỉ tiêu 468" in the nav).

`GET /indicators` — the period (a preset month, quarter or year, or from/to typed as
dd/mm/yyyy) and the grouping; the panel of web/indicators.py with every number a link to
the list behind it:
- `GET /indicators/settlements?from&to&state&issuer_code|level|procedure_code` — the
  settlement notices counted (all, digitized by the period's end, waiting);
- `GET /indicators/events?kind=lookups|lookups_found|downloads_by_other_agencies&from&to`
  — the audit events counted (when, which agency, which dossier, which records; no subject
  ids, no people's names);
- `GET /indicators/backlog` — what one's agency still has to digitize.
All paginated. The figures come from `IndicatorService`, which counts the web's subject
views and downloads the same as the API's: both go through the same audited services.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from kho.errors import STATUS, KhoError
from kho.indexer.indicators import NoticeQuery
from kho.services import Services
from kho.services.errors import InvalidQuery
from kho.services.indicator_report import GROUP_BYS
from kho.services.periods import Period
from kho.web.i18n import gettext
from kho.web.indicators import backlog_panel, group_title, indicators_panel, period_label
from kho.web.page_links import format_day, format_instant, pager, parse_day
from kho.web.render import render
from kho.web.session import WebUser, current_user, web_access

__all__ = ["router", "ui_link"]

router = APIRouter(include_in_schema=False)
SignedIn = Annotated[WebUser, Depends(current_user)]
Text = Annotated[str | None, Query(max_length=40)]
PageNo = Annotated[int, Query(ge=1, le=5000)]
KINDS = ("lookups", "lookups_found", "downloads_by_other_agencies")
STATES = ("all", "digitized", "waiting")
PAGE_SIZE = 20


def ui_link(href: str) -> str:
    """A report link (`…/api/v1/settlements?…`, `…/api/v1/audit/events?action=lookup…`,
    `…/api/v1/indicators/events?figure=…`) as the UI page that lists the same."""
    parts = urlsplit(href)
    params = dict(parse_qsl(parts.query))
    if parts.path.endswith("/api/v1/settlements"):
        return f"/indicators/settlements?{urlencode(params)}"
    if parts.path.endswith("/api/v1/audit/events") and params.get("action") == "lookup":
        params.pop("action")
        return f"/indicators/events?{urlencode({'kind': 'lookups', **params})}"
    if parts.path.endswith("/api/v1/indicators/events"):
        kind = params.pop("figure", "")
        return f"/indicators/events?{urlencode({'kind': kind, **params})}"
    return href


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _presets(request: Request, today: date, chosen: str | None) -> list[tuple[str, str]]:
    """The periods offered: this month, the last eight quarters, this year and the last
    (and the one asked for, if it is none of these)."""

    def label(preset: str) -> str:
        period = Period.preset(preset)
        return period_label(period.start, period.end, lambda m: gettext(request, m))

    values = [f"{today.year}-{today.month:02d}"]
    year, quarter = today.year, (today.month - 1) // 3 + 1
    for _i in range(8):
        values.append(f"{year}-Q{quarter}")
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    values += [str(today.year), str(today.year - 1)]
    if chosen and chosen not in values:
        try:
            label(chosen)
            values.insert(0, chosen)
        except InvalidQuery:
            pass
    return [(value, label(value)) for value in values]


class _Bad(Exception):
    """A choice on the page that cannot be used; the message is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _period(request: Request, preset: str | None, since: str | None, until: str | None) -> Period:
    def _(message: str) -> str:
        return gettext(request, message)

    try:
        start, end = parse_day(since), parse_day(until)
    except ValueError:
        raise _Bad(
            _("Ngày không hợp lệ: hãy nhập theo dạng ngày/tháng/năm, ví dụ 01/07/2026.")
        ) from None
    preset = (preset or "").strip() or None
    try:
        if preset is None and start is None and end is None:
            return Period.preset(_quarter(_services(request).backends.today()))
        if preset is not None and (start is not None or end is not None):
            raise _Bad(_("Chọn một kỳ báo cáo hoặc nhập khoảng ngày, không chọn cả hai."))
        if preset is None and (start is None or end is None):
            raise _Bad(_("Nhập cả “Từ ngày” và “Đến ngày”."))
        return Period.parse(start, end, preset)
    except InvalidQuery as exc:
        messages = {
            "period": _(
                "Kỳ báo cáo không hợp lệ: một năm (2026), một quý (2026-Q3) "
                "hoặc một tháng (2026-07)."
            ),
            "from": _("“Từ ngày” phải trước hoặc bằng “Đến ngày”."),
            "to": _("Một kỳ báo cáo dài nhiều nhất mười năm."),
        }
        raise _Bad(messages.get(str(exc.extra.get("field")), exc.detail)) from None


def _error_message(request: Request, exc: KhoError) -> str:
    if exc.failure:
        return gettext(
            request,
            "Không lấy được số liệu lúc này (một dịch vụ của kho đang gián đoạn). Hãy thử lại sau.",
        )
    return gettext(request, "Yêu cầu không hợp lệ: {detail}").format(detail=exc.detail)


@router.get("/indicators", response_class=HTMLResponse)
async def indicators_page(
    request: Request,
    user: SignedIn,
    period: Text = None,
    since: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    until: Annotated[str | None, Query(alias="to", max_length=20)] = None,
    group_by: Text = None,
) -> HTMLResponse:
    services = _services(request)
    today = services.backends.today()
    chosen_group = group_by or None
    context: dict[str, Any] = {
        "presets": _presets(request, today, period),
        "groups": [(g, group_title(g, lambda m: gettext(request, m))) for g in GROUP_BYS],
        "chosen": {
            "period": period or ("" if since or until else _quarter(today)),
            "from": _as_typed(since),
            "to": _as_typed(until),
            "group_by": chosen_group or "",
        },
        "panel": None,
        "error": None,
        "user_agency": user.agency,
    }
    try:
        if chosen_group is not None and chosen_group not in GROUP_BYS:
            raise _Bad(gettext(request, "Cách nhóm không hợp lệ."))
        chosen = _period(request, period, since, until)
    except _Bad as exc:
        context["error"] = exc.message
        return render(request, "indicator_report.html", context, status_code=400)
    try:
        report = await run_in_threadpool(
            services.indicators.report, chosen, chosen_group, web_access(request, user)
        )
    except KhoError as exc:
        context["error"] = _error_message(request, exc)
        return render(request, "indicator_report.html", context, status_code=_status(exc))
    context["panel"] = indicators_panel(report, link=ui_link, gettext=lambda m: gettext(request, m))
    context["period_label"] = period_label(chosen.start, chosen.end, lambda m: gettext(request, m))
    return render(request, "indicator_report.html", context)


@router.get("/indicators/settlements", response_class=HTMLResponse)
async def settlements_page(
    request: Request,
    user: SignedIn,
    since: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    until: Annotated[str | None, Query(alias="to", max_length=20)] = None,
    period: Text = None,
    state: Text = "all",
    issuer_code: Annotated[str | None, Query(max_length=35)] = None,
    level: Text = None,
    procedure_code: Annotated[str | None, Query(max_length=100)] = None,
    page: PageNo = 1,
) -> HTMLResponse:
    services = _services(request)
    params = {
        "from": since,
        "to": until,
        "period": period,
        "state": state,
        "issuer_code": issuer_code,
        "level": level,
        "procedure_code": procedure_code,
    }
    context: dict[str, Any] = {"params": params, "error": None, "result": None}
    try:
        if state not in STATES:
            raise _Bad(gettext(request, "Trạng thái không hợp lệ."))
        chosen = _period(request, period, since, until)
    except _Bad as exc:
        context["error"] = exc.message
        return render(request, "indicator_settlements.html", context, status_code=400)
    query = NoticeQuery(
        start=chosen.start,
        end=chosen.end,
        state="digitized" if state == "digitized" else "waiting" if state == "waiting" else "all",
        issuer_code=issuer_code or None,
        level=level or None,
        procedure_code=procedure_code or None,
        page=page,
        page_size=PAGE_SIZE,
    )
    try:
        result = await run_in_threadpool(
            services.indicators.notices, query, web_access(request, user)
        )
    except KhoError as exc:
        context["error"] = _error_message(request, exc)
        return render(request, "indicator_settlements.html", context, status_code=_status(exc))
    context.update(
        result=result,
        period_label=period_label(chosen.start, chosen.end, lambda m: gettext(request, m)),
        pager=pager(request.url.path, params, page, PAGE_SIZE, result.total),
        day=format_day,
        report_link=_report_link(chosen, request.query_params.get("group_by")),
    )
    return render(request, "indicator_settlements.html", context)


@router.get("/indicators/events", response_class=HTMLResponse)
async def events_page(
    request: Request,
    user: SignedIn,
    kind: Text = "lookups",
    since: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    until: Annotated[str | None, Query(alias="to", max_length=20)] = None,
    period: Text = None,
    page: PageNo = 1,
) -> HTMLResponse:
    services = _services(request)
    params = {"kind": kind, "from": since, "to": until, "period": period}
    context: dict[str, Any] = {"params": params, "error": None, "result": None, "kind": kind}
    try:
        if kind not in KINDS:
            raise _Bad(gettext(request, "Loại số liệu không hợp lệ."))
        chosen = _period(request, period, since, until)
    except _Bad as exc:
        context["error"] = exc.message
        return render(request, "indicator_events.html", context, status_code=400)
    try:
        result = await run_in_threadpool(
            lambda: services.indicators.reuse_events(
                str(kind),
                chosen,
                web_access(request, user),
                page=page,
                page_size=PAGE_SIZE,
            )
        )
    except KhoError as exc:
        context["error"] = _error_message(request, exc)
        return render(request, "indicator_events.html", context, status_code=_status(exc))
    zone = services.settings.zone
    context.update(
        result=result,
        period_label=period_label(chosen.start, chosen.end, lambda m: gettext(request, m)),
        pager=pager(request.url.path, params, page, PAGE_SIZE, result.total),
        when=lambda value: format_instant(value, zone),
        report_link=_report_link(chosen, None),
    )
    return render(request, "indicator_events.html", context)


@router.get("/indicators/backlog", response_class=HTMLResponse)
async def backlog_page(
    request: Request,
    user: SignedIn,
    issuer_code: Annotated[str | None, Query(max_length=35)] = None,
    page: PageNo = 1,
) -> HTMLResponse:
    services = _services(request)
    issuer = issuer_code or user.agency
    context: dict[str, Any] = {"error": None, "panel": None, "issuer": issuer}
    try:
        result = await run_in_threadpool(
            lambda: services.indicators.backlog(
                issuer, web_access(request, user), page=page, page_size=PAGE_SIZE
            )
        )
    except KhoError as exc:
        context["error"] = _error_message(request, exc)
        return render(request, "indicator_backlog.html", context, status_code=_status(exc))
    registry = services.indicators.registry
    name = registry.name(issuer) if issuer and registry is not None else None
    context.update(
        panel=backlog_panel(
            {"items": result.items, "total": result.total},
            issuer=name or issuer,
            gettext=lambda m: gettext(request, m),
        ),
        pager=pager(request.url.path, {"issuer_code": issuer_code}, page, PAGE_SIZE, result.total),
    )
    return render(request, "indicator_backlog.html", context)


def _as_typed(text: str | None) -> str:
    """A date as the form shows it (dd/mm/yyyy), or the text as typed if it is none."""
    try:
        return format_day(parse_day(text)) or (text or "")
    except ValueError:
        return text or ""


def _report_link(period: Period, group_by: str | None) -> str:
    params = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    if group_by:
        params["group_by"] = group_by
    return f"/indicators?{urlencode(params)}"


def _status(exc: KhoError) -> int:
    return STATUS.get(exc.problem_type, 500 if exc.failure else 400)
