"""An audit event and its canonical form: what is hashed, how it is stored, how a stored
line is checked.

Each event carries the SHA-256 of the one before, computed over its canonical JSON form
(RFC 8785), so editing, removing or reordering any event breaks the chain from that point.
Stored, an event is one line of RFC 8785 JSON (the whole event, `hash` included).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import rfc8785

__all__ = [
    "GENESIS",
    "AuditEvent",
    "BadLine",
    "canonical",
    "jsonable",
    "parse_line",
    "sha256_hex",
    "split_lines",
]

GENESIS = "0" * 64  # the `prev_hash` of the first event
FIELDS = frozenset(
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
_SAFE_INT = 2**53


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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


def canonical(value: Any) -> bytes:
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


def jsonable(value: Mapping[str, Any]) -> dict[str, Any]:
    """`value` as JSON types only (rfc8785 takes nothing else): a date or a tuple in a
    detail becomes its JSON form."""
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
        return sha256_hex(canonical(self.body()))

    def to_json(self) -> dict[str, Any]:
        return {**self.body(), "hash": self.hash}

    def line(self) -> bytes:
        """The stored form: the whole event as RFC 8785 JSON (one line, no newline)."""
        return canonical(self.to_json())

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


class BadLine(ValueError):
    """A stored line that is not one well-formed, canonical, correctly hashed event."""

    def __init__(self, reason: str, event_id: str | None = None, seq: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.event_id = event_id
        self.seq = seq


def parse_line(line: bytes) -> tuple[AuditEvent, dict[str, Any]]:
    """An event from its stored line, checked strictly: exact fields, canonical form, hash.

    Any edited byte fails one of these, so verification can name the event it hit.
    """
    try:
        data = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadLine(f"unreadable ({exc.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise BadLine("not a JSON object")
    event_id = data.get("event_id") if isinstance(data.get("event_id"), str) else None
    seq = data.get("seq") if isinstance(data.get("seq"), int) else None
    if set(data) != FIELDS:
        raise BadLine("has missing or unexpected fields", event_id, seq)
    try:
        canonical_form = canonical(data)
    except Exception as exc:  # rfc8785 refuses non-JSON values (NaN, huge ints)
        raise BadLine(f"not canonical JSON ({exc})", event_id, seq) from None
    if canonical_form != line:
        raise BadLine("not in canonical form (edited)", event_id, seq)
    body = {k: v for k, v in data.items() if k != "hash"}
    if sha256_hex(canonical(body)) != data["hash"]:
        raise BadLine("was altered (its hash does not match)", event_id, seq)
    try:
        event = AuditEvent.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise BadLine(f"has a malformed field ({exc})", event_id, seq) from None
    return event, data


def split_lines(data: bytes) -> list[bytes]:
    """The lines of a stored batch or segment ('\\n'-terminated each)."""
    if not data.endswith(b"\n"):
        # A torn or edited last line; keep it so it is reported, not skipped.
        return data.split(b"\n")
    return data[:-1].split(b"\n")
