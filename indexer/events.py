"""The AuditIndex protocol: audit events made queryable by subject, agency, record and time.

Like the search index it is a cache: the audit trail in the object store is the record, and
every implementation can be refilled from it (`kho reindex`). Events are added only once
they are durable in the trail. Implementations: indexer/engines/embedded_audit.py (SQLite,
the embedded default) and indexer/engines/elasticsearch_audit.py; both pass
tests/contract/test_audit_index.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from kho.archive.audit import AuditEvent

__all__ = ["AuditIndex", "AuditQuery", "EventPage", "utc_text"]


def utc_text(instant: datetime) -> str:
    """A fixed-width UTC form that sorts as text in time order (for both engines); the year
    always has four digits (strftime's %Y does not pad years before 1000)."""
    t = instant.astimezone(UTC)
    return (
        f"{t.year:04d}-{t.month:02d}-{t.day:02d}T"
        f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}.{t.microsecond:06d}Z"
    )


@dataclass(frozen=True)
class AuditQuery:
    """Filters on audit events; every given filter must hold. Newest first."""

    subject_id: str | None = None
    agency: str | None = None
    record_id: str | None = None
    action: str | None = None
    # Any of these actions (with `action` both must hold); e.g. the reads of a subject's data.
    actions: tuple[str, ...] | None = None
    purpose: str | None = None  # the dossier code stated with the access
    user: str | None = None  # the person who acted (actor.user: a web user's username)
    seqs: tuple[int, ...] | None = None  # these events only (the ones behind an indicator)
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    page: int = 1
    page_size: int = 20


@dataclass(frozen=True)
class EventPage:
    items: tuple[Mapping[str, Any], ...]  # each the event's JSON (AuditEvent.to_json())
    total: int


@runtime_checkable
class AuditIndex(Protocol):
    name: str

    def add(self, events: Sequence[AuditEvent]) -> None:
        """Index events; adding an event again is harmless (events are keyed by `seq`).

        Queries see them once this returns. Raises IndexUnavailable if the engine cannot be
        reached in time.
        """
        ...

    def query(self, query: AuditQuery) -> EventPage:
        """The events matching every filter, newest (highest `seq`) first, one page of them,
        with the total count."""
        ...

    def indexed_through(self) -> int:
        """The highest `seq` such that every event up to it is indexed (0 if none): where a
        catch-up from the trail starts."""
        ...

    def last_seq(self) -> int:
        """The highest `seq` indexed (0 if none)."""
        ...

    def replace_all(self, events: Iterable[AuditEvent]) -> int:
        """Empty the index and fill it from `events` (a rebuild from the trail); readers see
        the old content until it is done where the engine allows. Returns how many."""
        ...

    def check(self) -> None:
        """Raise IndexUnavailable unless the engine answers now."""
        ...

    def close(self) -> None: ...
