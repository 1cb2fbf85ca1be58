"""The audit trail: append-only, hash-chained events of who did what to which record, and why.

Each event carries the SHA-256 of the one before, computed over its canonical JSON form
(RFC 8785), so editing, removing or reordering any event breaks the chain from that point.
Events are objects `audit/events/<seq>.json` written create-only: of two writers racing for
one sequence number exactly one wins and the other re-reads the head and retries, so the
chain has one writer at a time across processes without a separate lock service.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import rfc8785
from ulid import ULID

from kho.archive.errors import ObjectExists, ObjectNotFound
from kho.archive.store import ObjectStore

__all__ = ["GENESIS", "AuditEvent", "AuditTrail", "ChainReport"]

GENESIS = "0" * 64
_PREFIX = "audit/events/"


def _key(seq: int) -> str:
    return f"{_PREFIX}{seq:012d}.json"


@dataclass(frozen=True)
class AuditEvent:
    seq: int
    event_id: str
    at: datetime
    action: str
    actor: Mapping[str, Any]
    outcome: str
    prev_hash: str
    purpose: str | None = None
    record_ids: tuple[str, ...] = ()
    subject_ids: tuple[str, ...] = ()
    detail: Mapping[str, Any] = field(default_factory=dict)
    hash: str = ""

    def body(self) -> dict[str, Any]:
        """The hashed form: every field but `hash`, JSON-ready."""
        return {
            "seq": self.seq,
            "event_id": self.event_id,
            "at": self.at.isoformat(),
            "action": self.action,
            "actor": dict(self.actor),
            "outcome": self.outcome,
            "prev_hash": self.prev_hash,
            "purpose": self.purpose,
            "record_ids": list(self.record_ids),
            "subject_ids": list(self.subject_ids),
            "detail": dict(self.detail),
        }

    def compute_hash(self) -> str:
        return hashlib.sha256(rfc8785.dumps(self.body())).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {**self.body(), "hash": self.hash}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AuditEvent:
        return cls(
            seq=int(data["seq"]),
            event_id=str(data["event_id"]),
            at=datetime.fromisoformat(str(data["at"])),
            action=str(data["action"]),
            actor=dict(data["actor"]),
            outcome=str(data["outcome"]),
            prev_hash=str(data["prev_hash"]),
            purpose=data.get("purpose"),
            record_ids=tuple(data.get("record_ids", ())),
            subject_ids=tuple(data.get("subject_ids", ())),
            detail=dict(data.get("detail", {})),
            hash=str(data["hash"]),
        )


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    first_bad_seq: int | None = None
    reason: str | None = None


class AuditTrail:
    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._head: AuditEvent | None = None
        self._head_loaded = False

    def _load_head(self) -> AuditEvent | None:
        last: str | None = None
        for key in self.store.list(_PREFIX):
            last = key
        if last is None:
            return None
        return AuditEvent.from_json(json.loads(self.store.get(last)))

    def _advance(self, head: AuditEvent | None) -> AuditEvent | None:
        """Follow events other writers appended after `head`."""
        seq = head.seq if head else 0
        while True:
            try:
                data = self.store.get(_key(seq + 1))
            except ObjectNotFound:
                return head
            head = AuditEvent.from_json(json.loads(data))
            seq = head.seq

    def append(
        self,
        *,
        at: datetime,
        action: str,
        actor: Mapping[str, Any],
        outcome: str,
        purpose: str | None = None,
        record_ids: tuple[str, ...] = (),
        subject_ids: tuple[str, ...] = (),
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEvent:
        """Append one event; returns once it is durable in the store."""
        with self._lock:
            if not self._head_loaded:
                self._head = self._load_head()
                self._head_loaded = True
            for _attempt in range(1000):
                head = self._head
                event = AuditEvent(
                    seq=(head.seq + 1) if head else 1,
                    event_id=str(ULID()),
                    at=at,
                    action=action,
                    actor=dict(actor),
                    outcome=outcome,
                    prev_hash=head.hash if head else GENESIS,
                    purpose=purpose,
                    record_ids=record_ids,
                    subject_ids=subject_ids,
                    detail=dict(detail or {}),
                )
                event = _with_hash(event)
                try:
                    self.store.put(
                        _key(event.seq),
                        json.dumps(event.to_json(), ensure_ascii=False).encode("utf-8"),
                        create_only=True,
                    )
                except ObjectExists:
                    self._head = self._advance(head)
                    continue
                self._head = event
                return event
            raise ObjectExists("could not append to the audit trail: too much contention")

    def events(self, start_seq: int = 1) -> Iterator[AuditEvent]:
        for key in self.store.list(_PREFIX):
            seq = int(key.rsplit("/", 1)[1].split(".")[0])
            if seq >= start_seq:
                yield AuditEvent.from_json(json.loads(self.store.get(key)))

    def verify(self) -> ChainReport:
        """Check every event's hash and link; name the first event that breaks the chain."""
        prev = GENESIS
        expected_seq = 1
        count = 0
        for key in self.store.list(_PREFIX):
            try:
                event = AuditEvent.from_json(json.loads(self.store.get(key)))
            except (ValueError, KeyError, TypeError) as exc:
                return ChainReport(False, count, expected_seq, f"{key} is unreadable: {exc}")
            if event.seq != expected_seq or key != _key(event.seq):
                return ChainReport(
                    False, count, expected_seq, f"event {expected_seq} is missing or out of order"
                )
            if event.prev_hash != prev:
                return ChainReport(
                    False, count, event.seq, f"event {event.seq} does not link to the one before"
                )
            if event.compute_hash() != event.hash:
                return ChainReport(
                    False, count, event.seq, f"event {event.seq} was altered (hash mismatch)"
                )
            prev = event.hash
            expected_seq += 1
            count += 1
        return ChainReport(True, count)


def _with_hash(event: AuditEvent) -> AuditEvent:
    from dataclasses import replace

    return replace(event, hash=event.compute_hash())
