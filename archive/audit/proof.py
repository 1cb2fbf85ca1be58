"""A chain proof: what a sealed segment (or an export) attests of the events it holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .event import canonical, sha256_hex

__all__ = ["ChainProof"]

PROOF_KIND = "kho.audit.segment/1"


@dataclass(frozen=True)
class ChainProof:
    """A segment's range and the hashes at both ends, with the digest of its event lines."""

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
        return {"kind": PROOF_KIND, **self.__dict__}

    def to_json(self) -> dict[str, Any]:
        """The proof with its own hash, so an edit of any of its fields shows."""
        body = self.body()
        return {**body, "hash": sha256_hex(canonical(body))}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChainProof:
        if data.get("kind") != PROOF_KIND:
            raise ValueError("not a segment proof")
        body = {k: v for k, v in data.items() if k != "hash"}
        if data.get("hash") != sha256_hex(canonical(body)):
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
