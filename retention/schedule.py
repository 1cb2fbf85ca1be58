"""Retention schedules: how long each type of result is kept, and until when.

Periods come from configuration (KHO_RETENTION_SCHEDULE, a JSON object mapping a result
type to a number of years or "permanent"), because ministers set the sector tables
(DOMAIN.md, Circular 10/2022/TT-BNV). Periods are counted from the year the work was
completed: a result issued in 2026 with a 10-year period is kept until 31 Dec 2036. A
result type the schedule does not name is kept permanently: an archive never lets a
result fall due by omission.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from kho.retention.errors import ScheduleError

__all__ = ["PERMANENT", "RetentionDecision", "RetentionSchedule", "ScheduleError"]

PERMANENT = "permanent"


@dataclass(frozen=True)
class RetentionDecision:
    rule: str
    period_years: int | None  # None: permanent
    retain_until: date | None  # None: permanent


@dataclass(frozen=True)
class RetentionSchedule:
    periods: dict[str, int | None] = field(default_factory=dict)
    source: str = "built-in"

    @classmethod
    def load(cls, path: Path | None) -> RetentionSchedule:
        if path is None:
            return cls()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ScheduleError(f"cannot read the retention schedule {path}: {exc}") from None
        if not isinstance(raw, dict):
            raise ScheduleError(f"{path}: expected an object of result type → years")
        periods: dict[str, int | None] = {}
        for result_type, value in raw.items():
            key = unicodedata.normalize("NFC", str(result_type)).strip()
            if value == PERMANENT or value is None:
                periods[key] = None
            elif isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 500:
                periods[key] = value
            else:
                raise ScheduleError(
                    f"{path}: {result_type!r}: expected a number of years or 'permanent'"
                )
        return cls(periods=periods, source=str(path))

    def decide(self, result_type: str, issued_on: date) -> RetentionDecision:
        if result_type not in self.periods:
            return RetentionDecision(rule="default:permanent", period_years=None, retain_until=None)
        years = self.periods[result_type]
        if years is None:
            return RetentionDecision(
                rule=f"{result_type}:permanent", period_years=None, retain_until=None
            )
        return RetentionDecision(
            rule=f"{result_type}:{years}y",
            period_years=years,
            retain_until=date(issued_on.year + years, 12, 31),
        )
