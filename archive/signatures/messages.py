"""The sentence shown for a signature result, in Vietnamese first and English second."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

from .status import SubIndication

__all__ = ["Reason", "describe"]


class Reason(Enum):
    """Why a signature got its indication, when the sub-indication alone does not say."""

    PASSED = "passed"
    PASSED_WITH_UPDATES = "passed_with_updates"  # allowed updates after signing
    PASSED_IN_PAST = "passed_in_past"  # judged as of a proof of existence
    MODIFIED = "modified"  # disallowed changes after signing
    PARTIAL_COVERAGE = "partial_coverage"
    BAD_STRUCTURE = "bad_structure"
    UNSUPPORTED = "unsupported"
    SIGNED_BEFORE_CERTIFICATE = "signed_before_certificate"  # timestamp predates the cert
    MODIFIED_UNEXPLAINED = "modified_unexplained"  # changes the analysis cannot explain
    PAGES_CHANGED = "pages_changed"  # pages added or removed after signing
    DAMAGED_DOCUMENT = "damaged_document"  # signed, but the PDF structure is unreadable
    ENCAPSULATED_CONTENT = "encapsulated_content"  # a detached signature with eContent


_REASONS: dict[Reason, tuple[str, str]] = {
    Reason.PASSED: (
        "Chữ ký hợp lệ: tài liệu không bị thay đổi sau khi ký và chứng thư số của người ký "
        "được tin cậy.",
        "The signature is valid: the document has not changed since it was signed and the "
        "signer's certificate is trusted.",
    ),
    Reason.PASSED_WITH_UPDATES: (
        "Chữ ký hợp lệ; sau khi ký, tài liệu chỉ được bổ sung những nội dung được phép "
        "(chữ ký khác, thông tin xác thực dài hạn).",
        "The signature is valid; after signing, the document only received permitted "
        "additions (further signatures, long-term validation data).",
    ),
    Reason.PASSED_IN_PAST: (
        "Chữ ký hợp lệ: có bằng chứng chữ ký đã tồn tại lúc {date}, khi chứng thư số của "
        "người ký còn hiệu lực và chưa bị thu hồi.",
        "The signature is valid: there is proof that it existed at {date}, when the signer's "
        "certificate was valid and not revoked.",
    ),
    Reason.MODIFIED: (
        "Chữ ký không hợp lệ: tài liệu đã bị sửa đổi sau khi ký theo cách không được phép "
        "(nội dung hiển thị có thể khác với nội dung đã ký).",
        "The signature is invalid: the document was modified after signing in a way that is "
        "not permitted (what is shown may differ from what was signed).",
    ),
    Reason.PARTIAL_COVERAGE: (
        "Chữ ký không hợp lệ: chữ ký không bao trùm toàn bộ phiên bản tài liệu đã ký.",
        "The signature is invalid: it does not cover the whole signed revision of the document.",
    ),
    Reason.BAD_STRUCTURE: (
        "Chữ ký không hợp lệ: dữ liệu chữ ký bị hỏng hoặc sai định dạng.",
        "The signature is invalid: the signature data is damaged or malformed.",
    ),
    Reason.UNSUPPORTED: (
        "Chữ ký không hợp lệ: định dạng chữ ký không được hỗ trợ ({detail}).",
        "The signature is invalid: unsupported signature format ({detail}).",
    ),
    Reason.SIGNED_BEFORE_CERTIFICATE: (
        "Chữ ký không hợp lệ: dấu thời gian cho thấy chữ ký được tạo trước khi chứng thư số "
        "của người ký có hiệu lực.",
        "The signature is invalid: a timestamp shows it was made before the signer's "
        "certificate became valid.",
    ),
    Reason.MODIFIED_UNEXPLAINED: (
        "Không xác định được: tài liệu đã bị sửa đổi sau khi ký theo cách không xác định "
        "được là được phép; phần đã ký còn nguyên vẹn, nhưng nội dung hiển thị có thể khác "
        "với nội dung đã ký.",
        "Indeterminate: the document was modified after signing in a way that cannot be "
        "shown to be permitted; the signed revision is intact, but what is shown may differ "
        "from what was signed.",
    ),
    Reason.PAGES_CHANGED: (
        "Chữ ký không hợp lệ: tài liệu đã bị sửa đổi sau khi ký: các trang đã được thêm "
        "hoặc bớt.",
        "The signature is invalid: the document was modified after signing: pages were "
        "added or removed.",
    ),
    Reason.DAMAGED_DOCUMENT: (
        "Chữ ký không hợp lệ: cấu trúc tệp PDF bị hỏng nên không thể đối chiếu chữ ký với "
        "tài liệu.",
        "The signature is invalid: the PDF's structure is damaged, so the signature cannot "
        "be checked against the document.",
    ),
    Reason.ENCAPSULATED_CONTENT: (
        "Chữ ký không hợp lệ: chữ ký chứa sẵn nội dung được ký bên trong, nên nó không ký "
        "các byte của tài liệu này.",
        "The signature is invalid: it encapsulates the content it signs, so it does not "
        "sign this document's bytes.",
    ),
}

_SUBINDICATIONS: dict[SubIndication, tuple[str, str]] = {
    SubIndication.HASH_FAILURE: (
        "Chữ ký không hợp lệ: nội dung đã ký bị thay đổi (giá trị băm không khớp).",
        "The signature is invalid: the signed content was altered (digest mismatch).",
    ),
    SubIndication.SIG_CRYPTO_FAILURE: (
        "Chữ ký không hợp lệ: giá trị chữ ký không khớp với khóa công khai trong chứng thư "
        "số của người ký.",
        "The signature is invalid: the signature value does not verify with the public key "
        "of the signer's certificate.",
    ),
    SubIndication.FORMAT_FAILURE: _REASONS[Reason.BAD_STRUCTURE],
    SubIndication.REVOKED: (
        "Chữ ký không hợp lệ: chứng thư số của người ký đã bị thu hồi ({date}) trước khi ký.",
        "The signature is invalid: the signer's certificate was revoked ({date}) before signing.",
    ),
    SubIndication.NOT_YET_VALID: (
        "Không xác định được: chứng thư số của người ký chưa có hiệu lực tại thời điểm kiểm tra.",
        "Indeterminate: the signer's certificate is not yet valid at validation time.",
    ),
    SubIndication.NO_SIGNING_CERTIFICATE_FOUND: (
        "Không xác định được: không tìm thấy chứng thư số của người ký trong chữ ký.",
        "Indeterminate: the signer's certificate was not found in the signature.",
    ),
    SubIndication.NO_CERTIFICATE_CHAIN_FOUND: (
        "Không xác định được: không dựng được chuỗi chứng thực từ chứng thư số của người ký "
        "tới một chứng thư gốc tin cậy.",
        "Indeterminate: no certificate chain could be built from the signer's certificate "
        "to a trusted root.",
    ),
    SubIndication.OUT_OF_BOUNDS_NO_POE: (
        "Không xác định được: chứng thư số trong chuỗi chứng thực đã hết hạn ({date}) và "
        "không có bằng chứng (dấu thời gian) cho thấy chữ ký được tạo khi chứng thư còn "
        "hiệu lực.",
        "Indeterminate: a certificate of the chain has expired ({date}) and there is no "
        "proof (timestamp) that the signature was made while it was valid.",
    ),
    SubIndication.OUT_OF_BOUNDS_NOT_REVOKED: (
        "Không xác định được: chứng thư số đã hết hạn; chưa bị thu hồi nhưng không có bằng "
        "chứng chữ ký được tạo khi chứng thư còn hiệu lực.",
        "Indeterminate: the certificate has expired; it was not revoked, but there is no "
        "proof the signature was made while it was valid.",
    ),
    SubIndication.REVOKED_NO_POE: (
        "Không xác định được: chứng thư số của người ký đã bị thu hồi lúc {date} và không "
        "có bằng chứng chữ ký được tạo trước thời điểm đó.",
        "Indeterminate: the signer's certificate was revoked at {date} and there is no proof "
        "that the signature was made before then.",
    ),
    SubIndication.REVOKED_CA_NO_POE: (
        "Không xác định được: chứng thư số của tổ chức cấp trong chuỗi chứng thực đã bị thu "
        "hồi lúc {date} và không có bằng chứng chữ ký được tạo trước thời điểm đó.",
        "Indeterminate: a CA certificate of the chain was revoked at {date} and there is no "
        "proof that the signature was made before then.",
    ),
    SubIndication.REVOCATION_OUT_OF_BOUNDS_NO_POE: (
        "Không xác định được: thông tin thu hồi hiện có không dùng được cho thời điểm ký.",
        "Indeterminate: the available revocation data cannot be used for the signing time.",
    ),
    SubIndication.TRY_LATER: (
        "Không xác định được: chưa có thông tin thu hồi đủ mới cho chứng thư số; hãy kiểm "
        "tra lại sau.",
        "Indeterminate: no sufficiently fresh revocation data for the certificate; try again "
        "later.",
    ),
    SubIndication.CHAIN_CONSTRAINTS_FAILURE: (
        "Không xác định được: chứng thư số không đáp ứng các ràng buộc của chuỗi chứng thực "
        "(mục đích sử dụng khóa, ràng buộc cơ bản, ...).",
        "Indeterminate: the certificate does not meet the chain's constraints (key usage, "
        "basic constraints, ...).",
    ),
    SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE: (
        "Không xác định được: không kiểm tra được chuỗi chứng thực của người ký.",
        "Indeterminate: the signer's certificate chain could not be checked.",
    ),
    SubIndication.CRYPTO_CONSTRAINTS_FAILURE: (
        "Không xác định được: chữ ký dùng thuật toán mật mã hoặc độ dài khóa không còn được "
        "chấp nhận.",
        "Indeterminate: the signature uses a cryptographic algorithm or key size that is no "
        "longer accepted.",
    ),
    SubIndication.CRYPTO_CONSTRAINTS_FAILURE_NO_POE: (
        "Không xác định được: thuật toán mật mã của chữ ký không còn được chấp nhận và không "
        "có bằng chứng chữ ký được tạo khi thuật toán còn an toàn.",
        "Indeterminate: the signature's algorithm is no longer accepted and there is no proof "
        "the signature was made while it still was.",
    ),
    SubIndication.SIG_CONSTRAINTS_FAILURE: (
        "Không xác định được: chữ ký không đáp ứng các ràng buộc của chính sách kiểm tra.",
        "Indeterminate: the signature does not meet the validation policy's constraints.",
    ),
    SubIndication.TIMESTAMP_ORDER_FAILURE: (
        "Không xác định được: thứ tự các dấu thời gian trong chữ ký không hợp lý.",
        "Indeterminate: the timestamps of the signature are not in a consistent order.",
    ),
    SubIndication.NO_POE: (
        "Không xác định được: thiếu bằng chứng về thời điểm tồn tại của chữ ký.",
        "Indeterminate: proof of the signature's existence in time is missing.",
    ),
}

_GENERIC = (
    "Không xác định được: đã xảy ra lỗi khi kiểm tra chữ ký ({detail}).",
    "Indeterminate: an error occurred while checking the signature ({detail}).",
)


def _date(moment: datetime | None) -> tuple[str, str]:
    if moment is None:
        return "không rõ thời điểm", "an unknown time"
    moment = moment.astimezone(UTC)
    return moment.strftime("%H:%M ngày %d/%m/%Y (UTC)"), moment.strftime("%Y-%m-%d %H:%M UTC")


def describe(
    what: Reason | SubIndication | None,
    *,
    date: datetime | None = None,
    detail: str = "",
) -> tuple[str, str]:
    """(Vietnamese, English) sentence for a reason or a sub-indication; `date` fills in
    revocation or expiry times, `detail` a technical remark."""
    if isinstance(what, Reason):
        vi, en = _REASONS[what]
    elif what is not None and what in _SUBINDICATIONS:
        vi, en = _SUBINDICATIONS[what]
    else:
        vi, en = _GENERIC
    date_vi, date_en = _date(date)
    detail = detail or (what.value if isinstance(what, SubIndication) else "không rõ")
    return vi.format(date=date_vi, detail=detail), en.format(date=date_en, detail=detail)
