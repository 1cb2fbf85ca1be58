"""Warnings on an accepted deposit: what looks wrong but is not a reason to refuse it.

Each is `{"code": …, "message": …}` (CONTRACT.md "Reuse means trustworthy"): the code for
machines, the message for people (Vietnamese first). They are kept in the manifest and
returned with the deposit, so a mismatched deposit stays visible. Manifests written before
codes existed hold plain strings; `DepositWarning.coerce` reads them with a code guessed
from their wording.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # record.py imports this module: annotations only
    from kho.archive.record import DepositMetadata

__all__ = ["DepositWarning", "WarningCode", "deposit_warnings", "subjects_missing_from_text"]


class WarningCode(StrEnum):
    subject_id_not_in_text = "subject_id_not_in_text"
    unknown_province_prefix = "unknown_province_prefix"
    enterprise_check_digit = "enterprise_check_digit"
    # A warning of an older manifest whose wording names no known code.
    note = "note"


class DepositWarning(BaseModel):
    """Something that looks wrong with an accepted deposit, kept in its manifest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(
        description="subject_id_not_in_text (a subject ID that does not occur in the "
        "extracted text; scans without text are exempt), unknown_province_prefix, "
        "enterprise_check_digit, note (an older manifest's warning)",
        examples=["subject_id_not_in_text"],
    )
    message: str = Field(description="For people, Vietnamese first")

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}

    @classmethod
    def coerce(cls, value: Any) -> Any:
        """A warning as stored: an object, or an old manifest's plain string."""
        if not isinstance(value, str):
            return value
        if "unknown province prefix" in value:
            code = WarningCode.unknown_province_prefix
        elif "check digit" in value:
            code = WarningCode.enterprise_check_digit
        else:
            code = WarningCode.note
        return {"code": code.value, "message": value}


# A number as it may be printed: digits, possibly grouped by spaces, dots or dashes
# ("001 203 001 234", "0101234565-001").
_NUMBER = re.compile(r"\d(?:[\d .\-\u00a0]*\d)?")


def _digit_runs(text: str) -> list[str]:
    return [re.sub(r"\D", "", m.group()) for m in _NUMBER.finditer(text)]


def _has_text(page_texts: Sequence[str], pages_needing_ocr: Sequence[int], pages: int) -> bool:
    """Whether the file has text to compare with: a scan whose pages all need OCR, or a
    file with no extracted text at all, has none (and is exempt)."""
    if not any(t.strip() for t in page_texts):
        return False
    return not (pages > 0 and len(set(pages_needing_ocr)) >= pages)


def subjects_missing_from_text(
    subjects: Iterable[tuple[str, str]],
    page_texts: Sequence[str],
    *,
    pages_needing_ocr: Sequence[int] = (),
    pages: int = 0,
) -> list[DepositWarning]:
    """`subject_id_not_in_text` for each (id, name) whose ID does not occur in the text.

    Compared digits-only on both sides, so "0101234565-001" matches "0101234565 - 001" and
    "001 203 001 234" matches "001203001234". Scans without text are exempt.
    """
    if not _has_text(page_texts, pages_needing_ocr, pages):
        return []
    runs = _digit_runs("\n".join(page_texts))
    warnings = []
    for subject_id, name in subjects:
        wanted = re.sub(r"\D", "", subject_id)
        if wanted and not any(wanted in run for run in runs):
            warnings.append(
                DepositWarning(
                    code=WarningCode.subject_id_not_in_text.value,
                    message=(
                        f"Mã định danh {subject_id} ({name}) không có trong văn bản của tệp; "
                        f"kiểm tra lại người được cấp kết quả. / Subject ID {subject_id} "
                        "does not occur in the file's text; check who the result is for."
                    ),
                )
            )
    return warnings


def deposit_warnings(
    metadata: DepositMetadata,
    page_texts: Sequence[str],
    *,
    pages_needing_ocr: Sequence[int] = (),
    pages: int = 0,
) -> list[DepositWarning]:
    """Every warning of an accepted deposit, as its manifest keeps them: those of its
    metadata (the subject IDs' own checks), then each subject ID missing from its text."""
    return [
        *metadata.warnings(),
        *subjects_missing_from_text(
            [(s.id, s.name) for s in metadata.subjects],
            page_texts,
            pages_needing_ocr=pages_needing_ocr,
            pages=pages,
        ),
    ]
