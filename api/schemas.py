"""Response shapes of the API, for validation-free serialisation and the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kho.api.examples import (
    EVENT_EXAMPLE,
    FORGED_EXAMPLE,
    KEY_EXAMPLE,
    RECORD_EXAMPLE,
    WARNING_EXAMPLE,
)
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

class RecordOut(RecordView):
    """A record's metadata: archive/view.py's RecordView, field for field, with the link to
    its signed bytes. `status`, `reusable` and `reuse_blockers` are computed for the day
    asked (today, or the lookup's `valid_on`)."""

    # Unknown keys are dropped, never passed through (the model is the whole shape); a
    # response is never refused for one, so a stale index document cannot make a 500.
    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [RECORD_EXAMPLE, FORGED_EXAMPLE]}
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
                    **RECORD_EXAMPLE,
                    "warnings": [WARNING_EXAMPLE],
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
    total_relation: Literal["eq", "gte"] = Field(
        "eq",
        description="`eq`: `total` counts every match; `gte`: there are at least `total` "
        "(a search counts up to 2,000 matches, and its facets count those)",
    )
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
    model_config = ConfigDict(json_schema_extra={"examples": [KEY_EXAMPLE]})

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
        json_schema_extra={"examples": [{**KEY_EXAMPLE, "token": "kho_3f9a0c1d2e4b5a69_Jx…"}]}
    )

    token: str = Field(description="The API key; shown once, never stored")


class KeyList(BaseModel):
    items: list[KeyOut]
    total: int


class AuditEventOut(BaseModel):
    """One event of the hash-chained audit trail, exactly as hashed (plus `hash`)."""

    model_config = ConfigDict(json_schema_extra={"examples": [EVENT_EXAMPLE]})

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
