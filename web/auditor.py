"""The auditor's pages: check any PDF's signatures, read the audit trail with its chain's
status, and a subject's access log as the citizen would read it.

Thin: VerifyService judges the upload, AuditService answers the queries, verifies the chain
and audits every reading; web/reports.py says a verdict in words.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from kho.archive.identifiers import subject_kind_of
from kho.errors import KhoError
from kho.services import Services
from kho.services.errors import InvalidQuery
from kho.services.queries import AuditQuery
from kho.web.i18n import gettext
from kho.web.pages import error_message, error_page, int_param, page_links, render_page
from kho.web.reports import report_context
from kho.web.session import (
    WebUser,
    current_user,
    dossier_code,
    require_roles,
    verify_csrf,
    web_access,
)
from kho.web.words import N_, action_text

__all__ = ["AUDITOR_ROLES", "router"]

router = APIRouter(include_in_schema=False)

AUDITOR_ROLES = ("auditor", "admin")
Auditor = Annotated[WebUser, Depends(require_roles(*AUDITOR_ROLES))]
# Anyone signed in may check a PDF's signatures (the menu offers it to every role).
Anyone = Annotated[WebUser, Depends(current_user)]
# A citizen's access log is also read out at the counter, by the officer serving them.
AccessLogReader = Annotated[WebUser, Depends(require_roles("officer", *AUDITOR_ROLES))]

AUDIT_PAGE_SIZE = 50
ACCESS_LOG_PAGE_SIZE = 50
# The audit page's filters: query parameter → AuditQuery field.
AUDIT_FILTERS = {
    "subject_id": "subject_id",
    "user": "user",
    "agency": "agency",
    "dossier": "purpose",  # not `dossier_code`: that names the dossier this reading serves
    "record_id": "record_id",
    "action": "action",
}


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


# -- verify any PDF ------------------------------------------------------------------------


@router.get("/verify", response_class=HTMLResponse)
def verify_form(request: Request, user: Anyone) -> Response:
    return render_page(request, "auditor/verify.html", {"report": None})


@router.post("/verify", response_class=HTMLResponse, dependencies=[Depends(verify_csrf)])
async def verify_upload(request: Request, user: Anyone) -> Response:
    services = _services(request)
    limit = services.settings.max_upload_bytes
    try:
        form = await request.form(max_part_size=limit + 1)
    except Exception:  # a body that is not a form Starlette can parse: say so, no 500
        return _verify_refused(request, N_("Không đọc được tệp tải lên. Hãy chọn một tệp PDF."))
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _verify_refused(request, N_("Hãy chọn một tệp PDF để kiểm tra."))
    data = await upload.read(limit + 1)
    if len(data) > limit:
        return _verify_refused(
            request, N_("Tệp quá lớn."), status_code=413, detail=f"> {limit} bytes"
        )
    if not data:
        return _verify_refused(request, N_("Tệp rỗng. Hãy chọn một tệp PDF."))
    try:
        report = services.verify.verify_upload(data, web_access(request, user))
    except KhoError as exc:
        return error_page(request, exc, template="auditor/verify.html", context={"report": None})
    context = report_context(
        services.verify.document(report, data), zone=services.settings.zone, source=upload.filename
    )
    return render_page(
        request, "auditor/verify.html", {"report": context, "filename": upload.filename}
    )


def _verify_refused(
    request: Request, message: str, *, status_code: int = 422, detail: str = ""
) -> Response:
    error = {"title": gettext(request, message), "detail": detail}
    return render_page(
        request, "auditor/verify.html", {"report": None, "error": error}, status_code=status_code
    )


# -- the audit trail -------------------------------------------------------------------------


def _day(value: str | None, zone: ZoneInfo, *, end: bool, name: str) -> datetime | None:
    """A day typed as dd/mm/yyyy or given by a date field (yyyy-mm-dd): its start, or for
    `to` the start of the next day (so `to` includes its day), in KHO_TIMEZONE."""
    if not value or not value.strip():
        return None
    text = value.strip()
    day: date | None = None
    for form in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            day = datetime.strptime(text, form).date()
            break
        except ValueError:
            continue
    if day is None:
        raise InvalidQuery(f"`{name}` must be a day written dd/mm/yyyy", field=name)
    if end:
        if day == date.max:
            return None
        day += timedelta(days=1)
    return datetime.combine(day, time.min, tzinfo=zone)


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, user: Auditor) -> Response:
    services = _services(request)
    params = request.query_params
    filters = {name: (params.get(name) or "").strip() for name in (*AUDIT_FILTERS, "from", "to")}
    context: dict[str, Any] = {"filters": filters, "events": [], "total": 0, "pages": []}
    try:
        chain = services.audit.verify()
        context["chain"] = {
            "ok": chain.ok,
            "events": chain.events,
            "first_bad_seq": chain.first_bad_seq,
            "reason": chain.reason,
        }
    except KhoError as exc:
        context["chain"] = {"ok": None, "error": error_message(request, exc)}
    page = int_param(params.get("page"), 1, high=100_000 // AUDIT_PAGE_SIZE)
    zone = services.settings.zone
    try:
        query = AuditQuery(
            **{field: filters[name] or None for name, field in AUDIT_FILTERS.items()},
            since=_day(filters["from"], zone, end=False, name="from"),
            until=_day(filters["to"], zone, end=True, name="to"),
            page=page,
            page_size=AUDIT_PAGE_SIZE,
        )
        found = services.audit.query(query, web_access(request, user))
    except KhoError as exc:
        return error_page(request, exc, template="auditor/audit.html", context=context)

    def _(message: str) -> str:
        return gettext(request, message)

    context.update(
        events=[_event(item, zone, _) for item in found.items],
        total=found.total,
        pages=page_links(request, found.total, page, AUDIT_PAGE_SIZE),
    )
    return render_page(request, "auditor/audit.html", context)


def _local(at: object, zone: ZoneInfo) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(at))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone)


def _event(item: dict[str, Any], zone: ZoneInfo, _: Any) -> dict[str, Any]:
    actor = item.get("actor") or {}
    return {
        "seq": item.get("seq"),
        "at": _local(item.get("at"), zone),
        "action": item.get("action"),
        "action_text": action_text(str(item.get("action")), _),
        "user": actor.get("user"),
        "agency": actor.get("agency"),
        "key_id": actor.get("key_id"),
        "dossier_code": item.get("purpose"),
        "subject_ids": list(item.get("subject_ids") or []),
        "record_ids": list(item.get("record_ids") or []),
        "outcome": item.get("outcome"),
    }


# -- a subject's access log --------------------------------------------------------------------


@router.get("/subjects/{subject_id}/access-log", response_class=HTMLResponse)
def access_log(request: Request, user: AccessLogReader, subject_id: str) -> Response:
    services = _services(request)
    context: dict[str, Any] = {
        "subject_id": subject_id,
        "entries": None,
        "total": 0,
        "pages": [],
        "needs_dossier": False,
    }
    if subject_kind_of(subject_id) is None:
        return error_page(
            request,
            InvalidQuery(
                "a subject id is a 12-digit personal ID number or a 10/13-digit enterprise code"
            ),
        )
    if dossier_code(request) is None:
        context["needs_dossier"] = True
        return render_page(request, "auditor/access_log.html", context)
    page = int_param(request.query_params.get("page"), 1, high=100_000 // ACCESS_LOG_PAGE_SIZE)
    try:
        found = services.audit.access_log(
            subject_id, web_access(request, user), page=page, page_size=ACCESS_LOG_PAGE_SIZE
        )
    except KhoError as exc:
        return error_page(request, exc, template="auditor/access_log.html", context=context)
    registry = services.indicators.registry

    def _(message: str) -> str:
        return gettext(request, message)

    entries = []
    for item in found.items:
        agency = item.get("agency")
        entries.append(
            {
                "at": _local(item.get("at"), services.settings.zone),
                "action_text": action_text(str(item.get("action")), _),
                "agency": agency,
                "agency_name": registry.name(agency) if registry and agency else None,
                "dossier_code": item.get("dossier_code"),
                "record_ids": item.get("record_ids") or [],
            }
        )
    context.update(
        entries=entries,
        total=found.total,
        pages=page_links(request, found.total, page, ACCESS_LOG_PAGE_SIZE),
    )
    return render_page(request, "auditor/access_log.html", context)
