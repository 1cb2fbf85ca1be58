"""Legal holds: records that must not be disposed of, whatever their schedule says.

A hold names records (`record_ids`), a subject (every result of one citizen or enterprise,
now and later), or a saved query (every result matching it, now and later: result type,
procedure code, issuer, subject, issue dates). It has a reason, an owner and a reference
(the case or decision behind it); a release is kept beside it with its own reason, so the
history of a hold is never rewritten.

Kept in the object store (the system of record):
  retention/holds/<hold_id>.json            the hold (create-only)
  retention/holds/<hold_id>.released.json   its release (create-only: released once)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from ulid import ULID

from kho.archive.errors import ObjectExists, ObjectNotFound
from kho.archive.manifest import Actor, Manifest
from kho.archive.store import ObjectStore
from kho.retention.errors import RetentionError

__all__ = ["QUERY_FIELDS", "Hold", "HoldNotFound", "HoldReleased", "HoldStore", "holding"]

PREFIX = "retention/holds/"
QUERY_FIELDS = (
    "result_type",
    "procedure_code",
    "issuer_code",
    "subject_id",
    "issued_from",
    "issued_to",
)


class HoldNotFound(RetentionError):
    problem_type = "not-found"
    title = "No such legal hold"


class HoldReleased(RetentionError):
    problem_type = "conflict"
    title = "The legal hold is already released"


@dataclass(frozen=True)
class Hold:
    hold_id: str
    kind: Literal["records", "subject", "query"]
    reason: str
    owner: Actor
    placed_at: datetime
    reference: str | None = None
    record_ids: tuple[str, ...] = ()
    subject_id: str | None = None
    query: tuple[tuple[str, str], ...] = ()
    released_at: datetime | None = None
    released_by: Actor | None = None
    release_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.released_at is None

    def matches(self, manifest: Manifest) -> bool:
        if self.kind == "records":
            return manifest.record_id in self.record_ids
        subjects = {s.id for s in manifest.subjects}
        if self.kind == "subject":
            return self.subject_id in subjects
        for name, value in self.query:
            if name == "subject_id":
                if value not in subjects:
                    return False
            elif name == "issued_from":
                if manifest.issued_on < date.fromisoformat(value):
                    return False
            elif name == "issued_to":
                if manifest.issued_on > date.fromisoformat(value):
                    return False
            elif str(getattr(manifest, name)) != value:
                return False
        return True

    def to_json(self) -> dict[str, Any]:
        return {
            "hold_id": self.hold_id,
            "kind": self.kind,
            "reason": self.reason,
            "reference": self.reference,
            "owner": self.owner.label(),
            "placed_at": self.placed_at.isoformat(),
            "record_ids": list(self.record_ids),
            "subject_id": self.subject_id,
            "query": dict(self.query) or None,
            "active": self.active,
            "released_at": self.released_at.isoformat() if self.released_at else None,
            "released_by": self.released_by.label() if self.released_by else None,
            "release_reason": self.release_reason,
        }


def _dump(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")


class HoldStore:
    """The holds kept in an object store: few (one per case), so read whole."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def place(
        self,
        *,
        kind: Literal["records", "subject", "query"],
        reason: str,
        owner: Actor,
        at: datetime,
        reference: str | None = None,
        record_ids: Iterable[str] = (),
        subject_id: str | None = None,
        query: dict[str, str] | None = None,
    ) -> tuple[Hold, str, bytes]:
        hold = Hold(
            hold_id=str(ULID()),
            kind=kind,
            reason=reason,
            owner=owner,
            placed_at=at,
            reference=reference,
            record_ids=tuple(dict.fromkeys(record_ids)),
            subject_id=subject_id,
            query=tuple(sorted((query or {}).items())),
        )
        key = f"{PREFIX}{hold.hold_id}.json"
        data = _dump(
            {
                "hold_id": hold.hold_id,
                "kind": kind,
                "reason": reason,
                "reference": reference,
                "owner": owner.model_dump(exclude_none=True),
                "placed_at": at.isoformat(),
                "record_ids": list(hold.record_ids),
                "subject_id": subject_id,
                "query": dict(hold.query),
            }
        )
        self.store.put(key, data, create_only=True)
        return hold, key, data

    def release(self, hold_id: str, *, reason: str, by: Actor, at: datetime) -> tuple[Hold, str]:
        hold = self.get(hold_id)
        if not hold.active:
            raise HoldReleased(f"hold {hold_id} was released already", hold_id=hold_id)
        key = f"{PREFIX}{hold_id}.released.json"
        data = _dump(
            {"by": by.model_dump(exclude_none=True), "at": at.isoformat(), "reason": reason}
        )
        try:
            self.store.put(key, data, create_only=True)
        except ObjectExists:
            raise HoldReleased(f"hold {hold_id} was released already", hold_id=hold_id) from None
        return self.get(hold_id), key

    def get(self, hold_id: str) -> Hold:
        if not hold_id.isalnum() or len(hold_id) > 40:
            raise HoldNotFound(f"no hold {hold_id}")
        try:
            raw = json.loads(self.store.get(f"{PREFIX}{hold_id}.json"))
        except ObjectNotFound:
            raise HoldNotFound(f"no hold {hold_id}") from None
        try:
            released = json.loads(self.store.get(f"{PREFIX}{hold_id}.released.json"))
        except ObjectNotFound:
            released = None
        return Hold(
            hold_id=str(raw["hold_id"]),
            kind=raw["kind"],
            reason=str(raw["reason"]),
            owner=Actor(**raw["owner"]),
            placed_at=datetime.fromisoformat(raw["placed_at"]),
            reference=raw.get("reference"),
            record_ids=tuple(raw.get("record_ids") or ()),
            subject_id=raw.get("subject_id"),
            query=tuple(sorted((raw.get("query") or {}).items())),
            released_at=datetime.fromisoformat(released["at"]) if released else None,
            released_by=Actor(**released["by"]) if released else None,
            release_reason=released.get("reason") if released else None,
        )

    def all(self) -> Iterator[Hold]:
        for key in self.store.list(PREFIX):
            name = key.removeprefix(PREFIX)
            if name.endswith(".json") and "." not in name.removesuffix(".json"):
                try:
                    yield self.get(name.removesuffix(".json"))
                except HoldNotFound:
                    continue

    def active(self) -> list[Hold]:
        return [h for h in self.all() if h.active]


def holding(holds: Iterable[Hold], manifest: Manifest) -> tuple[str, ...]:
    """The ids of the active holds among `holds` that cover this record."""
    return tuple(h.hold_id for h in holds if h.active and h.matches(manifest))
