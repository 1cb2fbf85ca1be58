"""/api/v1/settlements and /api/v1/indicators: settlement notices from the one-door system,
the backlog they leave, and Decision 468's indicators with what is behind each figure."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from kho.api.deps import ServicesDep, access_for, caller
from kho.api.indicator_schemas import (
    IndicatorsOut,
    ReuseEventList,
    SettlementIn,
    SettlementList,
    SettlementOut,
)
from kho.api.openapi import problems
from kho.indexer.indicators import NoticeQuery
from kho.services import ApiKey
from kho.services.errors import PayloadTooLarge
from kho.services.periods import Period

__all__ = ["router"]

router = APIRouter(tags=["indicators"])
Notifier = Annotated[ApiKey, Depends(caller("settlements:write"))]
Reader = Annotated[ApiKey, Depends(caller("indicators:read"))]

PageNo = Annotated[int, Query(ge=1, le=100_000, description="From 1")]
PageSize = Annotated[int, Query(ge=1, le=100, description="At most 100")]
From = Annotated[date | None, Query(alias="from", description="First day (inclusive)")]
To = Annotated[date | None, Query(alias="to", description="Last day (inclusive)")]
Preset = Annotated[
    str | None,
    Query(
        max_length=10,
        description="Instead of from/to: a year `2026`, a quarter `2026-Q3` or a month `2026-07`",
        examples=["2026-Q3"],
    ),
]
Agency = Annotated[str | None, Query(max_length=35, examples=["000.00.15.H62"])]
MAX_BODY = 64 * 1024


@router.post(
    "/settlements",
    status_code=201,
    summary="A settlement notice (thông báo kết quả giải quyết TTHC)",
    description="The one-door system tells Kho that a procedure was settled: which result, "
    "of which agency, level and procedure, on which day, electronic or on paper. Kept in the "
    "object store; the same `(issuer_code, result_code)` again gives 200 with the notice "
    "held, another notice of that result 409. A key notifies for its own agency and those "
    "it was made `--on-behalf-of`. Needs `settlements:write`.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": SettlementIn.model_json_schema()}},
        }
    },
    responses={
        201: {"model": SettlementOut, "description": "Kept"},
        200: {"model": SettlementOut, "description": "The same notice was kept already"},
        **problems(400, 409, 413, 422),
    },
)
async def notify(request: Request, services: ServicesDep, key: Notifier) -> JSONResponse:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise PayloadTooLarge(f"a settlement notice is at most {MAX_BODY} bytes")
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(400, "the body is not JSON (a settlement notice object)") from None
    outcome = await run_in_threadpool(services.settlements.notify, payload, access_for(key))
    status = 201 if outcome.outcome == "created" else 200
    return JSONResponse(outcome.notice, status_code=status)


@router.get(
    "/settlements",
    response_model=SettlementList,
    summary="Settlement notices and their records (drill-down)",
    description="The notices behind the indicators: settled in the period (`from`/`to` or "
    "`period`; both open if absent), filtered by agency, level and procedure; "
    "`state=digitized` those Kho held by the period's last day (each with its record), "
    "`state=waiting` the others. Needs `indicators:read`.",
    responses=problems(422),
)
def list_settlements(
    services: ServicesDep,
    key: Reader,
    since: From = None,
    until: To = None,
    period: Preset = None,
    state: Literal["all", "digitized", "waiting"] = "all",
    issuer_code: Agency = None,
    level: Annotated[str | None, Query(max_length=20)] = None,
    procedure_code: Annotated[str | None, Query(max_length=100)] = None,
    page: PageNo = 1,
    page_size: PageSize = 20,
) -> dict[str, Any]:
    start, end = since, until
    if period is not None or (since is not None and until is not None):
        chosen = Period.parse(since, until, period)
        start, end = chosen.start, chosen.end
    query = NoticeQuery(
        start=start,
        end=end,
        state=state,
        issuer_code=issuer_code,
        level=level,
        procedure_code=procedure_code,
        page=page,
        page_size=page_size,
    )
    return _page(services.indicators.notices(query, access_for(key)))


@router.get(
    "/settlements/backlog",
    response_model=SettlementList,
    summary="What is still waiting to be digitized (tồn đọng số hóa)",
    description="An agency's settled results Kho does not hold today, oldest first (all "
    "agencies without `issuer_code`). Needs `indicators:read`.",
    responses=problems(422),
)
def backlog(
    services: ServicesDep,
    key: Reader,
    issuer_code: Agency = None,
    page: PageNo = 1,
    page_size: PageSize = 20,
) -> dict[str, Any]:
    return _page(
        services.indicators.backlog(issuer_code, access_for(key), page=page, page_size=page_size)
    )


@router.get(
    "/indicators",
    response_model=IndicatorsOut,
    summary="Decision 468 indicators (chỉ tiêu Quyết định 468/QĐ-TTg)",
    description="For a period (`from`/`to`, or `period`): settled results, those digitized "
    "by the period's end and their rate, signed, waiting, days to digitize; audited lookups, "
    "those that found a reusable result, content reads by other agencies, subjects and "
    "dossiers served. `group_by` splits the settlement figures by level, issuer or "
    "procedure (reuse figures are totals); targets per level stand beside the rates; "
    "`links` lead to the notices, records and audit events behind each figure. Needs "
    "`indicators:read`.",
    responses=problems(422),
)
def indicators(
    services: ServicesDep,
    key: Reader,
    since: From = None,
    until: To = None,
    period: Preset = None,
    group_by: Literal["level", "issuer_code", "procedure_code"] | None = None,
) -> dict[str, Any]:
    chosen = Period.parse(since, until, period)
    return services.indicators.report(chosen, group_by, access_for(key))


@router.get(
    "/indicators/events",
    response_model=ReuseEventList,
    summary="The audit events behind a reuse figure",
    description="`figure=lookups_found`: the lookups that returned a reusable result; "
    "`figure=downloads_by_other_agencies`: the content reads by an agency other than the "
    "issuer. Oldest first; the full events are in `GET /api/v1/audit/events` (`audit:read`). "
    "Needs `indicators:read`.",
    responses=problems(422),
)
def reuse_events(
    services: ServicesDep,
    key: Reader,
    figure: Literal["lookups_found", "downloads_by_other_agencies"],
    since: From = None,
    until: To = None,
    period: Preset = None,
    page: PageNo = 1,
    page_size: PageSize = 20,
) -> dict[str, Any]:
    chosen = Period.parse(since, until, period)
    return _page(
        services.indicators.reuse_events(
            figure, chosen, access_for(key), page=page, page_size=page_size
        )
    )


def _page(page: Any) -> dict[str, Any]:
    body = asdict(page)
    body.pop("facets")
    return body
