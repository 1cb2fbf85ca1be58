"""Refusals the services make, each with its problem type (the API maps them to statuses).

`Conflict` is the kernel's one conflict (kho/errors.py), raised as it is: a result code
holding other bytes, a change made twice, a race lost. `UnknownAgency` is the archive's
(a metadata check, archive/record.py), named here too. The others are `ServiceError`s.
"""

from __future__ import annotations

from kho.archive.errors import UnknownAgency
from kho.errors import Conflict, KhoError, NotFound

__all__ = [
    "AccessDenied",
    "Conflict",
    "DuplicateContent",
    "InvalidQuery",
    "MissingPurpose",
    "NotAuthenticated",
    "PayloadTooLarge",
    "RateLimited",
    "RecordDisposed",
    "RecordNotFound",
    "ServiceError",
    "UnknownAgency",
    "UnsignedDocument",
    "UnsupportedMediaType",
]


class ServiceError(KhoError):
    """Base of the services' own refusals."""


class DuplicateContent(ServiceError, Conflict):
    """These exact bytes are already archived under another (issuer_code, result_code);
    `record_id` names the record that holds them (one signed result, one record)."""

    problem_type = "duplicate-content"
    title = "These bytes are already archived as another result"


class PayloadTooLarge(ServiceError):
    problem_type = "too-large"
    title = "File too large"


class UnsupportedMediaType(ServiceError):
    problem_type = "unsupported-media-type"
    title = "Not a PDF"


class UnsignedDocument(ServiceError):
    problem_type = "unsigned-document"
    title = "The result carries no digital signature"


class MissingPurpose(ServiceError):
    problem_type = "missing-purpose"
    title = "The purpose (X-Dossier-Code) is missing or malformed"


class InvalidQuery(ServiceError):
    problem_type = "invalid-query"
    title = "Invalid query"


class RecordNotFound(ServiceError, NotFound):
    title = "Record not found"


class RecordDisposed(ServiceError):
    """The record was disposed of under its retention schedule: its tombstone remains, its
    signed bytes are gone."""

    problem_type = "disposed"
    title = "The record was disposed of"


class NotAuthenticated(ServiceError):
    problem_type = "unauthenticated"
    title = "Missing or invalid API key"


class AccessDenied(ServiceError):
    problem_type = "forbidden"
    title = "Not allowed"


class RateLimited(ServiceError):
    """Too many requests with one API key; `retry_after` says how many seconds to wait."""

    problem_type = "rate-limited"
    title = "Too many requests"
