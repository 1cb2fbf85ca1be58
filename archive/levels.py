"""Administrative levels as data (cấp hành chính): which exist, their Vietnamese names, and
the days a result of each level can have been settled.

The district level was abolished on 1 July 2025 (two-tier local government); results
settled before then still carry it, so it stays a valid level for those days only. A change
of the map is a change of this table, not of the code that uses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = ["LEVELS", "Level", "level_named", "level_problem"]


@dataclass(frozen=True)
class Level:
    code: str
    name_vi: str
    name_en: str
    # The last day a result of this level can have been settled (None: still in use).
    until: date | None = None


LEVELS: tuple[Level, ...] = (
    Level("central", "Trung ương", "Central"),
    Level("province", "Cấp tỉnh", "Province"),
    Level("district", "Cấp huyện", "District", until=date(2025, 6, 30)),
    Level("commune", "Cấp xã", "Commune"),
)
_BY_CODE = {level.code: level for level in LEVELS}


def level_named(code: str) -> Level | None:
    return _BY_CODE.get(code)


def level_problem(code: str, on: date) -> str | None:
    """Why `code` is not a level a result settled on `on` can have, or None if it is."""
    level = _BY_CODE.get(code)
    if level is None:
        return f"must be one of {', '.join(_BY_CODE)}"
    if level.until is not None and on > level.until:
        return (
            f"the {code} level exists only for results settled up to "
            f"{level.until.isoformat()} (settled_on is {on.isoformat()})"
        )
    return None
