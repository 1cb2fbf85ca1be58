"""The questions the API, the web pages and the CLI ask the lookup and search services.

They say what the caller wants, nothing about how the index answers: the service fills in
the day (today in KHO_TIMEZONE when none is given), the reuse policy of the settings and
the caller's key limits, and asks the index with its own queries (indexer/index.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kho.archive.status import Status

__all__ = ["AuditQuery", "LookupQuery", "SearchQuery"]


@dataclass(frozen=True)
class LookupQuery:
    """Which results of this subject may be reused on `valid_on` (default today)?
    With `include_invalid`, the others too, each with its reuse blockers."""

    subject_id: str
    valid_on: date | None = None
    procedure_code: str | None = None
    result_type: str | None = None
    indication: str | None = None  # the signature verdict: TOTAL-PASSED, INDETERMINATE, ...
    include_invalid: bool = False
    page: int = 1
    page_size: int = 20


@dataclass(frozen=True)
class SearchQuery:
    """Full text (`q`, may be empty) with exact filters; `status` is judged on `today`
    (default today)."""

    q: str = ""
    today: date | None = None
    procedure_code: str | None = None
    result_type: str | None = None
    indication: str | None = None  # the signature verdict: TOTAL-PASSED, INDETERMINATE, ...
    issuer_code: str | None = None
    subject_id: str | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    status: Status | None = None
    page: int = 1
    page_size: int = 20


@dataclass(frozen=True)
class AuditQuery:
    """Audit events by filters, newest first; every given filter must hold."""

    subject_id: str | None = None
    agency: str | None = None
    record_id: str | None = None
    action: str | None = None
    purpose: str | None = None  # the dossier code stated with the access
    user: str | None = None  # the person who acted (a web user's username)
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    page: int = 1
    page_size: int = 20
