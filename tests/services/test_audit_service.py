"""The audit service over real backends: the event index follows the trail, catches up what
it missed, is rebuilt from the trail; sealing on age; a removed tail is caught."""

from __future__ import annotations

from datetime import timedelta

from kho.indexer.events import AuditQuery
from kho.services import Access, Services


def lookups(services: Services, n: int) -> None:
    access = Access.system(purpose="000.00.15.H62-261123-0001")
    for _ in range(n):
        services.audit.record("lookup", access, subject_ids=["001203001234"])


def test_the_index_follows_the_trail_and_catches_up(services: Services) -> None:
    lookups(services, 5)
    assert services.audit.flush()
    index = services.backends.audit_index
    assert index.query(AuditQuery()).total == 5
    # The index loses everything (say, a new empty Elasticsearch): catch-up refills it.
    index.replace_all([])
    assert index.query(AuditQuery()).total == 0
    assert services.audit.catch_up() == 5
    assert index.indexed_through() == 5
    assert services.audit.catch_up() == 0
    # A rebuild from the trail alone.
    assert services.audit.reindex() == 5


def test_maintain_seals_old_loose_events(services: Services) -> None:
    lookups(services, 3)
    assert services.audit.maintain()["sealed"] == 0  # young and few
    later = services.backends.now() + timedelta(hours=2)
    services.backends.trail._clock = lambda: later
    assert services.audit.maintain()["sealed"] == 1
    report = services.audit.verify()
    assert report.ok and report.segments == 1 and report.events == 3


def test_verify_catches_a_removed_tail_from_the_index(services: Services) -> None:
    lookups(services, 3)
    assert services.audit.verify().ok
    store = services.backends.store
    last = sorted(store.list("audit/batches/"))[-1]
    store.delete(last)
    report = services.audit.verify()
    assert not report.ok and report.first_bad_seq == 3
