"""A record's retention from its manifest: the schedule's decision on its facts and events,
with the legal holds that cover it. Called at deposit and whenever a rule, a validity fact
(revocation, supersession) or a hold changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kho.archive.manifest import EventType, Manifest, Retention
from kho.retention.holds import Hold, holding
from kho.retention.schedule import RecordTerms, RetentionSchedule

__all__ = ["lock_until", "retention_of", "terms_of"]


def terms_of(manifest: Manifest, zone: ZoneInfo, level: str | None = None) -> RecordTerms:
    """The facts the schedule's rules match; `level` is the issuer's administrative level
    (from the agency registry, when one is configured)."""
    revoked = manifest.event(EventType.revoked)
    superseded = manifest.event(EventType.superseded)
    return RecordTerms(
        result_type=manifest.result_type,
        procedure_code=manifest.procedure_code,
        issuer_code=manifest.issuer_code,
        level=level,
        issued_on=manifest.issued_on,
        valid_until=manifest.valid_until,
        revoked_on=revoked.at.astimezone(zone).date() if revoked else None,
        superseded_on=superseded.at.astimezone(zone).date() if superseded else None,
    )


def retention_of(
    schedule: RetentionSchedule,
    manifest: Manifest,
    zone: ZoneInfo,
    holds: Sequence[Hold],
    level: str | None = None,
) -> Retention:
    decision = schedule.decide_terms(terms_of(manifest, zone, level))
    return Retention(
        rule=decision.rule,
        period_years=decision.period_years,
        retain_until=decision.retain_until,
        holds=holding(holds, manifest),
        action=decision.action.value,
        schedule_version=schedule.version,
    )


def lock_until(
    retain_until: date | None, zone: ZoneInfo, now: datetime, horizon_years: int
) -> datetime:
    """Until when an original is kept write-once: the end of its last day to be kept, or,
    with no date (permanent, or its trigger still to come), a horizon from now that
    `kho retention run` renews."""
    if retain_until is None:
        return now.astimezone(UTC) + timedelta(days=round(365.25 * horizon_years))
    return datetime.combine(retain_until + timedelta(days=1), time(0), zone).astimezone(UTC)
