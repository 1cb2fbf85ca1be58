"""What can go wrong before any signature can be judged: the input or the trust settings."""

from __future__ import annotations

from kho.archive.errors import ArchiveError
from kho.errors import UnreadableDocument

__all__ = [
    "EncryptedPdf",
    "SignatureError",
    "TrustConfigError",
    "UnreadablePdf",
    "ValidationPolicyError",
]


class SignatureError(ArchiveError, UnreadableDocument):
    """Base of the errors about the input: an UnreadableDocument, as text extraction would
    say of the same file. Problems with a signature itself are not errors: they are
    indications in the report."""


class UnreadablePdf(SignatureError):
    """The input is not a PDF that can be read: garbage, truncated, damaged
    (`kho verify` exit 4)."""


class EncryptedPdf(UnreadablePdf):
    """The PDF is encrypted with a password we do not have (`kho verify` exit 4)."""


class TrustConfigError(ValueError):
    """A trust root, intermediate or CRL file is missing or unreadable; the message names
    the file. A settings problem, not an input problem: deliberately not a SignatureError,
    so that code mapping SignatureError to "unreadable input" does not swallow it."""


class ValidationPolicyError(ValueError):
    """The validation policy file (`KHO_VALIDATION_POLICY`) is missing or not a policy; the
    message names the file. A settings problem, like TrustConfigError."""
