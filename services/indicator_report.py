"""The indicators' JSON (CONTRACT.md "Decision 468 indicators"), from the aggregate's
figures: the contract's names first, the extra figures beside them, and for each figure a
link to what is behind it (the notices and records, or the audit events)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from kho.archive.agencies import AgencyRegistry
from kho.archive.levels import level_named
from kho.indexer.indicators import DAY_BUCKETS, GroupBy, GroupFigures, IndicatorFigures
from kho.services.indicator_targets import Targets
from kho.services.periods import Period

__all__ = ["GROUP_BYS", "REUSE_FIGURES", "build_report", "day_bucket_label", "rate"]

GROUP_BYS: tuple[GroupBy, ...] = ("level", "issuer_code", "procedure_code")
REUSE_FIGURES = ("lookups", "lookups_found", "downloads_by_other_agencies")


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def day_bucket_label(low: int, high: int | None) -> str:
    if high is None:
        return f"{low}+"
    return str(low) if low == high else f"{low}-{high}"


class _Links:
    def __init__(self, base: str, period: Period) -> None:
        self.base = base
        self.span = {"from": period.start.isoformat(), "to": period.end.isoformat()}

    def __call__(self, path: str, **params: str | None) -> str:
        query = {**self.span, **{k: v for k, v in params.items() if v is not None}}
        return f"{self.base}/api/v1/{path}?{urlencode(query)}"


def _settlement_figures(group: GroupFigures) -> dict[str, Any]:
    return {
        "settled": group.settled,
        "digitized": group.digitized,
        "digitization_rate": rate(group.digitized, group.settled),
        "signed": group.signed,
        "waiting": group.waiting,
        "digitized_within_days": [
            {"days": day_bucket_label(low, high), "from": low, "to": high, "count": count}
            for (low, high), count in zip(DAY_BUCKETS, group.days, strict=True)
        ],
    }


def _settlement_links(links: _Links, **filters: str | None) -> dict[str, str]:
    return {
        "settled": links("settlements", **filters),
        "digitized": links("settlements", state="digitized", **filters),
        "waiting": links("settlements", state="waiting", **filters),
    }


def build_report(
    figures: IndicatorFigures,
    period: Period,
    group_by: GroupBy | None,
    *,
    registry: AgencyRegistry | None,
    targets: Targets,
    base_url: str = "",
) -> dict[str, Any]:
    links = _Links(base_url, period)
    year = period.end.year
    totals = {
        **_settlement_figures(figures.totals),
        "lookups": figures.lookups,
        "lookups_found": figures.lookups_found,
        "downloads_by_other_agencies": figures.downloads_by_other_agencies,
        "lookups_found_rate": rate(figures.lookups_found, figures.lookups),
        "subjects_served": figures.subjects_served,
        "dossiers_served": figures.dossiers_served,
    }
    groups = []
    for group in figures.groups:
        name: str | None = None
        level: str | None = None
        if group_by == "level":
            known = level_named(group.key)
            name, level = (known.name_vi if known else None), group.key
        elif group_by == "issuer_code" and registry is not None:
            name, level = registry.name(group.key), registry.level(group.key)
        groups.append(
            {
                "key": group.key,
                **_settlement_figures(group),
                "name": name,
                "target_rate": targets.rate(year, level) if level else None,
                "links": _settlement_links(links, **{str(group_by): group.key}),
            }
        )
    return {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "group_by": group_by,
        "totals": totals,
        "groups": groups,
        "targets": {"year": year, "digitization_rate": targets.of_year(year)},
        "links": {
            **_settlement_links(links),
            "lookups": links("audit/events", action="lookup"),
            "lookups_found": links("indicators/events", figure="lookups_found"),
            "downloads_by_other_agencies": links(
                "indicators/events", figure="downloads_by_other_agencies"
            ),
        },
        "through_seq": figures.through_seq,
    }
