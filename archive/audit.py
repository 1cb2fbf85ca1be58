"""The audit trail: append-only, hash-chained events of who did what to which record, and why.

Each event carries the SHA-256 of the one before, computed over its canonical JSON form
(RFC 8785), so editing, removing or reordering any event breaks the chain from that point.

Layout in the object store (one line of RFC 8785 JSON per event, '\\n'-terminated):
  audit/batches/<first seq>.jsonl   a loose batch: the events one group commit made durable
  audit/segments/<first seq>.jsonl  a sealed segment: the events of many batches, then a last
                                    line {"proof": {...}} (range, boundary hashes, digest),
                                    written with `retain_until` (object lock on MinIO)
  audit/head.json                   a hint naming a recent segment, so a starting writer
                                    finds the head without listing every segment

Group commit: appends from the threads of one process queue up; whichever thread takes the
commit lock writes every queued event as one batch object and wakes the others, so a caller
returns only once its event is durable, and N concurrent callers cost one write, not N.

One chain, many processes: a batch is written create-only under its first sequence number,
so of two writers racing for one position exactly one wins; the other reads the winner's
batch, re-chains its events after it and tries the next position. Sealing writes the
segment (create-only too) before removing the batches it covers, and a writer checks after
each write that no segment already covers its position (a position freed by sealing is not
free), removing its batch and trying again if one does. The chain therefore never forks.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import rfc8785
from ulid import ULID

from kho.archive.errors import (
    InvalidKey,
    ObjectExists,
    ObjectNotFound,
    ObjectProtected,
    StoreUnavailable,
)
from kho.archive.store import ObjectStore

__all__ = [
    "GENESIS",
    "AuditEvent",
    "AuditTrail",
    "ChainProof",
    "ChainReport",
    "SealResult",
]

log = logging.getLogger(__name__)

GENESIS = "0" * 64
BATCHES = "audit/batches/"
SEGMENTS = "audit/segments/"
HEAD_HINT = "audit/head.json"
_PROOF_KIND = "kho.audit.segment/1"
_FIELDS = frozenset(
    {
        "seq",
        "event_id",
        "at",
        "action",
        "actor",
        "outcome",
        "prev_hash",
        "purpose",
        "record_ids",
        "subject_ids",
        "detail",
        "hash",
    }
)
_MAX_BATCH = 500  # events per group commit: bounds one object's size


def _batch_key(first_seq: int) -> str:
    return f"{BATCHES}{first_seq:012d}.jsonl"


def _segment_key(first_seq: int) -> str:
    return f"{SEGMENTS}{first_seq:012d}.jsonl"


def _first_seq_of(key: str) -> int | None:
    name = key.rsplit("/", 1)[-1]
    stem, _, ext = name.partition(".")
    return int(stem) if ext == "jsonl" and stem.isdigit() else None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_SAFE_INT = 2**53


def _plain(value: Any) -> bool:
    """JSON without floats, with integers JavaScript holds exactly and keys whose UTF-16 and
    code-point orders agree: the data for which sorted, compact `json.dumps` is RFC 8785."""
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -_SAFE_INT < value < _SAFE_INT
    if isinstance(value, list | tuple):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(
            isinstance(k, str) and max(k, default=" ") < "\ud800" and _plain(v)
            for k, v in value.items()
        )
    return False


def _canonical(value: Any) -> bytes:
    """RFC 8785 canonical JSON. The reference implementation (`rfc8785`) is slow in pure
    Python, so plain data (every audit event) takes the equivalent fast path; the test suite
    checks the two agree."""
    if _plain(value):
        try:
            return json.dumps(
                value, ensure_ascii=False, sort_keys=True, separators=(",", ":")
            ).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: let the reference implementation refuse it
    return bytes(rfc8785.dumps(value))


def _jsonable(value: Mapping[str, Any]) -> dict[str, Any]:
    # rfc8785 takes JSON types only; a date or a tuple in a detail becomes its JSON form.
    result: dict[str, Any] = json.loads(json.dumps(dict(value), default=str))
    return result


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
        return _sha256(_canonical(self.body()))

    def to_json(self) -> dict[str, Any]:
        return {**self.body(), "hash": self.hash}

    def line(self) -> bytes:
        """The stored form: the whole event as RFC 8785 JSON (one line, no newline)."""
        return _canonical(self.to_json())

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


class _BadLine(ValueError):
    """A stored line that is not one well-formed, canonical, correctly hashed event."""

    def __init__(self, reason: str, event_id: str | None = None, seq: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.event_id = event_id
        self.seq = seq


def _parse_line(line: bytes) -> tuple[AuditEvent, dict[str, Any]]:
    """An event from its stored line, checked strictly: exact fields, canonical form, hash.

    Any edited byte fails one of these, so verification can name the event it hit.
    """
    try:
        data = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _BadLine(f"unreadable ({exc.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise _BadLine("not a JSON object")
    event_id = data.get("event_id") if isinstance(data.get("event_id"), str) else None
    seq = data.get("seq") if isinstance(data.get("seq"), int) else None
    if set(data) != _FIELDS:
        raise _BadLine("has missing or unexpected fields", event_id, seq)
    try:
        canonical = _canonical(data)
    except Exception as exc:  # rfc8785 refuses non-JSON values (NaN, huge ints)
        raise _BadLine(f"not canonical JSON ({exc})", event_id, seq) from None
    if canonical != line:
        raise _BadLine("not in canonical form (edited)", event_id, seq)
    body = {k: v for k, v in data.items() if k != "hash"}
    if _sha256(_canonical(body)) != data["hash"]:
        raise _BadLine("was altered (its hash does not match)", event_id, seq)
    try:
        event = AuditEvent.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise _BadLine(f"has a malformed field ({exc})", event_id, seq) from None
    return event, data


def _lines(data: bytes) -> list[bytes]:
    if not data.endswith(b"\n"):
        # A torn or edited last line; keep it so it is reported, not skipped.
        return data.split(b"\n")
    return data[:-1].split(b"\n")


@dataclass(frozen=True)
class ChainProof:
    """What a segment (or an export) attests: its range and the hashes at both ends."""

    first_seq: int
    last_seq: int
    count: int
    prev_hash: str  # the hash of the event before the first one (GENESIS for seq 1)
    last_hash: str
    first_at: str
    last_at: str
    events_sha256: str  # of the bytes of the event lines, as stored
    sealed_at: str

    def body(self) -> dict[str, Any]:
        return {"kind": _PROOF_KIND, **self.__dict__}

    def to_json(self) -> dict[str, Any]:
        """The proof with its own hash, so an edit of any of its fields shows."""
        body = self.body()
        return {**body, "hash": _sha256(_canonical(body))}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChainProof:
        if data.get("kind") != _PROOF_KIND:
            raise ValueError("not a segment proof")
        body = {k: v for k, v in data.items() if k != "hash"}
        if data.get("hash") != _sha256(_canonical(body)):
            raise ValueError("the proof's own hash does not match")
        return cls(
            first_seq=int(data["first_seq"]),
            last_seq=int(data["last_seq"]),
            count=int(data["count"]),
            prev_hash=str(data["prev_hash"]),
            last_hash=str(data["last_hash"]),
            first_at=str(data["first_at"]),
            last_at=str(data["last_at"]),
            events_sha256=str(data["events_sha256"]),
            sealed_at=str(data["sealed_at"]),
        )


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    first_bad_seq: int | None = None
    reason: str | None = None
    first_bad_event_id: str | None = None
    location: str | None = None  # the object holding the first bad event
    last_seq: int = 0
    last_hash: str = GENESIS
    segments: int = 0
    batches: int = 0
    # What the latest signed checkpoint says of this trail (archive/audit_checkpoint.py).
    checkpoint: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class SealResult:
    key: str
    first_seq: int
    last_seq: int


@dataclass(frozen=True)
class _Head:
    seq: int
    hash: str
    at: datetime | None

    @classmethod
    def of(cls, event: AuditEvent) -> _Head:
        return cls(event.seq, event.hash, event.at)


_EMPTY = _Head(0, GENESIS, None)


@dataclass
class _Draft:
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


Listener = Callable[[Sequence[AuditEvent]], None]


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
        self._queue_lock = threading.Lock()
        self._commit_lock = threading.Lock()
        self._seal_lock = threading.Lock()
        self._pending: list[_Draft] = []
        self._head: _Head | None = None
        self._sealed: _Head | None = None  # the last sealed event, once known
        self._listeners: list[Listener] = []
        self._sealer: threading.Thread | None = None
        self.stats = {"events": 0, "batches": 0, "retries": 0}

    def add_listener(self, listener: Listener) -> None:
        """Call `listener(events)` with every batch this process makes durable (keep it quick)."""
        self._listeners.append(listener)

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
        draft = _Draft(
            at=at.astimezone(UTC),
            action=action,
            actor=_jsonable(actor),
            outcome=outcome,
            purpose=purpose,
            record_ids=tuple(record_ids),
            subject_ids=tuple(subject_ids),
            detail=_jsonable(detail or {}),
        )
        with self._queue_lock:
            self._pending.append(draft)
        while not draft.done.is_set():
            with self._commit_lock:
                if draft.done.is_set():
                    break
                with self._queue_lock:
                    batch = self._pending[:_MAX_BATCH]
                    del self._pending[: len(batch)]
                if not batch:
                    continue
                try:
                    events = self._commit(batch)
                except BaseException as exc:
                    for d in batch:
                        d.error = exc
                        d.done.set()
                    continue
                for d, event in zip(batch, events, strict=True):
                    d.event = event
                    d.done.set()
                for listener in self._listeners:
                    try:
                        listener(events)
                    except Exception as exc:  # a listener never undoes a durable append
                        log.warning("audit listener failed: %s", exc)
        if draft.error is not None:
            raise draft.error
        assert draft.event is not None
        return draft.event

    def _chain(self, batch: Sequence[_Draft], head: _Head) -> list[AuditEvent]:
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
            prev = _Head.of(event)
        return events

    def _commit(self, batch: Sequence[_Draft]) -> list[AuditEvent]:
        # The head this process last saw; if another writer got there first, the
        # create-only write says so and we catch up then (no read before every write).
        head = self._head if self._head is not None else self._current_head()
        for _attempt in range(1000):
            events = self._chain(batch, head)
            key = _batch_key(events[0].seq)
            data = b"".join(e.line() + b"\n" for e in events)
            try:
                self.store.put(key, data, create_only=True)
            except ObjectExists:
                self.stats["retries"] += 1
                head = self._advance(head)
                continue
            if self._sealed_past(events[0].seq) and not self._sealed_is(events[0]):
                # Sealing freed this position after another writer had used it: ours is a
                # fork, never acknowledged. Take it back and go on after the sealed events.
                # (If the segment holds our own event, a sealer was merely quick.)
                with contextlib.suppress(ObjectNotFound):
                    self.store.delete(key)
                self.stats["retries"] += 1
                head = self._advance(head)
                continue
            self._head = _Head.of(events[-1])
            self.stats["events"] += len(events)
            self.stats["batches"] += 1
            self._maybe_seal()
            return events
        raise StoreUnavailable("could not append to the audit trail: too much contention")

    # -- finding the head --------------------------------------------------------------

    def _read_proof(self, key: str) -> ChainProof:
        """A segment's proof (its last line), reading only the object's tail."""
        size = self.store.stat(key).size
        start = max(0, size - 8192)
        tail = b"".join(self.store.stream(key, start=start))
        lines = _lines(tail)
        if start > 0 and len(lines) < 2:
            lines = _lines(self.store.get(key))
        return ChainProof.from_json(json.loads(lines[-1])["proof"])

    def _known_sealed(self) -> _Head:
        """The last sealed event: from the hint (or a listing, once), then probing forward."""
        if self._sealed is None:
            start: _Head = _EMPTY
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
                    proof = self._read_proof(candidate)
                    start = _Head(
                        proof.last_seq, proof.last_hash, datetime.fromisoformat(proof.last_at)
                    )
                except (ObjectNotFound, ValueError, KeyError, TypeError) as exc:
                    log.warning("audit: unreadable segment proof in %s: %s", candidate, exc)
            self._sealed = start
        return self._probe_segments()

    def _probe_segments(self) -> _Head:
        sealed = self._sealed or _EMPTY
        while True:
            key = _segment_key(sealed.seq + 1)
            try:
                proof = self._read_proof(key)
            except ObjectNotFound:
                break
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("audit: unreadable segment proof in %s: %s", key, exc)
                break
            sealed = _Head(proof.last_seq, proof.last_hash, datetime.fromisoformat(proof.last_at))
        self._sealed = sealed
        return sealed

    def _sealed_past(self, seq: int) -> bool:
        return self._known_sealed().seq >= seq

    def _sealed_is(self, event: AuditEvent) -> bool:
        """Whether the sealed event at `event.seq` is this very event (rare path: reads the
        segment that holds it)."""
        holder: str | None = None
        for key in self.store.list(SEGMENTS):
            first = _first_seq_of(key)
            if first is not None and first <= event.seq:
                holder = key
        if holder is None:
            return False
        for line in _lines(self.store.get(holder)):
            data = json.loads(line)
            if data.get("seq") == event.seq:
                return bool(data.get("event_id") == event.event_id)
        return False

    def _read_batch(self, key: str) -> list[AuditEvent]:
        return [AuditEvent.from_json(json.loads(line)) for line in _lines(self.store.get(key))]

    def _advance(self, head: _Head) -> _Head:
        """Follow what other writers appended after `head`: segments, then loose batches."""
        sealed = self._known_sealed()
        if sealed.seq > head.seq:
            head = sealed
        while True:
            try:
                events = self._read_batch(_batch_key(head.seq + 1))
            except ObjectNotFound:
                sealed = self._probe_segments()
                if sealed.seq > head.seq:
                    head = sealed
                    continue
                return head
            except (ValueError, KeyError, TypeError) as exc:
                raise StoreUnavailable(
                    f"the audit batch after event {head.seq} is unreadable ({exc}); "
                    "run `kho audit verify`"
                ) from None
            head = _Head.of(events[-1])

    def _current_head(self) -> _Head:
        if self._head is None:
            sealed = self._known_sealed()
            head = sealed
            last: str | None = None
            for key in self.store.list(BATCHES):
                first = _first_seq_of(key)
                if first is not None and first > sealed.seq:
                    last = key
            if last is not None:
                try:
                    head = _Head.of(self._read_batch(last)[-1])
                except (ValueError, KeyError, TypeError, IndexError) as exc:
                    raise StoreUnavailable(
                        f"the audit batch {last} is unreadable ({exc}); run `kho audit verify`"
                    ) from None
            self._head = head
        return self._advance(self._head)

    def head(self) -> tuple[int, str]:
        """The sequence number and hash of the last event (as far as this process can see)."""
        with self._commit_lock:
            head = self._current_head()
            self._head = head
        return head.seq, head.hash

    # -- sealing -----------------------------------------------------------------------

    def _maybe_seal(self) -> None:
        if not self.auto_seal or self._head is None:
            return
        sealed = self._sealed or _EMPTY
        if self._head.seq - sealed.seq < self.segment_events:
            return
        if self._sealer is not None and self._sealer.is_alive():
            return
        self._sealer = threading.Thread(target=self._seal_quietly, name="kho-audit-seal")
        self._sealer.daemon = True
        self._sealer.start()

    def _seal_quietly(self) -> None:
        try:
            while self.seal() is not None:
                pass
        except Exception as exc:  # retried at the next trigger or timer
            log.warning("audit: sealing failed: %s", exc)

    def seal(self, *, force: bool = False) -> SealResult | None:
        """Roll loose batches into one segment, if `segment_events` are loose, the oldest
        loose event is older than `seal_after`, or `force`; None when nothing was sealed.

        The segment is written create-only with write-once retention, then the hint, then
        the batches it covers are removed: a crash at any point leaves a consistent trail.
        """
        with self._seal_lock:
            sealed = self._known_sealed()
            events: list[AuditEvent] = []
            keys: list[str] = []
            lines: list[bytes] = []
            prev = sealed
            while len(events) < self.segment_events:
                key = _batch_key(prev.seq + 1)
                try:
                    data = self.store.get(key)
                except ObjectNotFound:
                    break
                batch: list[AuditEvent] = []
                batch_lines = _lines(data)
                try:
                    for line in batch_lines:
                        event, _ = _parse_line(line)
                        if event.seq != prev.seq + 1 + len(batch) or event.prev_hash != (
                            batch[-1].hash if batch else prev.hash
                        ):
                            raise _BadLine("does not link to the event before", event.event_id)
                        batch.append(event)
                except _BadLine as exc:
                    log.error("audit: not sealing past %s: an event %s", key, exc.reason)
                    break
                if events and len(events) + len(batch) > self.segment_events:
                    break
                events.extend(batch)
                lines.extend(batch_lines)
                keys.append(key)
                prev = _Head.of(batch[-1])
            if not events:
                return None
            now = self._clock()
            if (
                not force
                and len(events) < self.segment_events
                and now - events[0].at < self.seal_after
            ):
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
                events_sha256=_sha256(body),
                sealed_at=now.isoformat(),
            )
            key = _segment_key(events[0].seq)
            try:
                self.store.put(
                    key,
                    body + _canonical({"proof": proof.to_json()}) + b"\n",
                    create_only=True,
                    retain_until=now + self.retain_for,
                )
            except ObjectExists:
                self._probe_segments()
                return None
            self._sealed = _Head.of(events[-1])
            with contextlib.suppress(StoreUnavailable):
                self.store.put(
                    HEAD_HINT,
                    json.dumps({"segment": key, "last_seq": proof.last_seq}).encode(),
                )
            for batch_key in keys:
                with contextlib.suppress(ObjectNotFound, ObjectProtected):
                    self.store.delete(batch_key)
            return SealResult(key, proof.first_seq, proof.last_seq)

    def seal_all(self, *, force: bool = False) -> list[SealResult]:
        results = []
        while (result := self.seal(force=force)) is not None:
            results.append(result)
        return results

    def sweep(self) -> int:
        """Remove loose batches a segment already covers (left by a crash during sealing)."""
        sealed = self._known_sealed()
        removed = 0
        for key in list(self.store.list(BATCHES)):
            first = _first_seq_of(key)
            if first is not None and first <= sealed.seq:
                with contextlib.suppress(ObjectNotFound, ObjectProtected):
                    self.store.delete(key)
                    removed += 1
        return removed

    # -- reading -----------------------------------------------------------------------

    def _objects(self, start_seq: int = 1) -> Iterator[str]:
        """Segments then loose batches, in chain order, from the one holding `start_seq`."""
        segments = [k for k in self.store.list(SEGMENTS) if _first_seq_of(k) is not None]
        firsts = [_first_seq_of(k) or 0 for k in segments]
        begin = max(0, bisect.bisect_right(firsts, start_seq) - 1)
        sealed_through = 0
        for key in segments[begin:]:
            yield key
        if segments:
            with contextlib.suppress(ObjectNotFound, ValueError, KeyError, TypeError):
                sealed_through = self._read_proof(segments[-1]).last_seq
        for key in self.store.list(BATCHES):
            first = _first_seq_of(key)
            if first is not None and first > sealed_through:
                yield key

    def lines(self, start_seq: int = 1) -> Iterator[bytes]:
        """The stored lines from the object holding `start_seq` on, unparsed and unchecked
        (proof lines too): a reader after a few events filters them before paying for JSON."""
        for key in self._objects(start_seq):
            try:
                data = self.store.get(key)
            except ObjectNotFound:
                continue  # a batch sealed meanwhile; its segment was listed before it
            yield from _lines(data)

    def events(self, start_seq: int = 1) -> Iterator[AuditEvent]:
        """Every event from `start_seq` on, in order (unchecked: `verify` checks)."""
        for line in self.lines(start_seq):
            parsed = json.loads(line)
            if "proof" in parsed:
                continue
            event = AuditEvent.from_json(parsed)
            if event.seq >= start_seq:
                yield event

    def segment_proofs(self) -> Iterator[tuple[str, ChainProof]]:
        for key in self.store.list(SEGMENTS):
            yield key, self._read_proof(key)

    def events_between(self, since: datetime, until: datetime) -> Iterator[AuditEvent]:
        """The events with since <= at < until (a contiguous stretch: `at` never decreases)."""
        start_seq = 1
        for _key, proof in self.segment_proofs():
            if datetime.fromisoformat(proof.last_at) < since:
                start_seq = proof.last_seq + 1
            else:
                break
        for event in self.events(start_seq):
            if event.at >= until:
                return
            if event.at >= since:
                yield event

    def verify(self, *, known_last_seq: int | None = None) -> ChainReport:
        """Check every event's form, hash, sequence and link, segment proofs included; name
        the first event that breaks the chain and the object that holds it.

        `known_last_seq` (e.g. from the event index) catches a removed tail: a chain ending
        earlier than events known elsewhere is reported as missing them.
        """
        prev_hash = GENESIS
        expected = 1
        segments = 0
        batches = 0

        def bad(
            seq: int | None, where: str, reason: str, event_id: str | None = None
        ) -> ChainReport:
            return ChainReport(
                ok=False,
                events=expected - 1,
                first_bad_seq=seq,
                reason=reason,
                first_bad_event_id=event_id,
                location=where,
                last_seq=expected - 1,
                last_hash=prev_hash,
                segments=segments,
                batches=batches,
            )

        def check_lines(key: str, lines: list[bytes]) -> ChainReport | None:
            nonlocal prev_hash, expected
            for line in lines:
                try:
                    event, _ = _parse_line(line)
                except _BadLine as exc:
                    return bad(
                        expected,
                        key,
                        f"event {expected} in {key} {exc.reason}",
                        exc.event_id,
                    )
                if event.seq != expected:
                    return bad(
                        expected,
                        key,
                        f"event {expected} is missing or out of order in {key} "
                        f"(found event {event.seq} in its place)",
                        event.event_id,
                    )
                if event.prev_hash != prev_hash:
                    return bad(
                        expected,
                        key,
                        f"event {expected} in {key} does not link to the event before",
                        event.event_id,
                    )
                prev_hash = event.hash
                expected += 1
            return None

        sealed_through = 0
        for key in self.store.list(SEGMENTS):
            first = _first_seq_of(key)
            if first is None:
                return bad(expected, key, f"{key} is not an audit segment name")
            if first != expected:
                return bad(
                    expected,
                    key,
                    f"events {expected}..{first - 1} are missing (no segment holds them)"
                    if first > expected
                    else f"segment {key} overlaps the one before (event {first})",
                )
            lines = _lines(self.store.get(key))
            proof_line = lines.pop() if lines else b""
            segment_prev = prev_hash
            found = check_lines(key, lines)
            if found is not None:
                return found
            segment_first_at = str(json.loads(lines[0])["at"]) if lines else ""
            segment_last_at = str(json.loads(lines[-1])["at"]) if lines else ""
            try:
                proof_data = json.loads(proof_line)
                if _canonical(proof_data) != proof_line or set(proof_data) != {"proof"}:
                    raise ValueError("not canonical")
                proof = ChainProof.from_json(proof_data["proof"])
            except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
                return bad(
                    expected - 1,
                    key,
                    f"the chain proof of {key} is unreadable or edited ({exc}); it attests "
                    f"events {first}..{expected - 1}",
                )
            body = b"".join(line + b"\n" for line in lines)
            mismatch = [
                name
                for name, ok in (
                    ("first_seq", proof.first_seq == first),
                    ("last_seq", proof.last_seq == expected - 1),
                    ("count", proof.count == expected - first),
                    ("prev_hash", proof.prev_hash == segment_prev),
                    ("last_hash", proof.last_hash == prev_hash),
                    ("events_sha256", proof.events_sha256 == _sha256(body)),
                    ("first_at", proof.first_at == segment_first_at),
                    ("last_at", proof.last_at == segment_last_at),
                )
                if not ok
            ]
            if mismatch:
                seq = (
                    first if mismatch[0] in ("first_seq", "prev_hash", "first_at") else expected - 1
                )
                return bad(
                    seq,
                    key,
                    f"the chain proof of {key} does not match its events "
                    f"({', '.join(mismatch)}); event {seq} is the one it names",
                )
            segments += 1
            sealed_through = expected - 1

        for key in self.store.list(BATCHES):
            first = _first_seq_of(key)
            if first is None:
                return bad(expected, key, f"{key} is not an audit batch name")
            if first <= sealed_through:
                continue  # left by a crash while sealing; the segment holds these events
            if first != expected:
                return bad(
                    expected,
                    key,
                    f"events {expected}..{first - 1} are missing (no segment or batch holds them)"
                    if first > expected
                    else f"batch {key} overlaps the one before (event {first})",
                )
            found = check_lines(key, _lines(self.store.get(key)))
            if found is not None:
                return found
            batches += 1

        if known_last_seq is not None and known_last_seq >= expected:
            return bad(
                expected,
                "audit/",
                f"events {expected}..{known_last_seq} are missing from the store "
                "(the event index has them): the end of the trail was removed",
            )
        return ChainReport(
            ok=True,
            events=expected - 1,
            last_seq=expected - 1,
            last_hash=prev_hash,
            segments=segments,
            batches=batches,
        )
