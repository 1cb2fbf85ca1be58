"""/api/v1/verify: validate any PDF's signatures; nothing is stored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import Response

from kho.api.deps import ServicesDep, access_for, caller
from kho.api.openapi import problems
from kho.api.reports import REPORT_RESPONSES, report_response
from kho.services import ApiKey
from kho.services.errors import PayloadTooLarge

__all__ = ["router"]

router = APIRouter(tags=["verification"])


@router.post(
    "/verify",
    summary="Validate the signatures of an uploaded PDF (kiểm tra chữ ký số)",
    description="Per signature: signer, signing time (claimed and timestamped), ETSI EN "
    "319 102-1 indication and sub-indication, coverage, whether the document was modified "
    "after signing; the document's verdict is the worst indication. Nothing is stored; the "
    "check is audited. `Accept: text/html` gives the printable report.",
    responses={
        **REPORT_RESPONSES,
        **problems(
            413,
            422,
            s413="File over KHO_MAX_UPLOAD_MB",
            s422="Not a readable PDF (damaged, truncated, encrypted), or over the validation "
            "limits (KHO_VALIDATION_TIMEOUT_S, KHO_VALIDATION_MEMORY_MB)",
        ),
    },
)
def verify(
    request: Request,
    services: ServicesDep,
    key: Annotated[ApiKey, Depends(caller("records:read"))],
    file: Annotated[UploadFile, File(description="Any PDF")],
) -> Response:
    limit = services.settings.max_upload_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"the file is over the limit of {services.settings.max_upload_mb} MB")
    report = services.verify.verify_upload(data, access_for(key))
    body = {"filename": file.filename, **services.verify.document(report, data)}
    return report_response(request, body, zone=services.settings.zone, source=file.filename)
