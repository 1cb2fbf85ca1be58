"""From the audit trail and the object store to the indicator aggregate's facts.

Which events count, and how (CONTRACT.md "Decision 468 indicators"):
- `lookup` (outcome ok): one audited subject lookup; it *found* when it returned at least
  one reusable result. Its event records `detail.reusable`, the number of reusable results
  the response carried. Events from before reuse was judged by the signature carry only
  `total` and `include_invalid`: they returned valid results, so they found when `total`
  was above 0 without `include_invalid`.
- `download` (outcome ok; a 304 read nothing): one content read; by another agency when the
  reader's agency is not the record's issuer. New events name the issuer
  (`detail.issuer_code`); for older ones it is read from the record's manifest.
- `settlement`: a notice received (its fields in `detail.notice`).
- `deposit` (outcome created): the result is held from the deposit's day on; its record's
  first manifest gives the issuer, the result code and the signature verdict.
Days are calendar days in KHO_TIMEZONE.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from kho.archive.audit import AuditEvent
from kho.archive.errors import ObjectNotFound
from kho.archive.manifest import Manifest
from kho.archive.package import Packages
from kho.archive.settlement import SettlementNotice, StoredNotice
from kho.indexer.indicators import DepositFact, Facts, NoticeFact, ReuseFact

__all__ = ["CONTENT_READ_ACTIONS", "LOOKUP_ACTIONS", "FactFeed", "deposit_fact", "notice_fact"]

SIGNED = "TOTAL-PASSED"
# The audited actions that are a subject lookup, and a read of a result's content (the web
# UI's views go through the same services, so they are these actions too).
LOOKUP_ACTIONS = frozenset({"lookup"})
CONTENT_READ_ACTIONS = frozenset({"download"})


def notice_fact(notice: SettlementNotice) -> NoticeFact:
    return NoticeFact(
        issuer_code=notice.issuer_code,
        result_code=notice.result_code,
        dossier_code=notice.dossier_code,
        procedure_code=notice.procedure_code,
        level=notice.level,
        settled_on=notice.settled_on,
        result_form=notice.result_form.value,
    )


def deposit_fact(manifest: Manifest, zone: ZoneInfo) -> DepositFact:
    # The verdict at deposit: a later re-validation does not change when it was signed.
    indication = (
        manifest.validations[0].indication
        if manifest.validations
        else manifest.signature.indication
    )
    return DepositFact(
        issuer_code=manifest.issuer_code,
        result_code=manifest.result_code,
        record_id=manifest.record_id,
        deposited_on=manifest.provenance.deposited_at.astimezone(zone).date(),
        signed=indication == SIGNED,
        origin=manifest.origin.value,
    )


def _found(detail: Mapping[str, Any]) -> bool:
    if "reusable" in detail:
        return int(detail.get("reusable") or 0) > 0
    return int(detail.get("total") or 0) > 0 and not detail.get("include_invalid")


class FactFeed:
    """Turns events into facts, reading a record's manifest where an event does not say
    enough (older downloads, every deposit)."""

    def __init__(self, packages: Packages, zone: ZoneInfo) -> None:
        self.packages = packages
        self.zone = zone
        self._manifest: Callable[[str], Manifest | None] = lru_cache(maxsize=4096)(
            self._read_manifest
        )

    def _read_manifest(self, record_id: str) -> Manifest | None:
        try:
            return self.packages.latest_manifest(record_id)
        except ObjectNotFound:
            return None

    def _day(self, event: AuditEvent) -> date:
        return event.at.astimezone(self.zone).date()

    def add(self, facts: Facts, event: AuditEvent, *, results: bool = True) -> None:
        """The facts of one event; without `results`, only reuse facts (a rebuild takes the
        notices and deposits from the store itself)."""
        action, detail = event.action, event.detail
        if action in LOOKUP_ACTIONS and event.outcome == "ok":
            facts.reuse.append(
                ReuseFact(
                    seq=event.seq,
                    day=self._day(event),
                    kind="lookup",
                    found=_found(detail),
                    subject_ids=event.subject_ids,
                    dossier_code=event.purpose,
                )
            )
        elif action in CONTENT_READ_ACTIONS and event.outcome == "ok":
            reader = event.actor.get("agency")
            issuer = detail.get("issuer_code")
            if issuer is None and event.record_ids:
                manifest = self._manifest(event.record_ids[0])
                issuer = manifest.issuer_code if manifest else None
            facts.reuse.append(
                ReuseFact(
                    seq=event.seq,
                    day=self._day(event),
                    kind="download",
                    other_agency=reader is not None and issuer is not None and reader != issuer,
                    subject_ids=event.subject_ids,
                    dossier_code=event.purpose,
                )
            )
        elif not results:
            return
        elif action == "settlement" and isinstance(detail.get("notice"), Mapping):
            facts.notices.append(notice_fact(SettlementNotice.model_validate(detail["notice"])))
        elif action == "deposit" and event.outcome == "created" and event.record_ids:
            manifest = self._manifest(event.record_ids[0])
            if manifest is not None:
                facts.deposits.append(deposit_fact(manifest, self.zone))

    def slices(
        self, events: Iterable[AuditEvent], after: int, size: int = 2000, *, results: bool = True
    ) -> Iterator[tuple[int, Facts]]:
        """The facts of the events that follow seq `after`, in slices, each with the last seq
        it covers. Stops at a gap (a batch sealed while it was being read): the rest is
        read again from there next time, so no event is ever skipped."""
        facts, last, count = Facts(), after, 0
        for event in events:
            if event.seq <= last:
                continue
            if event.seq != last + 1:
                break
            self.add(facts, event, results=results)
            last = event.seq
            count += 1
            if count >= size:
                yield last, facts
                facts, count = Facts(), 0
        if count:
            yield last, facts

    def store_slices(
        self, notices: Iterable[StoredNotice], record_ids: Iterable[str], size: int = 2000
    ) -> Iterator[tuple[int, Facts]]:
        """The facts the object store holds (every notice, every record), with seq 0."""
        facts = Facts()
        for stored in notices:
            facts.notices.append(notice_fact(stored.notice))
            if len(facts) >= size:
                yield 0, facts
                facts = Facts()
        for record_id in record_ids:
            manifest = self._read_manifest(record_id)
            if manifest is not None:
                facts.deposits.append(deposit_fact(manifest, self.zone))
            if len(facts) >= size:
                yield 0, facts
                facts = Facts()
        if len(facts):
            yield 0, facts
