"""Group commit: concurrent appends in one process share one durable write.

Appends from the threads of a process queue up; whichever thread takes the commit lock
writes every queued event as one batch object and wakes the others, so a caller returns
only once its event is durable, and N concurrent callers cost one write, not N.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from ulid import ULID

from .chain import Head
from .event import AuditEvent, jsonable

__all__ = ["Draft", "GroupCommit", "Listener", "chain_drafts"]

log = logging.getLogger("kho.archive.audit")

MAX_BATCH = 500  # events per group commit: bounds one object's size

Listener = Callable[[Sequence[AuditEvent]], None]


@dataclass
class Draft:
    """An event waiting for its place in the chain, and for its caller to be woken."""

    at: datetime
    action: str
    actor: dict[str, Any]
    outcome: str
    purpose: str | None
    record_ids: tuple[str, ...]
    subject_ids: tuple[str, ...]
    detail: dict[str, Any]
    event_id: str = field(default_factory=lambda: str(ULID()))
    event: AuditEvent | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def of(
        cls,
        *,
        at: datetime,
        action: str,
        actor: Mapping[str, Any],
        outcome: str,
        purpose: str | None,
        record_ids: tuple[str, ...],
        subject_ids: tuple[str, ...],
        detail: Mapping[str, Any] | None,
    ) -> Draft:
        return cls(
            at=at.astimezone(UTC),
            action=action,
            actor=jsonable(actor),
            outcome=outcome,
            purpose=purpose,
            record_ids=tuple(record_ids),
            subject_ids=tuple(subject_ids),
            detail=jsonable(detail or {}),
        )


def chain_drafts(batch: Sequence[Draft], head: Head) -> list[AuditEvent]:
    """The drafts as events after `head`: numbered, linked, hashed; an event's `at` is
    never earlier than its predecessor's, so the chain is in time order."""
    events: list[AuditEvent] = []
    prev = head
    for d in batch:
        at = d.at if prev.at is None or d.at >= prev.at else prev.at
        event = AuditEvent(
            seq=prev.seq + 1,
            event_id=d.event_id,
            at=at,
            action=d.action,
            actor=d.actor,
            outcome=d.outcome,
            prev_hash=prev.hash,
            purpose=d.purpose,
            record_ids=d.record_ids,
            subject_ids=d.subject_ids,
            detail=d.detail,
        )
        event = replace(event, hash=event.compute_hash())
        events.append(event)
        prev = Head.of(event)
    return events


class GroupCommit:
    """The queue of drafts and the lock whose holder writes them (with `write`)."""

    def __init__(self, write: Callable[[Sequence[Draft]], list[AuditEvent]]) -> None:
        self._write = write
        self._queue_lock = threading.Lock()
        self._commit_lock = threading.Lock()
        self._pending: list[Draft] = []
        self.listeners: list[Listener] = []

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """No batch is written meanwhile (to read the head, say)."""
        with self._commit_lock:
            yield

    def append(self, draft: Draft) -> AuditEvent:
        """Queue `draft`; return its event once some thread (maybe this one) wrote it."""
        with self._queue_lock:
            self._pending.append(draft)
        while not draft.done.is_set():
            with self._commit_lock:
                if draft.done.is_set():
                    break
                with self._queue_lock:
                    batch = self._pending[:MAX_BATCH]
                    del self._pending[: len(batch)]
                if not batch:
                    continue
                try:
                    events = self._write(batch)
                except BaseException as exc:
                    for d in batch:
                        d.error = exc
                        d.done.set()
                    continue
                for d, event in zip(batch, events, strict=True):
                    d.event = event
                    d.done.set()
                for listener in self.listeners:
                    try:
                        listener(events)
                    except Exception as exc:  # a listener never undoes a durable append
                        log.warning("audit listener failed: %s", exc)
        if draft.error is not None:
            raise draft.error
        assert draft.event is not None
        return draft.event
