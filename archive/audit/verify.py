"""Verifying the trail: every event's form, hash, number and link, and every segment's
proof, from the first event to the last; the first event that breaks the chain is named,
with the object that holds it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kho.archive.store import ObjectStore

from .event import GENESIS, BadLine, canonical, parse_line, sha256_hex, split_lines
from .layout import BATCHES, SEGMENTS, first_seq_of
from .proof import ChainProof

__all__ = ["ChainReport", "verify_chain"]


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
    # What the latest signed checkpoint says of this trail (checkpoint.py).
    checkpoint: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)



def verify_chain(store: ObjectStore, *, known_last_seq: int | None = None) -> ChainReport:
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
                event, _ = parse_line(line)
            except BadLine as exc:
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
    for key in store.list(SEGMENTS):
        first = first_seq_of(key)
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
        lines = split_lines(store.get(key))
        proof_line = lines.pop() if lines else b""
        segment_prev = prev_hash
        found = check_lines(key, lines)
        if found is not None:
            return found
        segment_first_at = str(json.loads(lines[0])["at"]) if lines else ""
        segment_last_at = str(json.loads(lines[-1])["at"]) if lines else ""
        try:
            proof_data = json.loads(proof_line)
            if canonical(proof_data) != proof_line or set(proof_data) != {"proof"}:
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
                ("events_sha256", proof.events_sha256 == sha256_hex(body)),
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

    for key in store.list(BATCHES):
        first = first_seq_of(key)
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
        found = check_lines(key, split_lines(store.get(key)))
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
