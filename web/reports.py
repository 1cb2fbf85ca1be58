"""The printable signature validation report for auditors (báo cáo xác thực chữ ký số):
one self-contained HTML page, Vietnamese first and English second, from a report as
`VerifyService` keeps and returns it. Every value comes from untrusted PDFs, so the page
is rendered with autoescaping on and nothing marked safe."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

import jinja2

from kho import __version__

__all__ = [
    "COVERAGE",
    "INDICATIONS",
    "SUBINDICATIONS",
    "describe_indication",
    "render_report",
    "report_context",
]

TEMPLATES_DIR = Path(__file__).parent / "templates"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

# indication → (css class, Vietnamese, English); None is a PDF without signatures.
INDICATIONS: dict[str | None, tuple[str, str, str]] = {
    "TOTAL-PASSED": ("passed", "Hợp lệ", "Valid"),
    "INDETERMINATE": ("indeterminate", "Chưa xác định được", "Indeterminate"),
    "TOTAL-FAILED": ("failed", "Không hợp lệ", "Invalid"),
    None: ("unsigned", "Không có chữ ký số", "No digital signature"),
}

# ETSI EN 319 102-1 sub-indications, what each means (Vietnamese, English).
SUBINDICATIONS: dict[str, tuple[str, str]] = {
    "FORMAT_FAILURE": (
        "Lỗi định dạng: chữ ký hoặc tài liệu sai cấu trúc, hoặc tài liệu bị sửa đổi sau khi "
        "ký theo cách không được phép",
        "Format failure: the signature or the document is malformed, or the document was "
        "changed after signing in a way that is not permitted",
    ),
    "HASH_FAILURE": (
        "Sai giá trị băm: nội dung đã ký bị thay đổi",
        "Hash failure: the signed content was altered",
    ),
    "SIG_CRYPTO_FAILURE": (
        "Giá trị chữ ký không khớp với khóa công khai của người ký",
        "The signature value does not verify with the signer's public key",
    ),
    "REVOKED": (
        "Chứng thư số của người ký đã bị thu hồi trước khi ký",
        "The signer's certificate was revoked before the signature was made",
    ),
    "SIG_CONSTRAINTS_FAILURE": (
        "Chữ ký không đáp ứng các ràng buộc của chính sách kiểm tra",
        "The signature does not meet the constraints of the validation policy",
    ),
    "CHAIN_CONSTRAINTS_FAILURE": (
        "Chuỗi chứng thực không đáp ứng các ràng buộc (mục đích sử dụng khóa, ràng buộc cơ "
        "bản, ...)",
        "The certificate chain does not meet its constraints (key usage, basic constraints, ...)",
    ),
    "CERTIFICATE_CHAIN_GENERAL_FAILURE": (
        "Không kiểm tra được chuỗi chứng thực của người ký",
        "The signer's certificate chain could not be checked",
    ),
    "CRYPTO_CONSTRAINTS_FAILURE": (
        "Thuật toán mật mã hoặc độ dài khóa không còn được chấp nhận",
        "The cryptographic algorithm or key size is no longer accepted",
    ),
    "EXPIRED": (
        "Chứng thư số đã hết hạn trước thời điểm ký",
        "The certificate had expired before the signature was made",
    ),
    "NOT_YET_VALID": (
        "Chứng thư số chưa có hiệu lực tại thời điểm ký",
        "The certificate was not yet valid when the signature was made",
    ),
    "POLICY_PROCESSING_ERROR": (
        "Không xử lý được chính sách chữ ký",
        "The signature policy could not be processed",
    ),
    "SIGNATURE_POLICY_NOT_AVAILABLE": (
        "Không có chính sách chữ ký mà chữ ký yêu cầu",
        "The signature policy the signature requires is not available",
    ),
    "TIMESTAMP_ORDER_FAILURE": (
        "Thứ tự các dấu thời gian không hợp lý",
        "The timestamps are not in a consistent order",
    ),
    "NO_SIGNING_CERTIFICATE_FOUND": (
        "Không tìm thấy chứng thư số của người ký",
        "The signer's certificate was not found",
    ),
    "NO_CERTIFICATE_CHAIN_FOUND": (
        "Không dựng được chuỗi chứng thực tới một chứng thư gốc tin cậy",
        "No certificate chain to a trusted root could be built",
    ),
    "REVOKED_NO_POE": (
        "Chứng thư số của người ký đã bị thu hồi và không có bằng chứng chữ ký được tạo "
        "trước khi thu hồi",
        "The signer's certificate was revoked and there is no proof the signature existed "
        "before the revocation",
    ),
    "REVOKED_CA_NO_POE": (
        "Chứng thư của tổ chức cấp đã bị thu hồi và không có bằng chứng chữ ký được tạo "
        "trước khi thu hồi",
        "A CA certificate was revoked and there is no proof the signature existed before "
        "the revocation",
    ),
    "OUT_OF_BOUNDS_NO_POE": (
        "Chứng thư số đã hết hạn (hoặc chưa có hiệu lực) tại thời điểm kiểm tra và không có "
        "bằng chứng (dấu thời gian) chữ ký được tạo khi chứng thư còn hiệu lực",
        "The certificate is expired (or not yet valid) at validation time and there is no "
        "proof (timestamp) the signature was made while it was valid",
    ),
    "OUT_OF_BOUNDS_NOT_REVOKED": (
        "Chứng thư số đã hết hạn, chưa bị thu hồi, nhưng không có bằng chứng chữ ký được "
        "tạo khi chứng thư còn hiệu lực",
        "The certificate has expired and was not revoked, but there is no proof the "
        "signature was made while it was valid",
    ),
    "REVOCATION_OUT_OF_BOUNDS_NO_POE": (
        "Thông tin thu hồi hiện có không dùng được cho thời điểm ký",
        "The available revocation data cannot be used for the signing time",
    ),
    "CRYPTO_CONSTRAINTS_FAILURE_NO_POE": (
        "Thuật toán mật mã không còn được chấp nhận và không có bằng chứng chữ ký được tạo "
        "khi thuật toán còn an toàn",
        "The algorithm is no longer accepted and there is no proof the signature was made "
        "while it still was",
    ),
    "NO_POE": (
        "Thiếu bằng chứng về thời điểm tồn tại của chữ ký",
        "Proof of the signature's existence in time is missing",
    ),
    "TRY_LATER": (
        "Chưa có thông tin thu hồi đủ mới; hãy kiểm tra lại sau",
        "No sufficiently fresh revocation data yet; try again later",
    ),
    "SIGNED_DATA_NOT_FOUND": (
        "Không tìm thấy dữ liệu đã được ký",
        "The signed data cannot be found",
    ),
    "GENERIC": (
        "Lỗi khác khi kiểm tra chữ ký",
        "Another error occurred while checking the signature",
    ),
}

COVERAGE: dict[str, tuple[str, str]] = {
    "ENTIRE_FILE": ("Toàn bộ tệp", "The entire file"),
    "ENTIRE_REVISION": (
        "Toàn bộ phiên bản đã ký (tệp có cập nhật sau đó)",
        "The entire signed revision (the file was updated later)",
    ),
    "PARTIAL": ("Chỉ một phần tài liệu", "Only part of the document"),
}

_MODIFICATIONS: dict[str, tuple[str, str]] = {
    "NONE": ("không có", "none"),
    "LTA_UPDATES": (
        "chỉ bổ sung dữ liệu xác thực dài hạn, dấu thời gian",
        "validation data and timestamps only",
    ),
    "FORM_FILLING": ("điền biểu mẫu, ký thêm", "form filling, further signatures"),
    "ANNOTATIONS": ("thêm chú thích", "annotations"),
    "OTHER": ("sửa đổi nội dung khác", "other changes to the content"),
}


_RECORD_FIELDS = ("record_id", "issuer_code", "result_code", "result_type", "filename")
_EVIDENCE_KINDS = ("certificates", "crls", "ocsp_responses")


def _moment(value: object, zone: tzinfo) -> dict[str, str] | None:
    """An RFC 3339 time as shown: in the archive's zone, with its offset."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return {"iso": value, "text": value}
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    local = parsed.astimezone(zone)
    offset = local.strftime("%z")
    return {
        "iso": parsed.isoformat(),
        "text": f"{local:%H:%M:%S} ngày {local:%d/%m/%Y} (UTC{offset[:3]}:{offset[3:]})",
    }


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _indication(indication: object, subindication: object) -> dict[str, Any]:
    key = indication if isinstance(indication, str) and indication in INDICATIONS else None
    if indication is not None and key is None:
        css, vi, en = "failed", str(indication), str(indication)
    else:
        css, vi, en = INDICATIONS[key]
    sub = _text(subindication)
    sub_vi, sub_en = SUBINDICATIONS.get(sub or "", (None, None))
    return {
        "code": _text(indication),
        "css": css,
        "vi": vi,
        "en": en,
        "sub": sub,
        "sub_vi": sub_vi,
        "sub_en": sub_en,
    }


def _signature(number: int, item: Mapping[str, Any], zone: tzinfo) -> dict[str, Any]:
    signer = item.get("signer") or {}
    coverage = _text(item.get("coverage"))
    level = _text(item.get("modification_level"))
    modified = bool(item.get("modified_after_signing"))
    level_vi, level_en = _MODIFICATIONS.get(level or "", (level, level))
    return {
        "number": number,
        "field_name": _text(item.get("field_name")),
        "signer_name": _text(signer.get("common_name")),
        "subject": _text(signer.get("subject")),
        "issuer": _text(signer.get("issuer")),
        "serial": _text(signer.get("serial")),
        "claimed": _moment(item.get("claimed_signing_time"), zone),
        "timestamped": _moment(item.get("timestamp_time"), zone),
        "timestamp_trusted": item.get("timestamp_trusted"),
        "verdict": _indication(item.get("indication"), item.get("subindication")),
        "message_vi": _text(item.get("message_vi")),
        "message_en": _text(item.get("message_en")),
        "coverage": coverage,
        "coverage_vi": COVERAGE.get(coverage or "", (coverage, coverage))[0],
        "coverage_en": COVERAGE.get(coverage or "", (coverage, coverage))[1],
        "modified": modified,
        "modification_vi": level_vi,
        "modification_en": level_en,
        "intact": item.get("intact"),
        "valid": item.get("valid"),
        "trusted": item.get("trusted"),
        "validation_time": _moment(item.get("validation_time"), zone),
        "constraint": _constraint(item.get("constraint")),
    }


_CONSTRAINT_KINDS = {
    "digest_algorithm": ("thuật toán băm", "digest algorithm"),
    "key_size": ("độ dài khóa", "key size"),
}


def _constraint(value: object) -> dict[str, Any] | None:
    """The validation policy's constraint a signature failed, ready to show."""
    item = _mapping(value)
    if item is None:
        return None
    kind = _text(item.get("kind")) or ""
    kind_vi, kind_en = _CONSTRAINT_KINDS.get(kind, (kind, kind))
    bits = item.get("key_size")
    return {
        "kind_vi": kind_vi,
        "kind_en": kind_en,
        "algorithm": _text(item.get("algorithm")),
        "key_size": bits if isinstance(bits, int) else None,
        "until": _text(item.get("acceptable_until")),
    }


def _policy(value: object) -> dict[str, Any] | None:
    item = _mapping(value)
    if item is None:
        return None
    return {key: _text(item.get(key)) for key in ("name", "version", "source", "sha256")}


def _mapping(value: object) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def _list(value: object) -> Sequence[Any]:
    return value if isinstance(value, list) else []


def describe_indication(indication: object, subindication: object = None) -> dict[str, Any]:
    """An indication ready to show: css class, Vietnamese and English words, and what its
    sub-indication means (the record page's signature panel uses it too)."""
    return _indication(indication, subindication)


def render_report(
    report: Mapping[str, Any],
    *,
    zone: tzinfo,
    source: str | None = None,
    generated_at: datetime | None = None,
) -> str:
    """The HTML page of a validation report (`VerifyService.document`,
    `latest_report` or `revalidate`); `source` names the file when there is no record."""
    context = report_context(report, zone=zone, source=source, generated_at=generated_at)
    return _env.get_template("verification.html").render(context)


def report_context(
    report: Mapping[str, Any],
    *,
    zone: tzinfo,
    source: str | None = None,
    generated_at: datetime | None = None,
) -> dict[str, Any]:
    """What the report page shows, every value a plain string (the web's /verify page
    shows the same)."""
    record = _mapping(report.get("record"))
    document = _mapping(report.get("document")) or {}
    trust = _mapping(report.get("trust"))
    evidence = _mapping(report.get("evidence"))
    signatures = [
        _signature(number, item, zone)
        for number, item in enumerate(_list(report.get("signatures")), 1)
        if isinstance(item, Mapping)
    ]
    context = {
        "verdict": _indication(report.get("indication"), report.get("subindication")),
        "signatures": signatures,
        "source": source,
        "record": None
        if record is None
        else {
            **{key: _text(record.get(key)) for key in _RECORD_FIELDS},
            "deposited": _moment(record.get("deposited_at"), zone),
        },
        "sha256": _text((record or {}).get("sha256") or document.get("sha256")),
        "size": (record or {}).get("size") or document.get("size"),
        "validated_at": _moment(report.get("validated_at"), zone),
        "validation_time_used": _moment(report.get("validation_time_used"), zone),
        "policy": _policy(report.get("policy")),
        "trust": None
        if trust is None
        else {
            "fingerprint": _text(trust.get("fingerprint")),
            "roots": [
                {"subject": _text(root.get("subject")), "sha256": _text(root.get("sha256"))}
                for root in _list(trust.get("roots"))
                if isinstance(root, Mapping)
            ],
            "online": bool(trust.get("revocation_online")),
        },
        "evidence": None
        if evidence is None
        else {kind: len(_list(evidence.get(kind))) for kind in _EVIDENCE_KINDS},
        "validations": [
            {
                "validated_at": _moment(v.get("validated_at"), zone),
                "moment": _moment(v.get("moment"), zone),
                "verdict": _indication(v.get("indication"), v.get("subindication")),
            }
            for v in _list(report.get("validations"))
            if isinstance(v, Mapping)
        ],
        "generated_at": _moment((generated_at or datetime.now(UTC)).isoformat(), zone),
        "version": __version__,
    }
    return context
