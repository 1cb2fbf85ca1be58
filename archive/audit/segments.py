"""Sealing: loose batches rolled into write-once segments, each ending with a chain proof.

Every `segment_events` events, or once the oldest loose event is older than `seal_after`,
the batches are sealed into one segment, written create-only with `retain_until` (object
lock on MinIO) for `retain_for`. The segment is written first, then the head hint, then
the batches it covers are removed: a crash at any point leaves a consistent trail.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from kho.archive.errors import ObjectExists, ObjectNotFound, ObjectProtected, StoreUnavailable

from .chain import EMPTY, Chain, Head
from .event import AuditEvent, BadLine, canonical, parse_line, sha256_hex, split_lines
from .layout import BATCHES, HEAD_HINT, batch_key, first_seq_of, segment_key
from .proof import ChainProof

__all__ = ["SealResult", "Sealer"]

log = logging.getLogger("kho.archive.audit")


@dataclass(frozen=True)
class SealResult:
    key: str
    first_seq: int
    last_seq: int


class Sealer:
    """Seals the chain's loose batches, by request or in a thread of its own when due."""

    def __init__(
        self,
        chain: Chain,
        *,
        segment_events: int,
        seal_after: timedelta,
        retain_for: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self.chain = chain
        self.segment_events = segment_events
        self.seal_after = seal_after
        self.retain_for = retain_for
        self._clock = clock
        self._lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def maybe_seal(self) -> None:
        """Start sealing in the background once `segment_events` events are loose."""
        head = self.chain.head
        if head is None:
            return
        sealed = self.chain.sealed or EMPTY
        if head.seq - sealed.seq < self.segment_events:
            return
        if self.thread is not None and self.thread.is_alive():
            return
        self.thread = threading.Thread(target=self._seal_quietly, name="kho-audit-seal")
        self.thread.daemon = True
        self.thread.start()

    def _seal_quietly(self) -> None:
        try:
            while self.seal() is not None:
                pass
        except Exception as exc:  # retried at the next trigger or timer
            log.warning("audit: sealing failed: %s", exc)

    def _loose(self, sealed: Head) -> tuple[list[AuditEvent], list[str], list[bytes], bool]:
        """The loose events after `sealed` that fit in one segment, with their batches and
        lines, and whether the segment is full (the next batch would not fit in it); a
        batch that does not check out (or link) stops the segment before it."""
        events: list[AuditEvent] = []
        keys: list[str] = []
        lines: list[bytes] = []
        prev = sealed
        full = False
        while len(events) < self.segment_events:
            key = batch_key(prev.seq + 1)
            try:
                data = self.chain.store.get(key)
            except ObjectNotFound:
                break
            batch: list[AuditEvent] = []
            batch_lines = split_lines(data)
            try:
                for line in batch_lines:
                    event, _ = parse_line(line)
                    if event.seq != prev.seq + 1 + len(batch) or event.prev_hash != (
                        batch[-1].hash if batch else prev.hash
                    ):
                        raise BadLine("does not link to the event before", event.event_id)
                    batch.append(event)
            except BadLine as exc:
                log.error("audit: not sealing past %s: an event %s", key, exc.reason)
                break
            if events and len(events) + len(batch) > self.segment_events:
                full = True
                break
            events.extend(batch)
            lines.extend(batch_lines)
            keys.append(key)
            prev = Head.of(batch[-1])
        return events, keys, lines, full or len(events) >= self.segment_events

    def _young_and_few(self, sealed: Head) -> bool:
        """Whether sealing is surely not due: fewer loose events than a segment as far as
        this process knows, and the oldest of them young. One batch read, where gathering
        the loose events reads all of them (the periodic check ran that every 30 s). An
        unknown head, or a missing or unreadable first batch, says nothing: not sure."""
        head = self.chain.head
        if head is None or head.seq - sealed.seq >= self.segment_events:
            return False
        try:
            first = split_lines(self.chain.store.get(batch_key(sealed.seq + 1)))[0]
            oldest, _ = parse_line(first)
        except (ObjectNotFound, BadLine, IndexError, ValueError):
            return False
        return bool(self._clock() - oldest.at < self.seal_after)

    def seal(self, *, force: bool = False) -> SealResult | None:
        """Roll loose batches into one segment, if `segment_events` are loose, the oldest
        loose event is older than `seal_after`, or `force`; None when nothing was sealed."""
        with self._lock:
            sealed = self.chain.known_sealed()
            if not force and self._young_and_few(sealed):
                return None
            events, keys, lines, full = self._loose(sealed)
            if not events:
                return None
            now = self._clock()
            # A segment is full once the next batch would not fit, however many events short
            # of `segment_events` that leaves it: waiting for an exact count that batch
            # boundaries never give left every later batch loose, and each write's
            # maybe_seal re-read thousands of them in a thread to seal nothing.
            if not force and not full and now - events[0].at < self.seal_after:
                return None
            body = b"".join(line + b"\n" for line in lines)
            proof = ChainProof(
                first_seq=events[0].seq,
                last_seq=events[-1].seq,
                count=len(events),
                prev_hash=events[0].prev_hash,
                last_hash=events[-1].hash,
                first_at=events[0].at.isoformat(),
                last_at=events[-1].at.isoformat(),
                events_sha256=sha256_hex(body),
                sealed_at=now.isoformat(),
            )
            key = segment_key(events[0].seq)
            try:
                self.chain.store.put(
                    key,
                    body + canonical({"proof": proof.to_json()}) + b"\n",
                    create_only=True,
                    retain_until=now + self.retain_for,
                )
            except ObjectExists:
                self.chain.probe_segments()
                return None
            self.chain.sealed = Head.of(events[-1])
            with contextlib.suppress(StoreUnavailable):
                self.chain.store.put(
                    HEAD_HINT,
                    json.dumps({"segment": key, "last_seq": proof.last_seq}).encode(),
                )
            for batch in keys:
                with contextlib.suppress(ObjectNotFound, ObjectProtected):
                    self.chain.store.delete(batch)
            return SealResult(key, proof.first_seq, proof.last_seq)

    def seal_all(self, *, force: bool = False) -> list[SealResult]:
        results = []
        while (result := self.seal(force=force)) is not None:
            results.append(result)
        return results

    def sweep(self) -> int:
        """Remove loose batches a segment already covers (left by a crash during sealing)."""
        sealed = self.chain.known_sealed()
        removed = 0
        for key in list(self.chain.store.list(BATCHES)):
            first = first_seq_of(key)
            if first is not None and first <= sealed.seq:
                with contextlib.suppress(ObjectNotFound, ObjectProtected):
                    self.chain.store.delete(key)
                    removed += 1
        return removed
