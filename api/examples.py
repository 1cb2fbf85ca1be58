"""The examples the OpenAPI document shows: a record as an agency sees it (and the demo's
forged one), a warning, an API key, an audit event. Vietnamese, as the archive holds them."""

from __future__ import annotations

from typing import Any

__all__ = ["EVENT_EXAMPLE", "FORGED_EXAMPLE", "KEY_EXAMPLE", "RECORD_EXAMPLE", "WARNING_EXAMPLE"]

RECORD_EXAMPLE: dict[str, Any] = {
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
FORGED_EXAMPLE: dict[str, Any] = {
    **RECORD_EXAMPLE,
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

WARNING_EXAMPLE: dict[str, Any] = {
    "code": "subject_id_not_in_text",
    "message": "Mã định danh 001203001234 (Trần Văn Đức) không có trong văn bản của tệp; "
    "kiểm tra lại người được cấp kết quả. / Subject ID 001203001234 does not occur in the "
    "file's text; check who the result is for.",
}


KEY_EXAMPLE: dict[str, Any] = {
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


EVENT_EXAMPLE: dict[str, Any] = {
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
