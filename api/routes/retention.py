"""/api/v1/retention: records managers' work (scope retention:manage): the schedule, what is
due, legal holds, and disposal batches with the two-person rule and their certificates.

No X-Dossier-Code: these accesses are retention work, audited as such."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from kho.api.deps import ServicesDep, access_for, caller
from kho.api.openapi import problems
from kho.retention.due import DueFilter
from kho.services import ApiKey

__all__ = ["router"]

router = APIRouter(tags=["retention"])
Manager = Annotated[ApiKey, Depends(caller("retention:manage"))]
_ID = r"^[0-9A-Za-z]{1,40}$"
HoldId = Annotated[str, Path(pattern=_ID, description="The hold's ULID")]
BatchId = Annotated[str, Path(pattern=_ID, description="The disposal batch's ULID")]
Reason = Annotated[str, Field(min_length=1, max_length=1000, description="Why (lý do)")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HoldIn(_In):
    reason: Reason
    record_ids: list[Annotated[str, Field(max_length=64)]] | None = Field(
        None, max_length=10_000, description="Hold these records"
    )
    subject_id: str | None = Field(
        None, max_length=20, description="Hold every result of this subject, now and later"
    )
    query: dict[str, Annotated[str, Field(max_length=200)]] | None = Field(
        None,
        description="A saved query: every result matching it, now and later (result_type, "
        "procedure_code, issuer_code, subject_id, issued_from, issued_to)",
    )
    reference: str | None = Field(None, max_length=200, description="The case or decision")


class ReasonIn(_In):
    reason: Reason


class DisposalIn(_In):
    record_ids: list[Annotated[str, Field(max_length=64)]] = Field(min_length=1, max_length=10_000)
    reason: Reason


class Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class DueList(BaseModel):
    items: list[dict[str, Any]]
    total: int
    page: int
    page_size: int


_E = problems(403, 422)


@router.get(
    "/retention/schedule",
    response_model=Out,
    summary="The retention schedule in force (bảng thời hạn bảo quản)",
    description="Its rules and version, and every version that has been in force.",
    responses=problems(403),
)
def schedule(services: ServicesDep, key: Manager) -> dict[str, Any]:
    services.retention.note_schedule(access_for(key))
    return {
        **services.retention.schedule.to_json(),
        "versions": services.retention.schedule_versions(),
    }


@router.get(
    "/retention/due",
    response_model=DueList,
    summary="What falls due (tài liệu hết thời hạn bảo quản)",
    description="Records whose `retain_until` is before `as_of` (default today); held ones "
    "are listed too, marked `held: true`.",
    responses=_E,
)
def due(
    services: ServicesDep,
    key: Manager,
    as_of: Annotated[date | None, Query(description="The day (YYYY-MM-DD)")] = None,
    result_type: Annotated[str | None, Query(max_length=200)] = None,
    issuer_code: Annotated[str | None, Query(max_length=35)] = None,
    held: bool | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    services.retention.note_schedule(access_for(key))
    scan = services.retention.due(
        as_of, DueFilter(result_type=result_type, issuer_code=issuer_code, held=held)
    )
    first = (page - 1) * page_size
    items = []
    for n, item in enumerate(scan):
        if first <= n < first + page_size:
            items.append(services.retention.due_item(item.manifest, item.held))
    services.audit.record(
        "retention-due", access_for(key), detail={"as_of": str(scan.as_of), "due": scan.due}
    )
    return {"items": items, "total": scan.due, "page": page, "page_size": page_size}


@router.get("/retention/holds", response_model=Out, summary="Legal holds", responses=problems(403))
def list_holds(services: ServicesDep, key: Manager) -> dict[str, Any]:
    holds = [h.to_json() for h in services.retention.holds.all()]
    return {"items": holds, "total": len(holds)}


@router.post(
    "/retention/holds",
    status_code=201,
    response_model=Out,
    summary="Place a legal hold (tạm giữ)",
    description="On records (`record_ids`), on a subject (`subject_id`) or on a saved query "
    "(`query`): a held record is never disposed of. Audited.",
    responses=_E,
)
def place_hold(services: ServicesDep, key: Manager, body: HoldIn) -> dict[str, Any]:
    hold = services.retention.place_hold(
        access_for(key),
        reason=body.reason,
        record_ids=body.record_ids,
        subject_id=body.subject_id,
        query=body.query,
        reference=body.reference,
    )
    return hold.to_json()


@router.get(
    "/retention/holds/{hold_id}",
    response_model=Out,
    summary="One legal hold",
    responses=problems(403, 404, 422, s404="No such hold"),
)
def get_hold(services: ServicesDep, key: Manager, hold_id: HoldId) -> dict[str, Any]:
    return services.retention.holds.get(hold_id).to_json()


@router.post(
    "/retention/holds/{hold_id}/release",
    response_model=Out,
    summary="Release a legal hold (giải tỏa)",
    description="With a reason; audited. A released hold stays in the history.",
    responses=problems(403, 404, 409, 422, s404="No such hold", s409="Released already"),
)
def release_hold(
    services: ServicesDep, key: Manager, hold_id: HoldId, body: ReasonIn
) -> dict[str, Any]:
    return services.retention.release_hold(hold_id, body.reason, access_for(key)).to_json()


@router.get(
    "/retention/disposals", response_model=Out, summary="Disposal batches", responses=problems(403)
)
def list_disposals(services: ServicesDep, key: Manager) -> dict[str, Any]:
    batches = [b.to_json() for b in services.retention.list_batches()]
    return {"items": batches, "total": len(batches)}


@router.post(
    "/retention/disposals",
    status_code=201,
    response_model=Out,
    summary="Propose a disposal (đề xuất hủy)",
    description="A batch of due, unheld records; one that is not due or is held → 422 "
    "naming it. Another principal approves it.",
    responses=_E,
)
def propose(services: ServicesDep, key: Manager, body: DisposalIn) -> dict[str, Any]:
    return services.retention.propose(body.record_ids, body.reason, access_for(key)).to_json()


@router.get(
    "/retention/disposals/{batch_id}",
    response_model=Out,
    summary="One disposal batch",
    responses=problems(403, 404, 422, s404="No such batch"),
)
def get_disposal(services: ServicesDep, key: Manager, batch_id: BatchId) -> dict[str, Any]:
    return services.retention.batch(batch_id).to_json()


@router.post(
    "/retention/disposals/{batch_id}/approve",
    response_model=Out,
    summary="Approve and execute a disposal (phê duyệt hủy)",
    description="By another principal than the proposer (else 403 `/problems/same-approver`); "
    "answers `executed` once the originals are gone. Again on an interrupted execution: "
    "finishes it.",
    responses=problems(
        403, 404, 409, 422, s403="The proposer cannot approve", s409="Rejected, or not approvable"
    ),
)
def approve(services: ServicesDep, key: Manager, batch_id: BatchId) -> dict[str, Any]:
    return services.retention.approve(batch_id, access_for(key)).to_json()


@router.post(
    "/retention/disposals/{batch_id}/reject",
    response_model=Out,
    summary="Reject a disposal (từ chối)",
    description="With a reason; a rejected batch can never be approved.",
    responses=problems(403, 404, 409, 422, s409="Decided already"),
)
def reject(
    services: ServicesDep, key: Manager, batch_id: BatchId, body: ReasonIn
) -> dict[str, Any]:
    return services.retention.reject(batch_id, body.reason, access_for(key)).to_json()


@router.get(
    "/retention/disposals/{batch_id}/certificate",
    response_model=Out,
    summary="The disposal certificate (biên bản hủy)",
    description="JSON: record ids, result codes, sha256s, proposer, approver, times. With "
    "`Accept: text/html`: the printable minutes, Vietnamese first.",
    responses={
        200: {"content": {"text/html": {"schema": {"type": "string"}}}},
        **problems(403, 404, 409, 422, s409="Not executed yet"),
    },
)
def certificate(
    services: ServicesDep,
    key: Manager,
    batch_id: BatchId,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    access = access_for(key)
    if accept and "text/html" in accept:
        return HTMLResponse(services.retention.certificate_html(batch_id, access))
    return JSONResponse(services.retention.certificate(batch_id, access))
