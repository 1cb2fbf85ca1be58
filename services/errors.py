"""Refusals the services make, each with its problem type (the API maps them to statuses)."""

from __future__ import annotations

from kho.errors import KhoError

__all__ = [
    "AccessDenied",
    "Conflict",
    "DuplicateContent",
    "InvalidQuery",
    "MissingPurpose",
    "NotAuthenticated",
    "PayloadTooLarge",
    "RateLimited",
    "RecordNotFound",
    "UnknownAgency",
    "UnsignedDocument",
    "UnsupportedMediaType",
]


class Conflict(KhoError):
    problem_type = "conflict"
    title = "Conflict"


class DuplicateContent(KhoError):
    """These exact bytes are already archived under another (issuer_code, result_code);
    `record_id` names the record that holds them (one signed result, one record)."""

    problem_type = "duplicate-content"
    title = "These bytes are already archived as another result"


class PayloadTooLarge(KhoError):
    problem_type = "too-large"
    title = "File too large"


class UnsupportedMediaType(KhoError):
    problem_type = "unsupported-media-type"
    title = "Not a PDF"


class UnsignedDocument(KhoError):
    problem_type = "unsigned-document"
    title = "The result carries no digital signature"


class MissingPurpose(KhoError):
    problem_type = "missing-purpose"
    title = "The purpose (X-Dossier-Code) is missing or malformed"


class InvalidQuery(KhoError):
    problem_type = "invalid-query"
    title = "Invalid query"


class RecordNotFound(KhoError):
    problem_type = "not-found"
    title = "Record not found"


class UnknownAgency(KhoError):
    problem_type = "unknown-agency"
    title = "Unknown agency"


class NotAuthenticated(KhoError):
    problem_type = "unauthenticated"
    title = "Missing or invalid API key"


class AccessDenied(KhoError):
    problem_type = "forbidden"
    title = "Not allowed"


class RateLimited(KhoError):
    """Too many requests with one API key; `retry_after` says how many seconds to wait."""

    problem_type = "rate-limited"
    title = "Too many requests"
