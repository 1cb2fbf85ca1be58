"""What every service is built on: the backends and the clock (who is asking: access.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from kho.archive.audit import AuditTrail
from kho.archive.audit.anchor import CheckpointAnchor
from kho.archive.package import Packages
from kho.archive.store import ObjectStore
from kho.indexer.events import AuditIndex
from kho.indexer.extract import Extractor
from kho.indexer.index import SearchIndex
from kho.retention.schedule import RetentionSchedule

# Who is asking lives in access.py; named here too for code written before it moved.
from kho.services.access import Access
from kho.settings import Settings

__all__ = ["Access", "Backends", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Backends:
    settings: Settings
    store: ObjectStore
    index: SearchIndex
    extractor: Extractor
    packages: Packages
    trail: AuditTrail
    schedule: RetentionSchedule
    audit_index: AuditIndex
    clock: Callable[[], datetime] = utc_now
    # Where the audit trail's signed checkpoints are kept (None: not anchored).
    anchor: CheckpointAnchor | None = None

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.clock().astimezone(self.settings.zone).date()

    def close(self) -> None:
        for backend in (self.index, self.audit_index, self.extractor, self.store, self.anchor):
            if backend is not None:
                backend.close()
