"""The AuditIndex contract: the embedded SQLite index and Elasticsearch answer alike."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from kho.archive.audit import GENESIS, AuditEvent
from kho.indexer.events import AuditIndex, AuditQuery
from kho.settings import Settings
from kho.wiring import build_audit_index

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
DUC = "001203001234"
LAN = "079188001122"
COMPANY = "0101234565"


def event(
    seq: int,
    *,
    action: str = "lookup",
    agency: str | None = "000.00.15.H62",
    subjects: tuple[str, ...] = (DUC,),
    records: tuple[str, ...] = ("01JD3V7Y8K3N2W6Q4T9ZB5XK1M",),
    purpose: str | None = "000.00.15.H62-261123-0001",
    at: datetime | None = None,
) -> AuditEvent:
    actor = {"agency": agency, "key_id": "0123456789abcdef"} if agency else {"user": "cli:root"}
    e = AuditEvent(
        seq=seq,
        event_id=f"01JD3W2B7Q5M8N4K6T1ZC9{seq:04d}",
        at=at or T0 + timedelta(minutes=seq),
        action=action,
        actor=actor,
        outcome="ok",
        prev_hash=GENESIS,
        purpose=purpose,
        record_ids=records,
        subject_ids=subjects,
        detail={"tên": "Trần Văn Đức"},
    )
    return replace(e, hash=e.compute_hash())


@pytest.fixture
def index(settings: Settings) -> Iterator[AuditIndex]:
    built = build_audit_index(settings)
    try:
        yield built
    finally:
        built.close()


def seqs(index: AuditIndex, **filters: object) -> list[int]:
    page = index.query(AuditQuery(page_size=100, **filters))  # type: ignore[arg-type]
    return [int(item["seq"]) for item in page.items]


def test_added_events_are_found_at_once_as_they_were(index: AuditIndex) -> None:
    e = event(1)
    index.add([e])
    page = index.query(AuditQuery())
    assert page.total == 1
    assert page.items[0] == e.to_json()  # exactly as hashed: the hash can be checked
    assert AuditEvent.from_json(page.items[0]).compute_hash() == e.hash


def test_adding_again_is_harmless(index: AuditIndex) -> None:
    index.add([event(1), event(2)])
    index.add([event(2), event(3)])
    assert seqs(index) == [3, 2, 1]


def test_filters_each_narrow_the_events(index: AuditIndex) -> None:
    index.add(
        [
            event(1, subjects=(DUC,)),
            event(2, subjects=(LAN,), agency="000.00.16.H62", action="download"),
            event(3, subjects=(DUC, COMPANY), records=("01JD3V7Y8K3N2W6Q4T9ZB5XK2N",)),
            event(4, subjects=(), records=(), agency=None, action="key.create", purpose=None),
            event(5, subjects=(LAN,), purpose="000.00.16.H62-261123-0009", action="read"),
        ]
    )
    assert seqs(index) == [5, 4, 3, 2, 1]
    assert seqs(index, subject_id=DUC) == [3, 1]
    assert seqs(index, subject_id=COMPANY) == [3]
    assert seqs(index, agency="000.00.16.H62") == [2]
    assert seqs(index, record_id="01JD3V7Y8K3N2W6Q4T9ZB5XK2N") == [3]
    assert seqs(index, action="key.create") == [4]
    assert seqs(index, purpose="000.00.16.H62-261123-0009") == [5]
    assert seqs(index, actions=("download", "read")) == [5, 2]
    assert seqs(index, subject_id=LAN, actions=("read",)) == [5]
    assert seqs(index, actions=()) == []


def test_time_range_is_from_inclusive_to_exclusive(index: AuditIndex) -> None:
    index.add([event(n) for n in range(1, 6)])
    since = T0 + timedelta(minutes=2)
    until = T0 + timedelta(minutes=4)
    assert seqs(index, since=since, until=until) == [3, 2]
    # Any offset: 09:02 in Hà Nội is 02:02 UTC.
    hanoi = since.astimezone(datetime.now().astimezone().tzinfo)
    assert seqs(index, since=hanoi) == [5, 4, 3, 2]


def test_pages_are_newest_first_with_the_total(index: AuditIndex) -> None:
    index.add([event(n) for n in range(1, 26)])
    first = index.query(AuditQuery(page=1, page_size=10))
    third = index.query(AuditQuery(page=3, page_size=10))
    assert first.total == third.total == 25
    assert [i["seq"] for i in first.items] == list(range(25, 15, -1))
    assert [i["seq"] for i in third.items] == [5, 4, 3, 2, 1]
    assert index.query(AuditQuery(page=4, page_size=10)).items == ()


def test_indexed_through_stops_at_the_first_gap(index: AuditIndex) -> None:
    assert index.indexed_through() == 0 and index.last_seq() == 0
    index.add([event(1), event(2), event(4)])
    assert index.indexed_through() == 2
    assert index.last_seq() == 4
    index.add([event(3)])
    assert index.indexed_through() == 4


def test_replace_all_rebuilds_from_the_trail(index: AuditIndex) -> None:
    index.add([event(n) for n in range(1, 4)])
    assert index.replace_all(event(n, action="read") for n in range(1, 3)) == 2
    assert seqs(index) == [2, 1]
    assert seqs(index, action="lookup") == []
    assert index.indexed_through() == 2
    index.check()


def test_user_filter_finds_the_person_who_acted(index: AuditIndex) -> None:
    people = []
    for seq, user in ((1, "canbo"), (2, "kiemtra"), (3, "canbo")):
        e = replace(event(seq), actor={"user": user, "agency": "000.00.15.H62"})
        people.append(replace(e, hash=e.compute_hash()))
    index.add([*people, event(4)])
    assert seqs(index, user="canbo") == [3, 1]
    assert seqs(index, user="kiemtra", agency="000.00.15.H62") == [2]
    assert seqs(index, user="nobody") == []
