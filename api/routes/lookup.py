"""/api/v1/subjects/{id}/records and /api/v1/search: the reuse lookup and full-text search."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from kho.api.deps import Purpose, ServicesDep, access_for, caller
from kho.api.openapi import problems
from kho.api.schemas import RecordList, SearchList
from kho.archive.signatures import Indication
from kho.archive.status import Status
from kho.services import ApiKey, LookupQuery, SearchQuery
from kho.services.views import lookup_body, search_body

__all__ = ["router"]

router = APIRouter(tags=["lookup"])
Reader = Annotated[ApiKey, Depends(caller("records:read"))]

_ERRORS = problems(400, 422, s400="Missing or malformed X-Dossier-Code")

PageNo = Annotated[int, Query(ge=1, le=100_000, description="From 1")]
PageSize = Annotated[int, Query(ge=1, le=100, description="At most 100")]


@router.get(
    "/subjects/{subject_id}/records",
    response_model=RecordList,
    summary="Reuse lookup: a subject's results reusable on a day (tra cứu kết quả để tái sử dụng)",
    description="The results of a citizen (12-digit personal ID number) or an enterprise "
    "(10/13-digit code) that may be reused on `valid_on` (default today in "
    "Asia/Ho_Chi_Minh): valid that day **and** validly signed (TOTAL-PASSED under the "
    "configured trust roots; any indication under KHO_REUSE_SIGNATURE=any). Newest first, "
    "each with `status`, `reusable`, `reuse_blockers`, the `signature` indication and "
    "`content_url`; `total` and the pages count only these. With `include_invalid` the rest "
    "are listed too (expired, revoked, superseded, not yet valid, or not validly signed), "
    "with `reusable: false` and their blockers. A key limited to some procedures or result "
    "types sees only those. Audited with the X-Dossier-Code.",
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
    include_invalid: Annotated[
        bool,
        Query(
            description="Also list the results that may not be reused, with "
            "`reusable: false` and their `reuse_blockers`"
        ),
    ] = False,
    indication: Annotated[
        Indication | None,
        Query(description="Only results whose signature verdict is this (e.g. TOTAL-PASSED)"),
    ] = None,
    page: PageNo = 1,
    page_size: PageSize = 20,
) -> dict[str, Any]:
    query = LookupQuery(
        subject_id=subject_id,
        valid_on=valid_on,
        procedure_code=procedure_code,
        result_type=result_type,
        include_invalid=include_invalid,
        indication=indication,
        page=page,
        page_size=page_size,
    )
    return lookup_body(services.lookup.lookup(query, access_for(key, purpose)))


@router.get(
    "/search",
    response_model=SearchList,
    summary="Full-text search with filters, facets and highlights (tìm kiếm toàn văn)",
    description="Every word of `q` is required; each matches with or without Vietnamese "
    "diacritics (`tran van duc` finds `Trần Văn Đức`), exact forms ranking first. Every "
    "record, reusable or not, each with `status`, `reusable` and `reuse_blockers` for today. "
    "A key limited to some procedures or result types must name one of them. Audited.",
    responses={**_ERRORS, **problems(403, s403="The key lacks the scope or its limits")},
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
    indication: Annotated[
        Indication | None, Query(description="Only results whose signature verdict is this")
    ] = None,
    page: PageNo = 1,
    page_size: PageSize = 20,
) -> dict[str, Any]:
    query = SearchQuery(
        q=q,
        procedure_code=procedure_code,
        result_type=result_type,
        issuer_code=issuer_code,
        subject_id=subject_id,
        issued_from=issued_from,
        issued_to=issued_to,
        status=status,
        indication=indication,
        page=page,
        page_size=page_size,
    )
    return search_body(services.search.search(query, access_for(key, purpose)))
