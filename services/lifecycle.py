"""Changes of a record's standing: revocation and supersession, as new manifest versions.

A revoked or superseded result is never deleted (DOMAIN.md): it keeps its bytes and
history, loses validity for reuse from the day of the event, and stays available to
competent agencies for its retention period.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from kho.archive.errors import ObjectExists, ObjectNotFound
from kho.archive.manifest import EventType, Manifest, StatusEvent
from kho.archive.package import Written
from kho.services.access import Access
from kho.services.audit import AuditService
from kho.services.base import Backends
from kho.services.errors import AccessDenied, Conflict, InvalidQuery, RecordNotFound
from kho.services.indexing import IndexingService
from kho.services.retention import RetentionService
from kho.services.views import view_on

__all__ = ["LifecycleService"]


class LifecycleService:
    def __init__(
        self,
        backends: Backends,
        audit: AuditService,
        indexing: IndexingService,
        retention: RetentionService | None = None,
    ):
        self.b = backends
        self.audit = audit
        self.indexing = indexing
        self.retention = retention

    def _update(
        self,
        record_id: str,
        change: str,
        access: Access,
        make: Callable[[Manifest], dict[str, Any]],
    ) -> tuple[Manifest, Written]:
        """Write the next manifest version; re-read and retry if another writer got there.
        Returns it with its hash, for the audit event."""
        for _attempt in range(50):
            manifest = self.b.packages.latest_manifest(record_id)
            updated = manifest.next(
                at=self.b.now(), by=access.actor, change=change, **make(manifest)
            )
            if self.retention is not None:
                # A revocation or supersession may be what a rule counts its period from.
                retention = self.retention.retention_for(updated)
                if retention != updated.retention:
                    updated = updated.model_copy(update={"retention": retention})
            try:
                written = self.b.packages.write_manifest(updated)
            except ObjectExists:
                continue
            self.b.packages.add_outbox(record_id, self.b.now())
            if self.retention is not None:
                with contextlib.suppress(ObjectNotFound):
                    self.retention.lock_original(updated)
            if self.indexing.index_record(record_id):
                self.b.packages.remove_outbox(record_id)
            return updated, written
        raise Conflict(f"record {record_id} is being changed by others; try again")

    def _own(self, record_id: str, access: Access) -> Manifest:
        """The record, if it exists and this caller may act for its issuer: an API key for
        its own agency and those it was made --on-behalf-of; people and the system for any."""
        try:
            manifest = self.b.packages.latest_manifest(record_id)
        except ObjectNotFound:
            raise RecordNotFound(f"no record {record_id}") from None
        if not self.b.packages.is_claimed(record_id, manifest.issuer_code, manifest.result_code):
            raise RecordNotFound(f"no record {record_id}")
        if not access.may_act_for(manifest.issuer_code):
            raise AccessDenied(
                f"record {record_id} was issued by {manifest.issuer_code}; only the issuer "
                "(or a key made on its behalf) may revoke or supersede it",
                record_id=record_id,
            )
        return manifest

    def check_supersedable(self, record_id: str, access: Access) -> Manifest:
        """What a deposit's `supersedes` needs, by the same rule as `supersede`: the record
        exists and this caller may act for its issuer (RecordNotFound, AccessDenied)."""
        return self._own(record_id, access)

    def _add_event(self, manifest: Manifest, event: StatusEvent) -> dict[str, Any]:
        if manifest.event(event.type) is not None:
            raise Conflict(f"record {manifest.record_id} is already {event.type.value}")
        return {"events": [*[e.model_dump() for e in manifest.events], event.model_dump()]}

    def revoke(self, record_id: str, reason: str, access: Access) -> dict[str, Any]:
        """Revoke a result (thu hồi): it stays archived but is no longer valid from today.
        A second revocation is a Conflict."""
        reason = (reason or "").strip()
        if not reason or len(reason) > 1000:
            raise InvalidQuery(
                "give the reason for the revocation (1-1000 characters)", field="reason"
            )
        manifest = self._own(record_id, access)
        if manifest.event(EventType.revoked) is not None:
            raise Conflict(f"record {record_id} is already revoked", record_id=record_id)
        event = StatusEvent(type=EventType.revoked, at=self.b.now(), by=access.actor, reason=reason)
        manifest, written = self._update(
            record_id, "revocation", access, lambda m: self._add_event(m, event)
        )
        self.audit.record(
            "revoke",
            access,
            record_ids=[record_id],
            subject_ids=[s.id for s in manifest.subjects],
            detail={"reason": reason, "files": dict([written])},
        )
        return self.view(manifest)

    def supersede(
        self, record_id: str, *, by: str, access: Access, reason: str | None = None
    ) -> dict[str, Any]:
        """Mark a result replaced by another already deposited one (thay thế). Both must be
        the caller's agency's; a second supersession is a Conflict."""
        if by == record_id:
            raise InvalidQuery("a record cannot supersede itself", field="superseded_by")
        if reason is not None and len(reason) > 1000:
            raise InvalidQuery("the reason is longer than 1000 characters", field="reason")
        manifest = self._own(record_id, access)
        try:
            self._own(by, access)
        except RecordNotFound:
            raise InvalidQuery(f"no record {by} to supersede with", field="superseded_by") from None
        if manifest.event(EventType.superseded) is not None:
            raise Conflict(f"record {record_id} is already superseded", record_id=record_id)
        return self.mark_superseded(record_id, by=by, access=access, reason=reason)

    def mark_superseded(
        self, record_id: str, *, by: str, access: Access, reason: str | None = None
    ) -> dict[str, Any]:
        event = StatusEvent(
            type=EventType.superseded,
            at=self.b.now(),
            by=access.actor,
            reason=reason,
            superseded_by=by,
        )
        manifest, written = self._update(
            record_id, "supersession", access, lambda m: self._add_event(m, event)
        )
        self.audit.record(
            "supersede",
            access,
            record_ids=[record_id, by],
            subject_ids=[s.id for s in manifest.subjects],
            detail={"superseded_by": by, "files": dict([written])},
        )
        return self.view(manifest)

    def view(self, manifest: Manifest) -> dict[str, Any]:
        return view_on(
            manifest, self.b.settings.zone, self.b.today(), self.b.settings.reuse_signature
        )
