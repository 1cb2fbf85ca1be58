"""Disposal batches (Circular 06/2025/TT-BNV): a proposal listing records whose retention has
ended, a decision by another person, the execution, and the minutes (the certificate).

A batch is kept in the object store in bounded chunks, so a batch of 10,000 records is
never one object, one transaction or one list in memory:
  retention/disposals/<batch_id>/proposal.json         who proposed it, why, how many
  retention/disposals/<batch_id>/items/<NNNNN>.json    up to CHUNK items each
  retention/disposals/<batch_id>/decision.json         approved or rejected (create-only:
                                                       decided once; a rejected batch can
                                                       never be approved)
  retention/disposals/<batch_id>/done/<NNNNN>.json     a chunk fully executed
  retention/disposals/<batch_id>/certificate.json      the minutes, once every chunk is done

Execution is resumable: each record is disposed of idempotently (its tombstone manifest
says so), each chunk marked done only when all of its records are, so re-running an
interrupted execution finishes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from ulid import ULID

from kho.archive.errors import ObjectExists, ObjectNotFound
from kho.archive.manifest import Actor
from kho.archive.store import ObjectStore
from kho.retention.errors import RetentionError

__all__ = [
    "CHUNK",
    "Batch",
    "BatchNotFound",
    "BatchStore",
    "Decision",
    "Item",
    "SameApprover",
    "principal",
]

PREFIX = "retention/disposals/"
CHUNK = 500


class BatchNotFound(RetentionError):
    problem_type = "not-found"
    title = "No such disposal batch"


class SameApprover(RetentionError):
    """The two-person rule: the approver of a disposal is not its proposer."""

    problem_type = "same-approver"
    title = "The proposer of a disposal cannot approve it"


class BatchDecided(RetentionError):
    problem_type = "conflict"
    title = "The disposal batch was decided already"


def principal(actor: Actor) -> str:
    """Who a principal is, for the two-person rule: a person, or an API key."""
    if actor.user:
        return f"user:{actor.user}"
    if actor.key_id:
        return f"key:{actor.key_id}"
    return f"agency:{actor.agency or 'system'}"


@dataclass(frozen=True)
class Item:
    """One record of a batch, as it was when proposed."""

    record_id: str
    result_code: str
    issuer_code: str
    result_type: str
    sha256: str
    rule: str
    retain_until: date | None
    action: Literal["destroy", "transfer", "review"]

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "retain_until": str(self.retain_until or "") or None}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Item:
        until = raw.get("retain_until")
        return cls(
            record_id=str(raw["record_id"]),
            result_code=str(raw["result_code"]),
            issuer_code=str(raw["issuer_code"]),
            result_type=str(raw["result_type"]),
            sha256=str(raw["sha256"]),
            rule=str(raw["rule"]),
            retain_until=date.fromisoformat(until) if until else None,
            action=raw.get("action", "destroy"),
        )


@dataclass(frozen=True)
class Decision:
    decision: Literal["approved", "rejected"]
    by: Actor
    at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class Batch:
    batch_id: str
    reason: str
    proposed_by: Actor
    proposed_at: datetime
    count: int
    chunks: int
    decision: Decision | None = None
    done_chunks: int = 0
    executed_at: datetime | None = None

    @property
    def status(self) -> str:
        if self.decision is None:
            return "proposed"
        if self.decision.decision == "rejected":
            return "rejected"
        return "executed" if self.executed_at is not None else "approved"

    def to_json(self) -> dict[str, Any]:
        d = self.decision
        return {
            "batch_id": self.batch_id,
            "status": self.status,
            "reason": self.reason,
            "count": self.count,
            "proposed_by": self.proposed_by.label(),
            "proposed_at": self.proposed_at.isoformat(),
            "approved_by": d.by.label() if d and d.decision == "approved" else None,
            "approved_at": d.at.isoformat() if d and d.decision == "approved" else None,
            "rejected_by": d.by.label() if d and d.decision == "rejected" else None,
            "rejected_at": d.at.isoformat() if d and d.decision == "rejected" else None,
            "rejection_reason": d.reason if d and d.decision == "rejected" else None,
            "executed_at": self.executed_at.isoformat() if self.executed_at else None,
            "chunks_done": self.done_chunks,
            "chunks": self.chunks,
        }


def _dump(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")


def _actor(raw: dict[str, Any]) -> Actor:
    return Actor(**raw)


class BatchStore:
    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    @staticmethod
    def _key(batch_id: str, name: str) -> str:
        return f"{PREFIX}{batch_id}/{name}"

    def create(
        self, items: Iterable[Item], *, reason: str, by: Actor, at: datetime
    ) -> tuple[Batch, dict[str, str]]:
        """Write the items chunk by chunk, then the proposal (which makes the batch exist)."""
        batch_id = str(ULID())
        written: dict[str, str] = {}
        count = chunks = 0
        chunk: list[dict[str, Any]] = []

        def flush() -> None:
            nonlocal chunks
            key = self._key(batch_id, f"items/{chunks:05d}.json")
            self.store.put(key, _dump(chunk), create_only=True)
            chunks += 1
            chunk.clear()

        for item in items:
            chunk.append(item.to_json())
            count += 1
            if len(chunk) >= CHUNK:
                flush()
        if chunk:
            flush()
        proposal = {
            "batch_id": batch_id,
            "reason": reason,
            "proposed_by": by.model_dump(exclude_none=True),
            "proposed_at": at.isoformat(),
            "count": count,
            "chunks": chunks,
        }
        key = self._key(batch_id, "proposal.json")
        self.store.put(key, _dump(proposal), create_only=True)
        return self.get(batch_id), written

    def get(self, batch_id: str) -> Batch:
        if not batch_id.isalnum() or len(batch_id) > 40:
            raise BatchNotFound(f"no disposal batch {batch_id}")
        try:
            raw = json.loads(self.store.get(self._key(batch_id, "proposal.json")))
        except ObjectNotFound:
            raise BatchNotFound(f"no disposal batch {batch_id}") from None
        decision = None
        try:
            d = json.loads(self.store.get(self._key(batch_id, "decision.json")))
            decision = Decision(
                decision=d["decision"],
                by=_actor(d["by"]),
                at=datetime.fromisoformat(d["at"]),
                reason=d.get("reason"),
            )
        except ObjectNotFound:
            pass
        executed_at = None
        try:
            cert = json.loads(self.store.get(self._key(batch_id, "certificate.json")))
            executed_at = datetime.fromisoformat(cert["executed_at"])
        except ObjectNotFound:
            pass
        done = sum(1 for _ in self.store.list(self._key(batch_id, "done/")))
        return Batch(
            batch_id=batch_id,
            reason=str(raw["reason"]),
            proposed_by=_actor(raw["proposed_by"]),
            proposed_at=datetime.fromisoformat(raw["proposed_at"]),
            count=int(raw["count"]),
            chunks=int(raw["chunks"]),
            decision=decision,
            done_chunks=done,
            executed_at=executed_at,
        )

    def decide(self, batch: Batch, decision: Decision) -> Batch:
        data = {
            "decision": decision.decision,
            "by": decision.by.model_dump(exclude_none=True),
            "at": decision.at.isoformat(),
            "reason": decision.reason,
        }
        try:
            self.store.put(
                self._key(batch.batch_id, "decision.json"), _dump(data), create_only=True
            )
        except ObjectExists:
            raise BatchDecided(f"disposal batch {batch.batch_id} was decided already") from None
        return self.get(batch.batch_id)

    def chunk(self, batch_id: str, number: int) -> list[Item]:
        raw = json.loads(self.store.get(self._key(batch_id, f"items/{number:05d}.json")))
        return [Item.from_json(r) for r in raw]

    def items(self, batch_id: str) -> Iterator[Item]:
        batch = self.get(batch_id)
        for number in range(batch.chunks):
            yield from self.chunk(batch_id, number)

    def chunk_done(self, batch_id: str, number: int) -> bool:
        return self.store.exists(self._key(batch_id, f"done/{number:05d}.json"))

    def mark_done(self, batch_id: str, number: int, at: datetime) -> None:
        self.store.put(self._key(batch_id, f"done/{number:05d}.json"), _dump({"at": at}))

    def write_certificate(self, batch_id: str, certificate: dict[str, Any]) -> None:
        self.store.put(self._key(batch_id, "certificate.json"), _dump(certificate))

    def certificate(self, batch_id: str) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(
                self.store.get(self._key(batch_id, "certificate.json"))
            )
        except ObjectNotFound:
            return None
        return data

    def all(self) -> Iterator[Batch]:
        for key in self.store.list(PREFIX):
            if key.endswith("/proposal.json"):
                yield self.get(key.removeprefix(PREFIX).split("/", 1)[0])
