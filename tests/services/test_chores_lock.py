"""Of the servers on one data folder, one does the audit trail's chores (kho/server.py)."""

from __future__ import annotations

from kho.server import OutboxWorker
from kho.services import Services


def test_one_worker_takes_the_chores_and_hands_them_on_when_it_stops(
    services: Services,
) -> None:
    first, second = OutboxWorker(services), OutboxWorker(services)
    assert first._has_chores()
    assert first._has_chores()  # kept, not taken again
    assert not second._has_chores()  # another holds the lock
    first.start()
    first.stop()  # its lock goes with it
    assert second._has_chores()
    second.start()
    second.stop()
