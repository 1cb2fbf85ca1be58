"""/api/v1/subjects/{id}/records and /api/v1/search: the reuse lookup and full-text search."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from kho.api.deps import Purpose, ServicesDep, access_for, caller
from kho.api.schemas import Problem, RecordList, SearchList
from kho.archive.status import Status
from kho.indexer.index import LookupQuery, SearchQuery
from kho.services import ApiKey

__all__ = ["router"]

router = APIRouter(tags=["lookup"])
Reader = Annotated[ApiKey, Depends(caller("records:read"))]

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "Missing or malformed X-Dossier-Code"},
    401: {"model": Problem, "description": "No or bad API key"},
    403: {"model": Problem, "description": "The key lacks records:read"},
    422: {"model": Problem, "description": "Invalid parameter"},
    503: {"model": Problem, "description": "The search index is down"},
}

PageNo = Annotated[int, Query(ge=1, le=100_000, description="From 1")]
PageSize = Annotated[int, Query(ge=1, le=100, description="At most 100")]


@router.get(
    "/subjects/{subject_id}/records",
    response_model=RecordList,
    summary="Reuse lookup: a subject's results valid on a day",
    responses=_ERRORS,
)
def subject_records(
    services: ServicesDep,
    key: Reader,
    purpose: Purpose,
    subject_id: Annotated[
        str,
        Path(
            description="12-digit personal ID number or 10/13-digit enterprise code",
            examples=["001203001234", "0101234567"],
        ),
    ],
    valid_on: Annotated[date | None, Query(description="Default: today")] = None,
    procedure_code: Annotated[str | None, Query(max_length=100)] = None,
    result_type: Annotated[str | None, Query(max_length=300, examples=["Giấy khai sinh"])] = None,
    include_invalid: bool = False,
    page: PageNo = 1,
    page_size: PageSize = 20,
) -> dict[str, Any]:
    query = LookupQuery(
        subject_id=subject_id,
        valid_on=valid_on or services.backends.today(),
        procedure_code=procedure_code,
        result_type=result_type,
        include_invalid=include_invalid,
        page=page,
        page_size=page_size,
    )
    result = services.lookup.lookup(query, access_for(key, purpose))
    body = asdict(result)
    body.pop("facets")
    return body


@router.get(
    "/search",
    response_model=SearchList,
    summary="Full-text search with filters, facets and highlights",
    responses=_ERRORS,
)
def search(
    services: ServicesDep,
    key: Reader,
    purpose: Purpose,
    q: Annotated[str, Query(max_length=500, examples=["tran van duc"])] = "",
    procedure_code: Annotated[str | None, Query(max_length=100)] = None,
    result_type: Annotated[str | None, Query(max_length=300)] = None,
    issuer_code: Annotated[str | None, Query(max_length=35)] = None,
    subject_id: Annotated[str | None, Query(max_length=14)] = None,
    issued_from: date | None = None,
    issued_to: date | None = None,
    status: Status | None = None,
    page: PageNo = 1,
    page_size: PageSize = 20,
) -> dict[str, Any]:
    query = SearchQuery(
        today=services.backends.today(),
        q=q,
        procedure_code=procedure_code,
        result_type=result_type,
        issuer_code=issuer_code,
        subject_id=subject_id,
        issued_from=issued_from,
        issued_to=issued_to,
        status=status,
        page=page,
        page_size=page_size,
    )
    return asdict(services.search.search(query, access_for(key, purpose)))
