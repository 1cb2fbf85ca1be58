"""Small helpers the UI's list pages share: pagination links that keep the page's filters,
and dates typed as dd/mm/yyyy (or ISO, as the report's own links carry them)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

__all__ = ["Pager", "format_day", "format_instant", "pager", "parse_day"]

_VN_DAY = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")
_ISO_DAY = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")


def parse_day(text: str | None) -> date | None:
    """dd/mm/yyyy (also d/m/yyyy, with . or -) or yyyy-mm-dd; None for empty; ValueError
    for anything else (including 31/02/2026)."""
    if text is None or not text.strip():
        return None
    vn = _VN_DAY.match(text)
    if vn:
        return date(int(vn[3]), int(vn[2]), int(vn[1]))
    iso = _ISO_DAY.match(text)
    if iso:
        return date(int(iso[1]), int(iso[2]), int(iso[3]))
    raise ValueError(text)


def format_day(value: date | str | None) -> str:
    """dd/mm/yyyy; an ISO date or time text is read first; empty for none."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return value.strftime("%d/%m/%Y")


def format_instant(value: str | datetime | None, zone: ZoneInfo) -> str:
    """An instant in the archive's time zone as dd/mm/yyyy HH:MM:SS."""
    if value is None or value == "":
        return ""
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    return instant.astimezone(zone).strftime("%d/%m/%Y %H:%M:%S")


@dataclass(frozen=True)
class Pager:
    page: int
    pages: int
    total: int
    previous: str | None
    next: str | None


def pager(path: str, params: dict[str, Any], page: int, page_size: int, total: int) -> Pager:
    """Links to the previous and next pages of `path` with the same `params`."""
    kept = {k: v for k, v in params.items() if v not in (None, "") and k != "page"}
    pages = max(1, -(-total // page_size))

    def at(number: int) -> str:
        return f"{path}?{urlencode({**kept, 'page': number})}"

    return Pager(
        page=page,
        pages=pages,
        total=total,
        previous=at(page - 1) if page > 1 else None,
        next=at(page + 1) if page < pages else None,
    )
