"""Decision 468's targets as data: the share of settled results to be digitized, per year
and administrative level, shown beside the actual rates.

Default (Decision 468/QĐ-TTg, 2021): 40% central, 30% province, 20% district, 15% commune
in 2021, 20 points more each year, up to 100%. A JSON file (`KHO_INDICATOR_TARGETS`)
overrides any of them: `{"2026": {"commune": 0.9}, ...}`, rates from 0 to 1.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kho.archive.levels import LEVELS, level_named

__all__ = ["BASE_YEAR", "DEFAULT_2021", "TargetError", "Targets"]

BASE_YEAR = 2021
DEFAULT_2021: Mapping[str, float] = {
    "central": 0.40,
    "province": 0.30,
    "district": 0.20,
    "commune": 0.15,
}
STEP = 0.20


class TargetError(ValueError):
    """The targets file is unreadable or malformed (the message says where)."""


@dataclass(frozen=True)
class Targets:
    overrides: Mapping[int, Mapping[str, float]] = field(default_factory=dict)

    def rate(self, year: int, level: str) -> float | None:
        """The target digitization rate of `level` in `year` (None before 2021, or for a
        level the table does not know)."""
        given = self.overrides.get(year, {}).get(level)
        if given is not None:
            return given
        base = DEFAULT_2021.get(level)
        if base is None or year < BASE_YEAR:
            return None
        return round(min(1.0, base + STEP * (year - BASE_YEAR)), 4)

    def of_year(self, year: int) -> dict[str, float | None]:
        return {level.code: self.rate(year, level.code) for level in LEVELS}

    @classmethod
    def load(cls, path: Path | None) -> Targets:
        if path is None:
            return cls()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TargetError(f"cannot read {path}: {exc}") from None
        try:
            raw = json.loads(text)
        except ValueError as exc:
            raise TargetError(f"{path} is not valid JSON: {exc}") from None
        if not isinstance(raw, dict):
            raise TargetError(f'{path}: expected {{"<year>": {{"<level>": rate}}}}')
        overrides: dict[int, dict[str, float]] = {}
        for year, levels in raw.items():
            if not str(year).isdigit() or not isinstance(levels, dict):
                raise TargetError(f"{path}: {year!r} is not a year with a table of levels")
            for level, rate in levels.items():
                if level_named(str(level)) is None:
                    raise TargetError(f"{path}: {year}: unknown level {level!r}")
                if (
                    isinstance(rate, bool)
                    or not isinstance(rate, int | float)
                    or not 0 <= rate <= 1
                ):
                    raise TargetError(f"{path}: {year}.{level}: a rate from 0 to 1")
                overrides.setdefault(int(year), {})[str(level)] = float(rate)
        return cls(overrides)
