"""Retention work of records managers: the schedule in force, what is due, legal holds, and
the disposal workflow (proposal → approval by another principal → execution → certificate).

The rules live in retention/ (schedule, holds, batches, the certificate); this service
writes the manifests, removes the files, keeps the index in step and audits every step.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, Literal

from kho.archive.errors import ObjectExists, ObjectNotFound, ObjectProtected
from kho.archive.manifest import EventType, Manifest, StatusEvent, Tombstone
from kho.archive.package import Written
from kho.archive.store import RetainingStore
from kho.retention.certificate import certificate_html
from kho.retention.decide import lock_until, retention_of
from kho.retention.disposal import Batch, BatchStore, Decision, Item, SameApprover, principal
from kho.retention.due import DueFilter, DueScan
from kho.retention.holds import QUERY_FIELDS, Hold, HoldStore, holding
from kho.retention.schedule import RetentionSchedule
from kho.services.access import Access
from kho.services.audit import AuditService
from kho.services.base import Backends
from kho.services.errors import AccessDenied, Conflict, InvalidQuery, RecordNotFound
from kho.services.indexing import IndexingService
from kho.services.views import view_on

__all__ = ["RetentionService"]

SCHEDULES = "retention/schedules/"
Outcome = Literal["disposed", "transferred", "held", "protected", "missing", "review"]


def _require_disposing_for(access: Access, record_id: str, issuer_code: str) -> None:
    """AccessDenied unless `access` may dispose of a record issued by `issuer_code`: an
    agency's API key only of its own agency's records (and those it acts for)."""
    if not access.may_act_for(issuer_code):
        agencies = sorted(access.agencies or ())
        raise AccessDenied(
            f"this API key decides on disposal only for {', '.join(agencies)}; record "
            f"{record_id} was issued by {issuer_code}",
            field="record_ids",
            record_id=record_id,
        )


def _reason(reason: str | None, what: str) -> str:
    reason = (reason or "").strip()
    if not reason or len(reason) > 1000:
        raise InvalidQuery(f"give the reason for the {what} (1-1000 characters)", field="reason")
    return reason


class RetentionService:
    def __init__(
        self,
        backends: Backends,
        audit: AuditService,
        indexing: IndexingService,
        levels: Callable[[str], str | None] | None = None,
    ) -> None:
        self.b = backends
        # The administrative level of an issuer (the agency registry's), for rules by level.
        self.levels = levels
        self.audit = audit
        self.indexing = indexing
        self.holds = HoldStore(backends.store)
        self.batches = BatchStore(backends.store)

    # -- the schedule ----------------------------------------------------------------------

    @property
    def schedule(self) -> RetentionSchedule:
        return self.b.schedule

    def note_schedule(self, access: Access) -> bool:
        """Keep this version of the schedule in the store and audit it the first time it is
        in force (a change of rules is an audit event); True if it was new."""
        schedule = self.schedule
        if not schedule.digest:
            return False
        key = f"{SCHEDULES}{schedule.digest}.json"
        data = json.dumps(schedule.to_json(), ensure_ascii=False, sort_keys=True).encode()
        try:
            self.b.store.put(key, data, create_only=True)
        except ObjectExists:
            return False
        self.audit.record(
            "retention-schedule",
            access,
            detail={
                "version": schedule.version,
                "digest": schedule.digest,
                "rules": len(schedule.rules),
            },
        )
        return True

    def schedule_versions(self) -> list[dict[str, Any]]:
        out = []
        for key in self.b.store.list(SCHEDULES):
            try:
                raw = json.loads(self.b.store.get(key))
            except ObjectNotFound:
                continue
            out.append(
                {
                    "version": raw.get("version"),
                    "digest": raw.get("digest"),
                    "rules": len(raw.get("rules", [])),
                }
            )
        return out

    def retention_for(self, manifest: Manifest, holds: Iterable[Hold] | None = None) -> Any:
        """The retention this record has under the schedule in force and the active holds."""
        active = list(holds) if holds is not None else self.holds.active()
        level = self.levels(manifest.issuer_code) if self.levels is not None else None
        return retention_of(self.schedule, manifest, self.b.settings.zone, active, level)

    def lock_original(self, manifest: Manifest) -> None:
        """WORM: the original under COMPLIANCE retention until its retain_until (or the
        renewed horizon for a permanent record)."""
        store = self.b.store
        if not isinstance(store, RetainingStore):
            return
        until = lock_until(
            manifest.retention.retain_until,
            self.b.settings.zone,
            self.b.now(),
            self.b.settings.retention_lock_horizon_years,
        )
        store.retain(
            self.b.packages.original_key(manifest.file.sha256),
            until,
            mode=self.b.settings.retention_lock_mode,
        )

    def _manifests(self) -> Iterator[Manifest]:
        for claim in self.b.packages.claims():
            try:
                yield self.b.packages.latest_manifest(claim.record_id)
            except ObjectNotFound:
                continue

    def _update(self, record_id: str, change: str, access: Access, **updates: Any) -> Manifest:
        for _attempt in range(50):
            manifest = self.b.packages.latest_manifest(record_id)
            updated = manifest.next(at=self.b.now(), by=access.actor, change=change, **updates)
            try:
                written = self.b.packages.write_manifest(updated)
            except ObjectExists:
                continue
            self.indexing.index_record(record_id)
            self.audit.record(
                "retention-update",
                access,
                record_ids=[record_id],
                detail={"change": change, "files": dict([written])},
            )
            return updated
        raise Conflict(f"record {record_id} is being changed by others; try again")

    def recompute(self, access: Access, only: Callable[[Manifest], bool] | None = None) -> int:
        """Recompute every (or each `only`) record's retention under the schedule in force
        and the active holds; a record whose retention changes gets a new manifest version
        and its original's lock is extended. Returns how many changed."""
        self.note_schedule(access)
        holds = self.holds.active()
        changed = 0
        for manifest in self._manifests():
            if manifest.event(EventType.disposed) is not None:
                continue
            if only is not None and not only(manifest):
                continue
            retention = self.retention_for(manifest, holds)
            if retention != manifest.retention:
                manifest = self._update(
                    manifest.record_id, "retention", access, retention=retention.model_dump()
                )
                changed += 1
            try:
                self.lock_original(manifest)
            except ObjectNotFound:
                continue
        return changed

    # -- what is due -----------------------------------------------------------------------

    def due(self, as_of: date | None = None, where: DueFilter | None = None) -> DueScan:
        """The records due on `as_of` (default today in KHO_TIMEZONE)."""
        return DueScan(self.b.packages, as_of or self.b.today(), self.holds.active(), where)

    def due_item(self, manifest: Manifest, held: bool) -> dict[str, Any]:
        return {
            "record": self.view(manifest),
            "retain_until": manifest.retention.retain_until.isoformat()
            if manifest.retention.retain_until
            else None,
            "action": manifest.retention.action,
            "held": held,
        }

    def view(self, manifest: Manifest) -> dict[str, Any]:
        return view_on(
            manifest, self.b.settings.zone, self.b.today(), self.b.settings.reuse_signature
        )

    # -- holds -----------------------------------------------------------------------------

    def place_hold(
        self,
        access: Access,
        *,
        reason: str,
        record_ids: list[str] | None = None,
        subject_id: str | None = None,
        query: dict[str, str] | None = None,
        reference: str | None = None,
    ) -> Hold:
        reason = _reason(reason, "hold")
        given = [x for x in (record_ids, subject_id, query) if x]
        if len(given) != 1:
            raise InvalidQuery(
                "a hold names exactly one of record_ids, subject_id or query", field="record_ids"
            )
        kind: Literal["records", "subject", "query"]
        if record_ids:
            kind = "records"
            for record_id in record_ids:
                if not self.b.packages.manifest_versions(record_id):
                    raise InvalidQuery(
                        f"no record {record_id}", field="record_ids", record_id=record_id
                    )
        elif subject_id:
            kind = "subject"
        else:
            kind = "query"
            assert query is not None
            unknown = sorted(set(query) - set(QUERY_FIELDS))
            if unknown:
                raise InvalidQuery(f"query: unknown field {unknown[0]!r}", field="query")
            for name in ("issued_from", "issued_to"):
                if name in query:
                    try:
                        date.fromisoformat(query[name])
                    except ValueError:
                        raise InvalidQuery(
                            f"query: {name} must be YYYY-MM-DD", field="query"
                        ) from None
        hold, key, data = self.holds.place(
            kind=kind,
            reason=reason,
            owner=access.actor,
            at=self.b.now(),
            reference=reference,
            record_ids=record_ids or (),
            subject_id=subject_id,
            query=query,
        )
        self.audit.record(
            "hold-place",
            access,
            record_ids=list(hold.record_ids),
            subject_ids=[subject_id] if subject_id else [],
            detail={
                "hold_id": hold.hold_id,
                "kind": kind,
                "reason": reason,
                "reference": reference,
                "query": query,
                "hold_file": dict([Written.of(key, data)]),
            },
        )
        self.recompute(access, only=hold.matches)
        return hold

    def release_hold(self, hold_id: str, reason: str, access: Access) -> Hold:
        reason = _reason(reason, "release")
        hold, _key = self.holds.release(hold_id, reason=reason, by=access.actor, at=self.b.now())
        self.audit.record(
            "hold-release",
            access,
            record_ids=list(hold.record_ids),
            detail={"hold_id": hold_id, "reason": reason},
        )
        self.recompute(access, only=lambda m: hold_id in m.retention.holds)
        return hold

    # -- disposal --------------------------------------------------------------------------

    def propose(
        self, record_ids: list[str], reason: str, access: Access, as_of: date | None = None
    ) -> Batch:
        """A batch of due, unheld records (422 naming the first that is not)."""
        reason = _reason(reason, "disposal")
        if not record_ids:
            raise InvalidQuery("name at least one record to dispose of", field="record_ids")
        day = as_of or self.b.today()
        holds = self.holds.active()

        def items() -> Iterator[Item]:
            for record_id in dict.fromkeys(record_ids):
                try:
                    m = self.b.packages.latest_manifest(record_id)
                except ObjectNotFound:
                    raise InvalidQuery(
                        f"no record {record_id}", field="record_ids", record_id=record_id
                    ) from None
                _require_disposing_for(access, record_id, m.issuer_code)
                r = m.retention
                if m.event(EventType.disposed) is not None:
                    raise InvalidQuery(
                        f"record {record_id} is disposed of already",
                        field="record_ids",
                        record_id=record_id,
                    )
                if r.retain_until is None or not r.retain_until < day:
                    raise InvalidQuery(
                        f"record {record_id} is not due "
                        f"(kept until {r.retain_until or 'permanently'})",
                        field="record_ids",
                        record_id=record_id,
                    )
                held = holding(holds, m)
                if held:
                    raise InvalidQuery(
                        f"record {record_id} is under legal hold {held[0]}",
                        field="record_ids",
                        record_id=record_id,
                    )
                yield Item(
                    record_id=record_id,
                    result_code=m.result_code,
                    issuer_code=m.issuer_code,
                    result_type=m.result_type,
                    sha256=m.file.sha256,
                    rule=r.rule,
                    retain_until=r.retain_until,
                    action=r.action,
                )

        batch, _ = self.batches.create(items(), reason=reason, by=access.actor, at=self.b.now())
        self.audit.record(
            "disposal-propose",
            access,
            detail={"batch_id": batch.batch_id, "count": batch.count, "reason": reason},
        )
        return batch

    def batch(self, batch_id: str) -> Batch:
        return self.batches.get(batch_id)

    def list_batches(self) -> list[Batch]:
        return sorted(self.batches.all(), key=lambda b: b.batch_id, reverse=True)

    def reject(self, batch_id: str, reason: str, access: Access) -> Batch:
        reason = _reason(reason, "rejection")
        batch = self.batches.get(batch_id)
        self._require_deciding(batch, access)
        if batch.decision is not None:
            raise Conflict(
                f"disposal batch {batch_id} is {batch.status} already", batch_id=batch_id
            )
        batch = self.batches.decide(
            batch, Decision(decision="rejected", by=access.actor, at=self.b.now(), reason=reason)
        )
        self.audit.record(
            "disposal-reject", access, detail={"batch_id": batch_id, "reason": reason}
        )
        return batch

    def approve(
        self, batch_id: str, access: Access, on_record: Callable[[str], None] | None = None
    ) -> Batch:
        """Approve (by another principal than the proposer) and execute; approving again an
        approved batch whose execution was interrupted finishes it."""
        batch = self.batches.get(batch_id)
        self._require_deciding(batch, access)
        if principal(access.actor) == principal(batch.proposed_by):
            raise SameApprover(
                f"disposal batch {batch_id} was proposed by {batch.proposed_by.label()}; "
                "another person must approve it",
                batch_id=batch_id,
            )
        if batch.status == "rejected":
            raise Conflict(
                f"disposal batch {batch_id} was rejected; it can never be approved",
                batch_id=batch_id,
            )
        if batch.decision is None:
            batch = self.batches.decide(
                batch, Decision(decision="approved", by=access.actor, at=self.b.now())
            )
            self.audit.record("disposal-approve", access, detail={"batch_id": batch_id})
        if batch.status == "executed":
            return batch
        return self.execute(batch_id, access, on_record=on_record)

    def _require_deciding(self, batch: Batch, access: Access) -> None:
        """AccessDenied unless `access` may decide on every record of `batch`: an agency's
        key decides only on its own agency's records (the head of the agency decides on
        disposal, Circular 06/2025/TT-BNV); a person or an operator on any."""
        if access.agencies is None:
            return
        for number in range(batch.chunks):
            for item in self.batches.chunk(batch.batch_id, number):
                _require_disposing_for(access, item.record_id, item.issuer_code)

    def execute(
        self, batch_id: str, access: Access, on_record: Callable[[str], None] | None = None
    ) -> Batch:
        batch = self.batches.get(batch_id)
        self._require_deciding(batch, access)
        if batch.decision is None or batch.decision.decision != "approved":
            raise Conflict(f"disposal batch {batch_id} is not approved", batch_id=batch_id)
        for number in range(batch.chunks):
            if self.batches.chunk_done(batch_id, number):
                continue
            holds = self.holds.active()
            outcomes: dict[str, str] = {}
            for item in self.batches.chunk(batch_id, number):
                outcomes[item.record_id] = self._dispose(batch, item, holds, access)
                if on_record is not None:
                    on_record(item.record_id)
            self.batches.store.put(
                f"retention/disposals/{batch_id}/done/{number:05d}.json",
                json.dumps({"at": self.b.now().isoformat(), "outcomes": outcomes}).encode(),
            )
        certificate = self._certificate_summary(batch)
        self.batches.write_certificate(batch_id, certificate)
        self.audit.record(
            "disposal-execute",
            access,
            detail={
                "batch_id": batch_id,
                "disposed": certificate["disposed"],
                "skipped": certificate["skipped"],
            },
        )
        return self.batches.get(batch_id)

    def _transfer_dir(self) -> Path:
        return self.b.settings.retention_transfer_dir or self.b.settings.data_dir / "transfers"

    def _export_bag(self, batch: Batch, manifest: Manifest) -> str:
        """The record as a BagIt package for the historical archive: its manifest, the
        signed original, its text and its validation reports (bagit-python)."""
        import bagit

        folder = self._transfer_dir() / batch.batch_id / manifest.record_id
        if folder.is_dir():
            try:
                if bagit.Bag(str(folder)).is_valid():
                    return str(folder)
            except bagit.BagError:
                pass
            shutil.rmtree(folder)
        work = folder.with_name(folder.name + ".partial")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        packages = self.b.packages
        (work / "manifest.json").write_bytes(manifest.to_bytes())
        with (work / (manifest.file.filename.replace("/", "_") or "original.pdf")).open(
            "wb"
        ) as out:
            for chunk in packages.stream_original(manifest.file.sha256):
                out.write(chunk)
        for key in self.b.store.list(f"records/{manifest.record_id}/"):
            if "/manifest/" in key:
                continue
            target = work / key.split("/", 2)[2]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self.b.store.get(key))
        bagit.make_bag(
            str(work),
            {
                "Source-Organization": manifest.issuer_code,
                "External-Identifier": manifest.record_id,
                "External-Description": f"{manifest.result_type} {manifest.result_code}",
                "Bag-Group-Identifier": batch.batch_id,
            },
            checksums=["sha256"],
        )
        work.rename(folder)
        return str(folder)

    def _others_holding(self, manifest: Manifest) -> set[str]:
        """The records other than this one, not disposed of, whose original is the same
        file: the content claim's holder under another result code, or those `kho reindex`
        marked as sharing it."""
        packages = self.b.packages
        sha = manifest.file.sha256
        others = packages.sharing(sha)
        claim = packages.content_claim(sha)
        if (
            claim is not None
            and not claim.released
            and claim.issuer_code is not None
            and claim.result_code is not None
            and (claim.issuer_code, claim.result_code)
            != (manifest.issuer_code, manifest.result_code)
        ):
            held = packages.claim_holding(claim.issuer_code, claim.result_code, sha)
            if held is not None:
                others.add(held.record_id)
        others.discard(manifest.record_id)
        alive = set()
        for record_id in others:
            try:
                other = packages.latest_manifest(record_id)
            except ObjectNotFound:
                continue
            if other.event(EventType.disposed) is None and other.file.sha256 == sha:
                alive.add(record_id)
        return alive

    def _dispose(self, batch: Batch, item: Item, holds: list[Hold], access: Access) -> str:
        """One record, idempotently: the tombstone manifest first, then the files go, the
        index follows and the audit event names both."""
        packages = self.b.packages
        assert batch.decision is not None
        try:
            manifest = packages.latest_manifest(item.record_id)
        except ObjectNotFound:
            return "missing"
        tombstoned = manifest.event(EventType.disposed) is not None
        if not tombstoned:
            if holding(holds, manifest):
                return "held"
            if manifest.retention.action == "review" and item.action == "review":
                pass  # a review rule: the records manager chose to dispose of it
            original = packages.original_key(manifest.file.sha256)
            store = self.b.store
            if isinstance(store, RetainingStore):
                try:
                    until = store.retained_until(original)
                except ObjectNotFound:
                    until = None
                if until is not None and until > self.b.now():
                    return "protected"
            package = self._export_bag(batch, manifest) if item.action == "transfer" else None
            now = self.b.now()
            tomb = Tombstone(
                batch_id=batch.batch_id,
                action="transfer" if item.action == "transfer" else "destroy",
                disposed_at=now,
                proposed_by=batch.proposed_by,
                approved_by=batch.decision.by,
                sha256=manifest.file.sha256,
                rule=manifest.retention.rule,
                retain_until=manifest.retention.retain_until,
                transfer_package=package,
            )
            event = StatusEvent(
                type=EventType.disposed, at=now, by=batch.decision.by, reason=batch.reason
            )
            for _attempt in range(50):
                updated = manifest.next(
                    at=now,
                    by=batch.decision.by,
                    change="disposal",
                    events=[*[e.model_dump() for e in manifest.events], event.model_dump()],
                    tombstone=tomb.model_dump(),
                )
                try:
                    packages.write_manifest(updated)
                    break
                except ObjectExists:
                    manifest = packages.latest_manifest(item.record_id)
                    if manifest.event(EventType.disposed) is not None:
                        break
            manifest = packages.latest_manifest(item.record_id)
        latest_key = packages.manifest_versions(item.record_id)[-1]
        written = Written.of(latest_key, self.b.store.get(latest_key))
        shared = self._others_holding(manifest)
        removed = [] if shared else [packages.original_key(manifest.file.sha256)]
        if manifest.digitization is not None:
            removed += [packages.original_key(s) for s in manifest.digitization.scan_sha256]
        removed.append(f"records/{item.record_id}/text.json")
        removed += [v.report_key for v in manifest.validations]
        removed += list(self.b.store.list(f"records/{item.record_id}/validations/"))
        removed = list(dict.fromkeys(removed))
        for key in removed:
            try:
                self.b.store.delete(key)
            except ObjectProtected:
                raise
        self.indexing.index_record(item.record_id)
        self.audit.record(
            "dispose",
            access,
            record_ids=[item.record_id],
            subject_ids=[s.id for s in manifest.subjects],
            detail={
                "batch_id": batch.batch_id,
                "sha256": manifest.file.sha256,
                "rule": manifest.retention.rule,
                "action": item.action,
                "files": dict([written]),
                "removed_files": removed,
                # Records that still hold the same signed file (archives from before content
                # claims): the file stays for them.
                **({"original_kept_for": sorted(shared)} if shared else {}),
            },
        )
        return "transferred" if item.action == "transfer" else "disposed"

    # -- the certificate -------------------------------------------------------------------

    def _outcomes(self, batch_id: str, number: int) -> dict[str, str]:
        try:
            raw = json.loads(
                self.b.store.get(f"retention/disposals/{batch_id}/done/{number:05d}.json")
            )
        except ObjectNotFound:
            return {}
        return dict(raw.get("outcomes") or {})

    def _certificate_summary(self, batch: Batch) -> dict[str, Any]:
        disposed = skipped = 0
        for number in range(batch.chunks):
            for outcome in self._outcomes(batch.batch_id, number).values():
                if outcome in ("disposed", "transferred"):
                    disposed += 1
                else:
                    skipped += 1
        return {"executed_at": self.b.now().isoformat(), "disposed": disposed, "skipped": skipped}

    def certificate(self, batch_id: str, access: Access | None = None) -> dict[str, Any]:
        """The minutes of an executed batch (Conflict while it is not executed)."""
        batch = self.batches.get(batch_id)
        summary = self.batches.certificate(batch_id)
        if summary is None or batch.decision is None:
            raise Conflict(
                f"disposal batch {batch_id} is {batch.status}: no certificate yet",
                batch_id=batch_id,
            )
        items = []
        for number in range(batch.chunks):
            outcomes = self._outcomes(batch_id, number)
            for item in self.batches.chunk(batch_id, number):
                items.append({**item.to_json(), "outcome": outcomes.get(item.record_id, "missing")})
        if access is not None:
            self.audit.record("disposal-certificate", access, detail={"batch_id": batch_id})
        return {
            "title": "Biên bản hủy tài liệu hết giá trị",
            "title_en": "Certificate of destruction",
            "batch_id": batch_id,
            "status": batch.status,
            "reason": batch.reason,
            "proposed_by": batch.proposed_by.label(),
            "proposed_at": batch.proposed_at.isoformat(),
            "approved_by": batch.decision.by.label(),
            "approved_at": batch.decision.at.isoformat(),
            "executed_at": summary["executed_at"],
            "count": batch.count,
            "disposed": summary["disposed"],
            "skipped": summary["skipped"],
            "record_ids": [i["record_id"] for i in items],
            "items": items,
        }

    def certificate_html(self, batch_id: str, access: Access | None = None) -> str:
        return certificate_html(self.certificate(batch_id, access), self.b.settings.zone)

    def record_not_found(self, record_id: str) -> RecordNotFound:
        return RecordNotFound(f"no record {record_id}")
