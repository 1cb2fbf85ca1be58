"""/api/v1/records: deposit, read, download (ETag, Range: api/content.py), revocation,
supersession and verification of one record, and download links."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, Form, Header, Request, Response, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, StreamingResponse

from kho.api.content import (
    CONTENT_RESPONSES,
    RECORD_ID,
    check_record_id,
    content_disposition,
    serve_content,
)
from kho.api.deps import OptionalPurpose, Purpose, ServicesDep, access_for, caller
from kho.api.middleware import request_id
from kho.api.openapi import DEPOSIT_PROBLEMS, problems
from kho.api.problems import problem_response
from kho.api.reports import REPORT_RESPONSES, report_response
from kho.api.schemas import (
    ContentLinkIn,
    ContentLinkOut,
    DepositOut,
    RecordOut,
    RevokeIn,
    SupersedeIn,
)
from kho.archive.metadata_json import load_metadata_json
from kho.services import ApiKey
from kho.services.errors import PayloadTooLarge
from kho.services.views import with_links

__all__ = ["RECORD_ID", "content_disposition", "router", "serve_content", "with_links"]

router = APIRouter(tags=["records"])

RecordId = Annotated[
    str,
    PathParam(
        description="The record's ULID", examples=["01JD3V7Y8K3N2W6Q4T9ZB5XK1M"], max_length=64
    ),
]
Reader = Annotated[ApiKey, Depends(caller("records:read"))]
Writer = Annotated[ApiKey, Depends(caller("records:write"))]

_ERRORS = problems(400, 404)
_METADATA_LIMIT = 1024 * 1024


@router.post(
    "/records",
    status_code=201,
    response_model=DepositOut,
    summary="Deposit a signed result (nộp lưu kết quả đã ký số)",
    description="Multipart: `file` (the signed PDF) and `metadata` (JSON, CONTRACT.md). "
    "201 with the new record; the same bytes under the same (issuer_code, result_code) again "
    "give 200 and the existing record; other bytes under that key give 409 `/problems/conflict` "
    "unless `supersedes` names the current record; the same bytes under another "
    "(issuer_code, result_code) give 409 `/problems/duplicate-content` with the holder's "
    "`record_id` (one signed result, one record). A key deposits only for its own agency "
    "(`issuer_code`) and those it was made on behalf of, and `supersedes` only their "
    "results (403 otherwise). `warnings` lists what looks wrong but was accepted, e.g. "
    "`subject_id_not_in_text`.",
    responses={
        200: {"model": DepositOut, "description": "The same bytes were deposited before"},
        **problems(
            400,
            403,
            409,
            413,
            415,
            422,
            examples=DEPOSIT_PROBLEMS,
            s400="Malformed multipart or metadata that is not JSON",
            s403="The key lacks records:write, or may not deposit for this issuer_code or "
            "supersede that record",
            s409="Same result code with other bytes (`conflict`), or these bytes already "
            "archived under another result code (`duplicate-content`)",
            s413="File over KHO_MAX_UPLOAD_MB",
            s415="Not a PDF (judged by its content, not its name)",
            s422="Invalid metadata, or an unsigned or unreadable PDF",
        ),
    },
)
def deposit(
    services: ServicesDep,
    key: Writer,
    file: Annotated[UploadFile, File(description="The signed PDF")],
    metadata: Annotated[
        str | UploadFile,
        Form(
            description="Deposit metadata as JSON (CONTRACT.md): a text field "
            "(`-F 'metadata={…}'`) or a JSON file part (`-F metadata=@meta.json`), UTF-8, "
            "at most 1 MB, nested at most 16 levels.",
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
    if isinstance(metadata, str):
        text = metadata
    else:
        data = metadata.file.read(_METADATA_LIMIT + 1)
        if len(data) > _METADATA_LIMIT:
            raise PayloadTooLarge("the metadata part is over 1 MB")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return problem_response(400, "bad-request", "the metadata part is not UTF-8 text")
    try:
        raw = load_metadata_json(text)
    except ValueError as exc:
        return problem_response(400, "bad-request", f"metadata is not valid JSON: {exc}")
    limit = services.settings.max_upload_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"the file is over the limit of {services.settings.max_upload_mb} MB")
    outcome = services.deposit.deposit(data, file.filename, raw, access_for(key))
    body = {**with_links(outcome.record), "indexed": outcome.indexed, "outcome": outcome.outcome}
    return JSONResponse(
        body,
        status_code=201 if outcome.outcome == "created" else 200,
        headers={"Location": f"/api/v1/records/{outcome.record['record_id']}"},
    )


@router.get(
    "/records/{record_id}",
    response_model=RecordOut,
    summary="A record's metadata (thông tin kết quả)",
    description="The manifest view, with `status` computed for today. Audited.",
    responses=_ERRORS,
)
def get_record(
    services: ServicesDep, key: Reader, purpose: Purpose, record_id: RecordId
) -> dict[str, Any]:
    return with_links(services.records.get(check_record_id(record_id), access_for(key, purpose)))


@router.get(
    "/records/{record_id}/content",
    summary="The signed bytes (tải tệp kết quả đã ký)",
    description="Streams the signed PDF. Supports `Range: bytes=a-b` (206, or 416 when "
    "unsatisfiable) and `If-None-Match` (304). Each download is an audit event with the "
    "X-Dossier-Code.",
    response_class=StreamingResponse,
    responses={**CONTENT_RESPONSES, **problems(400, 404, 416)},
)
def get_content(
    services: ServicesDep,
    key: Reader,
    purpose: Purpose,
    record_id: RecordId,
    range_header: Annotated[
        str | None, Header(alias="Range", examples=["bytes=0-1023"], max_length=200)
    ] = None,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match", max_length=1000)] = None,
) -> Response:
    return serve_content(services, record_id, access_for(key, purpose), range_header, if_none_match)


@router.post(
    "/records/{record_id}/content-links",
    status_code=201,
    response_model=ContentLinkOut,
    summary="A short-lived download link (đường dẫn tải có thời hạn)",
    description="A URL that serves the record's signed bytes without an API key for a few "
    "minutes, e.g. for a browser. Downloads through it are audited with this request's "
    "X-Dossier-Code; revoking the key stops its links. A link works only within "
    "`KHO_CONTENT_LINK_USE_WINDOW_S` seconds of its first use, and its downloads count "
    "against the key's rate limit.",
    responses=problems(400, 404, 422),
)
def create_content_link(
    services: ServicesDep,
    key: Reader,
    purpose: Purpose,
    record_id: RecordId,
    body: Annotated[ContentLinkIn | None, Body()] = None,
) -> dict[str, Any]:
    minutes = (body or ContentLinkIn()).minutes
    link = services.links.create(
        check_record_id(record_id), access_for(key, purpose), minutes=minutes
    )
    # Absolute only under the configured public URL: a Host header is the client's to choose.
    base = services.settings.public_url
    return {
        "record_id": link.record_id,
        "url": f"{base}/api/v1/content-links/{link.token}",
        "expires_at": link.expires_at.astimezone(services.settings.zone).isoformat(),
    }


@router.get(
    "/content-links/{token}",
    summary="Download through a signed link (no API key)",
    response_class=StreamingResponse,
    responses={
        **CONTENT_RESPONSES,
        **problems(
            401,
            404,
            416,
            429,
            s401="Malformed, forged or expired link, one claiming a validity over the limit, "
            "one past its window after first use, or its key revoked",
            s429="The key that made the link is over its rate limit",
        ),
    },
)
def follow_content_link(
    services: ServicesDep,
    token: Annotated[str, PathParam(max_length=2000, description="From POST …/content-links")],
    range_header: Annotated[
        str | None, Header(alias="Range", examples=["bytes=0-1023"], max_length=200)
    ] = None,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match", max_length=1000)] = None,
) -> Response:
    record_id, access = services.links.resolve(token, request_id.get())
    return serve_content(
        services, record_id, access, range_header, if_none_match, {"via": "content-link"}
    )


@router.post(
    "/records/{record_id}/revoke",
    response_model=RecordOut,
    summary="Revoke a result (thu hồi kết quả)",
    description="The result stays archived but is no longer valid from today: reuse lookups "
    "stop returning it unless `include_invalid`. Only the issuing agency (or a key made on its "
    "behalf) may revoke; a second revocation is 409.",
    responses=problems(400, 403, 404, 409, 422),
)
def revoke(
    services: ServicesDep,
    key: Writer,
    purpose: OptionalPurpose,
    record_id: RecordId,
    body: RevokeIn,
) -> dict[str, Any]:
    access = access_for(key, purpose)
    view = services.lifecycle.revoke(check_record_id(record_id), body.reason, access)
    return with_links(view)


@router.post(
    "/records/{record_id}/supersede",
    response_model=RecordOut,
    summary="Mark a result superseded by another (thay thế kết quả)",
    description="Names the already deposited record that replaces this one; from today this "
    "one is `superseded`. (A deposit with `supersedes` does the same in one step.) A second "
    "supersession is 409.",
    responses=problems(400, 403, 404, 409, 422),
)
def supersede(
    services: ServicesDep,
    key: Writer,
    purpose: OptionalPurpose,
    record_id: RecordId,
    body: SupersedeIn,
) -> dict[str, Any]:
    view = services.lifecycle.supersede(
        check_record_id(record_id),
        by=body.superseded_by,
        access=access_for(key, purpose),
        reason=body.reason,
    )
    return with_links(view)


@router.get(
    "/records/{record_id}/verification",
    summary="The latest signature validation report (báo cáo xác thực chữ ký)",
    description="Per signature: signer, signing time, ETSI EN 319 102-1 indication and "
    "sub-indication, coverage, and the evidence used; with the record it is about and every "
    "validation kept (`validations`). `Accept: text/html` gives the printable report. "
    "Audited.",
    responses={**REPORT_RESPONSES, **_ERRORS},
)
def get_verification(
    request: Request, services: ServicesDep, key: Reader, purpose: Purpose, record_id: RecordId
) -> Response:
    access = access_for(key, purpose)
    services.records.readable(check_record_id(record_id), access)
    report = services.verify.latest_report(record_id, access)
    return report_response(request, report, zone=services.settings.zone)


@router.post(
    "/records/{record_id}/verification",
    summary="Validate the record's signatures again now (xác thực lại)",
    description="Judged as of the deposit time (AdES past validation); the new report is "
    "kept beside the earlier ones and becomes the record's `signature`, so this is a write: "
    "it needs the `records:write` scope (a `records:read` key gets 403; it can read the "
    "latest report with GET, or validate any PDF without storing anything with "
    "`POST /api/v1/verify`). Answers like the GET. Audited.",
    responses={**REPORT_RESPONSES, **_ERRORS},
)
def post_verification(
    request: Request, services: ServicesDep, key: Writer, purpose: Purpose, record_id: RecordId
) -> Response:
    access = access_for(key, purpose)
    services.records.readable(check_record_id(record_id), access)
    report = services.verify.revalidate(record_id, access)
    return report_response(request, report, zone=services.settings.zone)
