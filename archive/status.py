"""A record's status on a given day, computed from its dates and events, never stored.

CONTRACT.md: valid on day D when valid_from ≤ D ≤ valid_until (no valid_until: no end), and
not revoked or superseded on or before D. Revocation and supersession happen at an instant;
the day they fall on is taken in KHO_TIMEZONE.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from kho.archive.manifest import EventType, Manifest

__all__ = ["Status", "Validity", "status_on", "validity_of"]


class Status(StrEnum):
    valid = "valid"
    expired = "expired"
    revoked = "revoked"
    superseded = "superseded"
    disposed = "disposed"
    # Not in CONTRACT.md's list of five, which has no word for a result whose validity starts
    # later; reporting it as valid or expired would be false.
    not_yet_valid = "not_yet_valid"


@dataclass(frozen=True)
class Validity:
    """The facts a status depends on; the index keeps exactly these to filter lookups."""

    valid_from: date
    valid_until: date | None
    revoked_on: date | None = None
    superseded_on: date | None = None
    disposed: bool = False

    def is_valid_on(self, day: date) -> bool:
        return status_on(self, day) is Status.valid


def status_on(validity: Validity, day: date) -> Status:
    if validity.disposed:
        return Status.disposed
    if validity.revoked_on is not None and validity.revoked_on <= day:
        return Status.revoked
    if validity.superseded_on is not None and validity.superseded_on <= day:
        return Status.superseded
    if validity.valid_until is not None and validity.valid_until < day:
        return Status.expired
    if validity.valid_from > day:
        return Status.not_yet_valid
    return Status.valid


def local_day(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def validity_of(manifest: Manifest, zone: ZoneInfo) -> Validity:
    revoked = manifest.event(EventType.revoked)
    superseded = manifest.event(EventType.superseded)
    return Validity(
        valid_from=manifest.valid_from,
        valid_until=manifest.valid_until,
        revoked_on=local_day(revoked.at, zone) if revoked else None,
        superseded_on=local_day(superseded.at, zone) if superseded else None,
        disposed=manifest.event(EventType.disposed) is not None,
    )
