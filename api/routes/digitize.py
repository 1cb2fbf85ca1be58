"""/api/v1/digitizations: paper results scanned, OCR'd, proposed, confirmed, signed, deposited.

Two steps, as an officer works: `POST /digitizations/proposals` OCRs the scans and proposes
their metadata (nothing is stored); the officer confirms or corrects it; `POST
/digitizations` with the same scans and the confirmed metadata signs the copy with the
agency's key and deposits it. The web page that shows the page image beside the fields
comes with the web UI; it will call the same service (services/digitize.py).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from kho.api.deps import ServicesDep, access_for, caller
from kho.api.openapi import problems
from kho.api.problems import problem_response
from kho.api.schemas import RecordOut
from kho.services import ApiKey
from kho.services.errors import PayloadTooLarge
from kho.services.views import with_links

__all__ = ["router"]

router = APIRouter(tags=["digitization"])
Writer = Annotated[ApiKey, Depends(caller("records:write"))]
Scans = Annotated[
    list[UploadFile],
    File(
        description="The scans of one result, in page order: PNG, JPEG or TIFF images "
        "(a multi-page TIFF is one result), or one unsigned PDF made of page images"
    ),
]


class ReviewOut(BaseModel):
    page: int | None = Field(description="1-based page, or null for the whole result")
    field: str | None = Field(description="The deposit-metadata field, or null for a page")
    reason: str


class FieldOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    value: Any
    confidence: float = Field(ge=0, le=1)
    page: int | None = None
    box: list[float] | None = Field(
        None, description="left, top, right, bottom: fractions of the page"
    )
    source: str = Field(description="ocr | qr")


class ProposalOut(BaseModel):
    fields: dict[str, FieldOut]
    review: list[ReviewOut]
    metadata: dict[str, Any] = Field(description="The proposed values: edit, then confirm")
    pages: int
    ocr_confidence: float
    scan_sha256: list[str]


class DigitizationOut(RecordOut):
    indexed: bool
    outcome: str = Field(description="created | existing")
    review: list[ReviewOut]


def _scans(services: Any, files: list[UploadFile]) -> list[tuple[str, bytes]]:
    limit = services.settings.max_upload_bytes
    scans: list[tuple[str, bytes]] = []
    total = 0
    for upload in files:
        data = upload.file.read(limit + 1 - total)
        total += len(data)
        if total > limit:
            raise PayloadTooLarge(
                f"the scans are over the limit of {services.settings.max_upload_mb} MB"
            )
        scans.append((upload.filename or f"page-{len(scans) + 1}", data))
    return scans


@router.post(
    "/digitizations/proposals",
    response_model=ProposalOut,
    summary="Propose the metadata of scanned pages (đề xuất thông tin từ bản quét)",
    description="OCR in Vietnamese and the national QR code; each field with its confidence "
    "and where on the page it was read, and what an officer should review. Nothing is "
    "stored and no key signs anything. Slow: seconds per page.",
    responses=problems(400, 413, 422, s422="A scan that cannot be read"),
)
def propose(services: ServicesDep, key: Writer, files: Scans) -> dict[str, Any]:
    proposed = services.digitize.propose(_scans(services, files))
    return {**proposed.to_json(), "metadata": proposed.proposal.values()}


@router.post(
    "/digitizations",
    status_code=201,
    response_model=DigitizationOut,
    summary="Digitize, sign and deposit a paper result (số hóa và nộp lưu)",
    description="Multipart: `files` (the scans, in page order) and `metadata` (the deposit "
    "metadata the officer confirmed, CONTRACT.md). OCR into a searchable PDF/A-2b, signed with "
    "the agency's key (KHO_SIGNING_*), deposited with `origin: digitized`. 201 created; the "
    "same scans under the same (issuer_code, result_code) again → 200 and the same record; "
    "other scans under that key → 409 unless `supersedes`. The same agency rules as deposits. "
    "`accept_proposals` fills what the metadata lacks from the proposals (unreviewed).",
    responses={
        200: {"model": DigitizationOut, "description": "These scans were digitized before"},
        **problems(
            400,
            409,
            413,
            422,
            s409="Same result code, other scans",
            s413="Scans over KHO_MAX_UPLOAD_MB",
            s422="Invalid or incomplete metadata (needs-review), or a scan that cannot be read",
        ),
    },
)
def digitize(
    services: ServicesDep,
    key: Writer,
    files: Scans,
    metadata: Annotated[str, Form(description="The confirmed deposit metadata as JSON")],
    accept_proposals: Annotated[bool, Form(description="Fill gaps from the proposals")] = False,
) -> Response:
    try:
        raw = json.loads(metadata)
    except ValueError as exc:
        return problem_response(400, "bad-request", f"metadata is not valid JSON: {exc}")
    if not isinstance(raw, dict):
        return problem_response(400, "bad-request", "metadata must be a JSON object")
    outcome = services.digitize.digitize(
        _scans(services, files), raw, access_for(key), accept_proposals=accept_proposals
    )
    body = {
        **with_links(outcome.record),
        "indexed": outcome.indexed,
        "outcome": outcome.outcome,
        "warnings": [w.to_json() for w in outcome.warnings],
        "review": [r.to_json() for r in outcome.review],
    }
    return JSONResponse(
        body,
        status_code=201 if outcome.outcome == "created" else 200,
        headers={"Location": f"/api/v1/records/{outcome.record['record_id']}"},
    )
