"""Response shapes of the API, for validation-free serialisation and the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kho.archive.view import RecordView

__all__ = [
    "AccessLogEntry",
    "AccessLogList",
    "AuditEventList",
    "AuditEventOut",
    "ContentLinkIn",
    "ContentLinkOut",
    "DepositOut",
    "FacetValue",
    "KeyCreated",
    "KeyIn",
    "KeyList",
    "KeyOut",
    "Problem",
    "RecordList",
    "RecordOut",
    "RevokeIn",
    "SearchItem",
    "SearchList",
    "SupersedeIn",
]

RECORD_ID_PATTERN = r"^[0-9A-HJKMNP-TV-Z]{26}$"

_RECORD_EXAMPLE: dict[str, Any] = {
    "record_id": "01JD3V7Y8K3N2W6Q4T9ZB5XK1M",
    "issuer_code": "000.00.15.H62",
    "result_code": "000.00.15.H62-261122-0007-KQ1",
    "dossier_code": "000.00.15.H62-261122-0007",
    "procedure_code": "1.001193",
    "procedure_name": "Thủ tục đăng ký khai sinh",
    "result_type": "Giấy khai sinh",
    "subjects": [{"kind": "citizen", "id": "001203001234", "name": "Trần Văn Đức"}],
    "issued_on": "2026-11-22",
    "valid_from": "2026-11-22",
    "valid_until": None,
    "validity_scope": "Toàn quốc",
    "supersedes": None,
    "origin": "born_digital",
    "sha256": "9f2c…",
    "size": 48213,
    "media_type": "application/pdf",
    "filename": "giay-khai-sinh.pdf",
    "pages": 1,
    "signature": {
        "indication": "TOTAL-PASSED",
        "subindication": None,
        "signer": "UBND xã Tân Phú",
        "signed_at": "2026-11-22T09:15:00+07:00",
    },
    "retention": {"rule": "default:permanent", "retain_until": None, "holds": []},
    "superseded_by": None,
    "superseded_at": None,
    "revoked_at": None,
    "revocation_reason": None,
    "disposed_at": None,
    "deposited_at": "2026-11-22T10:02:41.518223+07:00",
    "source_system": "Hệ thống một cửa điện tử tỉnh Lai Châu",
    "extraction": {"language": "vi", "ocr_used": False, "pages_needing_ocr": []},
    "warnings": [],
    "version": 1,
    "status": "valid",
    "reusable": True,
    "reuse_blockers": [],
    "content_url": "/api/v1/records/01JD3V7Y8K3N2W6Q4T9ZB5XK1M/content",
}

# The demo's forged result: valid by its dates, but signed by an untrusted certificate.
_FORGED_EXAMPLE: dict[str, Any] = {
    **_RECORD_EXAMPLE,
    "record_id": "01JD3V9C4R7T2M8N6K5W3XQ1ZB",
    "result_code": "000.00.15.H62-261118-0260-KQ1",
    "dossier_code": "000.00.15.H62-261118-0260",
    "procedure_code": "1.004884",
    "procedure_name": "Thủ tục cấp bản sao trích lục hộ tịch",
    "result_type": "Trích lục khai sinh",
    "status": "valid",
    "reusable": False,
    "reuse_blockers": ["signature_indeterminate"],
    "signature": {
        "indication": "INDETERMINATE",
        "subindication": "NO_CERTIFICATE_CHAIN_FOUND",
        "signer": "UBND xã Giả Mạo",
        "signed_at": "2026-11-18T10:02:00+07:00",
    },
    "content_url": "/api/v1/records/01JD3V9C4R7T2M8N6K5W3XQ1ZB/content",
}

_WARNING_EXAMPLE: dict[str, Any] = {
    "code": "subject_id_not_in_text",
    "message": "Mã định danh 001203001234 (Trần Văn Đức) không có trong văn bản của tệp; "
    "kiểm tra lại người được cấp kết quả. / Subject ID 001203001234 does not occur in the "
    "file's text; check who the result is for.",
}


class RecordOut(RecordView):
    """A record's metadata: archive/view.py's RecordView, field for field, with the link to
    its signed bytes. `status`, `reusable` and `reuse_blockers` are computed for the day
    asked (today, or the lookup's `valid_on`)."""

    # Unknown keys are dropped, never passed through (the model is the whole shape); a
    # response is never refused for one, so a stale index document cannot make a 500.
    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [_RECORD_EXAMPLE, _FORGED_EXAMPLE]}
    )

    content_url: str | None = Field(
        None, description="Where to fetch the signed bytes (needs the same headers)"
    )


class DepositOut(RecordOut):
    """The deposited (or already held) record, and whether it is searchable yet."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_RECORD_EXAMPLE,
                    "warnings": [_WARNING_EXAMPLE],
                    "indexed": True,
                    "outcome": "created",
                }
            ]
        },
    )

    indexed: bool = Field(description="Already searchable (false while the index is down)")
    outcome: str = Field(description="created | existing")


class RecordList(BaseModel):
    items: list[RecordOut]
    total: int
    page: int
    page_size: int


class SearchItem(BaseModel):
    record: RecordOut
    highlights: dict[str, list[str]]
    score: float


class FacetValue(BaseModel):
    value: str
    count: int


class SearchList(BaseModel):
    items: list[SearchItem]
    total: int
    page: int
    page_size: int
    facets: dict[str, list[FacetValue]]


class Problem(BaseModel):
    """RFC 9457 problem details (media type application/problem+json)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "/problems/missing-purpose",
                    "title": "The purpose (X-Dossier-Code) is missing or malformed",
                    "status": 400,
                    "detail": "the X-Dossier-Code header is required",
                }
            ]
        },
    )

    type: str
    title: str
    status: int
    detail: str | None = None


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RevokeIn(_Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "Cấp sai ngày sinh; đã cấp lại bản đúng"}]},
    )

    reason: str = Field(min_length=1, max_length=1000, description="Why the result is revoked")


class SupersedeIn(_Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "superseded_by": "01JD3V7Y8K3N2W6Q4T9ZB5XK1N",
                    "reason": "Cấp đổi giấy chứng nhận do thay đổi thông tin",
                }
            ]
        },
    )

    superseded_by: str = Field(
        pattern=RECORD_ID_PATTERN, description="The record (already deposited) that replaces it"
    )
    reason: str | None = Field(None, max_length=1000)


class ContentLinkIn(_Input):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"minutes": 10}]})

    minutes: int = Field(10, ge=1, le=24 * 60, description="How long the link works")


class ContentLinkOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "record_id": "01JD3V7Y8K3N2W6Q4T9ZB5XK1M",
                    "url": "https://kho.example.gov.vn/api/v1/content-links/eyJyIjoi….Zm9v",
                    "expires_at": "2026-11-23T10:25:00+07:00",
                }
            ]
        }
    )

    record_id: str
    url: str = Field(
        description="GET it without an API key until `expires_at`. Absolute, under "
        "`KHO_PUBLIC_URL`, when the server has one; else relative to the server "
        "(`/api/v1/content-links/…`): Kho never builds links from a request's `Host` header."
    )
    expires_at: datetime


_KEY_EXAMPLE: dict[str, Any] = {
    "key_id": "3f9a0c1d2e4b5a69",
    "agency": "000.00.15.H62",
    "scopes": ["records:read"],
    "label": "Hệ thống một cửa điện tử tỉnh Lai Châu",
    "created_at": "2026-11-23T09:00:00+07:00",
    "expires_at": "2027-11-23T00:00:00+07:00",
    "revoked_at": None,
    "allowed_procedure_codes": ["1.001193"],
    "allowed_result_types": None,
    "on_behalf_of": ["000.00.16.H62"],
}


class KeyIn(_Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "agency": "000.00.15.H62",
                    "scopes": ["records:read"],
                    "label": "Hệ thống một cửa điện tử tỉnh Lai Châu",
                    "expires_at": "2027-11-23T00:00:00+07:00",
                    "allowed_procedure_codes": ["1.001193"],
                    "on_behalf_of": ["000.00.16.H62"],
                }
            ]
        },
    )

    agency: str = Field(max_length=35, description="The agency's code (mã cơ quan)")
    scopes: list[str] = Field(
        min_length=1,
        max_length=10,
        description="records:read, records:write, retention:manage, audit:read, "
        "subjects:access-log, keys:manage",
    )
    label: str | None = Field(None, max_length=200)
    expires_at: datetime | None = Field(None, description="RFC 3339 with an offset")
    allowed_procedure_codes: list[str] | None = Field(
        None, max_length=200, description="Limit lookups to these procedure codes"
    )
    allowed_result_types: list[str] | None = Field(
        None, max_length=200, description="Limit lookups to these result types"
    )
    on_behalf_of: list[str] | None = Field(
        None,
        max_length=1000,
        description="Other agencies (codes) this key deposits, supersedes and revokes for, "
        "e.g. those a province's one-door system serves; it always may for its own `agency`",
    )


class KeyOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_KEY_EXAMPLE]})

    key_id: str
    agency: str
    scopes: list[str]
    label: str | None = None
    created_at: str
    expires_at: str | None = None
    revoked_at: str | None = None
    allowed_procedure_codes: list[str] | None = None
    allowed_result_types: list[str] | None = None
    on_behalf_of: list[str] = Field(
        [], description="Other agencies this key deposits, supersedes and revokes for"
    )


class KeyCreated(KeyOut):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{**_KEY_EXAMPLE, "token": "kho_3f9a0c1d2e4b5a69_Jx…"}]}
    )

    token: str = Field(description="The API key; shown once, never stored")


class KeyList(BaseModel):
    items: list[KeyOut]
    total: int


_EVENT_EXAMPLE: dict[str, Any] = {
    "seq": 1024,
    "event_id": "01JD3W2B7Q5M8N4K6T1ZC9XV3R",
    "at": "2026-11-23T02:15:07.123456+00:00",
    "action": "lookup",
    "actor": {"agency": "000.00.15.H62", "key_id": "3f9a0c1d2e4b5a69"},
    "outcome": "ok",
    "prev_hash": "5d41402abc4b2a76b9719d911017c592ae3c1c1f1e0a4c8f3a2b1d0e9f8c7b6a",
    "purpose": "000.00.15.H62-261123-0001",
    "record_ids": ["01JD3V7Y8K3N2W6Q4T9ZB5XK1M"],
    "subject_ids": ["001203001234"],
    "detail": {"valid_on": "2026-11-23", "total": 1, "request_id": "a1b2c3d4e5f60718"},
    "hash": "9b74c9897bac770ffc029102a200c5de1f2b3c4d5e6f708192a3b4c5d6e7f809",
}


class AuditEventOut(BaseModel):
    """One event of the hash-chained audit trail, exactly as hashed (plus `hash`)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EVENT_EXAMPLE]})

    seq: int
    event_id: str
    at: str
    action: str
    actor: dict[str, str] = Field(
        description="agency and key_id of an API key, or user (a person or the system)"
    )
    outcome: str
    prev_hash: str
    purpose: str | None
    record_ids: list[str]
    subject_ids: list[str]
    detail: dict[str, Any]
    hash: str


class AuditEventList(BaseModel):
    items: list[AuditEventOut]
    total: int
    page: int
    page_size: int


class AccessLogEntry(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "at": "2026-11-23T02:15:07.123456+00:00",
                    "action": "download",
                    "agency": "000.00.15.H62",
                    "dossier_code": "000.00.15.H62-261123-0001",
                    "record_ids": ["01JD3V7Y8K3N2W6Q4T9ZB5XK1M"],
                    "outcome": "ok",
                }
            ]
        }
    )

    at: str = Field(description="When (RFC 3339, UTC)")
    action: str = Field(description="lookup, read, download, search, deposit, revoke, …")
    agency: str | None = Field(description="Which agency (null: Kho's own staff or system)")
    dossier_code: str | None = Field(description="For which dossier (the stated purpose)")
    record_ids: list[str] = Field(description="Which records")
    outcome: str | None = None


class AccessLogList(BaseModel):
    items: list[AccessLogEntry]
    total: int
    page: int
    page_size: int
