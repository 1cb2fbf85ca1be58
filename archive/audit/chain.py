"""Where the chain's head is, as this process sees it, and how it follows other writers.

A process keeps two positions: the last event it knows (`head`) and the last sealed one
(`sealed`). It finds them once from the store (the head hint, a segment's proof, the loose
batches after it) and then follows what others append by probing the next batch and the
next segment, so an append costs no listing of the trail.
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime

from kho.archive.errors import InvalidKey, ObjectNotFound, StoreUnavailable
from kho.archive.store import ObjectStore

from .event import GENESIS, AuditEvent, split_lines
from .layout import BATCHES, HEAD_HINT, SEGMENTS, batch_key, first_seq_of, segment_key
from .proof import ChainProof

__all__ = ["EMPTY", "Chain", "Head"]

log = logging.getLogger("kho.archive.audit")


@dataclass(frozen=True)
class Head:
    """A position in the chain: an event's number, hash and time."""

    seq: int
    hash: str
    at: datetime | None

    @classmethod
    def of(cls, event: AuditEvent) -> Head:
        return cls(event.seq, event.hash, event.at)

    @classmethod
    def of_proof(cls, proof: ChainProof) -> Head:
        return cls(proof.last_seq, proof.last_hash, datetime.fromisoformat(proof.last_at))


EMPTY = Head(0, GENESIS, None)


class Chain:
    """The chain in an ObjectStore as this process sees it. Not locked: its callers hold
    the trail's commit or seal lock while they move it."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self.head: Head | None = None  # the last event this process knows of
        self.sealed: Head | None = None  # the last sealed event, once known

    def read_proof(self, key: str) -> ChainProof:
        """A segment's proof (its last line), reading only the object's tail."""
        size = self.store.stat(key).size
        start = max(0, size - 8192)
        tail = b"".join(self.store.stream(key, start=start))
        lines = split_lines(tail)
        if start > 0 and len(lines) < 2:
            lines = split_lines(self.store.get(key))
        return ChainProof.from_json(json.loads(lines[-1])["proof"])

    def read_batch(self, key: str) -> list[AuditEvent]:
        return [AuditEvent.from_json(json.loads(line)) for line in split_lines(self.store.get(key))]

    def known_sealed(self) -> Head:
        """The last sealed event: from the hint (or a listing, once), then probing forward."""
        if self.sealed is None:
            start: Head = EMPTY
            candidate: str | None = None
            with contextlib.suppress(ObjectNotFound, InvalidKey, ValueError, KeyError, TypeError):
                candidate = str(json.loads(self.store.get(HEAD_HINT))["segment"])
                if not candidate.startswith(SEGMENTS) or not self.store.exists(candidate):
                    candidate = None
            if candidate is None:
                for key in self.store.list(SEGMENTS):
                    candidate = key
            if candidate is not None:
                try:
                    start = Head.of_proof(self.read_proof(candidate))
                except (ObjectNotFound, ValueError, KeyError, TypeError) as exc:
                    log.warning("audit: unreadable segment proof in %s: %s", candidate, exc)
            self.sealed = start
        return self.probe_segments()

    def probe_segments(self) -> Head:
        """Move `sealed` past the segments written since it was last seen."""
        sealed = self.sealed or EMPTY
        while True:
            key = segment_key(sealed.seq + 1)
            try:
                proof = self.read_proof(key)
            except ObjectNotFound:
                break
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("audit: unreadable segment proof in %s: %s", key, exc)
                break
            sealed = Head.of_proof(proof)
        self.sealed = sealed
        return sealed

    def sealed_past(self, seq: int) -> bool:
        return self.known_sealed().seq >= seq

    def advance(self, head: Head) -> Head:
        """Follow what other writers appended after `head`: segments, then loose batches."""
        sealed = self.known_sealed()
        if sealed.seq > head.seq:
            head = sealed
        while True:
            try:
                events = self.read_batch(batch_key(head.seq + 1))
            except ObjectNotFound:
                sealed = self.probe_segments()
                if sealed.seq > head.seq:
                    head = sealed
                    continue
                return head
            except (ValueError, KeyError, TypeError) as exc:
                raise StoreUnavailable(
                    f"the audit batch after event {head.seq} is unreadable ({exc}); "
                    "run `kho audit verify`"
                ) from None
            head = Head.of(events[-1])

    def current_head(self) -> Head:
        """The last event in the store: found once (the last loose batch after the sealed
        events), then followed."""
        if self.head is None:
            sealed = self.known_sealed()
            head = sealed
            last: str | None = None
            for key in self.store.list(BATCHES):
                first = first_seq_of(key)
                if first is not None and first > sealed.seq:
                    last = key
            if last is not None:
                try:
                    head = Head.of(self.read_batch(last)[-1])
                except (ValueError, KeyError, TypeError, IndexError) as exc:
                    raise StoreUnavailable(
                        f"the audit batch {last} is unreadable ({exc}); run `kho audit verify`"
                    ) from None
            self.head = head
        return self.advance(self.head)
