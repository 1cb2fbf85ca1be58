"""Reading the trail back: its objects in chain order, their lines, its events, the
segments' proofs, the events of a period. Unchecked: verification (verify.py) checks."""

from __future__ import annotations

import bisect
import contextlib
import json
from collections.abc import Iterator
from datetime import datetime

from kho.archive.errors import ObjectNotFound

from .chain import Chain
from .event import AuditEvent, split_lines
from .layout import BATCHES, SEGMENTS, first_seq_of
from .proof import ChainProof

__all__ = ["events", "events_between", "lines", "objects", "segment_proofs"]


def objects(chain: Chain, start_seq: int = 1) -> Iterator[str]:
    """Segments then loose batches, in chain order, from the one holding `start_seq`."""
    store = chain.store
    segments = [k for k in store.list(SEGMENTS) if first_seq_of(k) is not None]
    firsts = [first_seq_of(k) or 0 for k in segments]
    begin = max(0, bisect.bisect_right(firsts, start_seq) - 1)
    sealed_through = 0
    yield from segments[begin:]
    if segments:
        with contextlib.suppress(ObjectNotFound, ValueError, KeyError, TypeError):
            sealed_through = chain.read_proof(segments[-1]).last_seq
    for key in store.list(BATCHES):
        first = first_seq_of(key)
        if first is not None and first > sealed_through:
            yield key


def lines(chain: Chain, start_seq: int = 1) -> Iterator[bytes]:
    """The stored lines from the object holding `start_seq` on, unparsed and unchecked
    (proof lines too): a reader after a few events filters them before paying for JSON."""
    for key in objects(chain, start_seq):
        try:
            data = chain.store.get(key)
        except ObjectNotFound:
            continue  # a batch sealed meanwhile; its segment was listed before it
        yield from split_lines(data)


def events(chain: Chain, start_seq: int = 1) -> Iterator[AuditEvent]:
    """Every event from `start_seq` on, in order."""
    for line in lines(chain, start_seq):
        parsed = json.loads(line)
        if "proof" in parsed:
            continue
        event = AuditEvent.from_json(parsed)
        if event.seq >= start_seq:
            yield event


def segment_proofs(chain: Chain) -> Iterator[tuple[str, ChainProof]]:
    for key in chain.store.list(SEGMENTS):
        yield key, chain.read_proof(key)


def events_between(chain: Chain, since: datetime, until: datetime) -> Iterator[AuditEvent]:
    """The events with since <= at < until (a contiguous stretch: `at` never decreases)."""
    start_seq = 1
    for _key, proof in segment_proofs(chain):
        if datetime.fromisoformat(proof.last_at) < since:
            start_seq = proof.last_seq + 1
        else:
            break
    for event in events(chain, start_seq):
        if event.at >= until:
            return
        if event.at >= since:
            yield event
