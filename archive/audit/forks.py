"""The fork guard: one chain, however many processes append to it.

A batch is written create-only under its first sequence number, so of two writers racing
for one position exactly one wins; the other reads the winner's batch, re-chains its events
after it and tries the next position. Sealing writes the segment (create-only too) before
removing the batches it covers, so a position sealing freed is not free: after each write a
writer checks that no segment already covers its position, and if one does (holding
another writer's event) removes its batch and tries again. The chain therefore never forks.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable

from kho.archive.errors import ObjectExists, ObjectNotFound, StoreUnavailable

from .chain import Chain, Head
from .event import AuditEvent, split_lines
from .layout import SEGMENTS, batch_key, first_seq_of

__all__ = ["write_batch"]

_ATTEMPTS = 1000


def _sealed_is(chain: Chain, event: AuditEvent) -> bool:
    """Whether the sealed event at `event.seq` is this very event (rare path: reads the
    segment that holds it)."""
    holder: str | None = None
    for key in chain.store.list(SEGMENTS):
        first = first_seq_of(key)
        if first is not None and first <= event.seq:
            holder = key
    if holder is None:
        return False
    for line in split_lines(chain.store.get(holder)):
        data = json.loads(line)
        if data.get("seq") == event.seq:
            return bool(data.get("event_id") == event.event_id)
    return False


def write_batch(
    chain: Chain,
    make: Callable[[Head], list[AuditEvent]],
    stats: dict[str, int],
) -> list[AuditEvent]:
    """Write the events `make(head)` chains after the head as one batch, at the first free
    position; returns them once durable, with `chain.head` moved to the last."""
    # The head this process last saw; if another writer got there first, the create-only
    # write says so and we catch up then (no read before every write).
    head = chain.head if chain.head is not None else chain.current_head()
    for _attempt in range(_ATTEMPTS):
        events = make(head)
        key = batch_key(events[0].seq)
        data = b"".join(e.line() + b"\n" for e in events)
        try:
            chain.store.put(key, data, create_only=True)
        except ObjectExists:
            stats["retries"] += 1
            head = chain.advance(head)
            continue
        if chain.sealed_past(events[0].seq) and not _sealed_is(chain, events[0]):
            # Sealing freed this position after another writer had used it: ours is a
            # fork, never acknowledged. Take it back and go on after the sealed events.
            # (If the segment holds our own event, a sealer was merely quick.)
            with contextlib.suppress(ObjectNotFound):
                chain.store.delete(key)
            stats["retries"] += 1
            head = chain.advance(head)
            continue
        chain.head = Head.of(events[-1])
        stats["events"] += len(events)
        stats["batches"] += 1
        return events
    raise StoreUnavailable("could not append to the audit trail: too much contention")
