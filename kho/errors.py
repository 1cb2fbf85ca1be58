"""The one error family of Kho: every refusal names a problem type, shared by the API and CLI.

Each package raises its own subclasses (archive/errors.py, indexer/errors.py,
services/errors.py); the API turns a problem type into an HTTP status and an RFC 9457
body, the CLI into a message and an exit code. Backend libraries' exceptions never cross a
package boundary.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = ["STATUS", "KhoError"]

# Problem type → HTTP status (CONTRACT.md "REST API"); the CLI puts it in problem bodies too.
STATUS: dict[str, int] = {
    "bad-request": 400,
    "missing-purpose": 400,
    "invalid-key": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "not-found": 404,
    "file-not-found": 404,
    "method-not-allowed": 405,
    "not-acceptable": 406,
    "conflict": 409,
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

    def problem(self) -> dict[str, Any]:
        """The RFC 9457 problem+json body."""
        body: dict[str, Any] = {
            "type": f"/problems/{self.problem_type}",
            "title": self.title,
            "status": STATUS.get(self.problem_type, 500),
            "detail": self.detail,
        }
        body.update({k: v for k, v in self.extra.items() if v is not None})
        return body
