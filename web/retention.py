"""Records managers' pages (/retention): the schedule, the due list with filters, legal
holds, disposal proposals and approvals (the two-person rule), and certificates. The work
is RetentionService's; the signed-in user is the principal; every POST carries CSRF."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kho.errors import KhoError
from kho.retention.due import DueFilter
from kho.services import Services
from kho.services.users import User
from kho.web.i18n import N_
from kho.web.render import render
from kho.web.session import require_roles, verify_csrf, web_access

__all__ = ["router"]

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
Manager = Annotated[User, Depends(require_roles("records_manager", "admin"))]
_SHOWN = 200  # due records listed on the page (the total is counted in full)


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _page(
    request: Request,
    *,
    error: str | None = None,
    message: str | None = None,
    status_code: int = 200,
    as_of: date | None = None,
    result_type: str | None = None,
    held: str | None = None,
) -> HTMLResponse:
    services = _services(request)
    retention = services.retention
    where = DueFilter(
        result_type=result_type or None,
        held={"yes": True, "no": False}.get(held or ""),
    )
    scan = retention.due(as_of, where)
    due: list[dict[str, Any]] = []
    for item in scan:
        if len(due) < _SHOWN:
            due.append(
                {
                    "record_id": item.record_id,
                    "result_code": item.manifest.result_code,
                    "result_type": item.manifest.result_type,
                    "issuer_code": item.manifest.issuer_code,
                    "retain_until": item.retain_until,
                    "rule": item.manifest.retention.rule,
                    "action": item.action,
                    "held": item.held,
                }
            )
    return render(
        request,
        "retention.html",
        {
            "schedule": retention.schedule.to_json(),
            "due": due,
            "due_total": scan.due,
            "checked": scan.checked,
            "as_of": scan.as_of,
            "filters": {"result_type": result_type or "", "held": held or ""},
            "holds": [h.to_json() for h in retention.holds.all()],
            "batches": [b.to_json() for b in retention.list_batches()],
            "error": error,
            "message": message,
        },
        status_code=status_code,
    )


@router.get("/retention", response_class=HTMLResponse)
def retention_home(
    request: Request,
    user: Manager,
    as_of: Annotated[date | None, Query()] = None,
    result_type: Annotated[str | None, Query(max_length=200)] = None,
    held: Annotated[str | None, Query(max_length=3)] = None,
    done: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    message = {
        "hold": N_("Đã đặt lệnh tạm giữ."),
        "released": N_("Đã giải tỏa lệnh tạm giữ."),
        "proposed": N_("Đã lập đề xuất hủy; cần một người khác phê duyệt."),
        "approved": N_("Đã phê duyệt và thực hiện hủy."),
        "rejected": N_("Đã từ chối đề xuất hủy."),
    }.get(done or "")
    return _page(
        request, as_of=as_of, result_type=result_type, held=held, message=message
    )


def _refused(request: Request, exc: KhoError) -> HTMLResponse:
    status = exc.problem()["status"]
    return _page(request, error=exc.detail, status_code=status if 400 <= status < 500 else 422)


@router.post("/retention/holds")
def place_hold(
    request: Request,
    user: Manager,
    reason: Annotated[str, Form(max_length=1000)] = "",
    record_ids: Annotated[str, Form(max_length=100_000)] = "",
    subject_id: Annotated[str, Form(max_length=20)] = "",
    procedure_code: Annotated[str, Form(max_length=200)] = "",
    result_type: Annotated[str, Form(max_length=200)] = "",
    reference: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    ids = [r for r in record_ids.replace(",", " ").split() if r]
    query = {
        k: v.strip()
        for k, v in (("procedure_code", procedure_code), ("result_type", result_type))
        if v.strip()
    }
    try:
        _services(request).retention.place_hold(
            web_access(request, user),
            reason=reason,
            record_ids=ids or None,
            subject_id=subject_id.strip() or None,
            query=query or None,
            reference=reference.strip() or None,
        )
    except KhoError as exc:
        return _refused(request, exc)
    return RedirectResponse("/retention?done=hold", status_code=303)


@router.post("/retention/holds/{hold_id}/release")
def release_hold(
    request: Request,
    user: Manager,
    hold_id: str,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        _services(request).retention.release_hold(hold_id, reason, web_access(request, user))
    except KhoError as exc:
        return _refused(request, exc)
    return RedirectResponse("/retention?done=released", status_code=303)


@router.post("/retention/disposals")
def propose(
    request: Request,
    user: Manager,
    reason: Annotated[str, Form(max_length=1000)] = "",
    record_ids: Annotated[list[str] | None, Form()] = None,
) -> Response:
    try:
        _services(request).retention.propose(
            list(record_ids or []), reason, web_access(request, user)
        )
    except KhoError as exc:
        return _refused(request, exc)
    return RedirectResponse("/retention?done=proposed", status_code=303)


@router.post("/retention/disposals/{batch_id}/approve")
def approve(request: Request, user: Manager, batch_id: str) -> Response:
    try:
        _services(request).retention.approve(batch_id, web_access(request, user))
    except KhoError as exc:
        return _refused(request, exc)
    return RedirectResponse("/retention?done=approved", status_code=303)


@router.post("/retention/disposals/{batch_id}/reject")
def reject(
    request: Request,
    user: Manager,
    batch_id: str,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        _services(request).retention.reject(batch_id, reason, web_access(request, user))
    except KhoError as exc:
        return _refused(request, exc)
    return RedirectResponse("/retention?done=rejected", status_code=303)


@router.get("/retention/disposals/{batch_id}/certificate", response_class=HTMLResponse)
def certificate(request: Request, user: Manager, batch_id: str) -> Response:
    try:
        html = _services(request).retention.certificate_html(
            batch_id, web_access(request, user)
        )
    except KhoError as exc:
        return _refused(request, exc)
    return HTMLResponse(html)
