"""Where the audit trail lives in the object store (one line of RFC 8785 JSON per event):

  audit/batches/<first seq>.jsonl   a loose batch: the events one group commit made durable
  audit/segments/<first seq>.jsonl  a sealed segment: the events of many batches, then a last
                                    line {"proof": {...}} (range, boundary hashes, digest),
                                    written with `retain_until` (object lock on MinIO)
  audit/head.json                   a hint naming a recent segment, so a starting writer
                                    finds the head without listing every segment

Sequence numbers are zero-padded, so listing a folder lists them in chain order.
"""

from __future__ import annotations

__all__ = ["BATCHES", "HEAD_HINT", "SEGMENTS", "batch_key", "first_seq_of", "segment_key"]

BATCHES = "audit/batches/"
SEGMENTS = "audit/segments/"
HEAD_HINT = "audit/head.json"


def batch_key(first_seq: int) -> str:
    return f"{BATCHES}{first_seq:012d}.jsonl"


def segment_key(first_seq: int) -> str:
    return f"{SEGMENTS}{first_seq:012d}.jsonl"


def first_seq_of(key: str) -> int | None:
    """The first sequence number a batch or segment key names; None for another name."""
    name = key.rsplit("/", 1)[-1]
    stem, _, ext = name.partition(".")
    return int(stem) if ext == "jsonl" and stem.isdigit() else None
