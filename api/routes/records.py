"""/api/v1/records: deposit, read, download (ETag, Range) and verification of one record."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Header, Path, Response, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse

from kho.api.deps import Purpose, ServicesDep, access_for, caller
from kho.api.problems import problem_response
from kho.api.schemas import Problem, RecordOut
from kho.services import ApiKey
from kho.services.errors import PayloadTooLarge, RecordNotFound

__all__ = ["RECORD_ID", "content_disposition", "router"]

router = APIRouter(tags=["records"])

RECORD_ID = r"^[0-9A-HJKMNP-TV-Z]{26}$"
RecordId = Annotated[
    str,
    Path(description="The record's ULID", examples=["01JD3V7Y8K3N2W6Q4T9ZB5XK1M"]),
]
Reader = Annotated[ApiKey, Depends(caller("records:read"))]
Writer = Annotated[ApiKey, Depends(caller("records:write"))]

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": text}
    for status, text in {
        400: "Malformed request or missing X-Dossier-Code",
        401: "No or bad API key",
        403: "The key lacks the scope",
        404: "No such record",
        503: "A backend is down",
    }.items()
}


def _check_id(record_id: str) -> str:
    if not re.fullmatch(RECORD_ID, record_id):
        raise RecordNotFound(f"no record {record_id[:40]!r}")
    return record_id


def content_disposition(filename: str) -> str:
    """RFC 6266 / RFC 8187: an ASCII fallback and the UTF-8 name (Vietnamese names intact)."""
    fallback = (
        "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
        or "result.pdf"
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.post(
    "/records",
    status_code=201,
    response_model=RecordOut,
    summary="Deposit a signed result",
    responses={
        200: {"model": RecordOut, "description": "The same bytes were deposited before"},
        409: {"model": Problem, "description": "Same result code, other bytes"},
        413: {"model": Problem, "description": "File over KHO_MAX_UPLOAD_MB"},
        415: {"model": Problem, "description": "Not a PDF (judged by content)"},
        422: {"model": Problem, "description": "Invalid metadata, unsigned or unreadable PDF"},
        **{k: v for k, v in _ERRORS.items() if k != 404},
    },
)
def deposit(
    services: ServicesDep,
    key: Writer,
    file: Annotated[UploadFile, File(description="The signed PDF")],
    metadata: Annotated[
        str,
        Form(
            description="Deposit metadata as JSON (CONTRACT.md)",
            examples=[
                json.dumps(
                    {
                        "issuer_code": "000.00.15.H62",
                        "result_code": "000.00.15.H62-261122-0007-KQ1",
                        "dossier_code": "000.00.15.H62-261122-0007",
                        "procedure_code": "1.001193",
                        "procedure_name": "Thủ tục đăng ký khai sinh",
                        "result_type": "Giấy khai sinh",
                        "subjects": [
                            {"kind": "citizen", "id": "001203001234", "name": "Trần Văn Đức"}
                        ],
                        "issued_on": "2026-11-22",
                    },
                    ensure_ascii=False,
                )
            ],
        ),
    ],
) -> Response:
    try:
        raw = json.loads(metadata)
    except ValueError as exc:
        return problem_response(400, "bad-request", f"metadata is not valid JSON: {exc}")
    limit = services.settings.max_upload_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"the file is over the limit of {services.settings.max_upload_mb} MB")
    outcome = services.deposit.deposit(data, file.filename, raw, access_for(key))
    body = {**outcome.record, "indexed": outcome.indexed, "outcome": outcome.outcome}
    return JSONResponse(
        body,
        status_code=201 if outcome.outcome == "created" else 200,
        headers={"Location": f"/api/v1/records/{outcome.record['record_id']}"},
    )


@router.get(
    "/records/{record_id}",
    response_model=RecordOut,
    summary="A record's metadata",
    responses=_ERRORS,
)
def get_record(
    services: ServicesDep, key: Reader, purpose: Purpose, record_id: RecordId
) -> dict[str, Any]:
    return services.records.get(_check_id(record_id), access_for(key, purpose))


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """(start, length) for one satisfiable range; None to serve it all; "bad" for 416."""
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None  # several ranges or another unit: RFC 9110 lets us send the whole
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0:
            return "bad"
        start = max(0, size - suffix)
        return start, size - start
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        return "bad"
    end = min(end, size - 1)
    return start, end - start + 1


@router.get(
    "/records/{record_id}/content",
    summary="The signed bytes",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The signed PDF"},
        206: {"content": {"application/pdf": {}}, "description": "The requested range"},
        304: {"description": "Not modified (If-None-Match)"},
        416: {"model": Problem, "description": "Range not satisfiable"},
        **_ERRORS,
    },
)
def get_content(
    services: ServicesDep,
    key: Reader,
    purpose: Purpose,
    record_id: RecordId,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Response:
    access = access_for(key, purpose)
    manifest = services.records.manifest(_check_id(record_id))
    etag = f'"{manifest.file.sha256}"'
    common = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-store",
        "Content-Disposition": content_disposition(manifest.file.filename),
    }
    if if_none_match is not None and etag in {t.strip() for t in if_none_match.split(",")}:
        services.records.content(record_id, access, length=0)  # audited, nothing sent
        return Response(status_code=304, headers=common)
    size = manifest.file.size
    wanted = _parse_range(range_header, size) if range_header else None
    if wanted == "bad":
        return problem_response(
            416,
            "range-not-satisfiable",
            f"the file has {size} bytes",
            headers={"Content-Range": f"bytes */{size}"},
        )
    if isinstance(wanted, tuple):
        start, length = wanted
        content = services.records.content(record_id, access, start=start, length=length)
        return StreamingResponse(
            content.chunks,
            status_code=206,
            media_type=content.media_type,
            headers={
                **common,
                "Content-Range": f"bytes {start}-{start + length - 1}/{size}",
                "Content-Length": str(length),
            },
        )
    content = services.records.content(record_id, access)
    return StreamingResponse(
        content.chunks,
        media_type=content.media_type,
        headers={**common, "Content-Length": str(size)},
    )


@router.get(
    "/records/{record_id}/verification",
    summary="The latest signature validation report",
    responses=_ERRORS,
)
def get_verification(
    services: ServicesDep, key: Reader, purpose: Purpose, record_id: RecordId
) -> dict[str, Any]:
    return services.verify.latest_report(_check_id(record_id), access_for(key, purpose))


@router.post(
    "/records/{record_id}/verification",
    summary="Validate the record's signatures again now",
    responses=_ERRORS,
)
def post_verification(
    services: ServicesDep, key: Reader, purpose: Purpose, record_id: RecordId
) -> dict[str, Any]:
    _check_id(record_id)
    services.records.manifest(record_id)
    return services.verify.revalidate(record_id, access_for(key, purpose))
