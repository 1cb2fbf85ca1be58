"""/api/v1/verify: validate any PDF's signatures; nothing is stored."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, UploadFile

from kho.api.deps import ServicesDep, access_for, caller
from kho.api.schemas import Problem
from kho.services import ApiKey
from kho.services.errors import PayloadTooLarge

__all__ = ["router"]

router = APIRouter(tags=["verification"])


@router.post(
    "/verify",
    summary="Validate the signatures of an uploaded PDF",
    responses={
        401: {"model": Problem, "description": "No or bad API key"},
        413: {"model": Problem, "description": "File too large"},
        422: {"model": Problem, "description": "Not a readable PDF"},
    },
)
def verify(
    services: ServicesDep,
    key: Annotated[ApiKey, Depends(caller("records:read"))],
    file: Annotated[UploadFile, File(description="Any PDF")],
) -> dict[str, Any]:
    limit = services.settings.max_upload_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"the file is over the limit of {services.settings.max_upload_mb} MB")
    report = services.verify.verify_upload(data, access_for(key))
    return dict(report.to_json())
