"""The audit trail: the chain, group commit, sealing, head discovery, tamper detection, and
appenders in several threads and processes never forking the chain."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from kho.archive.audit import BATCHES, GENESIS, HEAD_HINT, SEGMENTS, AuditTrail
from kho.archive.stores.local import LocalObjectStore

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def append(trail: AuditTrail, n: int = 1, *, at: datetime | None = None, **fields: object) -> list:
    events = []
    for i in range(n):
        events.append(
            trail.append(
                at=at or datetime.now(UTC),
                action=str(fields.get("action", "lookup")),
                actor={"agency": "000.00.15.H62", "key_id": "0123456789abcdef"},
                outcome="ok",
                purpose="000.00.15.H62-261123-0001",
                record_ids=("01JD3V7Y8K3N2W6Q4T9ZB5XK1M",),
                subject_ids=("001203001234",),
                detail={"i": i, "tên": "Trần Văn Đức"},
            )
        )
    return events


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "store")


def writable(path: Path) -> Path:
    path.chmod(0o644)  # sealed segments are read-only on the local store
    return path


def flip(path: Path, offset: int) -> bytes:
    original = path.read_bytes()
    data = bytearray(original)
    data[offset] = data[offset] ^ 0x01 if data[offset] != 0x0A else ord("x")
    writable(path).write_bytes(bytes(data))
    return original


def test_events_chain_by_hash_of_canonical_json(store: LocalObjectStore) -> None:
    trail = AuditTrail(store)
    events = append(trail, 5)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    for event in events:
        body = {k: v for k, v in event.to_json().items() if k != "hash"}
        assert event.hash == hashlib.sha256(rfc8785.dumps(body)).hexdigest()
    report = trail.verify()
    assert report.ok and report.events == 5 and report.last_hash == events[-1].hash
    assert [e.event_id for e in trail.events()] == [e.event_id for e in events]


def test_at_never_goes_back_along_the_chain(store: LocalObjectStore) -> None:
    trail = AuditTrail(store)
    first = append(trail, at=T0)[0]
    second = append(trail, at=T0 - timedelta(seconds=5))[0]
    assert second.at == first.at
    assert trail.verify().ok


def test_threads_share_writes_and_never_fork(store: LocalObjectStore) -> None:
    trail = AuditTrail(store)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            append(trail, 40)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    events = list(trail.events())
    assert [e.seq for e in events] == list(range(1, 321))
    assert len({e.event_id for e in events}) == 320
    assert trail.stats["batches"] < 320  # group commit: fewer writes than events
    assert trail.verify().ok


_WRITER = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from kho.archive.audit import AuditTrail
from kho.archive.stores.local import LocalObjectStore
trail = AuditTrail(LocalObjectStore(Path(sys.argv[1])), segment_events=int(sys.argv[3]))
for i in range(int(sys.argv[2])):
    trail.append(at=datetime.now(UTC), action="lookup", actor={"user": sys.argv[4]},
                 outcome="ok", detail={"i": i})
"""


def test_two_processes_and_threads_never_fork(store: LocalObjectStore, tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    root = str(store.root)
    procs = [
        subprocess.Popen([sys.executable, str(script), root, "150", "60", f"p{n}"])
        for n in range(2)
    ]
    trail = AuditTrail(store, segment_events=60)
    threads = [threading.Thread(target=append, args=(trail, 40)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in procs:
        assert p.wait(timeout=120) == 0
    trail.seal_all(force=True)
    report = trail.verify()
    assert report.ok, report
    assert report.events == 2 * 150 + 3 * 40
    events = list(trail.events())
    assert [e.seq for e in events] == list(range(1, report.events + 1))
    assert len({e.event_id for e in events}) == report.events
    assert sum(1 for e in events if e.actor.get("user") == "p0") == 150


def test_sealing_rolls_batches_into_write_once_segments(store: LocalObjectStore) -> None:
    trail = AuditTrail(store, auto_seal=False, segment_events=10)
    append(trail, 25)
    results = trail.seal_all(force=True)
    assert [(r.first_seq, r.last_seq) for r in results] == [(1, 10), (11, 20), (21, 25)]
    assert list(store.list(BATCHES)) == []
    segment = store.root / "audit" / "segments" / "000000000001.jsonl"
    assert not os.access(segment, os.W_OK) or os.geteuid() == 0
    assert segment.stat().st_mode & 0o222 == 0  # read-only: write-once on the local store
    lines = segment.read_bytes().splitlines()
    proof = json.loads(lines[-1])["proof"]
    assert proof["first_seq"] == 1 and proof["last_seq"] == 10 and proof["prev_hash"] == GENESIS
    assert (
        proof["events_sha256"]
        == hashlib.sha256(b"".join(x + b"\n" for x in lines[:-1])).hexdigest()
    )
    report = trail.verify()
    assert report.ok and report.events == 25 and report.segments == 3
    # Appending goes on after the sealed events.
    assert append(trail)[0].seq == 26
    assert trail.verify().ok


def test_seal_waits_for_enough_events_or_age(store: LocalObjectStore) -> None:
    now = [T0]
    trail = AuditTrail(
        store, segment_events=100, seal_after=timedelta(hours=1), clock=lambda: now[0]
    )
    append(trail, 5, at=T0)
    assert trail.seal() is None  # 5 young events: not yet
    now[0] = T0 + timedelta(hours=2)
    sealed = trail.seal()
    assert sealed is not None and (sealed.first_seq, sealed.last_seq) == (1, 5)


def _batch(trail: AuditTrail, n: int) -> None:
    """One batch of `n` events, as a group commit of `n` concurrent requests writes it."""
    from kho.archive.audit.commit import Draft

    drafts = [
        Draft.of(
            at=datetime.now(UTC),
            action="lookup",
            actor={"agency": "000.00.15.H62"},
            outcome="ok",
            purpose="000.00.15.H62-261123-0001",
            record_ids=(),
            subject_ids=("001203001234",),
            detail={"i": i},
        )
        for i in range(n)
    ]
    trail._write(drafts)


def test_a_segment_is_full_when_the_next_batch_would_not_fit(store: LocalObjectStore) -> None:
    """Batches of 3 never add up to a segment of exactly 10: the segment seals at 9 (it
    used to wait for 10 forever, each write's maybe_seal re-reading every loose batch)."""
    trail = AuditTrail(store, auto_seal=False, segment_events=10)
    for _ in range(5):
        _batch(trail, 3)
    first = trail.seal()
    assert first is not None and (first.first_seq, first.last_seq) == (1, 9)
    assert trail.seal() is None  # 6 young loose events: not yet
    assert trail.verify().ok


def test_auto_seal_with_multi_event_batches(store: LocalObjectStore) -> None:
    trail = AuditTrail(store, segment_events=10)
    for _ in range(8):
        _batch(trail, 3)
    assert trail._sealer is not None
    trail._sealer.join(timeout=30)
    assert len(list(store.list(SEGMENTS))) == 2  # 1-9, 10-18; 19-24 loose
    assert trail.verify().ok


def test_auto_seal_after_segment_events(store: LocalObjectStore) -> None:
    trail = AuditTrail(store, segment_events=20)
    append(trail, 45)
    assert trail._sealer is not None
    trail._sealer.join(timeout=30)
    assert len(list(store.list(SEGMENTS))) == 2
    assert trail.verify().ok


def test_a_new_writer_finds_the_head_from_the_hint_or_a_listing(store: LocalObjectStore) -> None:
    trail = AuditTrail(store, auto_seal=False, segment_events=10)
    append(trail, 23)
    trail.seal_all(force=False)  # two full segments, three loose events
    last = append(trail)[0]
    fresh = AuditTrail(store)
    assert fresh.head() == (last.seq, last.hash)
    store.delete(HEAD_HINT)
    fresher = AuditTrail(store)
    assert fresher.head() == (last.seq, last.hash)
    assert append(fresher)[0].seq == last.seq + 1
    assert fresher.verify().ok


def test_a_stale_writer_never_reuses_a_position_freed_by_sealing(store: LocalObjectStore) -> None:
    stale = AuditTrail(store)
    stale.head()  # it has seen an empty trail
    other = AuditTrail(store)
    append(other, 5)
    other.seal_all(force=True)  # batch 1..5 sealed and removed: position 1 is free again
    event = append(stale)[0]
    assert event.seq == 6
    report = stale.verify()
    assert report.ok and report.events == 6


def test_sealing_while_appending_keeps_one_chain(store: LocalObjectStore) -> None:
    trail = AuditTrail(store, segment_events=15, auto_seal=False)
    sealer = AuditTrail(store, segment_events=15)
    stop = threading.Event()

    def seal_loop() -> None:
        while not stop.is_set():
            sealer.seal_all(force=True)

    t = threading.Thread(target=seal_loop)
    t.start()
    writers = [threading.Thread(target=append, args=(trail, 30)) for _ in range(4)]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    stop.set()
    t.join()
    report = trail.verify()
    assert report.ok, report
    assert report.events == 120


@pytest.mark.parametrize("where", ["segment", "batch"])
def test_one_edited_byte_anywhere_is_found_and_named(store: LocalObjectStore, where: str) -> None:
    trail = AuditTrail(store, auto_seal=False, segment_events=6)
    append(trail, 6)
    trail.seal_all(force=True)
    append(trail, 3)
    folder = "segments" if where == "segment" else "batches"
    path = next((store.root / "audit" / folder).iterdir())
    size = path.stat().st_size
    first_seq = int(path.name.split(".")[0])
    offsets = sorted({*range(0, size, 29), size - 1, size - 2})
    for offset in offsets:
        original = flip(path, offset)
        try:
            report = trail.verify()
            assert not report.ok, f"byte {offset} edited but the chain verified"
            assert report.first_bad_seq is not None and report.first_bad_seq >= first_seq
            assert report.location == f"audit/{folder}/{path.name}"
            assert str(report.first_bad_seq) in (report.reason or "")
        finally:
            path.write_bytes(original)
    assert trail.verify().ok


def test_the_named_event_is_the_edited_one(store: LocalObjectStore) -> None:
    trail = AuditTrail(store, auto_seal=False)
    events = append(trail, 5)
    trail.seal_all(force=True)
    path = writable(store.root / "audit" / "segments" / "000000000001.jsonl")
    lines = path.read_bytes().splitlines()
    assert len(lines) == 6
    lines[2] = lines[2].replace(b'"outcome":"ok"', b'"outcome":"no"')
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = trail.verify()
    assert not report.ok
    assert report.first_bad_seq == 3 and report.first_bad_event_id == events[2].event_id


def test_removed_and_reordered_events_are_found(store: LocalObjectStore) -> None:
    trail = AuditTrail(store)
    for _ in range(3):
        append(trail)
    batches = sorted((store.root / "audit" / "batches").iterdir())
    assert len(batches) == 3
    middle = batches[1].read_bytes()
    batches[1].unlink()
    report = trail.verify()
    assert not report.ok and report.first_bad_seq == 2 and "missing" in (report.reason or "")
    batches[1].write_bytes(middle)
    assert trail.verify().ok
    # Swap the contents of two batches: event 2 is no longer where the chain puts it.
    a, b = batches[1].read_bytes(), batches[2].read_bytes()
    batches[1].write_bytes(b)
    batches[2].write_bytes(a)
    report = trail.verify()
    assert not report.ok and report.first_bad_seq == 2


def test_a_removed_tail_is_found_against_the_last_known_event(store: LocalObjectStore) -> None:
    trail = AuditTrail(store)
    append(trail)
    append(trail)
    sorted((store.root / "audit" / "batches").iterdir())[-1].unlink()
    assert trail.verify().ok  # the chain alone cannot tell
    report = trail.verify(known_last_seq=2)
    assert not report.ok and report.first_bad_seq == 2


def test_a_removed_segment_is_found(store: LocalObjectStore) -> None:
    trail = AuditTrail(store, auto_seal=False, segment_events=5)
    append(trail, 12)
    trail.seal_all(force=True)
    writable(store.root / "audit" / "segments" / "000000000006.jsonl").unlink()
    report = trail.verify()
    assert not report.ok and report.first_bad_seq == 6


def test_events_between_is_a_contiguous_slice(store: LocalObjectStore) -> None:
    trail = AuditTrail(store, auto_seal=False, segment_events=4)
    for hour in range(10):
        append(trail, at=T0 + timedelta(hours=hour))
    trail.seal_all(force=True)
    picked = list(trail.events_between(T0 + timedelta(hours=3), T0 + timedelta(hours=7)))
    assert [e.seq for e in picked] == [4, 5, 6, 7]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
@settings(max_examples=300, deadline=None)
def test_the_fast_canonical_form_is_rfc8785(value: object) -> None:
    from kho.archive.audit.event import canonical as _canonical

    try:
        expected = rfc8785.dumps(value)
    except Exception:
        return  # values RFC 8785 refuses (lone surrogates) are refused by both paths
    assert _canonical(value) == expected


class _CountingStore(LocalObjectStore):
    gets = 0

    def get(self, key: str) -> bytes:
        self.gets += 1
        return super().get(key)


def test_a_seal_not_due_reads_one_batch_not_all(tmp_path: Path) -> None:
    store = _CountingStore(tmp_path / "store")
    trail = AuditTrail(store, auto_seal=False, segment_events=1000)
    append(trail, 50)
    store.gets = 0
    assert trail.seal() is None  # 50 young events: not due
    assert store.gets <= 3  # the first loose batch (and the hint), not all fifty
    assert trail.seal(force=True) is not None
    assert trail.verify().ok
