"""What a manifest says of a digitized record: the scans it came from (kept in the package,
content-addressed like originals), how well OCR read them, and who signed the copy.

The scans' SHA-256s, in input order, are the record's identity for a repeated digitization
(CONTRACT.md "Digitization"): the signed copy differs on every run, the scans do not.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DigitizationInfo", "ReviewNote", "ScanInfo"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScanInfo(_Frozen):
    sha256: str
    filename: str
    media_type: str
    size: int


class ReviewNote(_Frozen):
    """A point an officer was asked to check (CONTRACT.md's review entry)."""

    page: int | None = None
    field: str | None = None
    reason: str


class DigitizationInfo(_Frozen):
    scan_sha256: tuple[str, ...] = Field(min_length=1)
    scans: tuple[ScanInfo, ...] = ()
    pages: int = Field(ge=1)
    ocr_confidence: float = Field(ge=0, le=1)
    signed_by: str
    signature_profile: str = "PAdES-B-B"
    pdfa_validator: str = ""
    # "confirmed": an officer gave the metadata; "proposed": the batch accepted proposals.
    metadata_source: Literal["confirmed", "proposed"] = "confirmed"
    review: tuple[ReviewNote, ...] = ()

    def view(self) -> dict[str, object]:
        """The record JSON's `digitization` (CONTRACT.md), with the scans and the review."""
        return {
            "scan_sha256": list(self.scan_sha256),
            "pages": self.pages,
            "ocr_confidence": self.ocr_confidence,
            "signed_by": self.signed_by,
            "signature_profile": self.signature_profile,
            "pdfa_validator": self.pdfa_validator,
            "metadata_source": self.metadata_source,
            "scans": [s.model_dump() for s in self.scans],
            "review": [r.model_dump() for r in self.review],
        }
