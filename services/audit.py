"""The audit service: every access to a citizen's data and every change, as a chained event;
and the ways to read the trail back (queries, a subject's access log, verification, export).

Appending is the trail's job (archive/audit/: group commit, sealed segments). Each batch
the trail makes durable is handed to a background thread that adds it to the event index,
so a request never waits on the index; what the index missed (it was down, the process
died) is caught up from the trail by `catch_up`, which the server runs periodically.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from kho.archive.audit import GENESIS, AuditEvent, ChainReport, SealResult
from kho.archive.identifiers import subject_kind_of
from kho.indexer.errors import IndexUnavailable
from kho.indexer.events import AuditQuery as EventQuery
from kho.metrics import AUDIT_APPENDS, AUDIT_BATCHES, AUDIT_INDEX_FAILURES
from kho.services.access import Access
from kho.services.base import Backends
from kho.services.checkpoints import CheckpointService
from kho.services.errors import InvalidQuery, MissingPurpose
from kho.services.paging import Page, check_paging
from kho.services.queries import AuditQuery

__all__ = ["ACCESS_LOG_ACTIONS", "AuditService"]

log = logging.getLogger(__name__)

_GATHER_S = 0.05

# What a subject's access log shows: reads of their data and changes to their results. Not
# the reading of the access log itself, nor auditors' queries of the trail.
ACCESS_LOG_ACTIONS = (
    "lookup",
    "search",
    "read",
    "history",
    "download",
    "content-link.create",
    "verification.read",
    "revalidate",
    "deposit",
    "revoke",
    "supersede",
)


class AuditService:
    def __init__(self, backends: Backends) -> None:
        self.b = backends
        self._cond = threading.Condition()
        self._queue: list[AuditEvent] = []
        self._busy = False
        self._closed = False
        self._flushing = 0
        self._thread: threading.Thread | None = None
        backends.trail.add_listener(self._durable)
        self.checkpoints = CheckpointService(backends)

    # -- appending ---------------------------------------------------------------------

    def record(
        self,
        action: str,
        access: Access,
        *,
        outcome: str = "ok",
        record_ids: Iterable[str] = (),
        subject_ids: Iterable[str] = (),
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEvent:
        """Append an event; returns once it is durable (call before answering)."""
        actor = access.actor.model_dump(exclude_none=True)
        full_detail = dict(detail or {})
        if access.request_id:
            full_detail["request_id"] = access.request_id
        return self.b.trail.append(
            at=self.b.now(),
            action=action,
            actor=actor,
            outcome=outcome,
            purpose=access.purpose,
            record_ids=tuple(dict.fromkeys(record_ids)),
            subject_ids=tuple(dict.fromkeys(subject_ids)),
            detail=full_detail,
        )

    # -- keeping the event index in step -----------------------------------------------

    def _durable(self, events: Sequence[AuditEvent]) -> None:
        AUDIT_BATCHES.observe(len(events))
        for event in events:
            AUDIT_APPENDS.labels(action=event.action).inc()
        with self._cond:
            if self._closed:
                return  # the next catch-up indexes them
            self._queue.extend(events)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._index_loop, name="kho-audit-index", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def _index_loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return
                # Gather what arrives in the next moment: one index write for many
                # requests' events instead of one each (a flush cuts the wait short).
                deadline = time.monotonic() + _GATHER_S
                while not self._closed and not self._flushing and len(self._queue) < 500:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                batch, self._queue = self._queue, []
                self._busy = True
            try:
                self.b.audit_index.add(batch)
            except IndexUnavailable as exc:
                AUDIT_INDEX_FAILURES.inc()
                log.warning(
                    "audit events %d..%d not indexed yet: %s",
                    batch[0].seq,
                    batch[-1].seq,
                    exc.detail,
                )
            except Exception as exc:  # keep the thread alive; catch_up repairs the index
                AUDIT_INDEX_FAILURES.inc()
                log.error("audit index: %s: %s", type(exc).__name__, exc)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until this process's durable events are in the index (or the index failed)."""
        with self._cond:
            self._flushing += 1
            self._cond.notify_all()
            try:
                return self._cond.wait_for(lambda: not self._queue and not self._busy, timeout_s)
            finally:
                self._flushing -= 1

    def catch_up(self, *, chunk: int = 500) -> int:
        """Index every durable event the index lacks; returns how many were added."""
        index = self.b.audit_index
        through = index.indexed_through()
        head_seq, _ = self.b.trail.head()
        if through >= head_seq:
            return 0
        done = 0
        pending: list[AuditEvent] = []
        for event in self.b.trail.events(through + 1):
            pending.append(event)
            if len(pending) >= chunk:
                index.add(pending)
                done += len(pending)
                pending = []
        if pending:
            index.add(pending)
            done += len(pending)
        return done

    def reindex(self) -> int:
        """Rebuild the event index from the trail alone."""
        self.flush()
        return self.b.audit_index.replace_all(self.b.trail.events())

    def maintain(self) -> dict[str, int]:
        """The periodic chores: seal what is due, sweep leftovers, catch the index up."""
        sealed = self.b.trail.seal_all()
        swept = self.b.trail.sweep() if sealed else 0
        if sealed:
            self.checkpoints.write()
        try:
            indexed = self.catch_up()
        except IndexUnavailable as exc:
            log.warning("audit index catch-up: %s", exc.detail)
            indexed = 0
        return {"sealed": len(sealed), "swept": swept, "indexed": indexed}

    def seal(self, *, force: bool = False) -> list[SealResult]:
        results = self.b.trail.seal_all(force=force)
        if results:
            self.b.trail.sweep()
            self.checkpoints.write()
        return results

    def close(self) -> None:
        self.flush()
        self.checkpoints.close()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=5)

    # -- reading back ------------------------------------------------------------------

    def query(self, query: AuditQuery, access: Access) -> Page:
        """Audit events by filters, newest first; the query itself is audited."""
        check_paging(query.page, query.page_size)
        if query.since is not None and query.until is not None and query.since >= query.until:
            raise InvalidQuery("`from` must be before `to`", field="from")
        self.flush()
        result = self.b.audit_index.query(
            EventQuery(
                subject_id=query.subject_id,
                agency=query.agency,
                record_id=query.record_id,
                action=query.action,
                purpose=query.purpose,
                user=query.user,
                since=query.since,
                until=query.until,
                page=query.page,
                page_size=query.page_size,
            )
        )
        self.record(
            "audit.query",
            access,
            subject_ids=[query.subject_id] if query.subject_id else [],
            record_ids=[query.record_id] if query.record_id else [],
            detail={
                name: value
                for name, value in {
                    "agency": query.agency,
                    "action": query.action,
                    "purpose": query.purpose,
                    "user": query.user,
                    "since": query.since.isoformat() if query.since else None,
                    "until": query.until.isoformat() if query.until else None,
                    "total": result.total,
                }.items()
                if value is not None
            },
        )
        return Page(
            items=[dict(item) for item in result.items],
            total=result.total,
            page=query.page,
            page_size=query.page_size,
        )

    def access_log(
        self, subject_id: str, access: Access, *, page: int = 1, page_size: int = 20
    ) -> Page:
        """Who read or changed a subject's results: which agency, when, for which dossier,
        which records. Key ids and people's names are left out (it is for the citizen)."""
        if not access.purpose:
            raise MissingPurpose("state the purpose (X-Dossier-Code) of reading an access log")
        if subject_kind_of(subject_id) is None:
            raise InvalidQuery(
                "a subject id is a 12-digit personal ID number or a 10/13-digit enterprise code",
                field="subject_id",
            )
        check_paging(page, page_size)
        self.flush()
        result = self.b.audit_index.query(
            EventQuery(
                subject_id=subject_id, actions=ACCESS_LOG_ACTIONS, page=page, page_size=page_size
            )
        )
        self.record("access-log.read", access, subject_ids=[subject_id])
        zone = self.b.settings.zone
        items = [
            {
                # The trail keeps UTC; the citizen reads KHO_TIMEZONE, like every other time.
                "at": datetime.fromisoformat(str(item["at"])).astimezone(zone).isoformat(),
                "action": item["action"],
                "agency": (item.get("actor") or {}).get("agency"),
                "dossier_code": item.get("purpose"),
                "record_ids": list(item.get("record_ids") or []),
                "outcome": item.get("outcome"),
            }
            for item in result.items
        ]
        return Page(items=items, total=result.total, page=page, page_size=page_size)

    def verify(self) -> ChainReport:
        """Check the whole chain; the index's last event catches a removed tail, and the
        latest signed checkpoint a tail removed with the index, or a rewritten chain."""
        try:
            self.flush()
            known: int | None = self.b.audit_index.last_seq()
        except IndexUnavailable:
            known = None
        return self.checkpoints.judge(self.b.trail.verify(known_last_seq=known))

    def export(self, since: datetime, until: datetime, access: Access) -> Iterator[dict[str, Any]]:
        """The events with since <= at < until as JSON objects, then one {"proof": ...}: the
        hash of the event before the first (to link the slice to what came before) and the
        last hash, so anyone can check the slice with SHA-256 and RFC 8785 alone."""
        if since >= until:
            raise InvalidQuery("--from must be before --to", field="from")
        self.record(
            "audit.export",
            access,
            detail={"since": since.isoformat(), "until": until.isoformat()},
        )
        first: AuditEvent | None = None
        last: AuditEvent | None = None
        count = 0
        for event in self.b.trail.events_between(since, until):
            if first is None:
                first = event
            last = event
            count += 1
            yield event.to_json()
        head_seq, head_hash = self.b.trail.head()
        yield {
            "proof": {
                "kind": "kho.audit.export/1",
                "from": since.isoformat(),
                "to": until.isoformat(),
                "count": count,
                "first_seq": first.seq if first else None,
                "last_seq": last.seq if last else None,
                "prev_hash": first.prev_hash if first else None,
                "last_hash": last.hash if last else None,
                "head_seq": head_seq,
                "head_hash": head_hash if head_seq else GENESIS,
                "hash": "sha256 over RFC 8785 JSON of each event without its `hash`",
                "exported_at": self.b.now().isoformat(),
            }
        }
