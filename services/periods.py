"""Reporting periods: any from/to (both inclusive), or a preset — a year `2026`, a quarter
`2026-Q3`, a month `2026-07`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from kho.services.errors import InvalidQuery

__all__ = ["Period"]

_PRESET = re.compile(r"^(?P<year>\d{4})(?:-(?:Q(?P<quarter>[1-4])|(?P<month>0[1-9]|1[0-2])))?$")
MAX_DAYS = 366 * 10


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @classmethod
    def of(cls, start: date, end: date) -> Period:
        if start > end:
            raise InvalidQuery("`from` is after `to`", field="from")
        if (end - start).days > MAX_DAYS:
            raise InvalidQuery("a period spans at most ten years", field="to")
        return cls(start, end)

    @classmethod
    def preset(cls, text: str) -> Period:
        match = _PRESET.fullmatch(text.strip())
        if match is None:
            raise InvalidQuery(
                "a period is a year (2026), a quarter (2026-Q3) or a month (2026-07)",
                field="period",
            )
        year = int(match["year"])
        if year < 1900:
            raise InvalidQuery("a period starts in 1900 or later", field="period")
        if match["quarter"]:
            first_month = 3 * (int(match["quarter"]) - 1) + 1
            return cls(date(year, first_month, 1), _month_end(year, first_month + 2))
        if match["month"]:
            month = int(match["month"])
            return cls(date(year, month, 1), _month_end(year, month))
        return cls(date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def parse(cls, start: date | None, end: date | None, preset: str | None) -> Period:
        """From a preset, or from both dates; InvalidQuery naming what is missing or extra."""
        if preset is not None:
            if start is not None or end is not None:
                raise InvalidQuery("give either a period or from/to, not both", field="period")
            return cls.preset(preset)
        if start is None:
            raise InvalidQuery("give `from` and `to`, or a period", field="from")
        if end is None:
            raise InvalidQuery("give `from` and `to`, or a period", field="to")
        return cls.of(start, end)

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


def _month_end(year: int, month: int) -> date:
    following = date(year + (month // 12), month % 12 + 1, 1)
    return following - timedelta(days=1)
