"""Response shapes of the API, for validation-free serialisation and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "FacetValue",
    "Problem",
    "RecordList",
    "RecordOut",
    "SearchItem",
    "SearchList",
    "Subject",
]

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
    "status": "valid",
    "sha256": "9f2c…",
    "size": 48213,
    "media_type": "application/pdf",
    "filename": "giay-khai-sinh.pdf",
    "signature": {
        "indication": "TOTAL-PASSED",
        "subindication": None,
        "signer": "UBND xã Tân Phú",
        "signed_at": "2026-11-22T09:15:00+07:00",
    },
    "retention": {"rule": "default:permanent", "retain_until": None, "holds": []},
}


class Subject(BaseModel):
    kind: str = Field(description="citizen | enterprise")
    id: str = Field(description="12-digit personal ID number or enterprise code")
    name: str


class Signature(BaseModel):
    indication: str | None = Field(
        None, description="TOTAL-PASSED | INDETERMINATE | TOTAL-FAILED (ETSI EN 319 102-1)"
    )
    subindication: str | None = None
    signer: str | None = None
    signed_at: str | None = None


class RetentionOut(BaseModel):
    rule: str
    retain_until: str | None = None
    holds: list[str] = []


class RecordOut(BaseModel):
    """A record's metadata (the manifest view); `status` is computed for today."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [_RECORD_EXAMPLE]})

    record_id: str
    issuer_code: str
    result_code: str
    dossier_code: str | None
    procedure_code: str
    procedure_name: str
    result_type: str
    subjects: list[Subject]
    issued_on: str
    valid_from: str
    valid_until: str | None
    validity_scope: str | None
    status: str = Field(description="valid | expired | revoked | superseded | disposed")
    sha256: str
    size: int
    media_type: str
    filename: str
    signature: Signature
    retention: RetentionOut


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
