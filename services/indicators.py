"""Decision 468 indicators: what was settled, what Kho holds of it, how often results were
reused instead of asking for paper — per period, level, agency and procedure.

The figures come from the indicator aggregate (indexer/indicators.py), which this service
keeps in step with the audit trail: before every report it applies the events appended
since its watermark (any process's), and the server does the same periodically. `rebuild`
fills it anew from the object store (every notice, every record) and the whole trail, so
`kho reindex` gives the same figures.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from datetime import datetime, time, timedelta
from typing import Any

from kho.archive.agencies import AgencyRegistry
from kho.archive.settlement import SettlementStore
from kho.indexer.events import AuditQuery
from kho.indexer.indicators import (
    Facts,
    Figure,
    GroupBy,
    IndicatorAggregate,
    NoticeQuery,
    NoticeRow,
)
from kho.services.access import Access
from kho.services.audit import AuditService
from kho.services.base import Backends
from kho.services.errors import InvalidQuery
from kho.services.indicator_feed import LOOKUP_ACTIONS, FactFeed
from kho.services.indicator_report import GROUP_BYS, build_report
from kho.services.indicator_targets import Targets
from kho.services.paging import Page, check_paging
from kho.services.periods import Period

__all__ = ["IndicatorService"]

log = logging.getLogger(__name__)

_FIGURES = ("lookups", "lookups_found", "downloads_by_other_agencies")


class IndicatorService:
    def __init__(
        self,
        backends: Backends,
        audit: AuditService,
        aggregate: IndicatorAggregate,
        *,
        registry: AgencyRegistry | None,
        targets: Targets,
    ) -> None:
        self.b = backends
        self.audit = audit
        self.aggregate = aggregate
        self.registry = registry
        self.targets = targets
        self.feed = FactFeed(backends.packages, backends.settings.zone)
        self._lock = threading.Lock()

    # -- keeping the aggregate in step -------------------------------------------------

    def catch_up(self) -> int:
        """Apply every durable event past the watermark; returns how many were applied."""
        with self._lock:
            start = self.aggregate.watermark()
            head, _ = self.b.trail.head()
            if head <= start:
                return 0
            through = start
            for last, facts in self.feed.slices(self.b.trail.events(start + 1), start):
                self.aggregate.apply(last, facts)
                through = last
            return through - start

    def rebuild(self) -> int:
        """Refill the aggregate from the store and the whole trail; returns its watermark."""
        with self._lock:
            self.audit.flush()
            store = self.feed.store_slices(
                SettlementStore(self.b.store).all(), sorted(set(self.b.packages.record_ids()))
            )

            def slices() -> Iterator[tuple[int, Facts]]:
                yield from store
                # Notices and deposits come from the store; the trail adds the reuse.
                yield from self.feed.slices(self.b.trail.events(), 0, results=False)

            return self.aggregate.rebuild(slices())

    # -- reading -----------------------------------------------------------------------

    def report(self, period: Period, group_by: str | None, access: Access) -> dict[str, Any]:
        chosen = _group_by(group_by)
        self.catch_up()
        figures = self.aggregate.figures(period.start, period.end, chosen)
        self.audit.record(
            "indicators.read",
            access,
            detail={
                "from": period.start.isoformat(),
                "to": period.end.isoformat(),
                "group_by": chosen,
            },
        )
        return build_report(
            figures,
            period,
            chosen,
            registry=self.registry,
            targets=self.targets,
            base_url=self.b.settings.public_url,
        )

    def notices(self, query: NoticeQuery, access: Access) -> Page:
        """Notices with their records: those behind `settled`, `digitized` and `waiting`."""
        check_paging(query.page, query.page_size)
        if query.start and query.end and query.start > query.end:
            raise InvalidQuery("`from` is after `to`", field="from")
        self.catch_up()
        rows, total = self.aggregate.notices(query)
        self.audit.record(
            "settlements.list",
            access,
            detail={"state": query.state, "issuer_code": query.issuer_code, "total": total},
        )
        return Page(
            items=[self._row(row) for row in rows],
            total=total,
            page=query.page,
            page_size=query.page_size,
        )

    def backlog(
        self, issuer_code: str | None, access: Access, *, page: int = 1, page_size: int = 20
    ) -> Page:
        """An agency's notices whose result Kho does not hold today, oldest first."""
        today = self.b.today()
        return self.notices(
            NoticeQuery(
                as_of=today,
                state="waiting",
                issuer_code=issuer_code,
                page=page,
                page_size=page_size,
            ),
            access,
        )

    def _row(self, row: NoticeRow) -> dict[str, Any]:
        notice = row.notice
        base = self.b.settings.public_url
        return {
            "issuer_code": notice.issuer_code,
            "issuer_name": self.registry.name(notice.issuer_code) if self.registry else None,
            "result_code": notice.result_code,
            "dossier_code": notice.dossier_code,
            "procedure_code": notice.procedure_code,
            "level": notice.level,
            "settled_on": notice.settled_on.isoformat(),
            "result_form": notice.result_form,
            "digitized": row.record_id is not None,
            "record_id": row.record_id,
            "deposited_on": row.deposited_on.isoformat() if row.deposited_on else None,
            "days_to_deposit": (
                max(0, (row.deposited_on - notice.settled_on).days) if row.deposited_on else None
            ),
            "waiting_days": (
                (self.b.today() - notice.settled_on).days if row.record_id is None else None
            ),
            "signed": row.signed,
            "record": f"{base}/api/v1/records/{row.record_id}" if row.record_id else None,
        }

    def reuse_events(
        self, figure: str, period: Period, access: Access, *, page: int = 1, page_size: int = 20
    ) -> Page:
        """The audit events behind a reuse figure: `lookups` (every audited subject lookup
        of the period's days, newest first), `lookups_found` or
        `downloads_by_other_agencies` (oldest first). No subject ids, no user names: the
        figures' evidence, not the trail (that is `AuditService.query`, for auditors)."""
        if figure not in _FIGURES:
            raise InvalidQuery(f"figure is one of {', '.join(_FIGURES)}", field="figure")
        check_paging(page, page_size)
        self.catch_up()
        self.audit.flush()
        if figure == "lookups":
            zone = self.b.settings.zone
            found = self.b.audit_index.query(
                AuditQuery(
                    actions=tuple(sorted(LOOKUP_ACTIONS)),
                    since=datetime.combine(period.start, time.min, tzinfo=zone),
                    until=datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=zone),
                    page=page,
                    page_size=page_size,
                )
            )
            total, ordered = found.total, list(found.items)
        else:
            chosen: Figure = (
                "lookups_found" if figure == "lookups_found" else "downloads_by_other_agencies"
            )
            seqs, total = self.aggregate.reuse_seqs(
                chosen, period.start, period.end, page, page_size
            )
            found = self.b.audit_index.query(
                AuditQuery(seqs=tuple(seqs), page_size=max(1, len(seqs)))
            )
            by_seq = {int(item["seq"]): item for item in found.items}
            ordered = [by_seq.get(seq, {"seq": seq}) for seq in seqs]
        self.audit.record(
            "indicators.events",
            access,
            detail={
                "figure": figure,
                "from": period.start.isoformat(),
                "to": period.end.isoformat(),
                "total": total,
            },
        )
        return Page(
            items=[_evidence(item) for item in ordered], total=total, page=page, page_size=page_size
        )


def _evidence(event: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "seq": int(event["seq"]),
        **{
            k: event.get(k)
            for k in ("event_id", "at", "action", "outcome", "purpose", "record_ids")
            if "event_id" in event  # an event the index does not have (yet): its seq only
        },
        "agency": (event.get("actor") or {}).get("agency"),
    }


def _group_by(value: str | None) -> GroupBy | None:
    if value is None or value == "":
        return None
    for known in GROUP_BYS:
        if value == known:
            return known
    raise InvalidQuery(f"group_by is one of {', '.join(GROUP_BYS)}", field="group_by")
