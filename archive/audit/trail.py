"""The audit trail as the services use it: append, find the head, seal, read, verify.

`AuditTrail` puts the pieces of this package together over one ObjectStore: the chain as
this process sees it (chain.py), group commit (commit.py) writing through the fork guard
(forks.py), sealing (segments.py), reading back (reading.py) and verification (verify.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from kho.archive.store import ObjectStore

from .chain import Chain, Head
from .commit import Draft, GroupCommit, Listener, chain_drafts
from .event import AuditEvent
from .forks import write_batch
from .proof import ChainProof
from .reading import events, events_between, lines, segment_proofs
from .segments import Sealer, SealResult
from .verify import ChainReport, verify_chain

__all__ = ["AuditTrail"]


class AuditTrail:
    """The chain in an ObjectStore: group-committed batches, sealed into WORM segments."""

    def __init__(
        self,
        store: ObjectStore,
        *,
        segment_events: int = 10_000,
        seal_after: timedelta = timedelta(hours=1),
        retain_for: timedelta = timedelta(days=3653),
        clock: Callable[[], datetime] | None = None,
        auto_seal: bool = True,
    ) -> None:
        self.store = store
        self.segment_events = segment_events
        self.seal_after = seal_after
        self.retain_for = retain_for
        self.auto_seal = auto_seal
        self._clock = clock or (lambda: datetime.now(UTC))
        self._chain = Chain(store)
        self._seals = Sealer(
            self._chain,
            segment_events=segment_events,
            seal_after=seal_after,
            retain_for=retain_for,
            clock=lambda: self._clock(),
        )
        self._commits = GroupCommit(self._write)
        self.stats = {"events": 0, "batches": 0, "retries": 0}

    def add_listener(self, listener: Listener) -> None:
        """Call `listener(events)` with every batch this process makes durable (keep it quick)."""
        self._commits.listeners.append(listener)

    # -- appending ---------------------------------------------------------------------

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
        """Append one event; returns once it is durable in the store.

        Concurrent callers in this process share one write (group commit). The event's `at`
        is never earlier than its predecessor's, so the chain is in time order.
        """
        draft = Draft.of(
            at=at,
            action=action,
            actor=actor,
            outcome=outcome,
            purpose=purpose,
            record_ids=record_ids,
            subject_ids=subject_ids,
            detail=detail,
        )
        return self._commits.append(draft)

    def _write(self, batch: Sequence[Draft]) -> list[AuditEvent]:
        written = write_batch(self._chain, lambda head: chain_drafts(batch, head), self.stats)
        if self.auto_seal:
            self._seals.maybe_seal()
        return written

    def head(self) -> tuple[int, str]:
        """The sequence number and hash of the last event (as far as this process can see)."""
        with self._commits.exclusive():
            head: Head = self._chain.current_head()
            self._chain.head = head
        return head.seq, head.hash

    # -- sealing -----------------------------------------------------------------------

    @property
    def _sealer(self) -> threading.Thread | None:
        """The background sealing thread, if one was started."""
        return self._seals.thread

    def seal(self, *, force: bool = False) -> SealResult | None:
        """Roll loose batches into one segment when due (segments.py); None if not."""
        return self._seals.seal(force=force)

    def seal_all(self, *, force: bool = False) -> list[SealResult]:
        return self._seals.seal_all(force=force)

    def sweep(self) -> int:
        """Remove loose batches a segment already covers (left by a crash during sealing)."""
        return self._seals.sweep()

    # -- reading -----------------------------------------------------------------------

    def lines(self, start_seq: int = 1) -> Iterator[bytes]:
        """The stored lines from the object holding `start_seq` on, unparsed and unchecked."""
        return lines(self._chain, start_seq)

    def events(self, start_seq: int = 1) -> Iterator[AuditEvent]:
        """Every event from `start_seq` on, in order (unchecked: `verify` checks)."""
        return events(self._chain, start_seq)

    def segment_proofs(self) -> Iterator[tuple[str, ChainProof]]:
        return segment_proofs(self._chain)

    def events_between(self, since: datetime, until: datetime) -> Iterator[AuditEvent]:
        """The events with since <= at < until."""
        return events_between(self._chain, since, until)

    def verify(self, *, known_last_seq: int | None = None) -> ChainReport:
        """Check the whole chain (verify.py); `known_last_seq` catches a removed tail."""
        return verify_chain(self.store, known_last_seq=known_last_seq)
