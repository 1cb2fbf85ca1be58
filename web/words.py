"""The words the officer and auditor pages use for codes: why a result may not be reused,
a record's status, what an audit event was. Pure data and functions (no HTTP): msgids are
the Vietnamese text, marked with N_ so scripts/i18n extracts them, and translated where
they are shown."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kho.archive.reuse import ReuseBlocker
from kho.web.i18n import N_

__all__ = [
    "ACTION_TEXTS",
    "BLOCKER_TEXTS",
    "N_",
    "STATUS_TEXTS",
    "action_text",
    "blocker_texts",
    "reuse_sentence",
    "status_text",
]

Translate = Callable[[str], str]


# Every reuse blocker (archive/reuse.py), as the officer says it to the citizen.
BLOCKER_TEXTS: dict[str, str] = {
    ReuseBlocker.not_yet_valid: N_("chưa đến ngày có hiệu lực"),
    ReuseBlocker.expired: N_("đã hết hiệu lực"),
    ReuseBlocker.revoked: N_("đã bị thu hồi"),
    ReuseBlocker.superseded: N_("đã được thay thế bằng kết quả khác"),
    ReuseBlocker.disposed: N_("đã bị tiêu hủy khi hết thời hạn lưu trữ"),
    ReuseBlocker.signature_failed: N_("chữ ký số không hợp lệ"),
    ReuseBlocker.signature_indeterminate: N_("chưa xác định được chữ ký số có hợp lệ hay không"),
    ReuseBlocker.unsigned: N_("không có chữ ký số"),
}

REUSABLE = N_("Có thể sử dụng lại")
NOT_REUSABLE = N_("Không thể sử dụng lại vì")

STATUS_TEXTS: dict[str, str] = {
    "valid": N_("Còn hiệu lực"),
    "not_yet_valid": N_("Chưa có hiệu lực"),
    "expired": N_("Hết hiệu lực"),
    "revoked": N_("Đã thu hồi"),
    "superseded": N_("Đã được thay thế"),
    "disposed": N_("Đã tiêu hủy"),
}

ACTION_TEXTS: dict[str, str] = {
    "lookup": N_("Tra cứu kết quả"),
    "search": N_("Tìm kiếm"),
    "read": N_("Xem kết quả"),
    "history": N_("Xem lịch sử kết quả"),
    "download": N_("Tải / xem bản điện tử"),
    "content-link.create": N_("Tạo đường dẫn tải"),
    "verification.read": N_("Xem báo cáo chữ ký số"),
    "revalidate": N_("Kiểm tra lại chữ ký số"),
    "deposit": N_("Nộp lưu kết quả"),
    "revoke": N_("Thu hồi kết quả"),
    "supersede": N_("Thay thế kết quả"),
    "verify": N_("Kiểm tra chữ ký số một tệp"),
    "audit.query": N_("Tra cứu nhật ký"),
    "access-log.read": N_("Xem nhật ký truy cập"),
}


def blocker_texts(codes: Iterable[str], _: Translate) -> list[str]:
    """Each blocker in words (an unknown code as it is, never dropped)."""
    return [_(BLOCKER_TEXTS[code]) if code in BLOCKER_TEXTS else str(code) for code in codes]


def reuse_sentence(reusable: bool, codes: Iterable[str], _: Translate) -> str:
    """The verdict: "Có thể sử dụng lại" or "Không thể sử dụng lại vì …" naming every blocker."""
    if reusable:
        return _(REUSABLE)
    reasons = blocker_texts(codes, _)
    return f"{_(NOT_REUSABLE)} {'; '.join(reasons)}" if reasons else _(NOT_REUSABLE)


def status_text(status: str | None, _: Translate) -> str:
    if status is None:
        return ""
    return _(STATUS_TEXTS[status]) if status in STATUS_TEXTS else status


def action_text(action: str, _: Translate) -> str:
    return _(ACTION_TEXTS[action]) if action in ACTION_TEXTS else action
