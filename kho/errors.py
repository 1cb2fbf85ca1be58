"""The one error family of Kho: every refusal or failure names a problem type (RFC 9457).

Each layer raises its own subclasses, under a base class of its own: `ArchiveError`
(archive/errors.py), `IndexerError` (indexer/errors.py), `RetentionError`
(retention/errors.py), `ServiceError` (services/errors.py). What more than one layer means
alike is one class here, which the layers' errors specialise: `NotFound`, `Conflict`,
`Unavailable` (a backend down) and `UnreadableDocument` (an input file that cannot be
read). Code above a layer catches these kinds, or reasons in problem types; backend
libraries' exceptions never cross a package boundary.

The catalogue below is the list of problem types, each with the HTTP status it is defined
with (RFC 9457 § 4 makes the status part of a problem type's definition). Only the HTTP
layers (api/, web/) turn it into a response, and the CLI prints the same problem bodies
(CONTRACT.md `kho ingest`); the services reason in kinds (`failure`), never in numbers.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "STATUS",
    "Conflict",
    "KhoError",
    "NotFound",
    "Unavailable",
    "UnreadableDocument",
]

# Problem type → the HTTP status it is defined with (CONTRACT.md "REST API").
STATUS: dict[str, int] = {
    "bad-request": 400,
    "missing-purpose": 400,
    "invalid-key": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "same-approver": 403,
    "not-found": 404,
    "file-not-found": 404,
    "method-not-allowed": 405,
    "not-acceptable": 406,
    "conflict": 409,
    "disposed": 410,
    "duplicate-content": 409,
    "object-protected": 409,
    "too-large": 413,
    "unsupported-media-type": 415,
    "range-not-satisfiable": 416,
    "invalid-metadata": 422,
    "invalid-query": 422,
    "invalid-schedule": 422,
    "unsigned-document": 422,
    "unreadable-file": 422,
    "unknown-agency": 422,
    "unreadable-scan": 422,
    "ocr-failed": 422,
    "pdfa-invalid": 422,
    "needs-review": 422,
    "ocr-unavailable": 503,
    "signing-not-configured": 503,
    "signing-failed": 503,
    "rate-limited": 429,
    "internal-error": 500,
    "backend-unavailable": 503,
}


class KhoError(Exception):
    """A refusal or failure with a stable problem type (the last part of /problems/<type>)."""

    problem_type: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    @property
    def failure(self) -> bool:
        """Kho's own failure (an internal error, a backend down) rather than a refusal of
        what the caller asked: the caller may try the same again later."""
        return isinstance(self, Unavailable) or self.problem_type == KhoError.problem_type

    def problem(self) -> dict[str, Any]:
        """The RFC 9457 problem+json body, as the API answers and the CLI prints it."""
        body: dict[str, Any] = {
            "type": f"/problems/{self.problem_type}",
            "title": self.title,
            "status": STATUS.get(self.problem_type, 500),
            "detail": self.detail,
        }
        body.update({k: v for k, v in self.extra.items() if v is not None})
        return body


class NotFound(KhoError):
    """What was asked for does not exist (or is not visible to this caller)."""

    problem_type = "not-found"
    title = "Not found"


class Conflict(KhoError):
    """The request contradicts the archive's state: a key taken, a result code holding
    other bytes, a change made twice, a race lost to another writer."""

    problem_type = "conflict"
    title = "Conflict"


class Unavailable(KhoError):
    """A backend (object store, index, extractor) did not answer in time: try again."""

    problem_type = "backend-unavailable"
    title = "Backend unavailable"


class UnreadableDocument(KhoError):
    """The file is not a readable PDF (malformed, truncated, encrypted, over a limit),
    whichever layer found out: signature validation or text extraction."""

    problem_type = "unreadable-file"
    title = "Unreadable file"
