"""Số hóa: an officer or records manager of an agency turns paper results into signed
records, in the two steps of services/digitize.py (the same as `kho digitize --propose`
then `kho digitize --metadata`, and the API's /digitizations).

1. `GET /digitization` — upload the scans of one result (PNG, JPEG, TIFF — several files
   are the pages in order, a multi-page TIFF is one result — or one unsigned PDF).
2. `POST /digitization/proposals` — OCR; the page shows the proposed fields with their
   confidence and page, what to review, the OCR text of each page, and a form: the deposit
   metadata as JSON to correct, and the scans to attach again.
3. `POST /digitization` — the re-attached scans must be the reviewed ones (their SHA-256,
   in order, against the proposal's), so the signed copy is of what the officer read; then
   the agency's key (KHO_SIGNING_*) signs and the record is deposited.

Only for one's own agency: the user's agency must be the metadata's `issuer_code` (else
403), and the services are told so (`Access.acts_for`). What the officer reviewed travels
in a hidden field signed with a key derived from the server secret (nothing is stored
between the steps), for eight hours.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import date
from typing import Annotated, Any

import itsdangerous
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from kho.digitization.errors import SigningNotConfigured
from kho.errors import STATUS, KhoError
from kho.services import Access, Services
from kho.services.digitize import Proposed
from kho.web.i18n import N_, gettext
from kho.web.page_links import format_day
from kho.web.render import render
from kho.web.session import WebForbidden, WebUser, require_roles, web_access

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
ROLES = ("officer", "records_manager", "admin")
Digitizer = Annotated[WebUser, Depends(require_roles(*ROLES))]
MAX_AGE_S = 8 * 3600
_SALT = "kho.web.digitization"

# The deposit-metadata fields, as the page names them (msgids: Vietnamese).
FIELD_LABELS = {
    "issuer_code": N_("Mã cơ quan ban hành"),
    "result_code": N_("Mã kết quả"),
    "dossier_code": N_("Mã hồ sơ"),
    "procedure_code": N_("Mã thủ tục"),
    "procedure_name": N_("Tên thủ tục"),
    "result_type": N_("Loại kết quả"),
    "subjects": N_("Chủ thể (cá nhân, tổ chức)"),
    "issued_on": N_("Ngày ban hành"),
    "valid_from": N_("Có hiệu lực từ"),
    "valid_until": N_("Có hiệu lực đến"),
    "validity_scope": N_("Phạm vi sử dụng"),
    "supersedes": N_("Thay thế hồ sơ"),
    "notation": N_("Số, ký hiệu"),
}
_DATES = frozenset({"issued_on", "valid_from", "valid_until"})
# What each problem means for the officer (msgids: Vietnamese); the service's own detail
# (English, technical) is shown under it.
_PROBLEMS = {
    "unreadable-scan": N_(
        "Không đọc được bản quét: chỉ nhận ảnh PNG, JPEG, TIFF hoặc một tệp "
        "PDF chưa ký gồm các ảnh trang."
    ),
    "too-large": N_("Bản quét quá lớn (dung lượng, số trang hoặc số điểm ảnh mỗi trang)."),
    "ocr-failed": N_("Không nhận dạng được chữ (OCR) trên bản quét."),
    "ocr-unavailable": N_(
        "Máy chủ chưa cài công cụ nhận dạng chữ (Tesseract tiếng Việt). Hãy báo quản trị viên."
    ),
    "pdfa-invalid": N_("Bản số hóa không đạt chuẩn PDF/A-2b; chưa nộp lưu."),
    "signing-not-configured": N_("Chưa cấu hình khóa ký số của cơ quan trên máy chủ."),
    "signing-failed": N_(
        "Không ký số được (khóa hoặc dịch vụ dấu thời gian không trả lời). Hãy thử lại sau."
    ),
    "invalid-metadata": N_("Siêu dữ liệu chưa hợp lệ."),
    "needs-review": N_("Siêu dữ liệu còn thiếu trường bắt buộc."),
    "conflict": N_("Cơ quan đã nộp lưu kết quả này từ bản quét hoặc tệp khác."),
    "duplicate-content": N_("Các bản quét này đã được lưu với một mã kết quả khác."),
    "forbidden": N_("Không được phép nộp lưu kết quả này."),
    "unknown-agency": N_("Mã cơ quan không có trong danh mục."),
    "backend-unavailable": N_("Kho đang gián đoạn một dịch vụ lưu trữ. Hãy thử lại sau."),
}


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _own_agency(user: WebUser) -> str:
    if not user.agency:
        raise WebForbidden(
            N_(
                "Tài khoản của bạn chưa gắn với cơ quan nào nên không số hóa được. "
                "Hãy đề nghị quản trị viên gán cơ quan cho tài khoản."
            )
        )
    return user.agency


def _serializer(services: Services) -> itsdangerous.URLSafeTimedSerializer:
    return itsdangerous.URLSafeTimedSerializer(
        services.keys.derived_secret("web-digitization"), salt=_SALT
    )


def _signing_problem(request: Request, services: Services) -> str | None:
    """None when a signing key is configured, else what to tell the user."""
    try:
        services.digitize.check_signing()
    except SigningNotConfigured as exc:
        return gettext(
            request,
            "Chưa cấu hình khóa ký số của cơ quan, nên chưa ký và nộp lưu được: quản trị "
            "viên cần đặt {setting} (xem hướng dẫn cài đặt).",
        ).format(setting=exc.setting)
    return None


def _problem(request: Request, exc: KhoError) -> tuple[str, str, int]:
    """(the message for the officer, the technical detail, the status)."""
    status = STATUS.get(exc.problem_type, 500)
    known = _PROBLEMS.get(exc.problem_type)
    if known is None:
        if status >= 500:
            known = N_("Hệ thống đang gặp sự cố. Vui lòng thử lại sau ít phút.")
        else:
            known = N_("Yêu cầu không thực hiện được.")
    detail = exc.detail if status < 500 or exc.problem_type in _PROBLEMS else ""
    return gettext(request, known), detail, status


async def _uploads(request: Request, services: Services) -> list[tuple[str, bytes]]:
    """The files of the form's `files` field, within the upload limit; empty ones left out."""
    form = await request.form()
    limit = services.settings.max_upload_bytes
    scans: list[tuple[str, bytes]] = []
    total = 0
    for upload in form.getlist("files"):
        if not isinstance(upload, UploadFile):
            continue
        data = await upload.read(limit + 1 - total)
        total += len(data)
        if total > limit:
            raise _Refusal(
                gettext(request, "Các bản quét vượt quá giới hạn {mb} MB.").format(
                    mb=services.settings.max_upload_mb
                ),
                413,
            )
        if data:
            scans.append((upload.filename or f"trang-{len(scans) + 1}", data))
    return scans


class _Refusal(Exception):
    def __init__(self, message: str, status: int, detail: str = "") -> None:
        super().__init__(message)
        self.message, self.status, self.detail = message, status, detail


def _field_rows(
    request: Request, fields: dict[str, Any], review_below: float
) -> list[dict[str, Any]]:
    rows = []
    for name, proposal in fields.items():
        value = proposal.get("value")
        rows.append(
            {
                "name": name,
                "label": gettext(request, FIELD_LABELS[name]) if name in FIELD_LABELS else name,
                "value": _shown(name, value),
                "confidence": float(proposal.get("confidence") or 0.0),
                "low": float(proposal.get("confidence") or 0.0) < review_below,
                "page": proposal.get("page"),
                "source": proposal.get("source") or "ocr",
            }
        )
    return rows


def _shown(name: str, value: Any) -> str:
    """A proposed value as the officer reads it: dates dd/mm/yyyy, subjects by name and id."""
    if name in _DATES and isinstance(value, str):
        try:
            return format_day(date.fromisoformat(value))
        except ValueError:
            return value
    if name == "subjects" and isinstance(value, list):
        parts = []
        for subject in value:
            if isinstance(subject, dict):
                label = " ".join(str(subject.get(k) or "") for k in ("name",)).strip()
                parts.append(f"{label} ({subject.get('id')})" if label else str(subject.get("id")))
        return "; ".join(parts)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def _reviewed(proposed: Proposed, agency: str) -> dict[str, Any]:
    """What the review page shows and the signed field carries to the last step."""
    body = proposed.to_json()
    metadata = proposed.proposal.values()
    metadata.pop("notation", None)
    metadata.setdefault("issuer_code", agency)
    return {
        "scan_sha256": body["scan_sha256"],
        "scans": [
            {"name": f.filename[:200], "size": f.size, "sha256": f.sha256, "type": f.media_type}
            for f in proposed.scans.files
        ],
        "fields": body["fields"],
        "review": body["review"],
        "pages": [
            {"number": p.number, "confidence": p.confidence, "text": p.text}
            for p in proposed.ocr.pages
        ],
        "page_count": body["pages"],
        "ocr_confidence": body["ocr_confidence"],
        "metadata": metadata,
    }


def _review_page(
    request: Request,
    user: WebUser,
    reviewed: dict[str, Any],
    token: str,
    *,
    metadata_text: str | None = None,
    error: str | None = None,
    detail: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    services = _services(request)
    return render(
        request,
        "digitization_review.html",
        {
            "agency": user.agency,
            "reviewed": reviewed,
            "token": token,
            "rows": _field_rows(request, reviewed["fields"], services.digitize.review_below),
            "labels": {k: gettext(request, v) for k, v in FIELD_LABELS.items()},
            "metadata_text": metadata_text
            if metadata_text is not None
            else json.dumps(reviewed["metadata"], ensure_ascii=False, indent=2),
            "signing_problem": _signing_problem(request, services),
            "error": error,
            "detail": detail,
        },
        status_code=status_code,
    )


def _upload_page(
    request: Request,
    user: WebUser,
    *,
    error: str | None = None,
    detail: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    services = _services(request)
    return render(
        request,
        "digitization.html",
        {
            "agency": user.agency,
            "signing_problem": _signing_problem(request, services),
            "max_mb": services.settings.max_upload_mb,
            "max_pages": services.settings.digitize_max_pages,
            "error": error,
            "detail": detail,
        },
        status_code=status_code,
    )


@router.get("/digitization", response_class=HTMLResponse)
def upload_form(request: Request, user: Digitizer) -> HTMLResponse:
    _own_agency(user)
    return _upload_page(request, user)


@router.post("/digitization/proposals", response_class=HTMLResponse)
async def propose(request: Request, user: Digitizer) -> HTMLResponse:
    agency = _own_agency(user)
    services = _services(request)
    try:
        scans = await _uploads(request, services)
        if not scans:
            raise _Refusal(gettext(request, "Hãy chọn ít nhất một tệp bản quét."), 400)
        proposed = await run_in_threadpool(services.digitize.propose, scans)
    except _Refusal as exc:
        return _upload_page(request, user, error=exc.message, status_code=exc.status)
    except KhoError as exc:
        message, detail, status = _problem(request, exc)
        return _upload_page(request, user, error=message, detail=detail, status_code=status)
    reviewed = _reviewed(proposed, agency)
    token = _serializer(services).dumps(reviewed)
    return _review_page(request, user, reviewed, token)


@router.post("/digitization", response_class=HTMLResponse)
async def deposit(request: Request, user: Digitizer) -> HTMLResponse:
    agency = _own_agency(user)
    services = _services(request)
    form = await request.form()
    token = form.get("review")
    if not isinstance(token, str):
        return _upload_page(
            request,
            user,
            error=gettext(request, "Thiếu bản xem xét: hãy tải các bản quét lên lại."),
            status_code=400,
        )
    try:
        reviewed = _serializer(services).loads(token, max_age=MAX_AGE_S)
    except itsdangerous.SignatureExpired:
        return _upload_page(
            request,
            user,
            error=gettext(request, "Bản xem xét đã quá 8 giờ: hãy tải các bản quét lên lại."),
            status_code=400,
        )
    except itsdangerous.BadData:
        return _upload_page(
            request,
            user,
            error=gettext(request, "Bản xem xét không hợp lệ: hãy tải các bản quét lên lại."),
            status_code=400,
        )
    text = form.get("metadata")
    metadata_text = text if isinstance(text, str) else ""

    def again(message: str, status: int, detail: str = "") -> HTMLResponse:
        return _review_page(
            request,
            user,
            reviewed,
            token,
            metadata_text=metadata_text,
            error=message,
            detail=detail,
            status_code=status,
        )

    try:
        metadata = json.loads(metadata_text)
    except ValueError as exc:
        return again(
            gettext(request, "Siêu dữ liệu không phải JSON hợp lệ: {error}").format(error=exc),
            400,
        )
    if not isinstance(metadata, dict):
        return again(gettext(request, "Siêu dữ liệu phải là một đối tượng JSON { … }."), 400)
    issuer = metadata.get("issuer_code")
    if issuer != agency:
        return again(
            gettext(
                request,
                "Chỉ được số hóa và nộp lưu kết quả của cơ quan mình ({agency}); siêu dữ "
                "liệu ghi mã cơ quan “{issuer}”.",
            ).format(agency=agency, issuer=issuer if isinstance(issuer, str) else ""),
            403,
        )
    try:
        scans = await _uploads(request, services)
    except _Refusal as exc:
        return again(exc.message, exc.status)
    if not scans:
        return again(gettext(request, "Hãy đính kèm lại các bản quét đã xem xét."), 400)
    given = [hashlib.sha256(data).hexdigest() for _name, data in scans]
    if given != list(reviewed["scan_sha256"]):
        return again(
            gettext(
                request,
                "Các bản quét đính kèm lại khác với các bản đã xem xét (khác mã SHA-256 "
                "hoặc thứ tự). Hãy đính kèm đúng các tệp đó, theo đúng thứ tự.",
            ),
            400,
        )
    problem = _signing_problem(request, services)
    if problem is not None:
        return again(problem, 503)
    access: Access = replace(web_access(request, user), acts_for=frozenset({agency}))
    try:
        outcome = await run_in_threadpool(services.digitize.digitize, scans, metadata, access)
    except KhoError as exc:
        message, detail, status = _problem(request, exc)
        record_id = exc.extra.get("record_id")
        if record_id:
            detail = f"{detail} (/records/{record_id})" if detail else f"/records/{record_id}"
        return again(message, status, detail)
    record = outcome.record
    return render(
        request,
        "digitization_done.html",
        {
            "outcome": outcome.outcome,
            "record": record,
            "indexed": outcome.indexed,
            "warnings": [w.message for w in outcome.warnings],
            "review": [r.to_json() for r in outcome.review],
            "issued_on": format_day(record.get("issued_on")),
        },
        status_code=201 if outcome.outcome == "created" else 200,
    )
