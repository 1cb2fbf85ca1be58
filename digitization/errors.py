"""What can go wrong while digitizing: a scan Kho cannot read, OCR or signing that fails.

Each is a KhoError with a stable problem type, so the API answers problem+json and the CLI a
one-line message; no library's exception crosses this package's boundary.
"""

from __future__ import annotations

from kho.errors import Conflict, KhoError, Unavailable

__all__ = [
    "DigitizationError",
    "DuplicateScans",
    "NeedsReview",
    "OcrFailed",
    "OcrUnavailable",
    "PdfaFailed",
    "ScanRejected",
    "ScanTooLarge",
    "SigningFailed",
    "SigningNotConfigured",
]


class DigitizationError(KhoError):
    """Base of the digitization layer's errors."""


class ScanRejected(DigitizationError):
    """A scan that is not an image Kho reads (or a PDF that is not made of page images)."""

    problem_type = "unreadable-scan"
    title = "Unreadable scan"


class ScanTooLarge(DigitizationError):
    """Over a limit: bytes, pages or pixels per page."""

    problem_type = "too-large"
    title = "Scan too large"


class OcrFailed(DigitizationError):
    """OCR could not make the searchable PDF/A (time limit, a page it cannot process)."""

    problem_type = "ocr-failed"
    title = "OCR failed"


class OcrUnavailable(DigitizationError, Unavailable):
    """OCRmyPDF, Tesseract or its Vietnamese model is not installed."""

    problem_type = "ocr-unavailable"
    title = "OCR is not available"


class PdfaFailed(DigitizationError):
    """The copy is not PDF/A-2b, before or after signing; nothing is deposited."""

    problem_type = "pdfa-invalid"
    title = "The copy is not PDF/A-2b"


class SigningNotConfigured(DigitizationError, Unavailable):
    """No signing key is configured, or a setting it needs is missing (names it)."""

    problem_type = "signing-not-configured"
    title = "No signing key configured"

    def __init__(self, detail: str, *, setting: str) -> None:
        super().__init__(detail, setting=setting)
        self.setting = setting


class SigningFailed(DigitizationError, Unavailable):
    """The key or token refused to sign, or the TSA did not answer."""

    problem_type = "signing-failed"
    title = "Signing failed"


class DuplicateScans(DigitizationError, Conflict):
    """These scans were deposited already under another (issuer_code, result_code)."""

    problem_type = "duplicate-content"
    title = "These scans are already archived"


class NeedsReview(DigitizationError):
    """The metadata is incomplete and the proposals were not accepted: an officer must
    confirm them first (`review` lists what to look at)."""

    problem_type = "needs-review"
    title = "The proposed metadata needs review"
