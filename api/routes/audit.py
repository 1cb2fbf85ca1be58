"""/api/v1/audit/events and /api/v1/subjects/{id}/access-log: reading the audit trail back."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query

from kho.api.deps import OptionalPurpose, Purpose, ServicesDep, access_for, caller
from kho.api.openapi import problems
from kho.api.schemas import AccessLogList, AuditEventList
from kho.services import ApiKey
from kho.services.errors import InvalidQuery
from kho.services.queries import AuditQuery

__all__ = ["router"]

router = APIRouter(tags=["audit"])
Auditor = Annotated[ApiKey, Depends(caller("audit:read"))]
Portal = Annotated[ApiKey, Depends(caller("subjects:access-log"))]

PageNo = Annotated[int, Query(ge=1, le=100_000, description="From 1")]
PageSize = Annotated[int, Query(ge=1, le=100, description="At most 100")]
When = date | datetime


def _instant(value: When | None, zone: ZoneInfo, *, end: bool, name: str) -> datetime | None:
    """A date means its whole day in KHO_TIMEZONE (`to` inclusive); a time without an offset
    is in KHO_TIMEZONE too. Years 1-9999 in any zone must stay years 1-9999 in UTC."""
    if value is None:
        return None
    try:
        if isinstance(value, datetime):
            instant = value if value.tzinfo else value.replace(tzinfo=zone)
        else:
            day = value + timedelta(days=1) if end else value
            instant = datetime.combine(day, time.min, tzinfo=zone)
        instant.astimezone(UTC)
    except OverflowError:
        raise InvalidQuery(f"`{name}` is out of range", field=name) from None
    return instant


@router.get(
    "/audit/events",
    response_model=AuditEventList,
    summary="Audit events (nhật ký truy cập và thay đổi)",
    description="The hash-chained events of the audit trail, newest first, filtered by "
    "subject, agency, record, action, dossier code and time. `from`/`to` take a date (whole "
    "days in Asia/Ho_Chi_Minh, `to` inclusive) or an RFC 3339 time (`to` exclusive). The "
    "query is itself audited. Check the chain with `kho audit verify`.",
    responses=problems(400, 422),
)
def audit_events(
    services: ServicesDep,
    key: Auditor,
    purpose: OptionalPurpose,
    subject_id: Annotated[str | None, Query(max_length=14, examples=["001203001234"])] = None,
    agency: Annotated[str | None, Query(max_length=35, examples=["000.00.15.H62"])] = None,
    record_id: Annotated[
        str | None, Query(max_length=26, examples=["01JD3V7Y8K3N2W6Q4T9ZB5XK1M"])
    ] = None,
    action: Annotated[
        str | None,
        Query(
            max_length=40,
            description="lookup, search, read, download, deposit, revoke, supersede, "
            "key.create, key.revoke, …",
            examples=["download"],
        ),
    ] = None,
    dossier_code: Annotated[
        str | None,
        Query(
            max_length=64, description="The stated purpose", examples=["000.00.15.H62-261123-0001"]
        ),
    ] = None,
    since: Annotated[When | None, Query(alias="from", examples=["2026-11-01"])] = None,
    until: Annotated[When | None, Query(alias="to", examples=["2026-11-30"])] = None,
    page: PageNo = 1,
    page_size: PageSize = 20,
) -> dict[str, Any]:
    zone = services.settings.zone
    query = AuditQuery(
        subject_id=subject_id,
        agency=agency,
        record_id=record_id,
        action=action,
        purpose=dossier_code,
        since=_instant(since, zone, end=False, name="from"),
        until=_instant(until, zone, end=True, name="to"),
        page=page,
        page_size=page_size,
    )
    result = services.audit.query(query, access_for(key, purpose))
    body = asdict(result)
    body.pop("facets")
    return body


@router.get(
    "/subjects/{subject_id}/access-log",
    response_model=AccessLogList,
    summary="Who accessed a subject's results (ai đã xem kết quả của tôi)",
    description="For the citizen portal: every read of this subject's results and every "
    "change to them, newest first: which agency, when, for which dossier, which records. "
    "API key ids and staff names are not shown. Needs the `subjects:access-log` scope.",
    responses=problems(400, 422),
)
def access_log(
    services: ServicesDep,
    key: Portal,
    purpose: Purpose,
    subject_id: Annotated[
        str,
        Path(
            max_length=14,
            description="12-digit personal ID number or 10/13-digit enterprise code",
            examples=["001203001234"],
        ),
    ],
    page: PageNo = 1,
    page_size: PageSize = 20,
) -> dict[str, Any]:
    result = services.audit.access_log(
        subject_id, access_for(key, purpose), page=page, page_size=page_size
    )
    body = asdict(result)
    body.pop("facets")
    return body
